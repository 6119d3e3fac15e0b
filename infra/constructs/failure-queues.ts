/**
 * Where what could not be delivered waits, with its reason: one queue for the events EventBridge
 * could not hand to a target, one for the invocations a function failed after its async retries.
 */
import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface FailureQueuesProps {
  stage: string;
  removalPolicy: RemovalPolicy;
}

export class FailureQueues extends Construct {
  /** Rule targets' dead-letter queue (EventBridge could not invoke the target). */
  readonly events: sqs.Queue;
  /** Functions' async-invoke on-failure destination (the function failed every attempt). */
  readonly invocations: sqs.Queue;

  constructor(scope: Construct, id: string, props: FailureQueuesProps) {
    super(scope, id);
    const queue = (qid: string, name: string, what: string) => {
      const q = new sqs.Queue(this, qid, {
        queueName: `echo-${props.stage}-${name}`,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
        removalPolicy: props.removalPolicy,
      });
      Validations.of(q).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: `This queue is itself a dead-letter queue (${what}); it has an alarm on any visible message and nothing consumes it automatically.`,
      });
      return q;
    };
    this.events = queue('EventsDlq', 'events-dlq', "the EventBridge rule targets' dead-letter queue");
    this.invocations = queue(
      'InvokeFailures',
      'invoke-failures',
      "the functions' asynchronous-invocation on-failure destination",
    );
  }
}
