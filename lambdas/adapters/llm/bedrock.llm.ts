/**
 * Llm over Amazon Bedrock's Converse API through the AWS SDK: `ConverseStream` (the event stream,
 * the default) or `Converse` (one answer).
 *
 * - System messages go to `system`; the roles are made to alternate (consecutive messages of one
 *   role merged, so consecutive tool results travel in one user message).
 * - Tools: `toolConfig: {tools: [{toolSpec: {name, description, inputSchema: {json}}}],
 *   toolChoice: {tool: {name}}}` (no toolChoice for `auto`, Converse's default, which some models
 *   reject when sent); the model's `toolUse` blocks are its calls;
 *   results go back as `toolResult` blocks (`status: "error"` for a failed tool). Converse has no
 *   `none`: the tools are left out, or, when the conversation already holds tool blocks (which
 *   need a `toolConfig`), declared with an instruction to answer in text.
 * - A response schema is a tool the model is forced to call (`toolChoice: {tool: {name}}`): its
 *   input is the answer, returned as `text` (JSON). Plain JSON mode, which Converse has no
 *   model-independent switch for, is an instruction in the system prompt.
 * - Streamed: `contentBlockStart` opens a tool call, `contentBlockDelta` carries text or the
 *   tool input's JSON in pieces (assembled per block index), `messageStop` the stop reason,
 *   `metadata` the usage; an exception event mid-stream (throttling, model stream error, ...) is
 *   its named error.
 * - `stopReason`: `end_turn`/`stop_sequence` end, `tool_use` tool calls, `max_tokens` (and
 *   `model_context_window_exceeded`) max tokens, `content_filtered`/`guardrail_intervened`
 *   content filter.
 * The SDK makes one attempt per call by default: retries are `withResilience`'s, so they do not
 * multiply.
 */
import {
  BedrockRuntimeClient,
  type ContentBlock,
  ConverseCommand,
  type ConverseCommandInput,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  type Message,
  type SystemContentBlock,
  type ToolConfiguration,
  type ToolUseBlock,
} from '@aws-sdk/client-bedrock-runtime';
import {
  type ChatMessage,
  type ChatOptions,
  type ChatRequest,
  type ChatResponse,
  type Llm,
  LlmError,
  LlmRateLimitedError,
  LlmResponseError,
  LlmTimeoutError,
  LlmUnavailableError,
  type StopReason,
  type ToolCall,
} from '../../core/llm.ts';
import { traced } from '../tracing.ts';
import { wireName, wireSchema } from './schema.ts';
import {
  argumentsObject,
  callSignal,
  excerpt,
  finishResponse,
  forcedTool,
  hasToolTurns,
  isNetworkFailure,
  type ProviderAnswer,
  statusError,
  streamCutShort,
  toLlmError,
  toolArguments,
} from './shared.ts';

export interface BedrockLlmOptions {
  region: string;
  /** E.g. a scripted server on loopback; unset for AWS itself. */
  endpoint?: string;
  /** Unset: the SDK's default provider chain (the Lambda role in AWS). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** The SDK's own attempts per call (default 1: retrying is the resilience layer's job). */
  maxAttempts?: number;
  /** Use ConverseStream (default true), or Converse. */
  stream?: boolean;
}

/** Added to the system prompt in JSON mode. */
export const BEDROCK_JSON_INSTRUCTION =
  'Answer with a single JSON object and nothing else: no prose, no code fences.';

/** Added to the system prompt when tools must be declared (the conversation has tool blocks) but not called. */
export const BEDROCK_NO_TOOLS_INSTRUCTION = 'Do not call any tool now: answer in text.';

/** The description of the tool a response schema becomes. */
export const BEDROCK_ANSWER_TOOL_DESCRIPTION =
  'Give your answer by calling this tool: its input is your answer, in the shape of its schema.';

/** Converse's JSON document (a tool's input, an input schema). */
type DocumentType = NonNullable<ToolUseBlock['input']>;

type SdkFailure = Error & {
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
  $responseBodyText?: string;
};

/** The exceptions ConverseStream sends as events once the answer has begun, by name. */
function streamException(provider: string, error: Error): LlmError | undefined {
  const message = `${error.name} mid-stream: ${error.message}`;
  switch (error.name) {
    case 'ThrottlingException':
      return new LlmRateLimitedError(provider, message, { cause: error });
    case 'ServiceUnavailableException':
    case 'InternalServerException':
    case 'ModelStreamErrorException':
      return new LlmUnavailableError(provider, message, { cause: error });
    case 'ModelTimeoutException':
      return new LlmTimeoutError(provider, message, { cause: error });
    case 'ValidationException':
      return new LlmError(provider, message, { cause: error, code: 'LlmRejected' });
    default:
      return undefined;
  }
}

/**
 * The SDK's failures as named LLM errors: by HTTP status, as every adapter maps them; once a
 * stream has begun, by the exception event's name, and a stream that does not decode (a bad
 * checksum, an unknown message type) is an answer that does not parse.
 */
function sdkError(
  provider: string,
  error: unknown,
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
  /** `stream`: ConverseStream was called; `reading`: its events were being read. */
  mode: { stream: boolean; reading: boolean },
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
  if (status === undefined || status < 300) {
    const named = streamException(provider, error);
    if (named) return named;
    // The answer arrived (HTTP 200, or events already read) but did not decode.
    if ((mode.reading || status !== undefined) && !isNetworkFailure(error)) {
      const what = `unparseable ${mode.stream ? 'stream' : 'body'} (HTTP ${status ?? 200})`;
      return new LlmResponseError(provider, `${what}: ${excerpt(error.message.split('\n')[0] ?? '')}`, {
        status,
        cause: error,
      });
    }
    return toLlmError(provider, error, signal);
  }
  const header = (name: string) => e.$response?.headers?.[name];
  return statusError(provider, status, `${e.name}: ${e.message}`, header, error);
}

function converseStopReason(reason: string | undefined): StopReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'end';
    case 'tool_use':
      return 'tool_calls';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'max_tokens';
    case 'content_filtered':
    case 'guardrail_intervened':
      return 'content_filter';
    case 'refusal':
      return 'refusal';
    default:
      return 'other';
  }
}

function contentOf(m: Exclude<ChatMessage, { role: 'system' }>): ContentBlock[] {
  switch (m.role) {
    case 'tool':
      return [
        {
          toolResult: {
            toolUseId: m.toolCallId,
            content: [{ text: m.content }],
            status: m.isError ? 'error' : 'success',
          },
        },
      ];
    case 'assistant': {
      // Converse rejects a blank text block: an assistant turn that only called tools has none.
      const blocks: ContentBlock[] = m.content.trim() ? [{ text: m.content }] : [];
      for (const call of m.toolCalls ?? []) {
        // Converse's input is a JSON object: a call whose arguments did not parse goes back as `{}`.
        blocks.push({
          toolUse: { toolUseId: call.id, name: call.name, input: argumentsObject(call) as DocumentType },
        });
      }
      return blocks;
    }
    default:
      return [{ text: m.content }];
  }
}

/** Converse's shape of a request (Converse and ConverseStream take the same), and the answer tool's name, if any. */
export function converseInput(request: ChatRequest): { input: ConverseCommandInput; answerTool?: string } {
  const system: SystemContentBlock[] = request.messages
    .filter((m) => m.role === 'system')
    .map((m) => ({ text: m.content }));
  const messages: Message[] = [];
  for (const m of request.messages) {
    if (m.role === 'system') continue;
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const blocks = contentOf(m);
    if (blocks.length === 0) continue;
    const last = messages.at(-1);
    if (last?.role === role) last.content!.push(...blocks);
    else messages.push({ role, content: blocks });
  }

  const tools = (request.tools ?? []).map((tool) => ({
    toolSpec: {
      name: tool.name,
      description: tool.description,
      inputSchema: { json: wireSchema(tool.inputSchema) as DocumentType },
    },
  }));
  let toolConfig: ToolConfiguration | undefined;
  let answerTool: string | undefined;
  if (request.responseSchema) {
    answerTool = wireName(request.responseSchema.name);
    tools.push({
      toolSpec: {
        name: answerTool,
        description: BEDROCK_ANSWER_TOOL_DESCRIPTION,
        inputSchema: { json: wireSchema(request.responseSchema.schema) as DocumentType },
      },
    });
    toolConfig = { tools, toolChoice: { tool: { name: answerTool } } };
  } else if (request.json) {
    system.push({ text: BEDROCK_JSON_INSTRUCTION });
  }
  const forced = forcedTool(request);
  if (!toolConfig && tools.length > 0) {
    if (forced) toolConfig = { tools, toolChoice: { tool: { name: forced.name } } };
    // `auto` is Converse's default: not sent, since some models reject any toolChoice.
    else if (request.toolChoice !== 'none') toolConfig = { tools };
    else if (hasToolTurns(request)) {
      toolConfig = { tools };
      system.push({ text: BEDROCK_NO_TOOLS_INSTRUCTION });
    }
  }
  return {
    input: {
      modelId: request.model,
      messages,
      ...(system.length > 0 ? { system } : {}),
      inferenceConfig: { temperature: request.temperature, maxTokens: request.maxTokens },
      ...(toolConfig ? { toolConfig } : {}),
    },
    ...(answerTool ? { answerTool } : {}),
  };
}

/** The content blocks of an answer, whole (Converse) or put together from the stream's events. */
class ConverseBlocks {
  readonly #blocks = new Map<
    number,
    { text: string } | { id: string; name: string; input: string | unknown }
  >();
  stopReason: string | undefined;
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  stopped = false;

  /** A whole block (Converse's answer). */
  block(index: number, block: ContentBlock): void {
    if (block.text !== undefined) this.#blocks.set(index, { text: block.text });
    else if (block.toolUse) {
      const { toolUseId, name, input } = block.toolUse;
      this.#blocks.set(index, { id: toolUseId ?? `tooluse_${index}`, name: name ?? '', input });
    }
  }

  /** One event of the stream; exceptions arrive as thrown errors, not here. */
  event(event: ConverseStreamOutput): void {
    if (event.contentBlockStart) {
      const { contentBlockIndex = 0, start } = event.contentBlockStart;
      if (start?.toolUse) {
        this.#blocks.set(contentBlockIndex, {
          id: start.toolUse.toolUseId ?? `tooluse_${contentBlockIndex}`,
          name: start.toolUse.name ?? '',
          input: '',
        });
      }
    } else if (event.contentBlockDelta) {
      const { contentBlockIndex = 0, delta } = event.contentBlockDelta;
      const block = this.#blocks.get(contentBlockIndex);
      if (delta?.text !== undefined) {
        if (block && 'text' in block) block.text += delta.text;
        else this.#blocks.set(contentBlockIndex, { text: delta.text });
      } else if (delta?.toolUse) {
        if (!block || !('id' in block)) {
          throw new LlmResponseError(
            'bedrock',
            `tool input for block ${contentBlockIndex}, which no contentBlockStart opened`,
          );
        }
        block.input = `${block.input as string}${delta.toolUse.input ?? ''}`;
      }
    } else if (event.messageStop) {
      this.stopped = true;
      this.stopReason = event.messageStop.stopReason;
    } else if (event.metadata) {
      this.inputTokens = event.metadata.usage?.inputTokens;
      this.outputTokens = event.metadata.usage?.outputTokens;
    }
  }

  answer(answerTool: string | undefined): ProviderAnswer {
    const ordered = [...this.#blocks.entries()].sort(([a], [b]) => a - b).map(([, block]) => block);
    let text = ordered.flatMap((b) => ('text' in b ? [b.text] : [])).join('');
    let toolCalls: ToolCall[] = ordered.flatMap((b) =>
      'id' in b
        ? [
            {
              id: b.id,
              name: b.name,
              arguments: typeof b.input === 'string' ? toolArguments(b.input) : (b.input ?? {}),
            },
          ]
        : [],
    );
    let stopReason = converseStopReason(this.stopReason);
    const answer = answerTool ? toolCalls.find((c) => c.name === answerTool) : undefined;
    if (answer) {
      // The forced answer tool's input is the answer: JSON text, not a tool call.
      text = typeof answer.arguments === 'string' ? answer.arguments : JSON.stringify(answer.arguments);
      toolCalls = toolCalls.filter((c) => c !== answer);
      if (stopReason === 'tool_calls' && toolCalls.length === 0) stopReason = 'end';
    }
    return { text, toolCalls, stopReason, inputTokens: this.inputTokens, outputTokens: this.outputTokens };
  }
}

export function createBedrockLlm(options: BedrockLlmOptions): Llm & { close(): void } {
  const provider = 'bedrock';
  const stream = options.stream ?? true;
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
      const { input, answerTool } = converseInput(request);
      const blocks = new ConverseBlocks();
      let reading = false;
      try {
        if (stream) {
          const output = await client.send(new ConverseStreamCommand(input), { abortSignal: signal });
          reading = true;
          for await (const event of output.stream ?? []) blocks.event(event);
          if (!blocks.stopped) {
            // An abort ends the SDK's event stream quietly: the deadline, not a broken stream.
            if (signal?.aborted) throw toLlmError(provider, signal.reason, signal, callOptions?.timeoutMs);
            throw streamCutShort(provider, 'no messageStop event');
          }
        } else {
          const output = await client.send(new ConverseCommand(input), { abortSignal: signal });
          for (const [i, block] of (output.output?.message?.content ?? []).entries()) blocks.block(i, block);
          blocks.stopReason = output.stopReason;
          blocks.inputTokens = output.usage?.inputTokens;
          blocks.outputTokens = output.usage?.outputTokens;
        }
      } catch (error) {
        if (error instanceof LlmError) throw error;
        throw sdkError(provider, error, signal, callOptions?.timeoutMs, { stream, reading });
      }
      return finishResponse(provider, request, blocks.answer(answerTool), startedAt);
    },
    close: () => client.destroy(),
  };
}
