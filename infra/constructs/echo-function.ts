/**
 * One Lambda of the system, the same way every time: Node.js 22 on arm64, bundled by esbuild as
 * ESM with source maps, its own log group with retention, its own role with only what it is
 * granted (its log group; the VPC's network interfaces when it is in the VPC), and the settings
 * every function reads. What a function may reach is added by the `bindTo` of what it uses.
 */
import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, serviceName } from '../../lambdas/core/metrics.ts';
import { BUNDLING, type LambdaLlm, type LambdaSqlDriver, lambdaBundling } from '../bundling.ts';

/** The repository's root: entries, the lock file and the bundling's working directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const RUNTIME = lambda.Runtime.NODEJS_22_X;
export const ARCHITECTURE = lambda.Architecture.ARM_64;

/** Where a function in the VPC goes: the isolated subnets, with the functions' security group. */
export interface FunctionPlacement {
  vpc: ec2.IVpc;
  subnets: ec2.SubnetSelection;
  securityGroup: ec2.ISecurityGroup;
}

export interface EchoFunctionProps {
  stage: string;
  /** Short name: `agent-cto`, `ingest`, `api`; the function is `echo-<stage>-<name>`. */
  name: string;
  description: string;
  /** The handler module, relative to the repository root (it exports `handler`). */
  entry: string;
  logGroupName: string;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  logLevel: string;
  memorySize?: number;
  timeout?: Duration;
  placement?: FunctionPlacement | undefined;
  /** The SQL driver the deployment uses: the only one its bundle carries. */
  sqlDriver: LambdaSqlDriver;
  /** The model provider it may open, the only one its bundle carries (default: the rules, no model). */
  llm?: LambdaLlm;
  /** Settings every function of the deployment gets (e.g. the LocalStack endpoint). */
  environment?: Record<string, string>;
  /** Files the handler reads at run time, copied beside the bundle: [from (repo-relative), to]. */
  copyIntoBundle?: [string, string][];
  /** Reserved concurrency: at most this many at once, and always this many available to it. */
  reservedConcurrency?: number | undefined;
  /** For functions invoked asynchronously: the retries after an error, then this queue. */
  asyncInvoke?: { onFailure: sqs.IQueue; retryAttempts: number; maxEventAge: Duration };
}

export class EchoFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly placement: FunctionPlacement | undefined;
  readonly functionName: string;
  /** The handler module, relative to the repository root. */
  readonly entry: string;

  constructor(scope: Construct, id: string, props: EchoFunctionProps) {
    super(scope, id);
    this.functionName = `echo-${props.stage}-${props.name}`;
    this.entry = props.entry;
    this.placement = props.placement;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: props.logGroupName,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    // Its own role, not the AWS-managed execution policies: logs go to its log group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${this.functionName}: execution role`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    if (props.placement) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'VpcNetworkInterfaces',
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
    }
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        [
          "X-Ray's PutTraceSegments and PutTelemetryRecords (active tracing) take no resource ARN",
          ...(props.placement
            ? [
                'nor do the EC2 network-interface actions a function in a VPC needs (as in the AWS-managed AWSLambdaVPCAccessExecutionRole)',
              ]
            : []),
        ].join('; ') + '; every other statement of this role names its resource.',
    });

    const copies = props.copyIntoBundle ?? [];
    const lambdaOnly = lambdaBundling({ sqlDriver: props.sqlDriver, llm: props.llm ?? 'rules' });
    this.fn = new NodejsFunction(this, 'Function', {
      functionName: this.functionName,
      description: props.description,
      entry: `${PROJECT_ROOT}${props.entry}`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: RUNTIME,
      architecture: ARCHITECTURE,
      memorySize: props.memorySize ?? 512,
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      // The handlers write JSON lines already; Lambda's own lines (START, REPORT) become JSON too.
      loggingFormat: lambda.LoggingFormat.JSON,
      // X-Ray: lambdaEntry traces each invocation and its AWS SDK and model calls (lambdas/adapters/xray.ts).
      tracing: lambda.Tracing.ACTIVE,
      ...(props.placement
        ? {
            vpc: props.placement.vpc,
            vpcSubnets: props.placement.subnets,
            securityGroups: [props.placement.securityGroup],
          }
        : {}),
      environment: {
        ECHO_STAGE: props.stage,
        ECHO_LOG_LEVEL: props.logLevel,
        // Stack traces through the bundle's source maps.
        NODE_OPTIONS: '--enable-source-maps',
        // Powertools for AWS Lambda reads these when a handler uses its Logger or Metrics.
        POWERTOOLS_SERVICE_NAME: serviceName(props.stage),
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: props.logLevel.toUpperCase(),
        ...props.environment,
      },
      bundling: {
        // The values live in infra/bundling.ts, which `npm run bench` bundles the handlers with too.
        format: OutputFormat.ESM,
        target: BUNDLING.target,
        platform: BUNDLING.platform,
        mainFields: [...BUNDLING.mainFields],
        minify: BUNDLING.minify,
        sourceMap: BUNDLING.sourceMap,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: BUNDLING.sourcesContent,
        externalModules: [...BUNDLING.externalModules],
        banner: BUNDLING.banner,
        define: lambdaOnly.define,
        esbuildArgs: Object.fromEntries(
          Object.entries(lambdaOnly.alias).map(([from, to]) => [`--alias:${from}`, to]),
        ),
        ...(copies.length
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  copies.map(([from, to]) => `cp -R "${inputDir}/${from}" "${outputDir}/${to}"`),
              },
            }
          : {}),
      },
    });
    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is the runtime this project targets and tests (Node 20 and 22; nodejs20.x is deprecated). nodejs24.x is newer and supported until later; moving to it is one constant (RUNTIME) once the test matrix includes Node 24.',
    });
    if (props.asyncInvoke) {
      this.fn.configureAsyncInvoke({
        retryAttempts: props.asyncInvoke.retryAttempts,
        maxEventAge: props.asyncInvoke.maxEventAge,
        onFailure: new SqsDestination(props.asyncInvoke.onFailure),
      });
    }
  }

  addEnvironment(name: string, value: string): void {
    this.fn.addEnvironment(name, value);
  }

  /** Adds a statement to this function's own policy. */
  allow(statement: iam.PolicyStatement): void {
    this.role.addToPrincipalPolicy(statement);
  }
}

/** What a function can be bound to: it sets the function's settings and grants what they need. */
export interface Binding {
  bindTo(target: EchoFunction): void;
}
