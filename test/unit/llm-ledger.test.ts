/** TokenLedger (tokens per key against a budget) and the pure helpers the LLM adapters share. */
import { describe, expect, it } from 'vitest';
import { excerpt, jsonObjectText, retryAfterMs, statusError } from '../../lambdas/adapters/llm/shared.ts';
import { ValidationError } from '../../lambdas/core/errors.ts';
import {
  LlmError,
  LlmRateLimitedError,
  LlmResponseError,
  LlmTimeoutError,
  LlmUnavailableError,
  TokenBudgetExceededError,
  TokenLedger,
} from '../../lambdas/core/llm.ts';

describe('TokenLedger', () => {
  it('charges usage per key and tells what remains', () => {
    const ledger = new TokenLedger(1_000);
    expect(ledger.charge('d1', { inputTokens: 300, outputTokens: 100 })).toBe(400);
    expect(ledger.charge('d1', { inputTokens: 50, outputTokens: 50 })).toBe(500);
    expect(ledger.used('d1')).toBe(500);
    expect(ledger.remaining('d1')).toBe(500);
    expect(ledger.remaining('d2')).toBe(1_000);
  });

  it('asserts an estimate fits, and names key, budget and use when it does not', () => {
    const ledger = new TokenLedger(1_000);
    ledger.charge('d1', { inputTokens: 900, outputTokens: 0 });
    expect(() => ledger.assertAvailable('d1', 100)).not.toThrow();
    let error: unknown;
    try {
      ledger.assertAvailable('d1', 101);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TokenBudgetExceededError);
    expect(error).toMatchObject({
      code: 'TokenBudgetExceeded',
      key: 'd1',
      budget: 1_000,
      used: 900,
      requested: 101,
    });
  });

  it('records a call that went over the budget, never below zero remaining', () => {
    const ledger = new TokenLedger(100);
    ledger.charge('d1', { inputTokens: 80, outputTokens: 70 });
    expect(ledger.used('d1')).toBe(150);
    expect(ledger.remaining('d1')).toBe(0);
    expect(() => ledger.assertAvailable('d1', 0)).toThrow(TokenBudgetExceededError);
  });

  it('takes a budget per key, and forgets a released key', () => {
    const ledger = new TokenLedger((key) => (key.startsWith('ceo:') ? 5_000 : 500));
    ledger.charge('ceo:1', { inputTokens: 1_000, outputTokens: 0 });
    expect(ledger.remaining('ceo:1')).toBe(4_000);
    expect(ledger.remaining('dev:1')).toBe(500);
    ledger.release('ceo:1');
    expect(ledger.used('ceo:1')).toBe(0);
  });

  it('refuses usage that is not a non-negative integer', () => {
    const ledger = new TokenLedger(100);
    expect(() => ledger.charge('d1', { inputTokens: -1, outputTokens: 0 })).toThrow(ValidationError);
    expect(() => ledger.charge('d1', { inputTokens: 1, outputTokens: Number.NaN })).toThrow(ValidationError);
    expect(ledger.used('d1')).toBe(0);
  });
});

describe('LLM error mapping', () => {
  const headers =
    (h: Record<string, string>) =>
    (name: string): string | undefined =>
      h[name];

  it('maps statuses: 429 rate limited, 408 timeout, 5xx unavailable, other 4xx not retryable', () => {
    expect(statusError('p', 429, 'slow', headers({ 'retry-after': '3' }))).toMatchObject({
      constructor: LlmRateLimitedError,
      retryAfterMs: 3_000,
      retryable: true,
    });
    expect(statusError('p', 408, '')).toBeInstanceOf(LlmTimeoutError);
    expect(statusError('p', 502, 'bad gateway')).toMatchObject({
      constructor: LlmUnavailableError,
      status: 502,
    });
    const rejected = statusError('p', 401, '{"error":"invalid api key"}');
    expect(rejected).toMatchObject({
      constructor: LlmError,
      retryable: false,
      status: 401,
      code: 'LlmRejected',
    });
    expect(rejected.message).toBe('p: HTTP 401: {"error":"invalid api key"}');
  });

  it('reads Retry-After as seconds or an HTTP date, and retry-after-ms', () => {
    expect(retryAfterMs(headers({ 'retry-after': '1.5' }))).toBe(1_500);
    expect(retryAfterMs(headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    const inAMinute = new Date(Date.now() + 60_000).toUTCString();
    expect(retryAfterMs(headers({ 'retry-after': inAMinute }))).toBeGreaterThan(55_000);
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(headers({}))).toBeUndefined();
  });

  it('keeps a short excerpt of a body', () => {
    expect(excerpt(`a\n\n  b ${'x'.repeat(300)}`, 10)).toBe('a b xxxxxx…');
  });

  it('takes the JSON object out of fences and prose, and refuses anything else', () => {
    expect(jsonObjectText('p', '```json\n{"verdict":"join"}\n```')).toBe('{"verdict":"join"}');
    expect(() => jsonObjectText('p', '[1,2]')).toThrow(LlmResponseError);
    expect(() => jsonObjectText('p', 'no json here')).toThrow(LlmResponseError);
  });
});
