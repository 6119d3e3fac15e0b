/**
 * Llm over Ollama's native chat API: `POST {baseUrl}/api/chat`, not streamed. JSON mode is Ollama's
 * `format: "json"`; usage is `prompt_eval_count` / `eval_count` (Ollama leaves the first out when
 * the prompt was cached: then it is estimated).
 */
import * as z from 'zod';
import type { ChatOptions, ChatRequest, ChatResponse, Llm } from '../../core/llm.ts';
import { chatResponse, postJson } from './shared.ts';

export interface OllamaLlmOptions {
  /** Default `http://127.0.0.1:11434`. */
  baseUrl?: string;
}

const OllamaAnswer = z.object({
  model: z.string().optional(),
  message: z.object({ content: z.string() }),
  prompt_eval_count: z.number().int().nonnegative().optional(),
  eval_count: z.number().int().nonnegative().optional(),
});

export function createOllamaLlm(options: OllamaLlmOptions = {}): Llm {
  const provider = 'ollama';
  const url = `${(options.baseUrl ?? 'http://127.0.0.1:11434').replace(/\/+$/, '')}/api/chat`;
  return {
    provider,
    async chat(request: ChatRequest, callOptions?: ChatOptions): Promise<ChatResponse> {
      const startedAt = performance.now();
      const body = {
        model: request.model,
        messages: request.messages,
        stream: false,
        ...(request.json ? { format: 'json' } : {}),
        options: { temperature: request.temperature, num_predict: request.maxTokens },
      };
      const answer = await postJson(provider, url, body, OllamaAnswer, callOptions);
      return chatResponse(
        provider,
        request,
        {
          text: answer.message.content,
          model: answer.model,
          inputTokens: answer.prompt_eval_count,
          outputTokens: answer.eval_count,
        },
        startedAt,
      );
    },
  };
}
