/** The event bus `echo-<stage>`, with an archive of every event on it for replay. */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import type { Binding, EchoFunction } from './echo-function.ts';

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
