/**
 * What the LLM adapters share: the signal a call runs under, the mapping of HTTP and SDK failures to
 * the named LLM errors, one JSON POST over `fetch`, and the checks on an answer.
 */
import type * as z from 'zod';
import {
  type ChatOptions,
  type ChatRequest,
  type ChatResponse,
  estimateRequestTokens,
  estimateTokens,
  LlmError,
  LlmRateLimitedError,
  LlmResponseError,
  LlmTimeoutError,
  LlmUnavailableError,
} from '../../core/llm.ts';

/** Whitespace collapsed, at most `max` characters: enough of a body to say what went wrong. */
export function excerpt(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** `Retry-After` (seconds or an HTTP date) or `retry-after-ms`, in milliseconds. */
export function retryAfterMs(header: (name: string) => string | null | undefined): number | undefined {
  const ms = Number(header('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = header('retry-after')?.trim();
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** The error for a non-2xx answer: 429 rate limited, 408 timeout, 5xx unavailable, any other refused. */
export function statusError(
  provider: string,
  status: number,
  body: string,
  header: (name: string) => string | null | undefined = () => undefined,
  cause?: unknown,
): LlmError {
  const message = `HTTP ${status}: ${excerpt(body) || '(empty body)'}`;
  if (status === 429) {
    return new LlmRateLimitedError(provider, message, { retryAfterMs: retryAfterMs(header), cause });
  }
  if (status === 408) return new LlmTimeoutError(provider, message, { cause });
  if (status >= 500) return new LlmUnavailableError(provider, message, { status, cause });
  return new LlmError(provider, message, { status, cause, code: 'LlmRejected' });
}

/** The signal one call runs under: the caller's, and a timer of its own with `timeoutMs`. */
export function callSignal(options: ChatOptions = {}): AbortSignal | undefined {
  const signals: AbortSignal[] = [];
  if (options.signal) signals.push(options.signal);
  if (options.timeoutMs !== undefined) signals.push(AbortSignal.timeout(options.timeoutMs));
  return signals.length > 1 ? AbortSignal.any(signals) : signals[0];
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);

function networkCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Anything thrown while a call was in flight, as a named LLM error: an abort is a timeout (or the
 * abort's reason, when that is already an `LlmError`), a refused or broken connection is unavailable.
 */
export function toLlmError(
  provider: string,
  error: unknown,
  signal: AbortSignal | undefined,
  timeoutMs?: number,
): LlmError {
  if (error instanceof LlmError) return error;
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof LlmError) return reason;
    const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
    const message = timedOut ? `no answer within ${timeoutMs ?? '?'} ms` : 'aborted by the caller';
    return new LlmTimeoutError(provider, message, {
      cause: error,
    });
  }
  const code = networkCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code || (error instanceof TypeError && message === 'fetch failed')) {
    return new LlmUnavailableError(provider, `${code ?? 'network error'}: ${message}`, { cause: error });
  }
  return new LlmError(provider, message, { cause: error });
}

/** POSTs JSON and returns the answer parsed by `schema`; every failure is a named LLM error. */
export async function postJson<T>(
  provider: string,
  url: string,
  body: unknown,
  schema: z.ZodType<T>,
  options: ChatOptions & { headers?: Record<string, string> } = {},
): Promise<T> {
  const signal = callSignal(options);
  let status: number;
  let text: string;
  let header: (name: string) => string | null;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...options.headers },
      body: JSON.stringify(body),
      signal,
    });
    status = res.status;
    header = (name) => res.headers.get(name);
    text = await res.text();
  } catch (error) {
    throw toLlmError(provider, error, signal, options.timeoutMs);
  }
  if (status < 200 || status > 299) throw statusError(provider, status, text, header);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LlmResponseError(provider, `unparseable body (HTTP ${status}): ${excerpt(text)}`, {
      status,
      cause: error,
    });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LlmResponseError(
      provider,
      `unexpected answer (${issue?.path.join('.') || 'body'}: ${issue?.message}): ${excerpt(text)}`,
      { status, cause: parsed.error },
    );
  }
  return parsed.data;
}

/**
 * The text of an answer in JSON mode: a single JSON object, code fences and surrounding prose
 * removed; anything else is an `LlmResponseError`.
 */
export function jsonObjectText(provider: string, text: string): string {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  const candidate = start >= 0 && end > start ? text.slice(start, end + 1) : text;
  try {
    const value: unknown = JSON.parse(candidate);
    if (value && typeof value === 'object' && !Array.isArray(value)) return candidate;
  } catch {
    // reported below, with the text itself
  }
  throw new LlmResponseError(provider, `asked for a JSON object, got: ${excerpt(text)}`);
}

/** The response of an adapter: JSON mode checked, usage estimated where the provider gave none. */
export function chatResponse(
  provider: string,
  request: ChatRequest,
  answer: { text: string; model?: string; inputTokens?: number; outputTokens?: number },
  startedAt: number,
): ChatResponse {
  const text = request.json ? jsonObjectText(provider, answer.text) : answer.text;
  return {
    text,
    toolCalls: [],
    stopReason: 'end',
    usage: {
      inputTokens: answer.inputTokens ?? estimateRequestTokens(request),
      outputTokens: answer.outputTokens ?? estimateTokens(text),
    },
    provider,
    model: answer.model || request.model,
    latencyMs: Math.round(performance.now() - startedAt),
  };
}
