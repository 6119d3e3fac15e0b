/**
 * The price table's arithmetic (USD per million tokens, in and out), the ids it understands
 * (inference profiles, ARNs, dated snapshots), free providers, unknown models (null, said so), and
 * the canonical JSON a hashed trace is the sha256 of.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BEDROCK_MODEL } from '../../infra/config.ts';
import { callCost, MODEL_PRICES, priceKey } from '../../lambdas/core/llm-prices.ts';
import { REGISTRY } from '../../lambdas/core/org/registry.ts';
import { canonicalJson } from '../../lambdas/core/traces.ts';

describe('the price table', () => {
  it('prices input and output tokens at their own rates per million', () => {
    // Nova Micro: $0.035 in, $0.14 out per 1M tokens
    expect(
      callCost('bedrock', 'amazon.nova-micro-v1:0', { inputTokens: 1_000_000, outputTokens: 1_000_000 })
        .costUsd,
    ).toBe(0.175);
    // Claude 3.5 Haiku: 1,234 × $0.80/1M + 567 × $4/1M = 0.0009872 + 0.002268
    expect(
      callCost('bedrock', 'anthropic.claude-3-5-haiku-20241022-v1:0', {
        inputTokens: 1234,
        outputTokens: 567,
      }).costUsd,
    ).toBe(0.0032552);
    // GPT-4o mini: 11 × $0.15/1M + 7 × $0.60/1M = 0.00000585, with no float dust
    expect(callCost('openai', 'gpt-4o-mini', { inputTokens: 11, outputTokens: 7 }).costUsd).toBe(0.00000585);
    expect(callCost('bedrock', 'amazon.nova-lite-v1:0', { inputTokens: 0, outputTokens: 0 }).costUsd).toBe(0);
  });

  it('says what a price is based on', () => {
    const cost = callCost('bedrock', 'amazon.nova-lite-v1:0', { inputTokens: 1000, outputTokens: 100 });
    expect(cost).toMatchObject({
      costUsd: 0.000084,
      price: { inputPerMillionUsd: 0.06, outputPerMillionUsd: 0.24 },
      basis: expect.stringMatching(/Amazon Bedrock on-demand, us-east-1, as of \d{4}-\d{2}-\d{2}/),
    });
  });

  it('prices a cross-Region inference profile, an ARN and a dated snapshot as their model', () => {
    const usage = { inputTokens: 2000, outputTokens: 500 };
    const lite = callCost('bedrock', 'amazon.nova-lite-v1:0', usage).costUsd;
    expect(callCost('bedrock', 'us.amazon.nova-lite-v1:0', usage).costUsd).toBe(lite);
    expect(callCost('bedrock', 'eu.amazon.nova-lite-v1:0', usage).costUsd).toBe(lite);
    expect(
      callCost(
        'bedrock',
        'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0',
        usage,
      ).costUsd,
    ).toBe(lite);
    expect(priceKey('arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0')).toBe(
      'amazon.nova-micro-v1:0',
    );
    expect(priceKey('gpt-4o-2024-08-06')).toBe('gpt-4o');
    expect(priceKey('gpt-4.1-mini-2025-04-14')).toBe('gpt-4.1-mini');
  });

  it('costs nothing for a local Ollama model or the rules engine, whatever the model', () => {
    const usage = { inputTokens: 5000, outputTokens: 900 };
    expect(callCost('ollama', 'qwen2.5:7b', usage)).toMatchObject({ costUsd: 0, basis: /local Ollama/ });
    expect(callCost('ollama', 'gpt-4o', usage).costUsd).toBe(0);
    expect(callCost('rules', 'rules', usage)).toMatchObject({ costUsd: 0, basis: /rules engine/ });
  });

  it('gives an unknown model a null cost and says why, never a guess', () => {
    const cost = callCost('openai', 'qwen2.5:7b', { inputTokens: 10, outputTokens: 10 });
    expect(cost.costUsd).toBeNull();
    expect(cost).toMatchObject({
      reason: 'no price for model "qwen2.5:7b" (openai) in lambdas/core/llm-prices.ts: its cost is unknown',
    });
  });

  it('has a price for every Bedrock model the role registry and the deployment use', () => {
    const models = new Set([...Object.values(REGISTRY).map((r) => r.llm.model), DEFAULT_BEDROCK_MODEL]);
    for (const model of models) {
      expect(MODEL_PRICES[priceKey(model)], model).toBeDefined();
      expect(callCost('bedrock', model, { inputTokens: 1, outputTokens: 1 }).costUsd, model).toBeGreaterThan(
        0,
      );
    }
  });
});

describe('canonical JSON (what a hashed trace is the sha256 of)', () => {
  it('orders keys, drops undefined members and has no whitespace', () => {
    expect(
      canonicalJson({
        model: 'm',
        messages: [{ role: 'user', content: 'hi' }],
        maxTokens: 5,
        json: undefined,
      }),
    ).toBe('{"maxTokens":5,"messages":[{"content":"hi","role":"user"}],"model":"m"}');
    expect(canonicalJson({ b: [1, { d: null, c: 'é' }], a: true })).toBe(
      '{"a":true,"b":[1,{"c":"é","d":null}]}',
    );
  });

  it('gives equal requests written in another key order the same hash', () => {
    const sha = (v: unknown) => createHash('sha256').update(canonicalJson(v)).digest('hex');
    const one = { model: 'm', temperature: 0.2, messages: [{ role: 'system', content: 'You are the CTO' }] };
    const two = { messages: [{ content: 'You are the CTO', role: 'system' }], temperature: 0.2, model: 'm' };
    expect(sha(one)).toBe(sha(two));
    expect(sha(one)).not.toBe(sha({ ...one, temperature: 0.3 }));
  });
});
