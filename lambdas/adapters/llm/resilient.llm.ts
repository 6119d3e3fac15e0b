/**
 * Wraps an Llm with a timeout per attempt, bounded retries with exponential backoff and jitter on
 * retryable failures only (429, 5xx, network, timeout; never a 400 or 401), the provider's
 * `Retry-After` honoured up to `maxDelayMs`, and, when given, a fallback that answers when the
 * provider finally fails, so the caller gets an answer, marked by `provider` and by `fallback`
 * (the provider that failed, and why). Every attempt, retry and fallback is reported through
 * `onEvent`, for logs and token counts. A cancellation by the caller's signal ends the call at
 * once: no retry, no fallback. The call's other options (its `purpose`) reach the adapter as given.
 */
import type { ChatOptions, ChatRequest, ChatResponse, Llm, LlmError, TokenUsage } from '../../core/llm.ts';
import { LlmRateLimitedError, LlmTimeoutError } from '../../core/llm.ts';
import { toLlmError } from './shared.ts';

export type LlmEvent =
  | {
      type: 'attempt';
      provider: string;
      model: string;
      /** 1 for the first try of a provider. */
      attempt: number;
      latencyMs: number;
      ok: true;
      usage: TokenUsage;
    }
  | {
      type: 'attempt';
      provider: string;
      model: string;
      attempt: number;
      latencyMs: number;
      ok: false;
      error: LlmError;
    }
  | { type: 'retry'; provider: string; attempt: number; delayMs: number; error: LlmError }
  | { type: 'fallback'; from: string; to: string; error: LlmError }
  /** What an adapter could not do as asked (e.g. a response schema sent non-strict), and why. */
  | { type: 'notice'; provider: string; message: string };

export interface ResilienceSettings {
  /** Per attempt; a call's own `timeoutMs` (its deadline) can only shorten it. */
  timeoutMs: number;
  /** Retries after the first attempt, so at most `maxRetries + 1` attempts of the provider. */
  maxRetries: number;
  /** Backoff before retry n: `min(maxDelayMs, baseDelayMs * 2^(n-1))`, the upper half of it jittered. */
  baseDelayMs: number;
  /** Also the cap on a provider's `Retry-After`. */
  maxDelayMs: number;
}

export interface ResilienceOptions extends ResilienceSettings {
  /** Answers when the provider fails for good (the rules engine, in `openLlm`). */
  fallback?: Llm;
  onEvent?: (event: LlmEvent) => void;
  /** Default: a timer. Tests pass one that records and returns at once. */
  sleep?: (ms: number) => Promise<void>;
  /** Default `Math.random`: the jitter. */
  random?: () => number;
}

const timerSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One call of `target`, ended by its deadline or the caller's signal even if `target` ignores signals. */
async function attemptOnce(
  target: Llm,
  request: ChatRequest,
  timeoutMs: number,
  call: ChatOptions,
): Promise<ChatResponse> {
  const { signal: outer, timeoutMs: _ownTimer, ...passed } = call;
  const controller = new AbortController();
  // Rejects once the attempt is aborted: by its deadline or by the caller (even before it began).
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  const timer = setTimeout(
    () => controller.abort(new LlmTimeoutError(target.provider, `no answer within ${timeoutMs} ms`)),
    timeoutMs,
  );
  const onAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) onAbort();
  outer?.addEventListener('abort', onAbort, { once: true });
  try {
    // Called inside a promise, so an adapter that throws synchronously still goes through the race.
    const answer = Promise.resolve().then(() =>
      target.chat(request, { ...passed, signal: controller.signal }),
    );
    return await Promise.race([answer, aborted]);
  } catch (error) {
    throw toLlmError(target.provider, error, controller.signal);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
  }
}

export function withResilience(llm: Llm, options: ResilienceOptions): Llm {
  const { fallback, onEvent = () => {}, sleep = timerSleep, random = Math.random } = options;

  const backoff = (retry: number, error: LlmError): number => {
    if (error instanceof LlmRateLimitedError && error.retryAfterMs !== undefined) {
      return Math.min(error.retryAfterMs, options.maxDelayMs);
    }
    const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
    return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  };

  const tryOnce = async (target: Llm, attempt: number, request: ChatRequest, call: ChatOptions) => {
    const startedAt = performance.now();
    const timeoutMs = Math.min(call.timeoutMs ?? options.timeoutMs, options.timeoutMs);
    const base = { type: 'attempt', provider: target.provider, model: request.model, attempt } as const;
    try {
      const response = await attemptOnce(target, request, timeoutMs, call);
      const { model, latencyMs, usage } = response;
      onEvent({ ...base, model, latencyMs, ok: true, usage });
      return response;
    } catch (error) {
      const failure = toLlmError(target.provider, error, call.signal);
      onEvent({ ...base, latencyMs: Math.round(performance.now() - startedAt), ok: false, error: failure });
      throw failure;
    }
  };

  return {
    provider: llm.provider,
    async chat(request: ChatRequest, call: ChatOptions = {}): Promise<ChatResponse> {
      const startedAt = performance.now();
      const total = (response: ChatResponse) => ({
        ...response,
        latencyMs: Math.round(performance.now() - startedAt),
      });
      let failure: LlmError;
      for (let attempt = 1; ; attempt++) {
        try {
          return total(await tryOnce(llm, attempt, request, call));
        } catch (error) {
          failure = error as LlmError;
          if (call.signal?.aborted) throw failure;
          if (!failure.retryable || attempt > options.maxRetries) break;
          const delayMs = backoff(attempt, failure);
          onEvent({ type: 'retry', provider: llm.provider, attempt, delayMs, error: failure });
          await sleep(delayMs);
          if (call.signal?.aborted) throw toLlmError(llm.provider, call.signal.reason, call.signal);
        }
      }
      if (!fallback) throw failure;
      onEvent({ type: 'fallback', from: llm.provider, to: fallback.provider, error: failure });
      const answer = await tryOnce(fallback, 1, request, call);
      return { ...total(answer), fallback: { from: llm.provider, reason: failure.message } };
    },
  };
}
