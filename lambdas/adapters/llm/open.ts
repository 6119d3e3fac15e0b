/**
 * Opens the LLM port on the provider a configuration names, always behind `withResilience` with the
 * rules engine as the fallback: a provider that fails or times out degrades to the rules, never
 * crashes the agent. `model`, when configured, replaces every request's model (one model for all
 * roles, e.g. the one local Ollama model); unset, each role's own model is asked for.
 */
import { ConfigError } from '../../core/errors.ts';
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

/**
 * The one model provider a Lambda bundle carries, set by its bundling (infra/bundling.ts,
 * lambdaBundling): `bedrock` for the agents of a deployment with models, `rules` for every other
 * function. esbuild leaves the other providers' adapters (and, for `rules`, the Bedrock client) out
 * of the bundle. Undefined when the code runs unbundled (the local runtime, the tests): every
 * provider is there.
 */
declare const __ECHO_LLM_PROVIDER__: string | undefined;

const notBundled = (provider: string, bundled: string) =>
  new ConfigError(
    'ECHO_LLM_PROVIDER',
    `${provider}: selects a model provider this Lambda bundle does not carry: it was bundled with ${bundled} only (infra/bundling.ts, lambdaBundling), for its deployment`,
  );

// The if/else shape matters: esbuild drops an adapter only from a branch it can prove dead.
function openProvider(config: LlmProviderConfig, notice: (message: string) => void): Llm {
  switch (config.provider) {
    case 'rules':
      return createRulesLlm();
    case 'ollama':
      if (typeof __ECHO_LLM_PROVIDER__ === 'string' && __ECHO_LLM_PROVIDER__ !== 'ollama')
        throw notBundled('ollama', __ECHO_LLM_PROVIDER__);
      else
        return pinned(
          createOllamaLlm({
            baseUrl: config.baseUrl,
            ...(config.stream === undefined ? {} : { stream: config.stream }),
          }),
          config.model,
        );
    case 'openai':
      if (typeof __ECHO_LLM_PROVIDER__ === 'string' && __ECHO_LLM_PROVIDER__ !== 'openai')
        throw notBundled('openai', __ECHO_LLM_PROVIDER__);
      else return pinned(createOpenAiCompatibleLlm({ ...config, onNotice: notice }), config.model);
    case 'bedrock':
      if (typeof __ECHO_LLM_PROVIDER__ === 'string' && __ECHO_LLM_PROVIDER__ !== 'bedrock')
        throw notBundled('bedrock', __ECHO_LLM_PROVIDER__);
      else return pinned(createBedrockLlm(config), config.model);
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
