/**
 * The buses and rules of a deployed stage, as the CDK stack makes them (infra/constructs/routing.ts,
 * from the same definitions in lambdas/core/rules.ts): what the local endpoint answers to
 * `aws events list-event-buses`, `list-rules`, `describe-rule` and `list-targets-by-rule`. Locally one
 * bus delivers to every rule whichever of the two names an event was put on; the listing shows where
 * each rule lives in AWS: the agents', the ingest and the workflow coordinator's rules on the stage's
 * bus `echo-<stage>`, the ingest rule again on the default bus. The scheduled rules of AWS (the
 * sweeper, the deadlines, the workflow tick, each agent's catch-up) are timers in the local runtime,
 * not rules, and are not listed.
 */
import { ROLES } from '../../core/roles.ts';
import { agentRule, DEFAULT_BUS_INGEST_RULE, INGEST_RULE, WORKFLOW_RULES } from '../../core/rules.ts';

export interface CatalogRule {
  /** The deployed name, `echo-<stage>-<name>`. */
  name: string;
  description: string;
  pattern: unknown;
  /** The Lambda function it targets, `echo-<stage>-<target>`. */
  functionName: string;
}

export interface CatalogBus {
  name: string;
  rules: CatalogRule[];
}

export function deployedBuses(stage: string): CatalogBus[] {
  const deployed = (rule: { name: string; description: string; pattern: unknown; target: string }) => ({
    name: `echo-${stage}-${rule.name}`,
    description: rule.description,
    pattern: rule.pattern,
    functionName: `echo-${stage}-${rule.target}`,
  });
  return [
    { name: 'default', rules: [deployed(DEFAULT_BUS_INGEST_RULE)] },
    {
      name: `echo-${stage}`,
      rules: [...ROLES.map(agentRule), INGEST_RULE, ...WORKFLOW_RULES].map(deployed),
    },
  ];
}
