/**
 * The rules of the system, defined once: the CDK stack makes them (named `echo-<stage>-<name>`, with
 * this description, targeting the function `echo-<stage>-<target>`), the local bus routes by them,
 * and the local endpoint lists them as AWS would (`aws events list-rules`).
 */
import { CLIENT_SOURCE, EVENT_SOURCE } from './messages.ts';
import type { Role } from './roles.ts';

export const INGEST_RULE = {
  name: 'ingest',
  description: 'PostMessage commands from outside -> ingest',
  target: 'ingest',
  pattern: { source: [CLIENT_SOURCE], 'detail-type': ['PostMessage'] },
} as const;

/** The ingest rule again, on the account's default bus: the samples in events/ name no bus. */
export const DEFAULT_BUS_INGEST_RULE = {
  ...INGEST_RULE,
  name: `${INGEST_RULE.name}-default-bus`,
  description: 'PostMessage commands put on the default bus (events/samples name no bus) -> ingest',
} as const;

/** A role's rule: every committed message that lists the role among its recipients. */
export function agentRule(role: Role) {
  const name = `agent-${role.replaceAll('_', '-')}`;
  return {
    name,
    description: `MessagePosted listing ${role} among the recipients -> the ${role} agent`,
    target: name,
    pattern: { source: [EVENT_SOURCE], 'detail-type': ['MessagePosted'], detail: { recipients: [role] } },
  } as const;
}

/** The scheduled event that makes an agent catch up on its own pending deliveries. */
export const CATCH_UP_DETAIL_TYPE = 'CatchUp';

/**
 * What the workflow coordinator reacts to: replies (a run may wait on one) and decisions that
 * moved (completed, escalated, or now awaiting a human). Each event is checked against the
 * database by one indexed lookup; most are for no run and change nothing.
 */
export const WORKFLOW_RULES = [
  {
    name: 'workflow-replies',
    description: 'MessagePosted responses and errors (a run may wait on the reply) -> workflow coordinator',
    target: 'workflows',
    pattern: {
      source: [EVENT_SOURCE],
      'detail-type': ['MessagePosted'],
      detail: { type: ['response', 'error'] },
    },
  },
  {
    name: 'workflow-decisions',
    description:
      'Decisions completed, escalated or awaiting a human (a run may wait on one) -> workflow coordinator',
    target: 'workflows',
    pattern: {
      source: [EVENT_SOURCE],
      'detail-type': ['DecisionCompleted', 'DecisionEscalated', 'HumanApprovalRequested'],
    },
  },
] as const;

/** The scheduled event that makes the coordinator catch up: lost events, step and run deadlines. */
export const WORKFLOW_TICK_DETAIL_TYPE = 'WorkflowTick';
