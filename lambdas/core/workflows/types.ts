/** Workflow runs as stored and shown, and what the engine needs from the database. */
import type { Decision } from '../decision-types.ts';
import type { JsonObject, Message } from '../messages.ts';
import type { Role } from '../roles.ts';
import type { StepKind } from './definition.ts';

export const RUN_STATUSES = ['running', 'paused', 'completed', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const FINISHED: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];

export type StepStatus =
  | 'running'
  | 'waiting'
  | 'completed'
  | 'failed'
  | 'timed_out'
  | 'skipped'
  | 'cancelled';

/** One step's progress. A step that has not started has no entry. */
export interface StepState {
  kind: StepKind;
  status: StepStatus;
  title?: string;
  startedAt: string;
  completedAt?: string;
  /** request: how many times it was sent, and to whom now (escalation moves it up). */
  attempts?: number;
  to?: Role;
  waitingOn?: { kind: WaitKind; id: string };
  /** Waiting on a decision that awaits a human: the run is paused. */
  human?: boolean;
  deadlineAt?: string;
  /** branch: whether its condition held (its `steps` ran) or not (`otherwise` ran). */
  conditionMet?: boolean;
  error?: string;
}

/** What a run carries: its input and every finished step's output, by step id. */
export type RunContext = {
  input: JsonObject;
  steps: Record<string, JsonObject>;
};

export interface WorkflowRun {
  id: string;
  name: string;
  status: RunStatus;
  steps: Record<string, StepState>;
  context: RunContext;
  version: number;
  deadlineAt: string | null;
  error: string | null;
  idempotencyKey: string | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

export type RunPatch = Pick<WorkflowRun, 'status' | 'steps' | 'context' | 'error'> & {
  updatedAt: Date;
  completedAt: Date | null;
};

export type WaitKind = 'reply' | 'decision';

/** A run waiting on the reply to a request, or on a decision's outcome. */
export interface WorkflowWait {
  kind: WaitKind;
  target: string;
  runId: string;
  step: string;
  human: boolean;
  deadlineAt: string | null;
  createdAt: string;
}

export interface RunQuery {
  status?: RunStatus | undefined;
  name?: string | undefined;
  limit: number;
}

/** Statements that run inside the transaction of one transition. */
export interface WorkflowStoreTx {
  /** A known idempotency key returns the first run, `created` false. */
  insertRun(run: {
    id: string;
    name: string;
    context: RunContext;
    deadlineAt: Date;
    idempotencyKey: string | null;
    now: Date;
  }): Promise<{ run: WorkflowRun; created: boolean }>;
  getRun(id: string): Promise<WorkflowRun | undefined>;
  /** Updates only if the row is still at `expectVersion`; undefined when it moved on. */
  updateRun(id: string, expectVersion: number, patch: RunPatch): Promise<WorkflowRun | undefined>;
  addWait(
    wait: Omit<WorkflowWait, 'createdAt' | 'deadlineAt'> & { deadlineAt: Date | null; now: Date },
  ): Promise<void>;
  /** With `lock`, a second coordinator settling the same wait blocks until this one commits. */
  getWait(kind: WaitKind, target: string, options?: { lock?: boolean }): Promise<WorkflowWait | undefined>;
  /** False when it was already gone (consumed by someone else). */
  deleteWait(kind: WaitKind, target: string): Promise<boolean>;
  deleteRunWaits(runId: string): Promise<void>;
  markWaitHuman(kind: WaitKind, target: string): Promise<void>;
  /** The first response or error whose inReplyTo is `requestId`. */
  findReply(requestId: string): Promise<Message | undefined>;
  /** The decision an escalation created from `parentId`. */
  findChildDecision(parentId: string): Promise<Decision | undefined>;
}

export interface WorkflowStore {
  listRuns(query: RunQuery): Promise<WorkflowRun[]>;
  /** Waits whose deadline has passed. */
  dueWaits(now: Date, limit: number): Promise<WorkflowWait[]>;
  /** Unfinished runs whose deadline has passed. */
  dueRuns(now: Date, limit: number): Promise<WorkflowRun[]>;
  /** Waits whose event already happened (the coordinator's catch-up after a lost event). */
  settledWaits(limit: number): Promise<WorkflowWait[]>;
}
