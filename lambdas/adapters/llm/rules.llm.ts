/**
 * The deterministic offline Llm (provider `rules`): no model, no network, no clock. It answers from
 * the request alone, so the same request always gets the same text:
 *
 * - plain text: an acknowledgement of the last user message in the voice of the system prompt, e.g.
 *   `As the CTO of ECHO: noted "Should we move to Postgres 17?". (rules engine: no model was consulted)`
 *   (the voice is the system prompt's "You are ..." phrase, or none); cut to `maxTokens` (≈ 4 chars each);
 * - JSON mode or a response schema: always `RULES_NO_OPINION`,
 *   `{"verdict":null,"confidence":0,"reason":"..."}`, which callers read as "no opinion" and so
 *   fall back to their own deterministic rules (keyword score, abstention);
 * - tools: never called, even when one is forced (`toolCalls` is empty, `stopReason` is `end`):
 *   the rules engine's own choice of a tool lives in the core, not here.
 *
 * Usage is estimated (≈ chars / 4); latency is 0. The organization's real deterministic decisions
 * live in the core; this adapter is the default provider and the resilience layer's fallback.
 */
import {
  type ChatRequest,
  type ChatResponse,
  estimateRequestTokens,
  estimateTokens,
  type Llm,
} from '../../core/llm.ts';

export const RULES_NO_OPINION = JSON.stringify({
  verdict: null,
  confidence: 0,
  reason: 'rules engine: no model was consulted',
});

function quoted(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** The persona a system prompt speaks as: "You are the CTO of ECHO. ..." gives "the CTO of ECHO". */
function voice(system: string): string | undefined {
  return /\byou are\s+([^.!?\n]{1,80})/i.exec(system)?.[1]?.trim();
}

export function rulesAnswer(request: ChatRequest): string {
  if (request.json || request.responseSchema) return RULES_NO_OPINION;
  const system = request.messages.find((m) => m.role === 'system')?.content ?? '';
  const last = request.messages.findLast((m) => m.role === 'user')?.content ?? '';
  const persona = voice(system);
  const text = `${persona ? `As ${persona}: noted` : 'Noted'} "${quoted(last, 160)}". (rules engine: no model was consulted)`;
  return request.maxTokens !== undefined ? text.slice(0, Math.max(1, request.maxTokens * 4)) : text;
}

export function createRulesLlm(): Llm {
  return {
    provider: 'rules',
    async chat(request: ChatRequest): Promise<ChatResponse> {
      const text = rulesAnswer(request);
      return {
        text,
        toolCalls: [],
        stopReason: 'end',
        usage: { inputTokens: estimateRequestTokens(request), outputTokens: estimateTokens(text) },
        provider: 'rules',
        model: 'rules',
        latencyMs: 0,
      };
    },
  };
}
