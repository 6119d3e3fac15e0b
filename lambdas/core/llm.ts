/**
 * The LLM port: what the organization asks a model, what comes back, and the named ways it fails.
 * Pure: the adapters in `adapters/llm/` speak the providers' protocols; the core only sees `Llm`.
 */
import { EchoError, ValidationError } from './errors.ts';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  /** Ask for a single JSON object as the answer; adapters check that `text` parses as one. */
  json?: boolean;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface ChatResponse {
  text: string;
  usage: TokenUsage;
  /** Which provider answered: after a fallback, the fallback's. */
  provider: string;
  model: string;
  latencyMs: number;
}

export interface ChatOptions {
  /** Cancels the call; an abort ends it with `LlmTimeoutError` (or the signal's reason, if an `LlmError`). */
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface Llm {
  readonly provider: string;
  chat(request: ChatRequest, options?: ChatOptions): Promise<ChatResponse>;
}

/** Any failure of a provider. `retryable`: the same request may succeed later (429, 5xx, network, timeout). */
export class LlmError extends EchoError {
  readonly provider: string;
  readonly retryable: boolean;
  /** The HTTP status, when the provider answered with one. */
  readonly status: number | undefined;
  constructor(
    provider: string,
    message: string,
    options: { retryable?: boolean; status?: number; cause?: unknown; code?: string } = {},
  ) {
    super(options.code ?? 'LlmError', `${provider}: ${message}`, { cause: options.cause });
    this.provider = provider;
    this.retryable = options.retryable ?? false;
    this.status = options.status;
  }
}

export class LlmTimeoutError extends LlmError {
  constructor(provider: string, message: string, options: { cause?: unknown } = {}) {
    super(provider, message, { ...options, retryable: true, code: 'LlmTimeout' });
  }
}

export class LlmRateLimitedError extends LlmError {
  /** From the provider's `Retry-After`, when it sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(provider: string, message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(provider, message, { cause: options.cause, status: 429, retryable: true, code: 'LlmRateLimited' });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Network failure or a 5xx: the provider could not answer. */
export class LlmUnavailableError extends LlmError {
  constructor(provider: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(provider, message, { ...options, retryable: true, code: 'LlmUnavailable' });
  }
}

/** The provider answered, but not with something usable (unparseable body, no text, not the JSON asked for). */
export class LlmResponseError extends LlmError {
  constructor(provider: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(provider, message, { ...options, retryable: false, code: 'LlmResponse' });
  }
}

/**
 * A call would exceed the token budget of its key. Not an `LlmError`: no provider failed, a policy
 * refused the call before it was made.
 */
export class TokenBudgetExceededError extends EchoError {
  readonly key: string;
  readonly budget: number;
  readonly used: number;
  readonly requested: number;
  constructor(key: string, budget: number, used: number, requested: number) {
    super(
      'TokenBudgetExceeded',
      `token budget of ${key} exceeded: ${used} used + ${requested} requested > ${budget}`,
    );
    this.key = key;
    this.budget = budget;
    this.used = used;
    this.requested = requested;
  }
}

/** A rough token count for text (about four characters a token), for estimates and budgets. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Estimated input tokens of a request, plus its `maxTokens` (or `defaultOutput`) for the answer. */
export function estimateRequestTokens(request: ChatRequest, defaultOutput = 0): number {
  const input = request.messages.reduce((sum, m) => sum + estimateTokens(m.content), 0);
  return input + (request.maxTokens ?? defaultOutput);
}

/**
 * Tokens spent per key (a decision id, a session id) against a budget. Pure bookkeeping: `charge`
 * records what was spent (a call that happened is always recorded, even past the budget);
 * `assertAvailable` is the gate before a call.
 */
export class TokenLedger {
  readonly #spent = new Map<string, number>();
  readonly #budget: (key: string) => number;

  /** `budget`: the same for every key, or per key. */
  constructor(budget: number | ((key: string) => number)) {
    this.#budget = typeof budget === 'number' ? () => budget : budget;
  }

  budget(key: string): number {
    return this.#budget(key);
  }

  used(key: string): number {
    return this.#spent.get(key) ?? 0;
  }

  remaining(key: string): number {
    return Math.max(0, this.budget(key) - this.used(key));
  }

  /** Records a call's usage; returns the key's total. */
  charge(key: string, usage: TokenUsage): number {
    for (const [field, value] of Object.entries(usage)) {
      if (!Number.isInteger(value) || value < 0) {
        throw new ValidationError(`usage.${field}`, `must be a non-negative integer, got ${value}`);
      }
    }
    const total = this.used(key) + usage.inputTokens + usage.outputTokens;
    this.#spent.set(key, total);
    return total;
  }

  /** Throws `TokenBudgetExceededError` when `estimate` more tokens would go over the key's budget. */
  assertAvailable(key: string, estimate: number): void {
    const used = this.used(key);
    const budget = this.budget(key);
    if (used + estimate > budget) throw new TokenBudgetExceededError(key, budget, used, estimate);
  }

  /** Forgets a key (its decision closed), so the ledger does not grow without bound. */
  release(key: string): void {
    this.#spent.delete(key);
  }
}
