/**
 * Llm over the OpenAI Chat Completions protocol: `POST {baseUrl}/chat/completions`, which OpenAI,
 * vLLM, llama.cpp's server, LM Studio, LiteLLM and Ollama's `/v1` all speak.
 *
 * - Tools: `tools: [{type: "function", function: {name, description, parameters}}]` and
 *   `tool_choice` (`auto`, `none`, or `{type: "function", function: {name}}`); the model's
 *   `tool_calls` carry their arguments as a JSON string (parsed here; raw text when they do not
 *   parse); results go back as `role: "tool"` messages with the `tool_call_id`.
 * - A response schema is `response_format: {type: "json_schema", json_schema: {name, schema,
 *   strict}}`: strict when the schema can be put in strict form (see `schema.ts`; the optional
 *   properties it had to make nullable are taken out of the answer again when `null`), else
 *   non-strict, and `onNotice` says why. Plain JSON mode is `{type: "json_object"}`.
 * - Streamed by default (`stream: true` with `stream_options.include_usage`): the SSE deltas are
 *   assembled (text, `refusal`, `tool_calls` by index, `finish_reason`, the usage chunk) until
 *   `data: [DONE]`; an `{"error": ...}` event mid-stream is its named error. A server that answers
 *   a streamed request with one JSON body is read as such.
 * - `finish_reason`: `stop` is end, `tool_calls` (and the legacy `function_call`) tool calls,
 *   `length` max tokens, `content_filter` content filter; `message.refusal` is a refusal.
 * A 429's `Retry-After` travels on `LlmRateLimitedError`.
 */
import * as z from 'zod';
import {
  type ChatMessage,
  type ChatOptions,
  type ChatRequest,
  type ChatResponse,
  type Llm,
  LlmError,
  LlmRateLimitedError,
  LlmUnavailableError,
  type StopReason,
  type ToolCall,
} from '../../core/llm.ts';
import { dropOptionalNulls, strictSchema, wireName, wireSchema } from './schema.ts';
import {
  argumentsText,
  builtOnFirstUse,
  finishResponse,
  forcedTool,
  jsonOrUndefined,
  type ProviderAnswer,
  parseAnswer,
  postRequest,
  responseLines,
  responseText,
  streamCutShort,
  toolArguments,
  toolResultText,
} from './shared.ts';
import { sseEvents } from './streams.ts';

export interface OpenAiCompatibleLlmOptions {
  /** Up to and including the version, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  /** Default `openai`; a name for logs, e.g. `vllm`. */
  provider?: string;
  /** Stream the answer (SSE), as clients at scale do; default true. */
  stream?: boolean;
  /** Told what the adapter could not do as asked (a response schema sent non-strict, and why). */
  onNotice?: (message: string) => void;
}

/** OpenAI-compatible answers on the wire. */
const wire = /* @__PURE__ */ builtOnFirstUse(() => {
  const Usage = z
    .object({
      prompt_tokens: z.number().int().nonnegative(),
      completion_tokens: z.number().int().nonnegative(),
    })
    .nullish();

  const Completion = z.object({
    model: z.string().optional(),
    choices: z
      .array(
        z.object({
          message: z.object({
            content: z.string().nullish(),
            refusal: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  id: z.string(),
                  function: z.object({ name: z.string(), arguments: z.string().nullish() }),
                }),
              )
              .nullish(),
          }),
          finish_reason: z.string().nullish(),
        }),
      )
      .min(1),
    usage: Usage,
  });

  const Chunk = z.object({
    model: z.string().optional(),
    choices: z
      .array(
        z.object({
          index: z.number().optional(),
          delta: z
            .object({
              content: z.string().nullish(),
              refusal: z.string().nullish(),
              tool_calls: z
                .array(
                  z.object({
                    index: z.number().int().nonnegative(),
                    id: z.string().nullish(),
                    function: z
                      .object({ name: z.string().nullish(), arguments: z.string().nullish() })
                      .nullish(),
                  }),
                )
                .nullish(),
            })
            .nullish(),
          finish_reason: z.string().nullish(),
        }),
      )
      .nullish(),
    usage: Usage,
  });

  /** `{"error": {...}}`: how OpenAI-compatible servers fail once the stream has begun. */
  const StreamError = z.object({
    error: z.union([
      z.string(),
      z.object({
        message: z.string().nullish(),
        type: z.string().nullish(),
        code: z.union([z.string(), z.number()]).nullish(),
      }),
    ]),
  });
  return { Usage, Completion, Chunk, StreamError };
});

export function openAiStopReason(reason: string | null | undefined): StopReason {
  switch (reason) {
    case 'stop':
      return 'end';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'length':
      return 'max_tokens';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'other';
  }
}

function openAiMessage(m: ChatMessage): Record<string, unknown> {
  switch (m.role) {
    case 'tool':
      return { role: 'tool', tool_call_id: m.toolCallId, content: toolResultText(m) };
    case 'assistant':
      if (!m.toolCalls?.length) return { role: 'assistant', content: m.content };
      return {
        role: 'assistant',
        content: m.content || null,
        tool_calls: m.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: argumentsText(call) },
        })),
      };
    default:
      return { role: m.role, content: m.content };
  }
}

/** The request body, and what the answer needs undone (the nulls strict mode forced on optional properties). */
export function openAiBody(
  request: ChatRequest,
  stream: boolean,
  notice: (message: string) => void = () => {},
): { body: Record<string, unknown>; optional: string[][] } {
  const body: Record<string, unknown> = {
    model: request.model,
    messages: request.messages.map(openAiMessage),
    temperature: request.temperature,
    max_tokens: request.maxTokens,
  };
  forcedTool(request); // a forced tool must be one of those offered
  if (request.tools?.length) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: wireSchema(tool.inputSchema) },
    }));
    const choice = request.toolChoice;
    if (choice) {
      body.tool_choice =
        typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
    }
  }
  let optional: string[][] = [];
  if (request.responseSchema) {
    const name = wireName(request.responseSchema.name);
    const strict = strictSchema(request.responseSchema.schema);
    if (strict.strict) optional = strict.optional;
    else notice(`response schema "${name}" sent with strict: false: ${strict.reason}`);
    body.response_format = {
      type: 'json_schema',
      json_schema: { name, schema: strict.schema, strict: strict.strict },
    };
  } else if (request.json) {
    body.response_format = { type: 'json_object' };
  }
  if (stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return { body, optional };
}

function streamError(
  provider: string,
  raw: z.infer<ReturnType<typeof wire>['StreamError']>['error'],
): LlmError {
  const { message, type, code } =
    typeof raw === 'string' ? { message: raw, type: undefined, code: undefined } : raw;
  const text = `error mid-stream: ${message ?? 'no message'}${type ? ` (${type})` : ''}`;
  const kind = `${type ?? ''} ${code ?? ''}`;
  if (/rate_limit|429/.test(kind)) return new LlmRateLimitedError(provider, text);
  if (/invalid_request|400|context_length/.test(kind)) {
    return new LlmError(provider, text, { code: 'LlmRejected' });
  }
  return new LlmUnavailableError(provider, text);
}

/** The tool calls of a streamed answer, put together from their deltas by index. */
class ToolCallDeltas {
  readonly #calls = new Map<number, { id: string; name: string; arguments: string }>();

  add(delta: {
    index: number;
    id?: string | null;
    function?: { name?: string | null; arguments?: string | null } | null;
  }) {
    const call = this.#calls.get(delta.index) ?? { id: '', name: '', arguments: '' };
    if (delta.id) call.id = delta.id;
    if (delta.function?.name) call.name = delta.function.name; // sent once, or repeated whole: never in pieces
    if (delta.function?.arguments) call.arguments += delta.function.arguments;
    this.#calls.set(delta.index, call);
  }

  calls(): ToolCall[] {
    return [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => ({
        id: c.id || `call_${index}`,
        name: c.name,
        arguments: toolArguments(c.arguments),
      }));
  }
}

async function readStream(
  provider: string,
  response: Response,
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
): Promise<ProviderAnswer> {
  let text = '';
  let refusal = '';
  let model: string | undefined;
  let finish: string | null | undefined;
  let usage: z.infer<ReturnType<typeof wire>['Usage']>;
  let done = false;
  const calls = new ToolCallDeltas();
  for await (const event of sseEvents(responseLines(provider, response, signal, timeoutMs))) {
    if (event.data === '[DONE]') {
      done = true;
      break;
    }
    const failure = wire().StreamError.safeParse(jsonOrUndefined(event.data));
    if (failure.success) throw streamError(provider, failure.data.error);
    const chunk = parseAnswer(provider, event.data, wire().Chunk, response.status, 'stream event');
    model ??= chunk.model;
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      if ((choice.index ?? 0) !== 0) continue;
      text += choice.delta?.content ?? '';
      refusal += choice.delta?.refusal ?? '';
      for (const delta of choice.delta?.tool_calls ?? []) calls.add(delta);
      if (choice.finish_reason) finish = choice.finish_reason;
    }
  }
  if (!done && !finish) throw streamCutShort(provider, 'no finish_reason, no [DONE]');
  return {
    text,
    toolCalls: calls.calls(),
    stopReason: openAiStopReason(finish),
    refusal,
    model,
    inputTokens: usage?.prompt_tokens,
    outputTokens: usage?.completion_tokens,
  };
}

function readCompletion(provider: string, text: string, status: number): ProviderAnswer {
  const answer = parseAnswer(provider, text, wire().Completion, status);
  const choice = answer.choices[0]!;
  return {
    text: choice.message.content ?? '',
    toolCalls: (choice.message.tool_calls ?? []).map((c) => ({
      id: c.id,
      name: c.function.name,
      arguments: toolArguments(c.function.arguments ?? ''),
    })),
    stopReason: openAiStopReason(choice.finish_reason),
    refusal: choice.message.refusal ?? undefined,
    model: answer.model,
    inputTokens: answer.usage?.prompt_tokens,
    outputTokens: answer.usage?.completion_tokens,
  };
}

export function createOpenAiCompatibleLlm(options: OpenAiCompatibleLlmOptions): Llm {
  const provider = options.provider ?? 'openai';
  const stream = options.stream ?? true;
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const auth: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  return {
    provider,
    async chat(request: ChatRequest, callOptions: ChatOptions = {}): Promise<ChatResponse> {
      const startedAt = performance.now();
      const { body, optional } = openAiBody(request, stream, options.onNotice);
      const headers = stream ? { ...auth, accept: 'text/event-stream' } : auth;
      const { response, signal } = await postRequest(provider, url, body, { ...callOptions, headers });
      let answer: ProviderAnswer;
      if (stream && /text\/event-stream/i.test(response.headers.get('content-type') ?? '')) {
        answer = await readStream(provider, response, signal, callOptions.timeoutMs);
      } else {
        const text = await responseText(provider, response, signal, callOptions.timeoutMs);
        answer = readCompletion(provider, text, response.status);
      }
      const result = finishResponse(provider, request, answer, startedAt);
      if (optional.length > 0 && result.text) {
        result.text = JSON.stringify(dropOptionalNulls(JSON.parse(result.text), optional));
      }
      return result;
    },
  };
}
