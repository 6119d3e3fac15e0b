/**
 * The event patterns of the system, defined once: the CDK rules and the local bus both use these.
 */
import { CLIENT_SOURCE, EVENT_SOURCE } from './messages.ts';
import type { Role } from './roles.ts';

export const INGEST_RULE = {
  name: 'ingest',
  pattern: { source: [CLIENT_SOURCE], 'detail-type': ['PostMessage'] },
} as const;

/** A role's rule: every committed message that lists the role among its recipients. */
export function agentRule(role: Role) {
  return {
    name: `agent-${role.replaceAll('_', '-')}`,
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
    pattern: {
      source: [EVENT_SOURCE],
      'detail-type': ['MessagePosted'],
      detail: { type: ['response', 'error'] },
    },
  },
  {
    name: 'workflow-decisions',
    pattern: {
      source: [EVENT_SOURCE],
      'detail-type': ['DecisionCompleted', 'DecisionEscalated', 'HumanApprovalRequested'],
    },
  },
] as const;

/** The scheduled event that makes the coordinator catch up: lost events, step and run deadlines. */
export const WORKFLOW_TICK_DETAIL_TYPE = 'WorkflowTick';
