/**
 * The AWS deployment as synthesized (stage dev, no bundling): what runs, how events reach it, what
 * keeps data, and what each function may do. One synthesis for the whole file.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BEDROCK_MODEL } from '../../infra/config.ts';
import { DATA_API_ACTIONS } from '../../infra/constructs/database.ts';
import { METRICS, METRICS_NAMESPACE } from '../../lambdas/core/metrics.ts';
import { ROLES } from '../../lambdas/core/roles.ts';
import {
  agentRule,
  CATCH_UP_DETAIL_TYPE,
  INGEST_RULE,
  WORKFLOW_RULES,
  WORKFLOW_TICK_DETAIL_TYPE,
} from '../../lambdas/core/rules.ts';
import { Resolver } from './policy-limits.ts';
import { synth } from './synth.ts';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };

let stateful: Template;
let stateless: Template;
let functions: Record<string, Resource>;
let byName: Map<string, [string, Resource]>;
let policies: Record<string, Resource>;
let workflowsEntry: string;

const dashed = (role: string) => role.replaceAll('_', '-');
const AGENT_NAMES = ROLES.map((r) => `echo-dev-agent-${dashed(r)}`);
const OTHER_NAMES = [
  'echo-dev-ingest',
  'echo-dev-sweeper',
  'echo-dev-deadlines',
  'echo-dev-workflows',
  'echo-dev-api',
  'echo-dev-migrate',
];
const BOUND = [
  ...AGENT_NAMES,
  'echo-dev-ingest',
  'echo-dev-sweeper',
  'echo-dev-deadlines',
  'echo-dev-workflows',
  'echo-dev-api',
];
/** The functions invoked asynchronously (by rules and schedules): retries, then invoke-failures. */
const ASYNC = [
  ...AGENT_NAMES,
  'echo-dev-ingest',
  'echo-dev-sweeper',
  'echo-dev-deadlines',
  'echo-dev-workflows',
];

/** The statements of the policy attached to a function's role. */
function statementsOf(functionName: string): any[] {
  const [, fn] = byName.get(functionName)!;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(policies)
    .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const actionsOf = (s: any): string[] => [s.Action].flat();

beforeAll(() => {
  const s = synth({ stage: 'dev' });
  workflowsEntry = s.stateless.workflows.entry;
  stateful = s.statefulTemplate;
  stateless = s.statelessTemplate;
  functions = stateless.findResources('AWS::Lambda::Function') as Record<string, Resource>;
  byName = new Map(Object.entries(functions).map(([id, r]) => [r.Properties.FunctionName, [id, r]]));
  policies = stateless.findResources('AWS::IAM::Policy') as Record<string, Resource>;
}, 180_000);

describe('functions', () => {
  it('are the nine agents, ingest, the sweeper, the deadlines, the workflow coordinator, the API and the migration (and its provider)', () => {
    for (const name of [...AGENT_NAMES, ...OTHER_NAMES]) expect(byName.has(name), name).toBe(true);
    expect([...byName.keys()].sort()).toEqual(
      [...AGENT_NAMES, ...OTHER_NAMES, 'echo-dev-migrate-provider'].sort(),
    );
    // The stateful stack runs no code of the system (only the CDK's default-security-group fixer).
    expect(Object.keys(stateful.findResources('AWS::Lambda::Function'))).toHaveLength(1);
  });

  it('every one is nodejs22.x on arm64', () => {
    for (const [name, [, fn]] of byName) {
      expect(fn.Properties.Runtime, name).toBe('nodejs22.x');
      expect(fn.Properties.Architectures, name).toEqual(['arm64']);
    }
  });

  it('every function of the system is traced by X-Ray (active tracing; lambdas/adapters/xray.ts sends the subsegments)', () => {
    for (const [name, [, fn]] of byName) {
      if (name.endsWith('-migrate-provider')) continue;
      expect(fn.Properties.TracingConfig, name).toEqual({ Mode: 'Active' });
    }
  });

  it('an agent is its role file, in the VPC, with its own log group /echo/<stage>/agents/<role>', () => {
    const groups = stateless.findResources('AWS::Logs::LogGroup');
    for (const role of ROLES) {
      const [, fn] = byName.get(`echo-dev-agent-${dashed(role)}`)!;
      expect(fn.Properties.Handler).toBe('index.handler');
      expect(fn.Properties.VpcConfig.SubnetIds).toHaveLength(2);
      const groupId = fn.Properties.LoggingConfig.LogGroup.Ref;
      expect(groups[groupId]!.Properties).toMatchObject({
        LogGroupName: `/echo/dev/agents/${role}`,
        RetentionInDays: 14,
      });
    }
  });

  it('the workflow coordinator: lambdas/handlers/workflows.ts (its handler), in the VPC, its own log group', async () => {
    expect(workflowsEntry).toBe('lambdas/handlers/workflows.ts');
    const module = await import('../../lambdas/handlers/workflows.ts');
    expect(typeof module.handler).toBe('function');
    const [, fn] = byName.get('echo-dev-workflows')!;
    expect(fn.Properties).toMatchObject({
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
    });
    expect(fn.Properties.VpcConfig.SubnetIds).toHaveLength(2);
    const groups = stateless.findResources('AWS::Logs::LogGroup');
    expect(groups[fn.Properties.LoggingConfig.LogGroup.Ref]!.Properties).toMatchObject({
      LogGroupName: '/echo/dev/workflows',
      RetentionInDays: 14,
    });
  });

  it('each function has the settings the handlers read', () => {
    for (const name of BOUND) {
      const env = byName.get(name)![1].Properties.Environment.Variables;
      for (const key of [
        'ECHO_STAGE',
        'ECHO_LOG_LEVEL',
        'ECHO_DB_CLUSTER_ARN',
        'ECHO_DB_SECRET_ARN',
        'ECHO_DB_NAME',
        'ECHO_EVENT_BUS_NAME',
        'REDIS_URL',
        'POWERTOOLS_SERVICE_NAME',
        'POWERTOOLS_METRICS_NAMESPACE',
      ]) {
        expect(env[key], `${name} ${key}`).toBeDefined();
      }
      expect(env.ECHO_STAGE).toBe('dev');
      expect(env.DATABASE_URL).toBeUndefined();
      expect(JSON.stringify(env.REDIS_URL)).toContain('rediss://');
      expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe(METRICS_NAMESPACE);
    }
    const agent = byName.get('echo-dev-agent-cto')![1].Properties.Environment.Variables;
    expect(agent).toMatchObject({ ECHO_LLM_PROVIDER: 'bedrock', ECHO_LLM_MODEL: DEFAULT_BEDROCK_MODEL });
    const migrate = byName.get('echo-dev-migrate')![1].Properties;
    expect(migrate.VpcConfig).toBeUndefined(); // the Data API needs no network path
    expect(migrate.Environment.Variables.REDIS_URL).toBeUndefined();
  });

  it('asynchronously invoked functions retry, then go to the invoke-failures queue', () => {
    const configs = Object.values(stateless.findResources('AWS::Lambda::EventInvokeConfig'));
    expect(configs).toHaveLength(ASYNC.length);
    expect(configs.map((c) => c.Properties.FunctionName.Ref).sort()).toEqual(
      ASYNC.map((name) => byName.get(name)![0]).sort(),
    );
    for (const c of configs) {
      expect(c.Properties).toMatchObject({
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [expect.stringMatching(/InvokeFailures/), 'Arn'] } },
        },
      });
    }
  });
});

describe('rules', () => {
  let rules: Record<string, Resource>;
  beforeAll(() => {
    rules = stateless.findResources('AWS::Events::Rule') as Record<string, Resource>;
  });
  const named = (name: string) => Object.values(rules).find((r) => r.Properties.Name === name)!;

  it('one per role on the echo-dev bus, with exactly agentRule(role).pattern, to that agent', () => {
    for (const role of ROLES) {
      const rule = named(`echo-dev-${agentRule(role).name}`);
      expect(rule, role).toBeDefined();
      expect(rule.Properties.EventPattern).toEqual(agentRule(role).pattern);
      expect(JSON.stringify(rule.Properties.EventBusName)).toContain('Bus');
      const [targetId] = byName.get(`echo-dev-agent-${dashed(role)}`)!;
      expect(rule.Properties.Targets).toHaveLength(1);
      expect(rule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [targetId, 'Arn'] });
    }
  });

  it('the ingest rule has INGEST_RULE.pattern, on the bus and on the default bus', () => {
    const onBus = named('echo-dev-ingest');
    const onDefault = named('echo-dev-ingest-default-bus');
    for (const rule of [onBus, onDefault]) {
      expect(rule.Properties.EventPattern).toEqual(INGEST_RULE.pattern);
      expect(rule.Properties.Targets[0].Arn).toEqual({
        'Fn::GetAtt': [byName.get('echo-dev-ingest')![0], 'Arn'],
      });
    }
    expect(onBus.Properties.EventBusName).toBeDefined();
    expect(onDefault.Properties.EventBusName).toBeUndefined();
  });

  it('the sweeper and the deadlines every minute, and each agent catches up with a CatchUp event', () => {
    expect(named('echo-dev-sweeper').Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(named('echo-dev-deadlines').Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(named('echo-dev-deadlines').Properties.Targets[0].Arn).toEqual({
      'Fn::GetAtt': [byName.get('echo-dev-deadlines')![0], 'Arn'],
    });
    for (const role of ROLES) {
      const rule = named(`echo-dev-catch-up-${dashed(role)}`);
      expect(rule.Properties.ScheduleExpression).toBe('rate(5 minutes)');
      const target = rule.Properties.Targets[0];
      expect(target.Arn).toEqual({ 'Fn::GetAtt': [byName.get(`echo-dev-agent-${dashed(role)}`)![0], 'Arn'] });
      const template = JSON.parse(target.InputTransformer.InputTemplate.replace(/<[a-z-]+>/g, '"x"'));
      expect(template['detail-type']).toBe(CATCH_UP_DETAIL_TYPE);
      expect(template.detail).toEqual({ role });
    }
  });

  it('the workflow coordinator: one rule per WORKFLOW_RULES entry on the echo-dev bus, with exactly its pattern', () => {
    expect(WORKFLOW_RULES).toHaveLength(2);
    for (const { name, pattern } of WORKFLOW_RULES) {
      const rule = named(`echo-dev-${name}`);
      expect(rule, name).toBeDefined();
      expect(rule.Properties.EventPattern).toEqual(pattern);
      expect(JSON.stringify(rule.Properties.EventBusName)).toContain('Bus');
      expect(rule.Properties.Targets).toHaveLength(1);
      expect(rule.Properties.Targets[0].Arn).toEqual({
        'Fn::GetAtt': [byName.get('echo-dev-workflows')![0], 'Arn'],
      });
    }
    // Nothing else reaches the coordinator but its tick.
    const toCoordinator = Object.values(rules).filter((r) =>
      r.Properties.Targets.some(
        (t: any) => t.Arn['Fn::GetAtt']?.[0] === byName.get('echo-dev-workflows')![0],
      ),
    );
    expect(toCoordinator.map((r) => r.Properties.Name).sort()).toEqual(
      [...WORKFLOW_RULES.map((r) => `echo-dev-${r.name}`), 'echo-dev-workflow-tick'].sort(),
    );
  });

  it('the workflow coordinator ticks every minute with a WorkflowTick event', () => {
    const rule = named('echo-dev-workflow-tick');
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.Properties.EventBusName).toBeUndefined();
    const target = rule.Properties.Targets[0];
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [byName.get('echo-dev-workflows')![0], 'Arn'] });
    expect(target.InputTransformer.InputPathsMap).toMatchObject({ id: '$.id', time: '$.time' });
    const template = JSON.parse(target.InputTransformer.InputTemplate.replace(/<[a-z-]+>/g, '"x"'));
    expect(template).toMatchObject({
      version: '0',
      'detail-type': WORKFLOW_TICK_DETAIL_TYPE,
      source: 'echo.schedule',
      detail: {},
    });
  });

  it('every target has a retry policy and the events dead-letter queue', () => {
    const all = Object.values(rules);
    // Per role: its rule and its catch-up; ingest (bus, default bus); sweeper, deadlines;
    // the coordinator's rules and its tick.
    expect(all).toHaveLength(ROLES.length * 2 + 4 + WORKFLOW_RULES.length + 1);
    for (const rule of all) {
      for (const target of rule.Properties.Targets) {
        expect(target.RetryPolicy.MaximumRetryAttempts, rule.Properties.Name).toBeGreaterThan(0);
        expect(target.RetryPolicy.MaximumEventAgeInSeconds, rule.Properties.Name).toBeGreaterThanOrEqual(60);
        expect(target.DeadLetterConfig.Arn).toEqual({
          'Fn::GetAtt': [expect.stringMatching(/EventsDlq/), 'Arn'],
        });
      }
    }
  });

  it("the events dead-letter queue admits EventBridge for this stage's rules in one statement, and every rule matches it", () => {
    const [policy] = Object.values(stateless.findResources('AWS::SQS::QueuePolicy')).filter((p) =>
      JSON.stringify(p.Properties.Queues).includes('EventsDlq'),
    );
    const statements = policy!.Properties.PolicyDocument.Statement;
    // The TLS-only deny, and one allow (the CDK's own way is one per rule: 26, over SQS's 20).
    expect(statements).toHaveLength(2);
    const allow = statements.find((s: any) => s.Effect === 'Allow');
    expect(allow).toMatchObject({
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
    });
    const stack = { name: 'echo-dev-stateless', template: stateless.toJSON() as any };
    const resolver = new Resolver([stack, { name: 'echo-dev-stateful', template: stateful.toJSON() as any }]);
    const patterns = (resolver.resolve(stack, allow.Condition.ArnLike['aws:SourceArn']) as string[]).map(
      (p) => new RegExp(`^${p.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`),
    );
    expect(patterns).toHaveLength(2);
    for (const [id, rule] of Object.entries(rules)) {
      const arn = resolver.arnOf(stack, id);
      expect(
        patterns.some((p) => p.test(arn)),
        `${arn} (${rule.Properties.Name})`,
      ).toBe(true);
    }
    // Not another stage's: echo-dev's patterns do not match the rules of a stage "prod".
    expect(
      patterns.some((p) =>
        p.test(resolver.arnOf(stack, Object.keys(rules)[0]!).replace(/echo-dev/g, 'echo-prod')),
      ),
    ).toBe(false);
  });

  it('nothing is routed before the schema migration ran', () => {
    for (const [id, rule] of Object.entries(rules)) {
      expect(rule.DependsOn, id).toEqual(expect.arrayContaining([expect.stringMatching(/^MigrationSchema/)]));
    }
  });
});

describe('dead letters and alarms', () => {
  it('the queues are encrypted and refuse plain HTTP', () => {
    const queues = Object.values(stateless.findResources('AWS::SQS::Queue'));
    expect(queues.map((q) => q.Properties.QueueName).sort()).toEqual([
      'echo-dev-events-dlq',
      'echo-dev-invoke-failures',
    ]);
    for (const q of queues) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
    for (const p of Object.values(stateless.findResources('AWS::SQS::QueuePolicy'))) {
      expect(p.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      );
    }
  });

  it('every dead-letter queue alarms on a visible message; every agent and asynchronous function alarms on an error', () => {
    const alarms = Object.values(stateless.findResources('AWS::CloudWatch::Alarm'));
    const byAlarm = new Map(alarms.map((a) => [a.Properties.AlarmName, a.Properties]));
    for (const name of ['events-dlq', 'invoke-failures']) {
      expect(byAlarm.get(`echo-dev-${name}-not-empty`)).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
      });
    }
    // An agent that gave up on a delivery: only a person takes it further.
    expect(byAlarm.get('echo-dev-deliveries-given-up')).toMatchObject({
      MetricName: METRICS.deliveries.name,
      Namespace: METRICS_NAMESPACE,
      Dimensions: expect.arrayContaining([{ Name: METRICS.deliveries.dimension, Value: 'given_up' }]),
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [expect.anything()],
    });
    for (const name of ASYNC) {
      expect(byAlarm.get(`${name}-errors`), name).toMatchObject({
        MetricName: 'Errors',
        Namespace: 'AWS/Lambda',
        Threshold: 0,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: byName.get(name)![0] } }],
      });
    }
  });

  it('the dashboard shows the ECHO metrics, the dead letters and the agents', () => {
    const [dashboard] = Object.values(stateless.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboard!.Properties.DashboardName).toBe('echo-dev');
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    for (const m of [
      METRICS.messagesPosted.name,
      METRICS.deliveries.name,
      METRICS.decisions.name,
      METRICS.workflowRuns.name,
    ]) {
      expect(body).toContain(`\\"${METRICS_NAMESPACE}\\",\\"${m}\\"`);
    }
    expect(body).toContain('ApproximateNumberOfMessagesVisible');
    expect(body).toContain('Duration');
    // The alarms' status, the coordinator's among them.
    const [alarmId] = Object.entries(stateless.findResources('AWS::CloudWatch::Alarm')).find(
      ([, a]) => a.Properties.AlarmName === 'echo-dev-workflows-errors',
    )!;
    expect(body).toContain(alarmId);
  });
});

describe('stateful', () => {
  it('Aurora Serverless v2 PostgreSQL with the Data API, encrypted, its secret rotated', () => {
    stateful.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      EnableHttpEndpoint: true,
      StorageEncrypted: true,
      DatabaseName: 'echo',
      DeletionProtection: false,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
    });
    stateful.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.serverless' });
    stateful.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
  });

  it('the cache: Valkey in the isolated subnets, TLS required, encrypted, open to the functions only', () => {
    stateful.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'valkey',
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      AtRestEncryptionEnabled: true,
    });
    const cacheSg = Object.entries(stateful.findResources('AWS::EC2::SecurityGroup')).find(
      ([, r]) => r.Properties.GroupName === 'echo-dev-cache',
    )!;
    const ingress = Object.values(stateful.findResources('AWS::EC2::SecurityGroupIngress')).filter(
      (r) => r.Properties.GroupId['Fn::GetAtt']?.[0] === cacheSg[0],
    );
    expect(ingress).toHaveLength(1);
    expect(ingress[0]!.Properties.SourceSecurityGroupId['Fn::GetAtt'][0]).toMatch(/^NetworkFunctions/);
    expect(cacheSg[1].Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('a VPC of isolated subnets only, no NAT, with the endpoints the functions call', () => {
    stateful.resourceCountIs('AWS::EC2::NatGateway', 0);
    stateful.resourceCountIs('AWS::EC2::InternetGateway', 0);
    const services = Object.values(stateful.findResources('AWS::EC2::VPCEndpoint')).map((e) =>
      JSON.stringify(e.Properties.ServiceName),
    );
    for (const s of ['.events', '.rds-data', '.secretsmanager', '.bedrock-runtime', '.xray']) {
      expect(
        services.some((n) => n.includes(s)),
        s,
      ).toBe(true);
    }
  });

  it("only the stage's functions may put the events the system emits (source echo) on the bus", () => {
    const [policy] = Object.values(stateful.findResources('AWS::Events::EventBusPolicy')) as Resource[];
    expect(policy!.Properties.Statement).toMatchObject({
      Effect: 'Deny',
      Principal: '*',
      Action: 'events:PutEvents',
      Condition: { StringEquals: { 'events:source': 'echo' } },
    });
    const pattern = JSON.stringify(policy!.Properties.Statement.Condition.ArnNotLike['aws:PrincipalArn']);
    expect(pattern).toContain(':role/echo-dev-stateless-*');
    // every function that puts events has its role in that stack (CloudFormation names it after the stack)
    const roles = stateless.findResources('AWS::IAM::Role');
    for (const name of BOUND)
      expect(roles[byName.get(name)![1].Properties.Role['Fn::GetAtt'][0]], name).toBeDefined();
  });

  it('the bus echo-dev, archived for replay', () => {
    stateful.hasResourceProperties('AWS::Events::EventBus', { Name: 'echo-dev' });
    stateful.hasResourceProperties('AWS::Events::Archive', {
      ArchiveName: 'echo-dev',
      RetentionDays: 30,
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Bus'), 'Arn'] },
    });
  });
});

describe('IAM, scoped', () => {
  const importOf = (pattern: RegExp) => ({ 'Fn::ImportValue': expect.stringMatching(pattern) });

  it('PutEvents on the bus only, the Data API on the cluster only, the secret only', () => {
    for (const name of BOUND) {
      const statements = statementsOf(name);
      const put = statements.filter((s) => actionsOf(s).includes('events:PutEvents'));
      expect(put, name).toHaveLength(1);
      expect(put[0].Resource).toMatchObject(importOf(/ExportsOutputFnGetAttBus.*Arn/));
      const data = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('rds-data:')));
      expect(data).toHaveLength(1);
      expect(actionsOf(data[0]).sort()).toEqual([...DATA_API_ACTIONS].sort());
      expect(JSON.stringify(data[0].Resource)).toMatch(/:cluster:.*ExportsOutputRefDatabaseCluster/);
      const secret = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
      expect(secret).toHaveLength(1);
      expect(secret[0].Resource).toMatchObject(importOf(/ExportsOutputRefDatabaseClusterSecretAttachment/));
    }
  });

  it('Bedrock InvokeModel (Converse) and its streaming form (ConverseStream) on the configured model only, for the agents only', () => {
    for (const name of AGENT_NAMES) {
      const bedrock = statementsOf(name).filter((s) => actionsOf(s).some((a) => a.startsWith('bedrock:')));
      expect(bedrock).toHaveLength(1);
      expect(actionsOf(bedrock[0])).toEqual(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']);
      expect(JSON.stringify(bedrock[0].Resource)).toContain(`::foundation-model/${DEFAULT_BEDROCK_MODEL}`);
    }
    for (const name of OTHER_NAMES) {
      expect(JSON.stringify(statementsOf(name))).not.toContain('bedrock:');
    }
  });

  it('the workflow coordinator: the Data API, PutEvents and the secret like the others, and no model', () => {
    const statements = statementsOf('echo-dev-workflows');
    expect(statements.flatMap(actionsOf)).toEqual(
      expect.arrayContaining([...DATA_API_ACTIONS, 'events:PutEvents', 'secretsmanager:GetSecretValue']),
    );
    expect(statements.flatMap(actionsOf)).not.toContain('bedrock:InvokeModel');
    expect(JSON.stringify(statements)).not.toContain('bedrock');
    const env = byName.get('echo-dev-workflows')![1].Properties.Environment.Variables;
    expect(env.ECHO_LLM_PROVIDER).toBeUndefined();
  });

  it('no "*" resource but the network-interface actions of functions in the VPC and X-Ray\'s trace upload', () => {
    for (const [id, policy] of Object.entries(policies)) {
      for (const s of policy.Properties.PolicyDocument.Statement) {
        const resources = [s.Resource].flat();
        if (!resources.includes('*')) continue;
        expect(
          actionsOf(s).every(
            (a) =>
              (a.startsWith('ec2:') && /NetworkInterface|Subnets|PrivateIp/.test(a)) ||
              ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'].includes(a),
          ),
          id,
        ).toBe(true);
      }
    }
    expect(JSON.stringify(policies)).not.toMatch(/"Action":"[a-z-]+:\*"/);
  });

  it('logs: each function writes to its own log group only (no AWS-managed execution policy)', () => {
    for (const name of [...AGENT_NAMES, ...OTHER_NAMES]) {
      const [, fn] = byName.get(name)!;
      const logs = statementsOf(name).filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      expect(logs).toHaveLength(1);
      expect(logs[0].Resource).toEqual({ 'Fn::GetAtt': [fn.Properties.LoggingConfig.LogGroup.Ref, 'Arn'] });
    }
    for (const role of Object.values(stateless.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('HTTP API and migration', () => {
  it('every API route is IAM-authorized and goes to the API function; only the dashboard files are open', () => {
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Api', { Name: 'echo-dev', ProtocolType: 'HTTP' });
    const routes = Object.values(stateless.findResources('AWS::ApiGatewayV2::Route'));
    const auth = Object.fromEntries(
      routes.map((r) => [r.Properties.RouteKey, r.Properties.AuthorizationType]),
    );
    expect(auth).toEqual({
      'ANY /{proxy+}': 'AWS_IAM',
      'GET /dashboard': 'NONE',
      'GET /dashboard/{proxy+}': 'NONE',
    });
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [byName.get('echo-dev-api')![0], 'Arn'] },
    });
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  it('the schema migration is a custom resource that changes with the migration files', () => {
    const [migration] = Object.values(stateless.findResources('Custom::EchoSchemaMigration'));
    expect(migration!.Properties.ServiceToken['Fn::GetAtt'][0]).toMatch(/^MigrationProviderframeworkonEvent/);
    expect(migration!.Properties.MigrationsHash).toMatch(/^[0-9a-f]{64}$/);
  });
});
