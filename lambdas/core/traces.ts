/**
 * The record of model calls (table `llm_calls`): what one call was, the totals of many, and the
 * per-decision token budget kept in the database. Pure: the store and the traced LLM are ports.
 */
import type { StopReason, ToolCall } from './llm.ts';
import { TokenBudgetExceededError } from './llm.ts';

/** `full`: a call's request is stored as it was sent; `hash`: only the sha256 of its canonical JSON. */
export type LlmTraceMode = 'full' | 'hash';
export const LLM_TRACE_MODES: readonly LlmTraceMode[] = ['full', 'hash'];

/** How a call ended: answered, refused, answered by the fallback after the provider failed, or failed. */
export type LlmCallOutcome = 'ok' | 'refusal' | 'fallback' | 'error';
export const LLM_CALL_OUTCOMES: readonly LlmCallOutcome[] = ['ok', 'refusal', 'fallback', 'error'];

/** One model call as it is recorded. */
export interface LlmCallRecord {
  id: string;
  /** When the call began. */
  at: Date;
  /** The calling role (ChatOptions.purpose); null when the caller did not say. */
  role: string | null;
  /** What the call was for (`answer`, `vote`, ...); `unspecified` when the caller did not say. */
  purpose: string;
  messageId: string | null;
  decisionId: string | null;
  /** Who answered; after a fallback, the provider that failed (the fallback is in `outcome`). */
  provider: string;
  model: string;
  /** The request in full (mode `full`), else null. */
  request: Record<string, unknown> | null;
  /** sha256 (hex) of the request's canonical JSON (mode `hash`), else null. */
  requestHash: string | null;
  response: string | null;
  toolCalls: ToolCall[];
  stopReason: StopReason | null;
  refusal: string | null;
  tokensIn: number;
  tokensOut: number;
  latencyMs: number;
  /** Attempts of the provider, retries included (at least 1). */
  attempts: number;
  outcome: LlmCallOutcome;
  errorCode: string | null;
  error: string | null;
  /** From the price table; null when the model has no price there. */
  costUsd: number | null;
}

/** A recorded call as it is read back (timestamps as ISO strings). */
export type LlmCall = Omit<LlmCallRecord, 'at'> & { at: string };

export interface LlmCallTotals {
  calls: number;
  tokensIn: number;
  tokensOut: number;
  /** The sum over the calls that have a price. */
  costUsd: number;
  /** Calls whose model has no price: their cost is not in `costUsd`. */
  unpricedCalls: number;
  /** Calls by outcome. */
  outcomes: Record<LlmCallOutcome, number>;
}

export interface LlmCallQuery {
  messageId?: string | undefined;
  decisionId?: string | undefined;
  /** At most this many calls, oldest first (the totals count them all). */
  limit: number;
}

/** What the store keeps of model calls. */
export interface LlmCallStore {
  /** One statement of its own, never inside a transaction. */
  recordLlmCall(call: LlmCallRecord): Promise<void>;
  /** Calls for a message or a decision, oldest first, with the totals of all of them. */
  llmCalls(query: LlmCallQuery): Promise<{ calls: LlmCall[]; totals: LlmCallTotals }>;
  /** Tokens (in + out) recorded for a decision's calls. */
  decisionTokensUsed(decisionId: string): Promise<number>;
}

/**
 * The per-decision token budget, kept in the database: throws `TokenBudgetExceededError` when the
 * tokens already recorded for `decisionId` plus `estimate` (the next call's, e.g.
 * `estimateRequestTokens(request)`) would go over `budget`; else returns the tokens used so far.
 * Every process sees the same sum. Two calls checked at the same moment may both pass: the budget
 * bounds what is spent to about one call over, it is not a lock.
 */
export async function assertDecisionBudget(
  store: Pick<LlmCallStore, 'decisionTokensUsed'>,
  decisionId: string,
  estimate: number,
  budget: number,
): Promise<number> {
  const used = await store.decisionTokensUsed(decisionId);
  if (used + estimate > budget) throw new TokenBudgetExceededError(decisionId, budget, used, estimate);
  return used;
}

/**
 * JSON with every object's keys in code-point order and no whitespace (undefined members left
 * out, as JSON.stringify does): equal values give equal text, so equal requests hash alike.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return canonicalJson((value as { toJSON(): unknown }).toJSON());
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && typeof v !== 'function')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
