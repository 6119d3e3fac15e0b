/** Decisions as stored and shown: the shapes the store returns and the API prints. */
import type { JsonObject } from './messages.ts';
import type { Role, Sender } from './roles.ts';

export const DECISION_STATUSES = [
  'pending',
  'voting',
  'approved',
  'rejected',
  'escalated',
  'awaiting_human',
  'expired',
] as const;
export type DecisionStatus = (typeof DECISION_STATUSES)[number];
export type DecisionMode = 'autonomous' | 'collaborative' | 'hierarchical' | 'human';
export type VoteChoice = 'approve' | 'reject' | 'abstain';

export interface Decision {
  id: string;
  parentId: string | null;
  type: string;
  category: string | null;
  domain: string | null;
  mode: DecisionMode;
  status: DecisionStatus;
  owner: Role | null;
  initiator: Sender;
  title: string;
  budgetUsd: number | null;
  confidence: number | null;
  reason: string | null;
  participants: Role[];
  consensusScore: number | null;
  outcome: JsonObject | null;
  context: JsonObject;
  messageId: string | null;
  broadcastId: string | null;
  /** What it is for, as a key: the role's approvals with the same key add up within a window. */
  purposeKey: string | null;
  /** The vendor it names, as a key (contracts with one vendor add up too); null when none. */
  vendorKey: string | null;
  deadlineAt: string | null;
  version: number;
  createdAt: string;
  completedAt: string | null;
}

export type NewDecision = Pick<Decision, 'id' | 'type' | 'mode' | 'status' | 'initiator' | 'title'> &
  Partial<
    Pick<
      Decision,
      | 'parentId'
      | 'category'
      | 'domain'
      | 'owner'
      | 'budgetUsd'
      | 'confidence'
      | 'reason'
      | 'participants'
      | 'context'
      | 'messageId'
      | 'broadcastId'
      | 'purposeKey'
      | 'vendorKey'
    >
  > & {
    deadlineAt?: Date | null;
    createdAt: Date;
  };

export type DecisionPatch = Partial<
  Pick<
    Decision,
    'status' | 'mode' | 'reason' | 'participants' | 'consensusScore' | 'outcome' | 'owner' | 'context'
  >
> & {
  completedAt?: Date | null;
};

export interface StoredVote {
  voter: Role;
  vote: VoteChoice;
  confidence: number;
  rationale: string;
  castAt: string;
}

export interface HumanApproval {
  id: string;
  decisionId: string;
  /** `withdrawn`: the workflow that asked ended first; nobody may resolve it any more. */
  status: 'pending' | 'approved' | 'rejected' | 'withdrawn';
  reason: string;
  principal: string | null;
  resolution: string | null;
  createdAt: string;
  resolvedAt: string | null;
}

export interface AgentHealth {
  role: Role;
  status: 'healthy' | 'degraded';
  consecutiveFailures: number;
  runs: number;
  failures: number;
  lastSeenAt: string;
  lastOutcome: 'processed' | 'duplicate' | 'failed';
  lastError: string | null;
}

export interface Memory {
  key: string;
  content: string;
  tags: string[];
  author: Sender;
  createdAt: string;
  updatedAt: string;
}

export interface LlmSession {
  id: string;
  role: Role;
  turns: { role: 'user' | 'assistant'; content: string; at: string }[];
  tokensUsed: number;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
}

/** A decision with what explains it: votes, the escalation chain (root first), its approval. */
export interface DecisionView extends Decision {
  votes: StoredVote[];
  chain: Decision[];
  approval: HumanApproval | null;
}
