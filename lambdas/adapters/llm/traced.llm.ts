/**
 * Every model call, recorded: `createTracedLlm` wraps the Llm the agents use (the provider behind its
 * resilience layer) and, for each call, whatever its outcome,
 * - writes a row to `llm_calls` (who asked and why, provider and model, the request in full or as the
 *   sha256 of its canonical JSON, the answer, tool calls, tokens, latency, attempts, outcome, error,
 *   and the cost from the price table) in a statement of its own through the store, never inside the
 *   caller's transaction: a call that happened cost money even if the delivery's effects are discarded;
 * - logs one line with the OpenTelemetry GenAI semantic-convention attribute names (`gen_ai.*`);
 * - in AWS, when a tracer is given (active X-Ray tracing, lambdas/adapters/xray.ts), records the call as an
 *   X-Ray subsegment `chat <model>` with those attributes as annotations and metadata.
 * A trace that cannot be written is logged, and the call goes on: tracing never fails a call.
 *
 * The resilience layer's events (attempts, retries, the fallback) reach the call they belong to
 * through `noteLlmEvent` (give it to `openLlm`'s `onEvent`): the row then says how many attempts the
 * provider had and why it fell back.
 */
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { storableText } from '../../../events/validate.ts';
import { EchoError, SqlError } from '../../core/errors.ts';
import type { ChatOptions, ChatRequest, ChatResponse, Llm, StopReason, ToolCall } from '../../core/llm.ts';
import { callCost } from '../../core/llm-prices.ts';
import type { Logger } from '../../core/pipeline.ts';
import {
  canonicalJson,
  type LlmCallOutcome,
  type LlmCallRecord,
  type LlmCallStore,
  type LlmTraceMode,
} from '../../core/traces.ts';
import { ACTIVE_SQL_TRANSACTION } from '../sql/port.ts';
import type { XrayTracer } from '../xray.ts';
import type { LlmEvent } from './resilient.llm.ts';

/** One call's span (an X-Ray subsegment in AWS). */
export interface LlmSpan {
  /** Indexed and searchable (X-Ray annotation keys: letters, digits and `_` only). */
  annotate(key: string, value: string | number | boolean): void;
  metadata(namespace: string, key: string, value: unknown): void;
  error(error: Error): void;
  close(): void;
}

export interface LlmCallTracer {
  /** A span for one call, or undefined when tracing is off. */
  start(name: string): LlmSpan | undefined;
}

export interface TracedLlmOptions {
  store: Pick<LlmCallStore, 'recordLlmCall'>;
  clock: { now(): Date };
  newId: () => string;
  logger: Logger;
  mode: LlmTraceMode;
  tracer?: LlmCallTracer | undefined;
  /**
   * ECHO_LLM_FAILURE=fatal: the mind drops the rules' answer behind a failed provider and fails the
   * delivery, so such a call is traced as failed (`error`, with the provider's error), not as a
   * fallback that answered.
   */
  fallbackIsFailure?: boolean | undefined;
  /**
   * The model every request is sent to when one is configured for all roles (ECHO_LLM_MODEL): a
   * call that fails before any answer is then recorded under it, not under the role's own model.
   */
  model?: string | undefined;
}

/** What the resilience layer reported about the call in progress. */
interface CallState {
  attempts: number;
  fallback?: { from: string; to: string; error: Error };
}
const current = new AsyncLocalStorage<CallState>();

/** Gives an event of the resilience layer (`openLlm`'s `onEvent`) to the traced call it belongs to. */
export function noteLlmEvent(event: LlmEvent): void {
  const state = current.getStore();
  if (!state) return;
  if (event.type === 'attempt' && event.provider !== state.fallback?.to) state.attempts++;
  if (event.type === 'fallback') state.fallback = { from: event.from, to: event.to, error: event.error };
}

/** `gen_ai.provider.name`: the well-known values of the semantic conventions where one exists. */
const PROVIDER_NAMES: Record<string, string> = { bedrock: 'aws.bedrock', openai: 'openai', ollama: 'ollama' };
export const genAiProviderName = (provider: string) => PROVIDER_NAMES[provider] ?? `echo.${provider}`;

/** `gen_ai.response.finish_reasons`, in the conventions' (OpenAI's) words. */
const FINISH_REASONS: Record<StopReason, string> = {
  end: 'stop',
  tool_calls: 'tool_calls',
  max_tokens: 'length',
  content_filter: 'content_filter',
  refusal: 'refusal',
  other: 'other',
};

/**
 * The OpenTelemetry GenAI attributes of one call (semantic conventions for GenAI client spans,
 * https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/ , `gen_ai.provider.name` since
 * v1.37 in place of `gen_ai.system`).
 */
export function genAiAttributes(
  requestModel: string,
  request: ChatRequest,
  record: Pick<LlmCallRecord, 'provider' | 'tokensIn' | 'tokensOut' | 'stopReason' | 'errorCode'>,
  response: ChatResponse | undefined,
): Record<string, string | number | string[]> {
  const attributes: Record<string, string | number | string[]> = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': genAiProviderName(record.provider),
    'gen_ai.request.model': requestModel,
    'gen_ai.output.type': request.json || request.responseSchema ? 'json' : 'text',
  };
  if (request.maxTokens !== undefined) attributes['gen_ai.request.max_tokens'] = request.maxTokens;
  if (request.temperature !== undefined) attributes['gen_ai.request.temperature'] = request.temperature;
  if (response) {
    attributes['gen_ai.response.model'] = response.model;
    attributes['gen_ai.usage.input_tokens'] = record.tokensIn;
    attributes['gen_ai.usage.output_tokens'] = record.tokensOut;
  }
  if (record.stopReason) attributes['gen_ai.response.finish_reasons'] = [FINISH_REASONS[record.stopReason]];
  if (record.errorCode) attributes['error.type'] = record.errorCode;
  return attributes;
}

/** Strings as PostgreSQL keeps them (no U+0000, no lone surrogate), everywhere in a JSON value. */
function storable<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storable(v)])) as T;
  }
  return value;
}

const errorCode = (error: unknown) =>
  error instanceof EchoError ? error.code : error instanceof Error ? error.name : 'Error';
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 2000);

/** An Llm that records, logs and traces every call of `llm` (see the module comment). */
export function createTracedLlm(llm: Llm, options: TracedLlmOptions): Llm {
  const { store, clock, newId, logger, mode, tracer } = options;
  const unpriced = new Set<string>();

  const record = (
    request: ChatRequest,
    call: ChatOptions,
    started: { id: string; at: Date; ms: number },
    state: CallState,
    result: { response: ChatResponse } | { error: unknown },
  ): LlmCallRecord => {
    const purpose = call.purpose;
    const given = 'response' in result ? result.response : undefined;
    const fellBack = given !== undefined && (state.fallback !== undefined || given.provider !== llm.provider);
    const response = fellBack && options.fallbackIsFailure ? undefined : given;
    let outcome: LlmCallOutcome;
    if (!response) outcome = 'error';
    else if (fellBack) outcome = 'fallback';
    else if (response.stopReason === 'refusal' || response.refusal !== undefined) outcome = 'refusal';
    else outcome = 'ok';
    // After a fallback the row names the provider that failed, with no tokens: none were spent on a model.
    const answered = response && !fellBack;
    const provider = answered ? response.provider : llm.provider;
    const model = answered ? response.model : (options.model ?? request.model);
    const usage = answered ? response.usage : { inputTokens: 0, outputTokens: 0 };
    const cost = callCost(provider, model, usage);
    if (cost.costUsd === null && !unpriced.has(model)) {
      unpriced.add(model);
      logger.warn('model has no price: its calls are traced with an unknown cost', {
        model,
        reason: cost.reason,
      });
    }
    const failure = 'error' in result ? result.error : state.fallback?.error;
    return {
      id: started.id,
      at: started.at,
      role: purpose?.role ?? null,
      purpose: purpose?.purpose ?? 'unspecified',
      messageId: purpose?.messageId ?? null,
      decisionId: purpose?.decisionId ?? null,
      provider,
      model,
      request: mode === 'full' ? (storable(request) as unknown as Record<string, unknown>) : null,
      requestHash: mode === 'hash' ? createHash('sha256').update(canonicalJson(request)).digest('hex') : null,
      response: response ? storableText(response.text) : null,
      toolCalls: response ? (storable(response.toolCalls) as ToolCall[]) : [],
      stopReason: response?.stopReason ?? null,
      refusal: response?.refusal === undefined ? null : storableText(response.refusal),
      tokensIn: usage.inputTokens,
      tokensOut: usage.outputTokens,
      latencyMs: Math.max(0, Math.round(performance.now() - started.ms)),
      // without the resilience layer's events (noteLlmEvent), a call is one attempt
      attempts: state.attempts || 1,
      outcome,
      errorCode: failure === undefined ? null : errorCode(failure),
      error: failure === undefined ? null : storableText(errorText(failure)),
      costUsd: cost.costUsd,
    };
  };

  /** The call's span, begun before the call so that it lasts as long (never fails the call). */
  const begin = (request: ChatRequest): LlmSpan | undefined => {
    try {
      return tracer?.start(`chat ${options.model ?? request.model}`);
    } catch (error) {
      logger.warn('llm call: no X-Ray subsegment', { error: errorText(error) });
      return undefined;
    }
  };

  const observe = (
    request: ChatRequest,
    row: LlmCallRecord,
    response: ChatResponse | undefined,
    span: LlmSpan | undefined,
  ) => {
    const attributes = genAiAttributes(options.model ?? request.model, request, row, response);
    const fields = {
      ...attributes,
      callId: row.id,
      role: row.role ?? undefined,
      purpose: row.purpose,
      messageId: row.messageId ?? undefined,
      decisionId: row.decisionId ?? undefined,
      outcome: row.outcome,
      attempts: row.attempts,
      latencyMs: row.latencyMs,
      costUsd: row.costUsd,
      ...(row.outcome === 'fallback' ? { answeredBy: response?.provider } : {}),
      ...(row.error ? { error: row.error } : {}),
    };
    if (row.outcome === 'ok' || row.outcome === 'refusal') logger.info('llm call', fields);
    else logger.warn(row.outcome === 'fallback' ? 'llm call fell back' : 'llm call failed', fields);

    if (!span) return;
    try {
      for (const [key, value] of Object.entries(attributes)) {
        span.annotate(key.replaceAll('.', '_'), Array.isArray(value) ? value.join(',') : value);
      }
      for (const [key, value] of Object.entries({
        echo_call_id: row.id,
        echo_role: row.role,
        echo_purpose: row.purpose,
        echo_message_id: row.messageId,
        echo_decision_id: row.decisionId,
        echo_outcome: row.outcome,
        echo_cost_usd: row.costUsd,
      })) {
        if (value !== null) span.annotate(key, value);
      }
      span.metadata('gen_ai', 'attributes', attributes);
      if (row.error) span.error(new Error(`${row.errorCode}: ${row.error}`));
    } finally {
      span.close();
    }
  };

  // The context this Llm was made in, outside any caller's transaction (see `write`).
  const outside = new AsyncResource('echo.llm-trace');
  const notWritten = (row: LlmCallRecord, error: unknown) =>
    logger.error('llm call not traced: the trace could not be written', {
      callId: row.id,
      role: row.role ?? undefined,
      messageId: row.messageId ?? undefined,
      outcome: row.outcome,
      error: errorText(error),
    });
  const write = async (row: LlmCallRecord) => {
    try {
      await store.recordLlmCall(row);
    } catch (error) {
      if (error instanceof SqlError && error.sqlState === ACTIVE_SQL_TRANSACTION) {
        // PGlite is one session, and the caller holds its transaction open while the model thinks:
        // the row is written once that transaction ends, without waiting for it here.
        outside.runInAsyncScope(() => store.recordLlmCall(row)).catch((e: unknown) => notWritten(row, e));
        return;
      }
      notWritten(row, error);
    }
  };

  return {
    provider: llm.provider,
    async chat(request: ChatRequest, call: ChatOptions = {}): Promise<ChatResponse> {
      const started = { id: newId(), at: clock.now(), ms: performance.now() };
      const state: CallState = { attempts: 0 };
      const span = begin(request);
      let result: { response: ChatResponse } | { error: unknown };
      try {
        result = { response: await current.run(state, () => llm.chat(request, call)) };
      } catch (error) {
        result = { error };
      }
      let row: LlmCallRecord | undefined;
      try {
        row = record(request, call, started, state, result);
      } catch (error) {
        logger.error('llm call not traced: the trace could not be built', { error: errorText(error) });
      }
      const response = 'response' in result && row?.outcome !== 'error' ? result.response : undefined;
      try {
        if (row) observe(request, row, response, span);
        else span?.close();
      } catch (error) {
        logger.error('llm call: its log line or subsegment failed', { error: errorText(error) });
      }
      if (row) await write(row);
      if ('error' in result) throw result.error;
      return result.response;
    },
  };
}

/**
 * Each call an X-Ray subsegment of the invocation's (lambdas/adapters/xray.ts); nothing when the
 * invocation is not traced. The subsegment is never the parent of another, so calls made at the same
 * time do not nest in one another.
 */
export function xrayLlmTracer(tracer: Pick<XrayTracer, 'span'>): LlmCallTracer {
  return { start: (name) => tracer.span(name) };
}
