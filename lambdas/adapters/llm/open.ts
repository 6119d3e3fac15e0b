/**
 * Opens the LLM port on the provider a configuration names, always behind `withResilience` with the
 * rules engine as the fallback: a provider that fails or times out degrades to the rules, never
 * crashes the agent. `model`, when configured, replaces every request's model (one model for all
 * roles, e.g. the one local Ollama model); unset, each role's own model is asked for.
 */
import type { Llm } from '../../core/llm.ts';
import { createBedrockLlm } from './bedrock.llm.ts';
import { createOllamaLlm } from './ollama.llm.ts';
import { createOpenAiCompatibleLlm } from './openai-compatible.llm.ts';
import { type ResilienceOptions, type ResilienceSettings, withResilience } from './resilient.llm.ts';
import { createRulesLlm } from './rules.llm.ts';

/** `stream`: the provider's streaming form (SSE, NDJSON, ConverseStream), default true. */
export type LlmProviderConfig =
  | { provider: 'rules' }
  | { provider: 'ollama'; baseUrl: string; model?: string; stream?: boolean }
  | { provider: 'openai'; baseUrl: string; apiKey?: string; model?: string; stream?: boolean }
  | {
      provider: 'bedrock';
      region: string;
      endpoint?: string;
      model?: string;
      stream?: boolean;
      credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    };

export type LlmConfig = LlmProviderConfig & { resilience?: Partial<ResilienceSettings> };

export const DEFAULT_RESILIENCE: ResilienceSettings = {
  timeoutMs: 30_000,
  maxRetries: 2,
  baseDelayMs: 250,
  maxDelayMs: 5_000,
};

/** Every request goes to `model`. */
function pinned(llm: Llm, model: string | undefined): Llm {
  if (!model) return llm;
  return { provider: llm.provider, chat: (request, options) => llm.chat({ ...request, model }, options) };
}

function openProvider(config: LlmProviderConfig, notice: (message: string) => void): Llm {
  switch (config.provider) {
    case 'rules':
      return createRulesLlm();
    case 'ollama':
      return pinned(
        createOllamaLlm({
          baseUrl: config.baseUrl,
          ...(config.stream === undefined ? {} : { stream: config.stream }),
        }),
        config.model,
      );
    case 'openai':
      return pinned(createOpenAiCompatibleLlm({ ...config, onNotice: notice }), config.model);
    case 'bedrock':
      return pinned(createBedrockLlm(config), config.model);
  }
}

/** `hooks`: events for logs and token counts, and (for tests) sleep and jitter. */
export function openLlm(
  config: LlmConfig,
  hooks: Pick<ResilienceOptions, 'onEvent' | 'sleep' | 'random'> = {},
): Llm {
  const settings = { ...DEFAULT_RESILIENCE, ...config.resilience };
  const fallback = config.provider === 'rules' ? undefined : createRulesLlm();
  const notice = (message: string) => hooks.onEvent?.({ type: 'notice', provider: config.provider, message });
  return withResilience(openProvider(config, notice), {
    ...settings,
    ...hooks,
    ...(fallback ? { fallback } : {}),
  });
}
