/**
 * What a model call costs: USD per million input and output tokens, per model id. Pure data and
 * arithmetic; the traced LLM (adapters/llm/traced.llm.ts) records each call's cost with it.
 *
 * Where the prices come from (on-demand, standard tier, no batch or cache discount), as read on
 * 2026-12-06 (PRICES_AS_OF):
 * - Amazon Bedrock: https://aws.amazon.com/bedrock/pricing/ , US East (N. Virginia). Cross-Region
 *   inference profiles (`us.`, `eu.`, `apac.`, `global.` ... before the model id) cost what the
 *   model costs in the source Region, so they are priced as the model itself. Other Regions may
 *   cost more.
 * - OpenAI: https://platform.openai.com/docs/pricing (Standard tier).
 * - Ollama: a model served by Ollama runs on your own machine: no per-token price (0), whatever
 *   the model. The same model names served by an OpenAI-compatible host are not priced (null).
 * - `rules`: the deterministic engine costs nothing.
 * This machine had no internet: the figures were read from stored copies of those pages and of
 * pages quoting them (found with the project's search tool), not from the live pages. Check them
 * before you rely on them for billing.
 *
 * To change a price or add a model: edit MODEL_PRICES below (the id as the provider reports it,
 * without a Region prefix), and update PRICES_AS_OF. A model that is not here gets a cost of
 * null ("unknown"), never a guess; its calls are still traced with their tokens.
 */
import type { TokenUsage } from './llm.ts';

export const PRICES_AS_OF = '2026-12-06';

export interface ModelPrice {
  /** USD per 1,000,000 input (prompt) tokens. */
  inputPerMillionUsd: number;
  /** USD per 1,000,000 output (completion) tokens. */
  outputPerMillionUsd: number;
}

const BEDROCK = 'Amazon Bedrock on-demand, us-east-1';
const OPENAI = 'OpenAI Standard tier';

/** Model id -> price, with where the figure comes from. */
export const MODEL_PRICES: Readonly<Record<string, ModelPrice & { source: string }>> = {
  // Amazon Bedrock: the models of the role registry (lambdas/core/org/registry.ts) and the
  // deployment's default (infra/config.ts), then their neighbours.
  'amazon.nova-micro-v1:0': { inputPerMillionUsd: 0.035, outputPerMillionUsd: 0.14, source: BEDROCK },
  'amazon.nova-lite-v1:0': { inputPerMillionUsd: 0.06, outputPerMillionUsd: 0.24, source: BEDROCK },
  'amazon.nova-pro-v1:0': { inputPerMillionUsd: 0.8, outputPerMillionUsd: 3.2, source: BEDROCK },
  'anthropic.claude-3-5-haiku-20241022-v1:0': {
    inputPerMillionUsd: 0.8,
    outputPerMillionUsd: 4,
    source: BEDROCK,
  },
  'anthropic.claude-3-haiku-20240307-v1:0': {
    inputPerMillionUsd: 0.25,
    outputPerMillionUsd: 1.25,
    source: BEDROCK,
  },
  'anthropic.claude-3-5-sonnet-20240620-v1:0': {
    inputPerMillionUsd: 3,
    outputPerMillionUsd: 15,
    source: BEDROCK,
  },
  'anthropic.claude-3-7-sonnet-20250219-v1:0': {
    inputPerMillionUsd: 3,
    outputPerMillionUsd: 15,
    source: BEDROCK,
  },
  // OpenAI
  'gpt-4o': { inputPerMillionUsd: 2.5, outputPerMillionUsd: 10, source: OPENAI },
  'gpt-4o-mini': { inputPerMillionUsd: 0.15, outputPerMillionUsd: 0.6, source: OPENAI },
  'gpt-4.1': { inputPerMillionUsd: 2, outputPerMillionUsd: 8, source: OPENAI },
  'gpt-4.1-mini': { inputPerMillionUsd: 0.4, outputPerMillionUsd: 1.6, source: OPENAI },
  'gpt-4.1-nano': { inputPerMillionUsd: 0.1, outputPerMillionUsd: 0.4, source: OPENAI },
  'gpt-5': { inputPerMillionUsd: 1.25, outputPerMillionUsd: 10, source: OPENAI },
  'gpt-5-mini': { inputPerMillionUsd: 0.25, outputPerMillionUsd: 2, source: OPENAI },
  'gpt-5-nano': { inputPerMillionUsd: 0.05, outputPerMillionUsd: 0.4, source: OPENAI },
  'o3-mini': { inputPerMillionUsd: 1.1, outputPerMillionUsd: 4.4, source: OPENAI },
  'o4-mini': { inputPerMillionUsd: 1.1, outputPerMillionUsd: 4.4, source: OPENAI },
};

/** Providers whose every model costs nothing per token: local models, the rules engine. */
const FREE_PROVIDERS: Readonly<Record<string, string>> = {
  ollama: 'a local Ollama model: no per-token price',
  rules: 'the rules engine: no model',
};

/** Bedrock's cross-Region inference profile prefixes (`us.amazon.nova-lite-v1:0`). */
const REGION_PREFIX = /^(?:us|us-gov|eu|apac|jp|au|ca|global)\./;

/**
 * The id a price is kept under: an ARN's last path segment (`.../inference-profile/us.x` or
 * `.../foundation-model/x`), without a cross-Region prefix; OpenAI's dated snapshots
 * (`gpt-4o-2024-08-06`) as their model.
 */
export function priceKey(model: string): string {
  const id = model.startsWith('arn:') ? (model.split('/').at(-1) ?? model) : model;
  const bare = id.replace(REGION_PREFIX, '');
  if (MODEL_PRICES[bare]) return bare;
  const undated = bare.replace(/-\d{4}-\d{2}-\d{2}$/, '');
  return MODEL_PRICES[undated] ? undated : bare;
}

export type CallCost =
  | { costUsd: number; price: ModelPrice; basis: string }
  /** The model has no price here: the cost is unknown, and `reason` says so. */
  | { costUsd: null; price: undefined; basis: undefined; reason: string };

/** Rounded to 10 decimal places (the column is numeric(18,10)): no float dust like 0.30000000000000004. */
const round = (usd: number) => Math.round(usd * 1e10) / 1e10;

/**
 * The cost of one call: input tokens at the input price plus output tokens at the output price.
 * `provider`: who answered (`ollama` and `rules` are free whatever the model).
 */
export function callCost(provider: string, model: string, usage: TokenUsage): CallCost {
  const free = FREE_PROVIDERS[provider];
  if (free) {
    return { costUsd: 0, price: { inputPerMillionUsd: 0, outputPerMillionUsd: 0 }, basis: free };
  }
  const entry = MODEL_PRICES[priceKey(model)];
  if (!entry) {
    return {
      costUsd: null,
      price: undefined,
      basis: undefined,
      reason: `no price for model "${model}" (${provider}) in lambdas/core/llm-prices.ts: its cost is unknown`,
    };
  }
  const costUsd = round(
    (usage.inputTokens * entry.inputPerMillionUsd + usage.outputTokens * entry.outputPerMillionUsd) /
      1_000_000,
  );
  return {
    costUsd,
    price: { inputPerMillionUsd: entry.inputPerMillionUsd, outputPerMillionUsd: entry.outputPerMillionUsd },
    basis: `${entry.source}, as of ${PRICES_AS_OF}`,
  };
}
