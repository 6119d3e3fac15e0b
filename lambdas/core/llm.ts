/**
 * The LLM port: what the organization asks a model, what comes back, and the named ways it fails.
 * Pure: the adapters in `adapters/llm/` speak the providers' protocols; the core only sees `Llm`.
 */
import { EchoError, ValidationError } from './errors.ts';

/** A JSON Schema (draft 2020-12 as zod's toJSONSchema writes it), as plain data. */
export type JsonSchema = Record<string, unknown>;

/** A tool offered to the model: a role's registry tool, its input as JSON Schema. */
export interface ToolSpec {
  /** `^[a-zA-Z0-9_-]{1,64}$`, as every provider accepts. */
  name: string;
  description: string;
  /** A JSON Schema of `type: "object"`. */
  inputSchema: JsonSchema;
}

/** The model asks for a tool. */
export interface ToolCall {
  /** The provider's id for the call (OpenAI's call id, Bedrock's toolUseId); made up where the protocol has none (Ollama). */
  id: string;
  name: string;
  /** The arguments as the model gave them: the parsed JSON when they parse, else the raw text. */
  arguments: unknown;
}

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  /** A tool's result, answering the call `toolCallId` of the assistant message before it. */
  | { role: 'tool'; toolCallId: string; name: string; content: string; isError?: boolean };

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  /** Ask for a single JSON object as the answer; adapters check that `text` parses as one. */
  json?: boolean;
  /**
   * Ask for one JSON object that matches this schema, in the provider's own way: OpenAI
   * `response_format: {type: "json_schema"}`, Ollama `format: <schema>`, Bedrock a tool the model
   * is forced to call (its input is the answer, returned as `text`).
   */
  responseSchema?: { name: string; schema: JsonSchema };
  /** Tools the model may call. */
  tools?: ToolSpec[];
  /** `auto` (the default with tools), `none`, or one tool the model must call. */
  toolChoice?: 'auto' | 'none' | { name: string };
}

/** Why the model stopped: it answered, it asked for tools, it ran out of tokens, it refused. */
export type StopReason = 'end' | 'tool_calls' | 'max_tokens' | 'refusal' | 'content_filter' | 'other';

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface ChatResponse {
  text: string;
  /** The tools the model asked for (empty when it answered). */
  toolCalls: ToolCall[];
  stopReason: StopReason;
  /**
   * What the model said when it refused (OpenAI's `refusal`; a refusal recognized in the text).
   * Set exactly when `stopReason` is `refusal`; `text` is then empty, so a refusal is never taken
   * for the answer.
   */
  refusal?: string;
  usage: TokenUsage;
  /** Which provider answered: after a fallback, the fallback's. */
  provider: string;
  /** Set when the fallback answered: the provider that failed and why. */
  fallback?: { from: string; reason: string };
  model: string;
  latencyMs: number;
}

/** Whose call this is, so a trace can say what it was for. */
export interface CallPurpose {
  role: string;
  /** What the call was for: `answer`, `relevance`, `vote`, `discuss`, `judge`, `synthesis`, `consult`. */
  purpose: string;
  messageId?: string | undefined;
  decisionId?: string | undefined;
}

export interface ChatOptions {
  /** Cancels the call; an abort ends it with `LlmTimeoutError` (or the signal's reason, if an `LlmError`). */
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Whose call it is, for its trace. */
  purpose?: CallPurpose;
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
  const input = request.messages.reduce(
    (sum, m) =>
      sum +
      estimateTokens(m.content) +
      (m.role === 'assistant' && m.toolCalls ? estimateTokens(JSON.stringify(m.toolCalls)) : 0),
    0,
  );
  const tools = request.tools ? estimateTokens(JSON.stringify(request.tools)) : 0;
  return input + tools + (request.maxTokens ?? defaultOutput);
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
