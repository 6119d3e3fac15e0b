/**
 * Alarms and the stage's dashboard: any message in a dead-letter queue, any agent error; and
 * the system's own metrics (infra/metrics.ts) beside the queues' depth and the functions' errors
 * and durations.
 */
import { Duration } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
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
  /** The other functions whose errors alarm (ingest, sweeper, deadlines, workflow coordinator). */
  others: readonly EchoFunction[];
}

const FIVE_MINUTES = Duration.minutes(5);

export class Monitoring extends Construct {
  readonly queueAlarms = new Map<string, cw.Alarm>();
  readonly errorAlarms = new Map<string, cw.Alarm>();
  readonly dashboard: cw.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const prefix = `echo-${props.stage}`;

    for (const [name, queue] of props.queues) {
      this.queueAlarms.set(
        name,
        queue
          .metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: cw.Stats.MAXIMUM,
          })
          .createAlarm(this, `${name}-not-empty`, {
            alarmName: `${prefix}-${name}-not-empty`,
            alarmDescription: `${queue.queueName} holds a message that could not be delivered: look at its reason, fix, redrive`,
            threshold: 0,
            comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: cw.TreatMissingData.NOT_BREACHING,
          }),
      );
    }
    const errorsAlarm = (key: string, fn: EchoFunction) =>
      this.errorAlarms.set(
        key,
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
      );
    for (const [role, fn] of props.agents) errorsAlarm(`agent-${role.replaceAll('_', '-')}`, fn);
    for (const fn of props.others) errorsAlarm(fn.functionName.slice(prefix.length + 1), fn);

    const service = serviceName(props.stage);
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
        markdown: `# ECHO ${props.stage}\nMessages, deliveries, decisions and workflow runs (namespace \`${METRICS_NAMESPACE}\`, service \`${service}\`); dead letters; the agents' errors and durations.`,
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
        alarms: [...this.queueAlarms.values(), ...this.errorAlarms.values()],
        width: 24,
      }),
    );
  }
}
