/**
 * Llm over Amazon Bedrock's Converse API (`POST /model/{modelId}/converse`) through the AWS SDK.
 * System messages go to `system`, consecutive messages of one role are merged (Converse wants the
 * roles to alternate), and JSON mode, which Converse has no model-independent switch for, is an
 * instruction in the system prompt plus the check every adapter makes on the answer. The SDK makes
 * one attempt per call by default: retries are `withResilience`'s, so they do not multiply.
 */
import {
  BedrockRuntimeClient,
  type ContentBlock,
  ConverseCommand,
  type ConverseCommandOutput,
  type Message,
} from '@aws-sdk/client-bedrock-runtime';
import {
  type ChatOptions,
  type ChatRequest,
  type ChatResponse,
  type Llm,
  type LlmError,
  LlmResponseError,
} from '../../core/llm.ts';
import { traced } from '../tracing.ts';
import { callSignal, chatResponse, excerpt, statusError, toLlmError } from './shared.ts';

export interface BedrockLlmOptions {
  region: string;
  /** E.g. a scripted server on loopback; unset for AWS itself. */
  endpoint?: string;
  /** Unset: the SDK's default provider chain (the Lambda role in AWS). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** The SDK's own attempts per call (default 1: retrying is the resilience layer's job). */
  maxAttempts?: number;
}

/** Added to the system prompt in JSON mode. */
export const BEDROCK_JSON_INSTRUCTION =
  'Answer with a single JSON object and nothing else: no prose, no code fences.';

type SdkFailure = Error & {
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
  $responseBodyText?: string;
};

/** The SDK's failures as named LLM errors: by HTTP status, as every adapter maps them. */
function sdkError(
  provider: string,
  error: unknown,
  signal: AbortSignal | undefined,
  timeoutMs?: number,
): LlmError {
  if (signal?.aborted || !(error instanceof Error)) return toLlmError(provider, error, signal, timeoutMs);
  const e = error as SdkFailure;
  const status = e.$metadata?.httpStatusCode;
  if (e.$responseBodyText !== undefined || error instanceof SyntaxError) {
    // The SDK keeps the body only sometimes; the parser's message says where it broke.
    const body = excerpt(e.$responseBodyText ?? e.message.split('\n')[0] ?? '');
    return new LlmResponseError(provider, `unparseable body (HTTP ${status ?? '?'}): ${body}`, {
      status,
      cause: error,
    });
  }
  if (status === undefined || status < 300) return toLlmError(provider, error, signal);
  const header = (name: string) => e.$response?.headers?.[name];
  return statusError(provider, status, `${e.name}: ${e.message}`, header, error);
}

/** Converse's shape of a request: system prompts apart, roles alternating. */
export function converseInput(request: ChatRequest) {
  const system = request.messages.filter((m) => m.role === 'system').map((m) => ({ text: m.content }));
  if (request.json) system.push({ text: BEDROCK_JSON_INSTRUCTION });
  const messages: Message[] = [];
  for (const m of request.messages) {
    if (m.role === 'system' || m.role === 'tool') continue; // tool results: not yet spoken here
    const last = messages.at(-1);
    const block: ContentBlock = { text: m.content };
    if (last?.role === m.role) last.content!.push(block);
    else messages.push({ role: m.role, content: [block] });
  }
  return {
    modelId: request.model,
    messages,
    ...(system.length > 0 ? { system } : {}),
    inferenceConfig: { temperature: request.temperature, maxTokens: request.maxTokens },
  };
}

export function createBedrockLlm(options: BedrockLlmOptions): Llm & { close(): void } {
  const provider = 'bedrock';
  const client = traced(
    new BedrockRuntimeClient({
      region: options.region,
      maxAttempts: options.maxAttempts ?? 1,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    }),
  );
  return {
    provider,
    async chat(request: ChatRequest, callOptions?: ChatOptions): Promise<ChatResponse> {
      const startedAt = performance.now();
      const signal = callSignal(callOptions);
      let output: ConverseCommandOutput;
      try {
        output = await client.send(new ConverseCommand(converseInput(request)), { abortSignal: signal });
      } catch (error) {
        throw sdkError(provider, error, signal, callOptions?.timeoutMs);
      }
      const texts = output.output?.message?.content?.flatMap((b) => (b.text === undefined ? [] : [b.text]));
      if (!texts?.length) {
        throw new LlmResponseError(provider, `no text in the answer (stopReason ${output.stopReason})`);
      }
      return chatResponse(
        provider,
        request,
        {
          text: texts.join(''),
          inputTokens: output.usage?.inputTokens,
          outputTokens: output.usage?.outputTokens,
        },
        startedAt,
      );
    },
    close: () => client.destroy(),
  };
}
