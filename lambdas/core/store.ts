/**
 * The store port: what the organization needs from its database. One implementation
 * (lambdas/adapters/sql/store.ts) writes the SQL once for every driver.
 */

import type { OrganizationActivityStore } from './activity.ts';
import type {
  AgentHealth,
  Decision,
  DecisionPatch,
  DecisionStatus,
  HumanApproval,
  LlmSession,
  Memory,
  NewDecision,
  StoredVote,
} from './decision-types.ts';
import type { IdStore } from './ids.ts';
import type { JsonObject, Message, MessageType, OutboxEntry, PostMessageCommand } from './messages.ts';
import type { Address, Role, Sender } from './roles.ts';
import type { ThreadStore } from './thread.ts';
import type { LlmCallStore } from './traces.ts';
import type { WorkflowStore, WorkflowStoreTx } from './workflows/types.ts';

/**
 * An outbox row still to publish, with the fan-out it stands for. A message's row stands for both of
 * its entries (EventBridge and the real-time channel): two PendingFanOut with one `id`.
 */
export interface PendingFanOut {
  id: number;
  attempts: number;
  entry: OutboxEntry;
}

export interface InsertedMessage {
  message: Message;
  /** False when the idempotency key was seen before: `message` is then the first one. */
  created: boolean;
  /** The outbox rows written with it (empty when not created). */
  fanOut: PendingFanOut[];
}

export interface DeadLetterInput {
  source: 'ingest' | 'api' | 'bus' | 'agent' | 'relay';
  reason: string;
  field?: string | undefined;
  /** The input as it came: a JSON value when it parsed, else its raw text. */
  payload?: unknown;
  raw?: string | undefined;
}

export interface DeadLetter {
  id: string;
  seq: number;
  source: DeadLetterInput['source'];
  reason: string;
  field: string | null;
  payload: unknown;
  raw: string | null;
  /** The whole body's size in bytes (UTF-8 of its JSON text, or of the raw text), when there was one. */
  bytes: number | null;
  /** The sha256 (hex) of those bytes. */
  sha256: string | null;
  /** The body was longer than DEAD_LETTER_BODY_BYTES: `raw` holds its first bytes, `payload` is null. */
  truncated: boolean;
  createdAt: string;
}

/** At most this many bytes of a rejected body are kept in its dead letter (with its size and sha256). */
export const DEAD_LETTER_BODY_BYTES = 8 * 1024;

export interface Delivery {
  messageId: string;
  role: Role;
  status: 'pending' | 'processed';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  processedAt: string | null;
  /** Catch-up leaves a failed delivery until then. */
  retryAt: string | null;
  /** Catch-up gave up on it after its last allowed attempt (it is dead-lettered); a person's retry clears it. */
  gaveUpAt: string | null;
}

export interface ActivityInput {
  role: Role;
  messageId: string | null;
  outcome: 'processed' | 'duplicate' | 'failed';
  error?: string | undefined;
  durationMs: number;
}

export interface MessageQuery {
  /** A role (messages delivered to it or addressed to it) or a group address. */
  to?: Address | undefined;
  from?: Sender | undefined;
  type?: MessageType | undefined;
  inReplyTo?: string | undefined;
  /** Only messages committed after this seq, oldest first (catch-up); otherwise newest first. */
  afterSeq?: number | undefined;
  limit: number;
}

/** Statements that may run inside one transaction. */
export interface StoreTx extends WorkflowStoreTx {
  /** Message, deliveries and outbox in one statement; a known idempotency key returns the first. */
  insertMessage(
    command: PostMessageCommand,
    planned: { id: string; recipients: Role[]; metadata: JsonObject; createdAt: Date; leaseUntil: Date },
  ): Promise<InsertedMessage>;
  /**
   * Marks the delivery processed, only if it is still pending under this lease (`owner`, not run out
   * at `now`); false when it is not (done by another, or the lease lost): the caller's effects must
   * then be discarded.
   */
  completeDelivery(messageId: string, role: Role, owner: string, now: Date): Promise<boolean>;
  getMessage(id: string): Promise<Message | undefined>;
  /** Records the run and the agent's health (degraded after DEGRADED_AFTER failures in a row). */
  recordActivity(activity: ActivityInput, now: Date): Promise<void>;
  /** An event for the outbox (decision and workflow lifecycle), published after commit. */
  insertEvent(entry: OutboxEntry, now: Date, leaseUntil: Date): Promise<PendingFanOut>;

  insertDecision(decision: NewDecision): Promise<Decision>;
  /** With `lock`, the row is locked until the transaction ends (votes and closing serialise on it). */
  getDecision(id: string, options?: { lock?: boolean }): Promise<Decision | undefined>;
  /** Updates only if the row is still at `expectVersion`; undefined when it moved on. */
  updateDecision(id: string, expectVersion: number, patch: DecisionPatch): Promise<Decision | undefined>;
  findDecisionByBroadcast(broadcastId: string, options?: { lock?: boolean }): Promise<Decision | undefined>;
  /** The escalation chain through `id`: ancestors (root first), the decision, its descendants. */
  decisionChain(id: string): Promise<Decision[]>;
  /**
   * The budgets `owner` approved itself (not a human) for the same purpose (or vendor) since
   * `since`, oldest first. With `lock` (the default) takes the owner's budget lock until the
   * transaction ends, so two parts of one split budget are never judged at the same time.
   */
  priorApprovals(
    query: {
      owner: Role;
      purposeKey: string;
      vendorKey: string | null;
      since: Date;
      excludeId: string;
    },
    options?: { lock?: boolean },
  ): Promise<{ id: string; budgetUsd: number }[]>;
  upsertVote(decisionId: string, vote: StoredVote): Promise<void>;
  listVotes(decisionId: string): Promise<StoredVote[]>;
  insertApproval(approval: {
    id: string;
    decisionId: string;
    reason: string;
    now: Date;
  }): Promise<HumanApproval>;
  getApproval(idOrDecisionId: string, options?: { lock?: boolean }): Promise<HumanApproval | undefined>;
  resolveApproval(
    id: string,
    r: { status: 'approved' | 'rejected' | 'withdrawn'; principal: string; resolution: string; now: Date },
  ): Promise<HumanApproval | undefined>;

  putMemory(memory: {
    key: string;
    content: string;
    tags: string[];
    author: string;
    now: Date;
  }): Promise<Memory>;
  findMemories(query: { key?: string; tags?: string[]; limit: number }): Promise<Memory[]>;
  /**
   * What a role may recall: memories and its own settled decisions matching any of `terms` by
   * full-text search (English), best first. `terms` are plain words (letters and digits).
   */
  recall(query: {
    role: Role;
    terms: string[];
    limit: number;
  }): Promise<{ memories: Memory[]; decisions: Decision[] }>;
  getSession(id: string): Promise<LlmSession | undefined>;
  saveSession(session: LlmSession): Promise<void>;
  agentHealth(): Promise<AgentHealth[]>;
  /**
   * The verdicts given on a broadcast so far (its participation messages). Takes the broadcast's
   * lock until the transaction ends, so the last verdict sees all the others.
   */
  verdictsOn(broadcastId: string): Promise<{ role: Role; join: boolean }[]>;
}

export const DEGRADED_AFTER = 3;

export interface DecisionQuery {
  status?: DecisionStatus | undefined;
  owner?: string | undefined;
  limit: number;
}

export interface Store
  extends StoreTx,
    WorkflowStore,
    LlmCallStore,
    IdStore,
    ThreadStore,
    OrganizationActivityStore {
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * Runs `fn`'s reads on one snapshot (a read-only, repeatable-read transaction): a view composed of
   * several reads (a decision, its chain, votes and approval; a conversation) never mixes what was
   * there before a commit with what came after it.
   */
  snapshot<T>(fn: (view: StoreTx & ThreadStore) => Promise<T>): Promise<T>;
  /**
   * At most `limit` messages, and a page is cut by size too (what the Data API can answer): fewer than
   * `limit` does not mean the end. With `afterSeq`, ask again from the last seq until a page is empty.
   */
  listMessages(query: MessageQuery): Promise<Message[]>;
  /**
   * Takes the lease of a pending delivery whose lease is free or run out: `leased` with the message,
   * or why not (`processed` already, `busy` under another's live lease, `missing`).
   */
  leaseDelivery(
    messageId: string,
    role: Role,
    lease: { owner: string; now: Date; until: Date },
  ): Promise<
    | { state: 'leased'; message: Message }
    | { state: 'processed' }
    | { state: 'busy'; until: string }
    | { state: 'missing' }
  >;
  /**
   * Extends a lease `owner` still holds (not run out at `now`) to `until`; false when it is gone.
   * The agent renews while it thinks, so a crashed holder's lease runs out within one short term.
   */
  renewLease(
    messageId: string,
    role: Role,
    lease: { owner: string; now: Date; until: Date },
  ): Promise<boolean>;
  /** Records a failed attempt on a pending delivery; the lease `owner` held is given back. */
  /**
   * One more failed attempt: its error, the lease given back (when `owner` holds it), catch-up's
   * next try (`retryAt[n-1]` after the n-th failure) or, at `maxAttempts`, the delivery given up.
   * `gaveUp` is true only for the failure that gave it up. Undefined: no pending delivery.
   */
  recordDeliveryFailure(
    messageId: string,
    role: Role,
    error: string,
    failure: { owner?: string | undefined; now: Date; retryAt: readonly string[]; maxAttempts: number },
  ): Promise<{ attempts: number; gaveUp: boolean } | undefined>;
  /** A person's retry: catch-up takes the pending delivery at its next round (not given up, no delay). */
  retryDelivery(messageId: string, role: Role): Promise<Delivery | undefined>;
  /**
   * What catch-up takes next: the role's pending deliveries that no live lease holds at `now`, the
   * least tried first (then the oldest), so deliveries that keep failing never crowd out the rest.
   */
  pendingDeliveries(role: Role, query: { limit: number; now: Date }): Promise<Delivery[]>;
  getDeliveries(messageId: string): Promise<Delivery[]>;
  addDeadLetter(input: DeadLetterInput, ctx: { id: string; now: Date }): Promise<DeadLetter>;
  listDeadLetters(limit: number): Promise<DeadLetter[]>;
  /** Leases up to `limit` outbox rows whose lease ran out. */
  claimFanOut(now: Date, leaseUntil: Date, limit: number): Promise<PendingFanOut[]>;
  /** Deletes published outbox rows. */
  completeFanOut(ids: readonly number[]): Promise<void>;
  /**
   * Leaves rows pending with the error, to be retried after `retryAt`; `remaining`: the one target
   * still to publish of rows that stood for both (the other was published).
   */
  failFanOut(
    ids: readonly number[],
    error: string,
    retryAt: Date,
    remaining?: OutboxEntry['target'],
  ): Promise<void>;
  countPendingFanOut(): Promise<number>;
  /** When the oldest outbox row still there was written; undefined when the outbox is empty. */
  oldestPendingFanOut(): Promise<Date | undefined>;

  listDecisions(query: DecisionQuery): Promise<Decision[]>;
  listApprovals(status: HumanApproval['status'] | undefined, limit: number): Promise<HumanApproval[]>;
  /** Collaborative decisions still voting whose deadline has passed. */
  dueDecisions(now: Date, limit: number): Promise<Decision[]>;
  /** Decisions a message opened (as their request or their broadcast), oldest first. */
  decisionsForMessage(messageId: string, limit: number): Promise<Decision[]>;
}
