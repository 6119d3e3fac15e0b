/**
 * The event bus `echo-<stage>`, with an archive of every event on it for replay. Only the stage's
 * own functions may put the events the system emits (source `echo`): a principal that may put events
 * on the bus can send commands (`echo.client`, validated by ingest), never impersonate the relay.
 */
import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '../../lambdas/core/messages.ts';
import type { Binding, EchoFunction } from './echo-function.ts';

/**
 * The roles of the stage's functions: every function role of the stateless stack, named by
 * CloudFormation after the stack (`echo-<stage>-stateless-...`).
 */
export const systemRolesPattern = (stage: string) =>
  `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/echo-${stage}-stateless-*`;

export interface EchoBusProps {
  stage: string;
  /** Days of archived events; 0: no archive (LocalStack's free tier has none). */
  archiveDays: number;
}

export class EchoBus extends Construct implements Binding {
  readonly bus: events.EventBus;
  readonly archive: events.Archive | undefined;

  constructor(scope: Construct, id: string, props: EchoBusProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: `echo-${props.stage}`,
      description: `ECHO ${props.stage}: commands (echo.client) and committed messages and lifecycle events (echo)`,
    });
    // An explicit Deny wins over any Allow a principal of the account holds on the bus.
    new events.CfnEventBusPolicy(this, 'OnlyTheStageEmitsEcho', {
      eventBusName: this.bus.eventBusName,
      statementId: 'only-the-stage-functions-put-echo-events',
      statement: {
        Effect: 'Deny',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: this.bus.eventBusArn,
        Condition: {
          StringEquals: { 'events:source': EVENT_SOURCE },
          ArnNotLike: { 'aws:PrincipalArn': systemRolesPattern(props.stage) },
        },
      },
    });
    if (props.archiveDays > 0) {
      this.archive = this.bus.archive('Archive', {
        archiveName: `echo-${props.stage}`,
        description: 'Every event on the bus, for replay',
        // Every event of this account on this bus.
        eventPattern: { account: [Stack.of(this).account] },
        retention: Duration.days(props.archiveDays),
      });
    }
  }

  /** Sets ECHO_EVENT_BUS_NAME and grants PutEvents on this bus only. */
  bindTo(target: EchoFunction): void {
    target.addEnvironment('ECHO_EVENT_BUS_NAME', this.bus.eventBusName);
    this.bus.grantPutEventsTo(target.role);
  }
}
