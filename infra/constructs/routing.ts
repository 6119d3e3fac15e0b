/**
 * The rules, generated from the role registry: one per role on the bus, with exactly the pattern
 * of `agentRule(role)` (lambdas/core/rules.ts, the one the local bus uses too), the ingest rule
 * with `INGEST_RULE`, and the workflow coordinator's rules with `WORKFLOW_RULES`. Every target
 * retries, then dead-letters to the events queue.
 */
import type { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Role } from '../../lambdas/core/roles.ts';
import { agentRule, DEFAULT_BUS_INGEST_RULE, INGEST_RULE, WORKFLOW_RULES } from '../../lambdas/core/rules.ts';
import type { EchoFunction } from './echo-function.ts';

export interface TargetRetry {
  /** EventBridge's attempts to invoke the target (throttling, service errors). */
  retryAttempts: number;
  maxEventAge: Duration;
  deadLetterQueue: sqs.IQueue;
}

/** A Lambda target with the retry policy and the dead-letter queue every target of the system has. */
export const lambdaTarget = (fn: EchoFunction, retry: TargetRetry, input?: events.RuleTargetInput) =>
  new targets.LambdaFunction(fn.fn, {
    retryAttempts: retry.retryAttempts,
    maxEventAge: retry.maxEventAge,
    deadLetterQueue: retry.deadLetterQueue,
    ...(input ? { event: input } : {}),
  });

/** Our patterns are plain JSON; the CDK's EventPattern names the same keys in camelCase. */
export function toEventPattern(pattern: Readonly<Record<string, unknown>>): events.EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern as Record<string, unknown> & {
    'detail-type'?: string[];
  };
  return { ...rest, ...(detailType ? { detailType } : {}) } as events.EventPattern;
}

export interface EventRoutingProps {
  stage: string;
  bus: events.IEventBus;
  agents: ReadonlyMap<Role, EchoFunction>;
  ingest: EchoFunction;
  /** The workflow coordinator: replies and decisions that moved. */
  workflows: EchoFunction;
  retry: TargetRetry;
  /** Also route PostMessage commands put on the account's default bus to ingest. */
  defaultBusIngest: boolean;
}

export class EventRouting extends Construct {
  readonly agentRules = new Map<Role, events.Rule>();
  readonly ingestRules: events.Rule[] = [];
  /** By rule name (`workflow-replies`, `workflow-decisions`). */
  readonly workflowRules = new Map<string, events.Rule>();

  constructor(scope: Construct, id: string, props: EventRoutingProps) {
    super(scope, id);
    for (const [role, fn] of props.agents) {
      const rule = agentRule(role);
      this.agentRules.set(
        role,
        new events.Rule(this, rule.name, {
          ruleName: `echo-${props.stage}-${rule.name}`,
          description: rule.description,
          eventBus: props.bus,
          eventPattern: toEventPattern(rule.pattern),
          targets: [lambdaTarget(fn, props.retry)],
        }),
      );
    }
    this.ingestRules.push(
      new events.Rule(this, INGEST_RULE.name, {
        ruleName: `echo-${props.stage}-${INGEST_RULE.name}`,
        description: INGEST_RULE.description,
        eventBus: props.bus,
        eventPattern: toEventPattern(INGEST_RULE.pattern),
        targets: [lambdaTarget(props.ingest, props.retry)],
      }),
    );
    if (props.defaultBusIngest) {
      this.ingestRules.push(
        new events.Rule(this, DEFAULT_BUS_INGEST_RULE.name, {
          ruleName: `echo-${props.stage}-${DEFAULT_BUS_INGEST_RULE.name}`,
          description: DEFAULT_BUS_INGEST_RULE.description,
          eventPattern: toEventPattern(DEFAULT_BUS_INGEST_RULE.pattern),
          targets: [lambdaTarget(props.ingest, props.retry)],
        }),
      );
    }
    for (const rule of WORKFLOW_RULES) {
      this.workflowRules.set(
        rule.name,
        new events.Rule(this, rule.name, {
          ruleName: `echo-${props.stage}-${rule.name}`,
          description: rule.description,
          eventBus: props.bus,
          eventPattern: toEventPattern(rule.pattern),
          targets: [lambdaTarget(props.workflows, props.retry)],
        }),
      );
    }
  }
}
