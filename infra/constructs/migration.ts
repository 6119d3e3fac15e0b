/**
 * The schema migration on every deploy: a custom resource whose `onEvent` is the migrate function
 * (lambdas/handlers/migrate.ts). Its properties carry a hash of the migration files, so a deploy that
 * adds or changes a migration is an Update that applies it; one that does not is no call at all.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CfnElement, CustomResource, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { ARCHITECTURE, type EchoFunction, PROJECT_ROOT, RUNTIME } from './echo-function.ts';

/** Where the migrations are, relative to the repository root; the bundle carries them as `migrations/`. */
export const MIGRATIONS_DIR = 'lambdas/adapters/sql/migrations';

export function migrationsHash(dir = join(PROJECT_ROOT, MIGRATIONS_DIR)): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(dir, file)))
      .update('\0');
  }
  return hash.digest('hex');
}

export interface SchemaMigrationProps {
  stage: string;
  migrate: EchoFunction;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
}

export class SchemaMigration extends Construct {
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: SchemaMigrationProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'ProviderLogs', {
      logGroupName: `/echo/${props.stage}/migrate-provider`,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const role = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `echo-${props.stage}: the custom-resource provider of the schema migration`,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: props.migrate.fn,
      logGroup,
      frameworkOnEventRole: role,
      providerFunctionName: `echo-${props.stage}-migrate-provider`,
    });
    // The framework's own function, on the runtime and architecture of every other function of
    // the system (its code is plain Node.js, independent of both).
    const framework = provider.node.findChild('framework-onEvent').node.defaultChild as lambda.CfnFunction;
    framework.runtime = RUNTIME.name;
    framework.architectures = [ARCHITECTURE.name];
    Validations.of(framework).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The Provider framework function is set to nodejs22.x, the runtime of every function of this system (see EchoFunction), on purpose.',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${idOf(props.migrate)}>:*]`,
      reason:
        'The CDK Provider framework invokes the migrate function by any version or alias of it (its ARN followed by ":*"), which is still that one function only.',
    });
    this.resource = new CustomResource(this, 'Schema', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::EchoSchemaMigration',
      properties: { Stage: props.stage, MigrationsHash: migrationsHash() },
    });
  }

  /** The versions the last Create or Update applied, comma-separated. */
  get applied(): string {
    return this.resource.getAttString('Applied');
  }
}

/** How cdk-nag names a function's ARN in a finding: `<LogicalId.Arn>`. */
function idOf(fn: EchoFunction): string {
  const cfn = fn.fn.node.defaultChild as CfnElement;
  return `${Stack.of(cfn).getLogicalId(cfn)}.Arn`;
}
