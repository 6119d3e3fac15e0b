/**
 * Llm over the OpenAI Chat Completions protocol: `POST {baseUrl}/chat/completions`, which OpenAI,
 * vLLM, llama.cpp's server, LM Studio, LiteLLM and Ollama's `/v1` all speak. JSON mode is
 * `response_format: { type: "json_object" }`; a 429's `Retry-After` travels on `LlmRateLimitedError`.
 */
import * as z from 'zod';
import type { ChatOptions, ChatRequest, ChatResponse, Llm } from '../../core/llm.ts';
import { chatResponse, postJson } from './shared.ts';

export interface OpenAiCompatibleLlmOptions {
  /** Up to and including the version, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  /** Default `openai`; a name for logs, e.g. `vllm`. */
  provider?: string;
}

const CompletionAnswer = z.object({
  model: z.string().optional(),
  choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1),
  usage: z
    .object({
      prompt_tokens: z.number().int().nonnegative(),
      completion_tokens: z.number().int().nonnegative(),
    })
    .optional(),
});

export function createOpenAiCompatibleLlm(options: OpenAiCompatibleLlmOptions): Llm {
  const provider = options.provider ?? 'openai';
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  return {
    provider,
    async chat(request: ChatRequest, callOptions?: ChatOptions): Promise<ChatResponse> {
      const startedAt = performance.now();
      const body = {
        model: request.model,
        messages: request.messages,
        temperature: request.temperature,
        max_tokens: request.maxTokens,
        ...(request.json ? { response_format: { type: 'json_object' } } : {}),
      };
      const answer = await postJson(provider, url, body, CompletionAnswer, { ...callOptions, headers });
      return chatResponse(
        provider,
        request,
        {
          text: answer.choices[0]!.message.content,
          model: answer.model,
          inputTokens: answer.usage?.prompt_tokens,
          outputTokens: answer.usage?.completion_tokens,
        },
        startedAt,
      );
    },
  };
}
