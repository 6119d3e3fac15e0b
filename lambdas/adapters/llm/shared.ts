/**
 * What the LLM adapters share: the signal a call runs under, the mapping of HTTP and SDK failures to
 * the named LLM errors, one JSON POST over `fetch` (its answer read whole or streamed), the tool calls'
 * arguments and results, the recognition of a refusal, and the checks on an answer.
 */
import type * as z from 'zod';
import { ValidationError } from '../../core/errors.ts';
import {
  type ChatMessage,
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
  type StopReason,
  type ToolCall,
  type ToolSpec,
} from '../../core/llm.ts';
import { chunksOf, lines } from './streams.ts';

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
  // HTTP/2 (the Bedrock client): the stream or the session broke under the answer.
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_STREAM_CANCEL',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_INVALID_SESSION',
]);

/** Whether `error` (or one of its causes) is a broken or refused connection. */
export function isNetworkFailure(error: unknown): boolean {
  return networkCode(error) !== undefined;
}

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

/**
 * POSTs JSON; a non-2xx answer becomes its named error (429 rate limited, 5xx unavailable, ...).
 * Returns the response with its body still to read, and the signal the reading runs under.
 */
export async function postRequest(
  provider: string,
  url: string,
  body: unknown,
  options: ChatOptions & { headers?: Record<string, string> } = {},
): Promise<{ response: Response; signal: AbortSignal | undefined }> {
  const signal = callSignal(options);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...options.headers },
      body: JSON.stringify(body),
      signal,
    });
  } catch (error) {
    throw toLlmError(provider, error, signal, options.timeoutMs);
  }
  if (!response.ok) {
    const text = await responseText(provider, response, signal, options.timeoutMs);
    throw statusError(provider, response.status, text, (name) => response.headers.get(name));
  }
  return { response, signal };
}

/** The whole body of a response; a connection that breaks while it is read is its named error. */
export async function responseText(
  provider: string,
  response: Response,
  signal: AbortSignal | undefined,
  timeoutMs?: number,
): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    throw toLlmError(provider, error, signal, timeoutMs);
  }
}

/**
 * A provider's wire schemas, built the first time a call needs them: nothing is built when the module
 * loads, and a Lambda bundle that never opens the provider leaves them out (call it with
 * `/* @__PURE__ *\/`).
 */
export function builtOnFirstUse<T>(build: () => T): () => T {
  let built: T | undefined;
  return () => (built ??= build());
}

/** `text` parsed by `schema`, or an `LlmResponseError` saying what did not parse (`what`: "body", "stream event"). */
export function parseAnswer<T>(
  provider: string,
  text: string,
  schema: z.ZodType<T>,
  status: number,
  what = 'body',
): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LlmResponseError(provider, `unparseable ${what} (HTTP ${status}): ${excerpt(text)}`, {
      status,
      cause: error,
    });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LlmResponseError(
      provider,
      `unexpected ${what} (${issue?.path.join('.') || what}: ${issue?.message}): ${excerpt(text)}`,
      { status, cause: parsed.error },
    );
  }
  return parsed.data;
}

/** `text` parsed as JSON, or undefined when it is not JSON (for a first look at a stream event). */
export function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The lines of a streamed answer as they arrive; a broken connection or the deadline while reading
 * is its named error (unavailable, timeout). Leaving the loop early releases the connection.
 */
export async function* responseLines(
  provider: string,
  response: Response,
  signal: AbortSignal | undefined,
  timeoutMs?: number,
): AsyncGenerator<string> {
  if (!response.body) return;
  try {
    yield* lines(chunksOf(response.body));
  } catch (error) {
    throw toLlmError(provider, error, signal, timeoutMs);
  }
}

/** The stream ended before the answer did: the connection broke, or the server gave up. Retryable. */
export function streamCutShort(provider: string, what: string): LlmUnavailableError {
  return new LlmUnavailableError(provider, `the stream ended before the answer did (${what})`);
}

/**
 * The text of an answer in JSON mode: a single JSON object, code fences and surrounding prose
 * removed; anything else is an `LlmResponseError`.
 */
export function jsonObjectText(provider: string, text: string, stopReason?: StopReason): string {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  const candidate = start >= 0 && end > start ? text.slice(start, end + 1) : text;
  try {
    const value: unknown = JSON.parse(candidate);
    if (value && typeof value === 'object' && !Array.isArray(value)) return candidate;
  } catch {
    // reported below, with the text itself
  }
  const cut = stopReason === 'max_tokens' ? ' (cut off at maxTokens)' : '';
  throw new LlmResponseError(provider, `asked for a JSON object, got${cut}: ${excerpt(text) || '(nothing)'}`);
}

/** A tool call's arguments as the model wrote them: the parsed JSON, or the raw text when it does not parse. */
export function toolArguments(raw: string): unknown {
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** A tool call's arguments as JSON text, for protocols that carry them as a string. */
export function argumentsText(call: ToolCall): string {
  return typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {});
}

/** A tool call's arguments as an object, for protocols that carry them as one (unparsed text: `{}`). */
export function argumentsObject(call: ToolCall): Record<string, unknown> {
  const value = call.arguments;
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** A tool result as text for protocols without an error flag: a failure says so first. */
export function toolResultText(message: Extract<ChatMessage, { role: 'tool' }>): string {
  if (!message.isError || /^\s*error\b/i.test(message.content)) return message.content;
  return `Error: ${message.content}`;
}

/** The tool a request forces (`toolChoice: {name}`), checked to be one of the tools it offers. */
export function forcedTool(request: ChatRequest): ToolSpec | undefined {
  const choice = request.toolChoice;
  if (!choice || typeof choice === 'string') return undefined;
  const tool = request.tools?.find((t) => t.name === choice.name);
  if (!tool) {
    const offered = request.tools?.map((t) => t.name).join(', ') || 'none';
    throw new ValidationError(
      'toolChoice.name',
      `must name one of the tools offered (${offered}), got "${choice.name}"`,
    );
  }
  return tool;
}

/** Whether the conversation already holds tool calls or results (some protocols then need the tools declared). */
export function hasToolTurns(request: ChatRequest): boolean {
  return request.messages.some((m) => m.role === 'tool' || (m.role === 'assistant' && !!m.toolCalls?.length));
}

const REFUSAL = new RegExp(
  [
    // an apology or a softener first, optionally
    String.raw`^(?:(?:i['’]?m|i am)\s+(?:very\s+|really\s+|so\s+)?sorry[,.!]?\s*(?:but\s+)?|sorry[,.!]?\s*(?:but\s+)?|unfortunately,?\s*|apologies[,.!]?\s*(?:but\s+)?)?`,
    // then "I can't" in its forms
    String.raw`i\s*(?:can(?:no|'|’)?t|can not|won(?:'|’)t(?:\s+be\s+able\s+to)?|will not|(?:am|'m|’m)\s+(?:unable|not able|not allowed|not permitted|not going)\s+to)\s+`,
    // a verb of help, then what is refused: the request itself, not a topic
    '(?:help|assist|comply|fulfil+|provide|do|support|answer|engage|participate|complete|process|continue|generate|create|write)',
    String.raw`(?:\s+you)?(?:\s+with)?\s+(?:that|this|it|your request|this request|that request|the request|such (?:a )?requests?|these requests|that information|this information)`,
    // and the sentence ends there: "I can't do this alone; ..." is not a refusal
    String.raw`(?:\s+(?:for you|right now|here|at all))?\s*(?:[.!,;:]|—|-|$)`,
  ].join(''),
  'i',
);

/**
 * The refusal a text is, or undefined: a short answer whose first sentence declines the request
 * itself ("I can't help with that.", "I'm sorry, but I cannot comply with this request."). A text
 * that declines a topic ("I can't help with the API design; ask the architect") is an answer, not
 * a refusal, and so is a long answer that merely starts with a caveat.
 */
export function recognizeRefusal(text: string): string | undefined {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length === 0 || flat.length > 600) return undefined;
  return REFUSAL.test(flat) ? flat : undefined;
}

/** What an adapter got from its provider, in the port's terms, before the common checks. */
export interface ProviderAnswer {
  text: string;
  toolCalls: ToolCall[];
  stopReason: StopReason;
  /** The provider's own refusal field (OpenAI's `message.refusal`). */
  refusal?: string | undefined;
  model?: string | undefined;
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
}

/**
 * The response of an adapter: tool calls make the stop reason `tool_calls`; a refusal (the
 * provider's, or recognized in a plain answer) is `stopReason: 'refusal'` with `refusal` set and
 * no text; JSON mode and a response schema are checked to be one JSON object; an empty answer is
 * an `LlmResponseError`; usage is estimated where the provider gave none.
 */
export function finishResponse(
  provider: string,
  request: ChatRequest,
  answer: ProviderAnswer,
  startedAt: number,
): ChatResponse {
  const toolCalls = answer.toolCalls;
  let stopReason: StopReason = answer.stopReason;
  if (toolCalls.length > 0 && stopReason === 'end') stopReason = 'tool_calls';
  let text = answer.text;
  let refusal = answer.refusal?.trim() || undefined;
  if (!refusal && toolCalls.length === 0 && (stopReason === 'end' || stopReason === 'other')) {
    refusal = recognizeRefusal(text);
  }
  if (refusal) {
    stopReason = 'refusal';
    text = '';
  } else if (toolCalls.length === 0 && stopReason !== 'content_filter') {
    if (request.json || request.responseSchema) text = jsonObjectText(provider, text, stopReason);
    else if (text.trim() === '') {
      throw new LlmResponseError(provider, `the model answered nothing (stop reason ${stopReason})`);
    }
  }
  return {
    text,
    toolCalls,
    stopReason,
    ...(refusal ? { refusal } : {}),
    usage: {
      inputTokens: answer.inputTokens ?? estimateRequestTokens(request),
      outputTokens:
        answer.outputTokens ??
        estimateTokens(text) + (toolCalls.length ? estimateTokens(JSON.stringify(toolCalls)) : 0),
    },
    provider,
    model: answer.model || request.model,
    latencyMs: Math.round(performance.now() - startedAt),
  };
}
