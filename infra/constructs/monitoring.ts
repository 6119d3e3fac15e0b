/**
 * Alarms that reach someone, and the stage's dashboard. Every alarm sends to the stage's topic
 * `echo-<stage>-alarms` when it fires and when it recovers; `-c alarmEmail=` subscribes addresses
 * to it. The alarms: any message in a dead-letter queue; any error of an agent, of ingest, the
 * sweeper, the deadlines, the workflow coordinator or the API; a throttle of any function; the
 * outbox backlog (the age of its oldest row, which the sweeper reports); Aurora near its maximum
 * capacity; the cache's memory. The dashboard graphs the system's own metrics
 * (lambdas/core/metrics.ts) beside the queues, the functions and the alarms' state.
 */
import { ArnFormat, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS, METRICS_NAMESPACE, serviceName } from '../../lambdas/core/metrics.ts';
import type { EchoFunction } from './echo-function.ts';

export interface MonitoringProps {
  stage: string;
  /** Dead-letter queues by a short name (`events-dlq`, `invoke-failures`). */
  queues: ReadonlyMap<string, sqs.IQueue>;
  /** The agents by role. */
  agents: ReadonlyMap<string, EchoFunction>;
  /** The other functions whose errors alarm (ingest, sweeper, deadlines, workflow coordinator, API). */
  others: readonly EchoFunction[];
  /** Every function of the stage but the agents: their throttles alarm together. */
  rest: readonly EchoFunction[];
  /** Subscribed to the alarms topic by email. */
  alarmEmails: readonly string[];
  /** The outbox backlog alarm's threshold. */
  outboxAlarmMinutes: number;
  /** Aurora: its identifier and maximum capacity (absent on LocalStack). */
  database?: { clusterIdentifier: string; maxCapacity: number } | undefined;
  /** ElastiCache: its member clusters (absent on LocalStack). */
  cache?: { nodeIds: readonly string[] } | undefined;
  removalPolicy: RemovalPolicy;
}

const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);
/** Aurora's capacity alarm: ACUUtilization (percent of the maximum capacity) at or above this. */
export const AURORA_CAPACITY_ALARM_PERCENT = 90;
/** The cache's memory alarm: DatabaseMemoryUsagePercentage at or above this. */
export const CACHE_MEMORY_ALARM_PERCENT = 80;
/** A metric math alarm may read at most 10 metrics (CloudWatch User Guide, alarm limits). */
const MAX_METRICS_PER_ALARM = 10;

export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;
  readonly queueAlarms = new Map<string, cw.Alarm>();
  readonly errorAlarms = new Map<string, cw.Alarm>();
  /** `agents` and `functions` (every other function). */
  readonly throttleAlarms = new Map<string, cw.Alarm>();
  readonly outboxAlarm: cw.Alarm;
  readonly givenUpAlarm: cw.Alarm;
  readonly databaseAlarm: cw.Alarm | undefined;
  readonly cacheAlarm: cw.Alarm | undefined;
  readonly dashboard: cw.Dashboard;
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const prefix = `echo-${props.stage}`;

    // The topic is encrypted with a key of its own: CloudWatch cannot publish to a topic encrypted
    // with the AWS-managed SNS key, whose policy no one can change.
    this.key = new kms.Key(this, 'AlarmsKey', {
      alias: `alias/${prefix}-alarms`,
      description: `ECHO ${props.stage}: encrypts the alarms topic`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Alarms', {
      topicName: `${prefix}-alarms`,
      displayName: `ECHO ${props.stage} alarms`,
      masterKey: this.key,
      enforceSSL: true,
    });
    // CloudWatch publishes to the topic for this account's alarms only.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': Stack.of(this).formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: `${prefix}-*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    for (const email of props.alarmEmails)
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    this.action = new actions.SnsAction(this.topic);

    for (const [name, queue] of props.queues) {
      this.queueAlarms.set(
        name,
        this.alarm(
          queue
            .metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE, statistic: cw.Stats.MAXIMUM })
            .createAlarm(this, `${name}-not-empty`, {
              alarmName: `${prefix}-${name}-not-empty`,
              alarmDescription: `${queue.queueName} holds a message that could not be delivered: look at its reason, fix, redrive`,
              threshold: 0,
              comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
              evaluationPeriods: 1,
              treatMissingData: cw.TreatMissingData.NOT_BREACHING,
            }),
        ),
      );
    }

    const errorsAlarm = (key: string, fn: EchoFunction) =>
      this.errorAlarms.set(
        key,
        this.alarm(
          fn.fn
            .metricErrors({ period: FIVE_MINUTES, statistic: cw.Stats.SUM })
            .createAlarm(this, `${key}-errors`, {
              alarmName: `${prefix}-${key}-errors`,
              alarmDescription: `${fn.functionName} failed an invocation (it is retried, then dead-lettered): see its log group`,
              threshold: 0,
              comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
              evaluationPeriods: 1,
              treatMissingData: cw.TreatMissingData.NOT_BREACHING,
            }),
        ),
      );
    for (const [role, fn] of props.agents) errorsAlarm(`agent-${role.replaceAll('_', '-')}`, fn);
    for (const fn of props.others) errorsAlarm(fn.functionName.slice(prefix.length + 1), fn);

    // Throttles of any function: the sum over a group, one alarm per group of at most 10 functions.
    const throttles = (key: string, fns: readonly EchoFunction[], what: string) => {
      if (fns.length > MAX_METRICS_PER_ALARM)
        throw new Error(
          `${key}: ${fns.length} functions, over the ${MAX_METRICS_PER_ALARM} metrics an alarm reads`,
        );
      const usingMetrics = Object.fromEntries(
        fns.map((fn, i) => [`t${i}`, fn.fn.metricThrottles({ period: ONE_MINUTE, statistic: cw.Stats.SUM })]),
      );
      this.throttleAlarms.set(
        key,
        this.alarm(
          new cw.MathExpression({
            expression: `SUM([${Object.keys(usingMetrics).join(',')}])`,
            usingMetrics,
            period: ONE_MINUTE,
            label: `${what} throttled`,
          }).createAlarm(this, `${key}-throttled`, {
            alarmName: `${prefix}-${key}-throttled`,
            alarmDescription: `Lambda throttled ${what} (${fns.map((f) => f.functionName).join(', ')}): their reserved concurrency or the account's is used up; asynchronous events are retried by Lambda for up to 6 hours, API calls get 429`,
            threshold: 0,
            comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: cw.TreatMissingData.NOT_BREACHING,
          }),
        ),
      );
    };
    throttles('agents', [...props.agents.values()], 'an agent');
    throttles('functions', props.rest, 'a function');

    const service = serviceName(props.stage);
    // The sweeper runs every minute and reports the age even when the outbox is empty (0): a minute
    // without it means the sweeper did not run, which is as bad.
    this.outboxAlarm = this.alarm(
      new cw.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRICS.outboxOldestAge.name,
        dimensionsMap: { service },
        statistic: cw.Stats.MAXIMUM,
        period: ONE_MINUTE,
      }).createAlarm(this, 'outbox-backlog', {
        alarmName: `${prefix}-outbox-backlog`,
        alarmDescription: `The oldest message or event in the outbox has waited more than ${props.outboxAlarmMinutes} min to reach EventBridge or Redis (or the sweeper stopped reporting): see the sweeper's log group and the outbox rows' last_error`,
        threshold: props.outboxAlarmMinutes * 60,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: cw.TreatMissingData.BREACHING,
      }),
    );
    // An agent gave up on a delivery after its last allowed attempt: only a person takes it further.
    this.givenUpAlarm = this.alarm(
      new cw.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRICS.deliveries.name,
        dimensionsMap: { service, [METRICS.deliveries.dimension]: 'given_up' },
        statistic: cw.Stats.SUM,
        period: FIVE_MINUTES,
      }).createAlarm(this, 'deliveries-given-up', {
        alarmName: `${prefix}-deliveries-given-up`,
        alarmDescription:
          "An agent gave up on a delivery after its last allowed attempt (ECHO_DELIVERY_MAX_ATTEMPTS): the dead letters (GET /dead-letters, source 'agent') name the message, the role and the last error; fix the cause, then POST /messages/{id}/deliveries/{role}/retry",
        threshold: 0,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      }),
    );

    if (props.database) {
      this.databaseAlarm = this.alarm(
        new cw.Metric({
          namespace: 'AWS/RDS',
          metricName: 'ACUUtilization',
          dimensionsMap: { DBClusterIdentifier: props.database.clusterIdentifier },
          statistic: cw.Stats.MAXIMUM,
          period: ONE_MINUTE,
        }).createAlarm(this, 'database-capacity', {
          alarmName: `${prefix}-database-capacity`,
          alarmDescription: `Aurora ${props.database.clusterIdentifier} has run at ${AURORA_CAPACITY_ALARM_PERCENT}% or more of its maximum capacity (${props.database.maxCapacity} ACUs) for 5 minutes: raise dbMaxCapacity, or find what loads it`,
          threshold: AURORA_CAPACITY_ALARM_PERCENT,
          comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 5,
          datapointsToAlarm: 5,
          treatMissingData: cw.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    if (props.cache) {
      const usingMetrics = Object.fromEntries(
        props.cache.nodeIds.map((nodeId, i) => [
          `m${i}`,
          new cw.Metric({
            namespace: 'AWS/ElastiCache',
            metricName: 'DatabaseMemoryUsagePercentage',
            dimensionsMap: { CacheClusterId: nodeId, CacheNodeId: '0001' },
            statistic: cw.Stats.MAXIMUM,
            period: ONE_MINUTE,
          }),
        ]),
      );
      this.cacheAlarm = this.alarm(
        new cw.MathExpression({
          expression: `MAX([${Object.keys(usingMetrics).join(',')}])`,
          usingMetrics,
          period: ONE_MINUTE,
          label: 'cache memory used (%)',
        }).createAlarm(this, 'cache-memory', {
          alarmName: `${prefix}-cache-memory`,
          alarmDescription: `A cache node (${props.cache.nodeIds.join(', ')}) has used ${CACHE_MEMORY_ALARM_PERCENT}% or more of its memory for 5 minutes: pub/sub keeps nothing, so it is subscribers' output buffers (a slow consumer) or a bigger node type (cacheNodeType)`,
          threshold: CACHE_MEMORY_ALARM_PERCENT,
          comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 5,
          datapointsToAlarm: 5,
          treatMissingData: cw.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    const echoMetric = (metricName: string, label: string, extra: Record<string, string> = {}) =>
      new cw.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service, ...extra },
        statistic: cw.Stats.SUM,
        period: FIVE_MINUTES,
        label,
      });
    const byValue = (m: { name: string; dimension: string; values: readonly string[] }) =>
      m.values.map((v) => echoMetric(m.name, v, { [m.dimension]: v }));
    const agents = [...props.agents.entries()];

    this.dashboard = new cw.Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cw.TextWidget({
        markdown: `# ECHO ${props.stage}\nMessages, deliveries, decisions and workflow runs (namespace \`${METRICS_NAMESPACE}\`, service \`${service}\`); the outbox backlog; dead letters; the agents' errors and durations. Alarms go to the SNS topic \`${prefix}-alarms\`.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'Messages posted',
        left: [echoMetric(METRICS.messagesPosted.name, 'posted')],
        width: 8,
      }),
      new cw.GraphWidget({
        title: 'Deliveries by outcome',
        left: byValue(METRICS.deliveries),
        stacked: true,
        width: 8,
      }),
      new cw.GraphWidget({ title: 'Decisions by status', left: byValue(METRICS.decisions), width: 8 }),
    );
    this.dashboard.addWidgets(
      new cw.GraphWidget({ title: 'Workflow runs by status', left: byValue(METRICS.workflowRuns), width: 8 }),
      new cw.GraphWidget({
        title: 'Outbox: oldest row (s)',
        left: [
          new cw.Metric({
            namespace: METRICS_NAMESPACE,
            metricName: METRICS.outboxOldestAge.name,
            dimensionsMap: { service },
            statistic: cw.Stats.MAXIMUM,
            period: ONE_MINUTE,
            label: 'oldest row',
          }),
        ],
        leftAnnotations: [{ value: props.outboxAlarmMinutes * 60, label: 'alarm' }],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'Dead letters (visible messages)',
        left: [...props.queues].map(([name, q]) =>
          q.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: cw.Stats.MAXIMUM,
            label: name,
          }),
        ),
        width: 8,
      }),
      new cw.GraphWidget({
        title: 'Agent errors',
        left: agents.map(([role, fn]) => fn.fn.metricErrors({ period: FIVE_MINUTES, label: role })),
        width: 8,
      }),
      new cw.GraphWidget({
        title: 'Agent duration (p95)',
        left: agents.map(([role, fn]) =>
          fn.fn.metricDuration({ period: FIVE_MINUTES, statistic: cw.Stats.p(95), label: role }),
        ),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cw.AlarmStatusWidget({
        title: 'Alarms',
        alarms: this.alarms,
        width: 24,
      }),
    );
  }

  /** Every alarm of the stage. */
  get alarms(): cw.Alarm[] {
    return [
      ...this.queueAlarms.values(),
      ...this.errorAlarms.values(),
      ...this.throttleAlarms.values(),
      this.outboxAlarm,
      ...(this.databaseAlarm ? [this.databaseAlarm] : []),
      ...(this.cacheAlarm ? [this.cacheAlarm] : []),
    ];
  }

  /** The stage's topic hears the alarm fire and recover. */
  private alarm(alarm: cw.Alarm): cw.Alarm {
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    return alarm;
  }
}
