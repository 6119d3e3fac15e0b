/**
 * Where what could not be delivered waits, with its reason: one queue for the events EventBridge
 * could not hand to a target, one for the invocations a function failed after its async retries.
 */
import { ArnFormat, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface FailureQueuesProps {
  stage: string;
  removalPolicy: RemovalPolicy;
}

export class FailureQueues extends Construct {
  /** Rule targets' dead-letter queue (EventBridge could not invoke the target). */
  readonly events: sqs.Queue;
  /**
   * The events queue as rule targets name it: the same queue, through a reference that adds nothing
   * to its policy (the statement below).
   */
  readonly eventsForRules: sqs.IQueue;
  /** Functions' async-invoke on-failure destination (the function failed every attempt). */
  readonly invocations: sqs.Queue;
  /** The rules allowed to send to the events queue, as ARN patterns. */
  readonly eventRuleArnPatterns: string[];

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

    // EventBridge may send to the events queue for the rules of this stage only. The CDK's own way,
    // a statement per rule, gives this queue 26 statements and about 9.6 KB, where SQS takes 20 and
    // 8,192 bytes (CloudFormation: OverLimit). One statement instead, on the rules' names: every rule
    // of the stage is named echo-<stage>-..., on the stage's bus (rule/echo-<stage>/...) or on the
    // default bus (rule/echo-<stage>-...). Patterns, not the 26 ARNs: SQS also counts a statement's
    // conditions (at most 10). test/infra/policy-limits.test.ts checks this queue's policy, and every
    // other, against the limits; stacks.test.ts that every rule's ARN matches a pattern.
    const ruleArn = (resourceName: string) =>
      Stack.of(this).formatArn({
        service: 'events',
        resource: 'rule',
        resourceName,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    this.eventRuleArnPatterns = [ruleArn(`echo-${props.stage}/*`), ruleArn(`echo-${props.stage}-*`)];
    this.events.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EventRulesOfThisStage',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.events.queueArn],
        conditions: { ArnLike: { 'aws:SourceArn': this.eventRuleArnPatterns } },
      }),
    );
    // A reference to the same queue: the CDK leaves an imported queue's policy alone, so the rules
    // that name it as their dead-letter queue add no statement of their own.
    this.eventsForRules = sqs.Queue.fromQueueAttributes(this, 'EventsDlqForRules', {
      queueArn: this.events.queueArn,
      queueUrl: this.events.queueUrl,
      queueName: this.events.queueName,
    });
  }
}
