/**
 * Alarms that reach someone, and what keeps a deploy safe (issue 14, item 2), as synthesized: the
 * stage's topic and its subscriptions, an action on every alarm, the alarms that were missing, the
 * agents' reserved concurrency against what Aurora takes, every function after the migration, the
 * secret kept with a retained cluster, the reader instance.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AGENT_COUNT, agentConcurrencyBudget, auroraMaxConnections, readConfig } from '../../infra/config.ts';
import { METRICS, METRICS_NAMESPACE } from '../../lambdas/core/metrics.ts';
import { ROLES } from '../../lambdas/core/roles.ts';
import { synth } from './synth.ts';
import { ALARMS, PROD, VARIANTS } from './variants.ts';

type Resource = {
  Type: string;
  Properties: Record<string, any>;
  DependsOn?: string[];
  DeletionPolicy?: string;
};
type Synth = { stateful: Record<string, Resource>; stateless: Record<string, Resource>; stage: string };

const synths = new Map<string, Synth>();

beforeAll(() => {
  for (const [name, context] of VARIANTS) {
    const s = synth(context);
    synths.set(name, {
      stateful: s.statefulTemplate.toJSON().Resources,
      stateless: s.statelessTemplate.toJSON().Resources,
      stage: s.config.stage,
    });
  }
}, 300_000);

const ofType = (resources: Record<string, Resource>, type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type);
const alarmsOf = (s: Synth) =>
  new Map<string, Record<string, any>>(
    ofType(s.stateless, 'AWS::CloudWatch::Alarm').map(([id, r]) => [
      r.Properties.AlarmName as string,
      { id, ...r.Properties },
    ]),
  );
const functionsOf = (s: Synth) =>
  new Map(
    ofType(s.stateless, 'AWS::Lambda::Function')
      .filter(([, r]) => !String(r.Properties.FunctionName).endsWith('-migrate-provider'))
      .map(([id, r]) => [r.Properties.FunctionName as string, { id, ...r }]),
  );
const dashed = (role: string) => role.replaceAll('_', '-');
/** The function logical ids an alarm reads (a plain metric, or each metric of its math expression). */
const functionsRead = (alarm: any): string[] =>
  [
    ...(alarm.Dimensions ?? []),
    ...(alarm.Metrics ?? []).flatMap((m: any) => m.MetricStat?.Metric.Dimensions ?? []),
  ]
    .filter((d: any) => d.Name === 'FunctionName')
    .map((d: any) => d.Value.Ref);

describe.each(VARIANTS)('%s', (name) => {
  let s: Synth;
  beforeAll(() => {
    s = synths.get(name)!;
  });

  it("every alarm tells the stage's topic when it fires and when it recovers", () => {
    const [[topicId, topic]] = ofType(s.stateless, 'AWS::SNS::Topic') as [[string, Resource]];
    expect(topic.Properties.TopicName).toBe(`echo-${s.stage}-alarms`);
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    const alarms = [...alarmsOf(s).values()];
    // 2 queues, 14 functions' errors, 2 throttle groups, the outbox, the deliveries given up; and
    // Aurora and the cache.
    expect(alarms).toHaveLength(20 + (name.includes('LocalStack') || name === 'localstack' ? 0 : 2));
    for (const alarm of alarms) {
      expect(alarm.AlarmActions, alarm.AlarmName).toEqual([{ Ref: topicId }]);
      expect(alarm.OKActions, alarm.AlarmName).toEqual([{ Ref: topicId }]);
    }
  });

  it("CloudWatch may publish to the topic (for this stage's alarms) and use its key; nothing else is granted", () => {
    const [[, policy]] = ofType(s.stateless, 'AWS::SNS::TopicPolicy') as [[string, Resource]];
    const allow = policy.Properties.PolicyDocument.Statement.filter((st: any) => st.Effect === 'Allow');
    expect(allow).toHaveLength(1);
    expect(allow[0]).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
    });
    expect(JSON.stringify(allow[0].Condition)).toContain(`:alarm:echo-${s.stage}-*`);
    const [[, key]] = ofType(s.stateless, 'AWS::KMS::Key') as [[string, Resource]];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const cw = key.Properties.KeyPolicy.Statement.find(
      (st: any) => st.Principal?.Service === 'cloudwatch.amazonaws.com',
    );
    expect(cw.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
  });

  it('the errors of every agent and of ingest, the sweeper, the deadlines, the coordinator and the API', () => {
    const alarms = alarmsOf(s);
    const fns = functionsOf(s);
    const names = [
      ...ROLES.map((r) => `agent-${dashed(r)}`),
      'ingest',
      'sweeper',
      'deadlines',
      'workflows',
      'api',
    ];
    for (const n of names) {
      const alarm = alarms.get(`echo-${s.stage}-${n}-errors`);
      expect(alarm, n).toMatchObject({ MetricName: 'Errors', Namespace: 'AWS/Lambda', Threshold: 0 });
      expect(functionsRead(alarm)).toEqual([fns.get(`echo-${s.stage}-${n}`)!.id]);
    }
  });

  it('a throttle of any function: every function is read by exactly one throttle alarm, none reads more than 10', () => {
    const alarms = alarmsOf(s);
    const throttles = ['agents', 'functions'].map((k) => alarms.get(`echo-${s.stage}-${k}-throttled`)!);
    const read = throttles.flatMap((a) => {
      expect(a.Metrics.filter((m: any) => m.MetricStat)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            MetricStat: expect.objectContaining({
              Metric: expect.objectContaining({ MetricName: 'Throttles' }),
            }),
          }),
        ]),
      );
      return functionsRead(a);
    });
    expect(read.sort()).toEqual([...functionsOf(s).values()].map((f) => f.id).sort());
    for (const a of throttles) {
      expect(a.Metrics.find((m: any) => m.ReturnData !== false).Expression).toMatch(/^SUM\(\[/);
      expect(a.Threshold).toBe(0);
    }
  });

  it('no alarm reads more than the 10 metrics CloudWatch allows a metric math alarm', () => {
    for (const alarm of alarmsOf(s).values()) {
      const metrics = (alarm.Metrics ?? []).filter((m: any) => m.MetricStat).length;
      expect(metrics, alarm.AlarmName).toBeLessThanOrEqual(10);
    }
  });

  it("the outbox backlog: the sweeper's OutboxOldestAgeSeconds over 5 minutes, or missing, for 3 minutes", () => {
    expect(alarmsOf(s).get(`echo-${s.stage}-outbox-backlog`)).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: METRICS.outboxOldestAge.name,
      Dimensions: [{ Name: 'service', Value: `echo-${s.stage}` }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 300,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'breaching',
    });
  });

  it('every function of the stage starts only after the schema migration', () => {
    const [[migrationId]] = ofType(s.stateless, 'Custom::EchoSchemaMigration') as [[string, Resource]];
    for (const [fnName, fn] of functionsOf(s)) {
      if (fnName === `echo-${s.stage}-migrate`) continue;
      expect(fn.DependsOn, fnName).toEqual(expect.arrayContaining([migrationId]));
    }
  });
});

describe('Aurora and the cache', () => {
  it('Aurora near its maximum capacity: ACUUtilization of the cluster at 90% or more for 5 minutes', () => {
    for (const [variant, stage] of [
      ['dev', 'dev'],
      [PROD, 'prod'],
    ] as const) {
      expect(alarmsOf(synths.get(variant)!).get(`echo-${stage}-database-capacity`)).toMatchObject({
        Namespace: 'AWS/RDS',
        MetricName: 'ACUUtilization',
        Dimensions: [{ Name: 'DBClusterIdentifier', Value: `echo-${stage}` }],
        Threshold: 90,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 5,
      });
    }
  });

  it("the cache's memory: the fullest node at 80% or more for 5 minutes (one node in dev, two in prod)", () => {
    for (const [variant, stage, nodes] of [
      ['dev', 'dev', ['echo-dev-001']],
      [PROD, 'prod', ['echo-prod-001', 'echo-prod-002']],
    ] as const) {
      const alarm = alarmsOf(synths.get(variant)!).get(`echo-${stage}-cache-memory`)!;
      const read = alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric);
      expect(read.map((m: any) => m.MetricName)).toEqual(nodes.map(() => 'DatabaseMemoryUsagePercentage'));
      expect(read.map((m: any) => m.Dimensions)).toEqual(
        nodes.map((n) => [
          { Name: 'CacheClusterId', Value: n },
          { Name: 'CacheNodeId', Value: '0001' },
        ]),
      );
      expect(alarm).toMatchObject({ Threshold: 80, EvaluationPeriods: 5 });
      // The node ids are the replication group's member clusters.
      const [[, group]] = ofType(synths.get(variant)!.stateful, 'AWS::ElastiCache::ReplicationGroup') as [
        [string, Resource],
      ];
      expect(group.Properties.ReplicationGroupId).toBe(`echo-${stage}`);
      expect(group.Properties.NumCacheClusters).toBe(nodes.length);
    }
  });

  it('LocalStack has neither: its database and cache are the sidecars', () => {
    const alarms = alarmsOf(synths.get('localstack')!);
    expect(alarms.has('echo-dev-database-capacity')).toBe(false);
    expect(alarms.has('echo-dev-cache-memory')).toBe(false);
  });
});

describe('email', () => {
  it('-c alarmEmail= subscribes each address to the topic; without it, none', () => {
    const subscriptions = (variant: string) =>
      ofType(synths.get(variant)!.stateless, 'AWS::SNS::Subscription').map(([, r]) => r.Properties);
    expect(subscriptions(ALARMS)).toEqual([
      expect.objectContaining({ Protocol: 'email', Endpoint: 'ops@example.com' }),
      expect.objectContaining({ Protocol: 'email', Endpoint: 'oncall@example.com' }),
    ]);
    expect(subscriptions('dev')).toEqual([]);
  });

  it('a bad address names the key', () => {
    expect(() => readConfig((k) => ({ alarmEmail: 'ops@example.com,nobody' })[k])).toThrow(
      /context alarmEmail: must be an email address \(or several, comma-separated\), got "nobody"/,
    );
  });
});

describe('reserved concurrency of the agents, sized against what Aurora takes', () => {
  const reserved = (variant: string) =>
    [...functionsOf(synths.get(variant)!)].map(([n, f]) => [n, f.Properties.ReservedConcurrentExecutions]);

  it('each agent reserves 20 by default, 5 with -c agentConcurrency=5; no other function reserves any', () => {
    for (const [variant, perAgent] of [
      ['dev', 20],
      [PROD, 20],
      [ALARMS, 5],
    ] as const) {
      for (const [fnName, value] of reserved(variant)) {
        expect(value, `${variant}: ${fnName}`).toBe(/-agent-/.test(fnName) ? perAgent : undefined);
      }
    }
  });

  it('none on LocalStack by default (its PostgreSQL is a sidecar, not Aurora)', () => {
    for (const [, value] of reserved('localstack')) expect(value).toBeUndefined();
  });

  it("Aurora's max_connections at a capacity range, as AWS documents it; the agents get half", () => {
    expect(auroraMaxConnections(0.5, 1)).toBe(189);
    expect(auroraMaxConnections(0.5, 4)).toBe(756);
    expect(auroraMaxConnections(0.5, 16)).toBe(2000); // a minimum of 0.5 ACU caps it at 2,000
    expect(auroraMaxConnections(1, 16)).toBe(3024);
    expect(auroraMaxConnections(2, 64)).toBe(5000);
    expect(agentConcurrencyBudget(0.5, 4)).toBe(378);
  });

  it('the default follows the database down: 1 ACU at most gives each agent 10', () => {
    expect(readConfig((k) => ({ dbMaxCapacity: '1' })[k]).agentConcurrency).toBe(
      Math.floor(agentConcurrencyBudget(0.5, 1) / AGENT_COUNT),
    );
    expect(readConfig((k) => ({ dbMaxCapacity: '1' })[k]).agentConcurrency).toBe(10);
    expect(readConfig((k) => ({ agentConcurrency: 'none' })[k]).agentConcurrency).toBeUndefined();
  });

  it('more than the database takes is refused, naming the key, the arithmetic and what to do', () => {
    expect(() => readConfig((k) => ({ agentConcurrency: '50' })[k])).toThrow(
      /context agentConcurrency: 9 agents x 50 = 450 concurrent invocations.*more than the 378 the agents may hold \(half of the 756 connections Aurora takes at dbMinCapacity=0.5, dbMaxCapacity=4\): lower it to at most 42, or raise dbMaxCapacity/,
    );
    expect(() => readConfig((k) => ({ agentConcurrency: '0' })[k])).toThrow(
      /context agentConcurrency: must be a whole number from 1 to 1000, or none, got "0"/,
    );
    expect(
      readConfig((k) => ({ agentConcurrency: '50', dbMaxCapacity: '16', dbMinCapacity: '1' })[k])
        .agentConcurrency,
    ).toBe(50);
  });
});

describe('what keeps data', () => {
  const secretOf = (variant: string) =>
    ofType(synths.get(variant)!.stateful, 'AWS::SecretsManager::Secret')[0]![1];

  it("a stage that retains data retains the cluster's secret with the cluster; dev deletes both", () => {
    const clusterOf = (variant: string) =>
      ofType(synths.get(variant)!.stateful, 'AWS::RDS::DBCluster')[0]![1];
    expect(clusterOf(PROD).DeletionPolicy).toBe('Retain');
    expect(secretOf(PROD).DeletionPolicy).toBe('Retain');
    expect(clusterOf('dev').DeletionPolicy).toBe('Snapshot');
    expect(secretOf('dev').DeletionPolicy).toBe('Delete');
  });

  it('-c dbReader=true adds a reader instance that scales with the writer; none by default', () => {
    const instances = (variant: string) =>
      ofType(synths.get(variant)!.stateful, 'AWS::RDS::DBInstance').map(([, r]) => r.Properties);
    expect(instances('dev')).toHaveLength(1);
    const withReader = instances(ALARMS);
    expect(withReader).toHaveLength(2);
    for (const i of withReader) expect(i.DBInstanceClass).toBe('db.serverless');
    // Promotion tiers 0 and 1 scale with the writer (a failover finds the reader at the writer's size).
    expect(withReader.map((i) => i.PromotionTier ?? 0).every((t: number) => t <= 1)).toBe(true);
  });
});
