/**
 * The clocks: the relay sweeper, the decisions' deadlines and the workflow coordinator's tick every
 * minute, and each agent's catch-up on its own pending deliveries. Scheduled rules (they live on the
 * account's default bus, as every scheduled rule does); their targets retry and dead-letter like
 * every other target.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { Role } from '../../lambdas/core/roles.ts';
import { CATCH_UP_DETAIL_TYPE, WORKFLOW_TICK_DETAIL_TYPE } from '../../lambdas/core/rules.ts';
import { dashed } from '../config.ts';
import type { EchoFunction } from './echo-function.ts';
import { lambdaTarget, type TargetRetry } from './routing.ts';

/** The source of the scheduled events the system makes for itself. */
export const SCHEDULE_SOURCE = 'echo.schedule';

/**
 * A scheduled event the system makes for itself: an EventBridge envelope with the given
 * detail-type (what the handler looks at), with the schedule's own id and time.
 */
const scheduledInput = (detailType: string, detail: Record<string, unknown>) =>
  events.RuleTargetInput.fromObject({
    version: '0',
    id: events.EventField.eventId,
    'detail-type': detailType,
    source: SCHEDULE_SOURCE,
    account: events.EventField.account,
    time: events.EventField.time,
    region: events.EventField.region,
    resources: [],
    detail,
  });

/** The event an agent receives to catch up: detail-type CatchUp, the role in the detail. */
export const catchUpInput = (role: Role) => scheduledInput(CATCH_UP_DETAIL_TYPE, { role });

/** The event that makes the workflow coordinator catch up (lost events, deadlines): WorkflowTick. */
export const workflowTickInput = () => scheduledInput(WORKFLOW_TICK_DETAIL_TYPE, {});

export interface SchedulesProps {
  stage: string;
  sweeper: EchoFunction;
  deadlines: EchoFunction;
  /** The workflow coordinator. */
  workflows: EchoFunction;
  agents: ReadonlyMap<Role, EchoFunction>;
  catchUpMinutes: number;
  retry: TargetRetry;
}

export class Schedules extends Construct {
  readonly sweeper: events.Rule;
  readonly deadlines: events.Rule;
  readonly workflowTick: events.Rule;
  readonly catchUp = new Map<Role, events.Rule>();

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    // A sweep older than a minute is superseded by the next one.
    const retry = { ...props.retry, maxEventAge: Duration.minutes(2) };
    this.sweeper = new events.Rule(this, 'Sweeper', {
      ruleName: `echo-${props.stage}-sweeper`,
      description: 'Every minute: republish whatever the outbox still holds',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [lambdaTarget(props.sweeper, retry)],
    });
    this.deadlines = new events.Rule(this, 'Deadlines', {
      ruleName: `echo-${props.stage}-deadlines`,
      description: 'Every minute: close the collaborative decisions past their deadline',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [lambdaTarget(props.deadlines, retry)],
    });
    this.workflowTick = new events.Rule(this, 'WorkflowTick', {
      ruleName: `echo-${props.stage}-workflow-tick`,
      description: 'Every minute: the workflow coordinator catches up (lost events, step and run deadlines)',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [lambdaTarget(props.workflows, retry, workflowTickInput())],
    });
    for (const [role, fn] of props.agents) {
      this.catchUp.set(
        role,
        new events.Rule(this, `CatchUp-${dashed(role)}`, {
          ruleName: `echo-${props.stage}-catch-up-${dashed(role)}`,
          description: `Every ${props.catchUpMinutes} min: the ${role} agent takes its pending deliveries`,
          schedule: events.Schedule.rate(Duration.minutes(props.catchUpMinutes)),
          targets: [
            lambdaTarget(
              fn,
              { ...props.retry, maxEventAge: Duration.minutes(props.catchUpMinutes) },
              catchUpInput(role),
            ),
          ],
        }),
      );
    }
  }
}
