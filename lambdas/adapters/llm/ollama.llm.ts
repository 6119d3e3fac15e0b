/**
 * Llm over Ollama's native chat API, `POST {baseUrl}/api/chat`.
 *
 * - Tools: `tools: [{type: "function", function: {name, description, parameters}}]`; the model's
 *   `message.tool_calls` carry their arguments as an object and (in most versions) no id, so the
 *   id is made here, stable for the same conversation, call and arguments. Results go back as
 *   `role: "tool"` messages with the `tool_name`.
 * - Ollama has no `tool_choice`: `none` leaves the tools out; forcing one tool asks, through
 *   `format`, for exactly that tool's input as the answer, returned as the call of that tool.
 * - A response schema is `format: <schema>`; plain JSON mode is `format: "json"`.
 * - Streamed by default: NDJSON lines, text and tool calls gathered until the line with
 *   `done: true` (its `done_reason`, `prompt_eval_count`, `eval_count`); an `{"error": ...}` line
 *   mid-stream is its named error. `stream: false` gets one JSON body.
 * Usage is `prompt_eval_count` / `eval_count` (Ollama leaves the first out when the prompt was
 * cached: then it is estimated). `done_reason`: `stop` is end (tool calls when there are some),
 * `length` max tokens.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type {
  ChatMessage,
  ChatOptions,
  ChatRequest,
  ChatResponse,
  Llm,
  StopReason,
  ToolCall,
  ToolSpec,
} from '../../core/llm.ts';
import { LlmUnavailableError } from '../../core/llm.ts';
import { wireSchema } from './schema.ts';
import {
  argumentsObject,
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

export interface OllamaLlmOptions {
  /** Default `http://127.0.0.1:11434`. */
  baseUrl?: string;
  /** Stream the answer (NDJSON), as Ollama does by default; default true. */
  stream?: boolean;
}

/** Ollama's answers on the wire. */
const wire = /* @__PURE__ */ builtOnFirstUse(() => {
  const ToolCall = z.object({
    id: z.string().nullish(),
    function: z.object({
      index: z.number().int().nullish(),
      name: z.string(),
      // An object in Ollama's own API; a JSON string from some proxies in front of it.
      arguments: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish(),
    }),
  });

  const Chunk = z.object({
    model: z.string().optional(),
    message: z
      .object({
        content: z.string().nullish(),
        tool_calls: z.array(ToolCall).nullish(),
      })
      .nullish(),
    done: z.boolean().optional(),
    done_reason: z.string().nullish(),
    prompt_eval_count: z.number().int().nonnegative().optional(),
    eval_count: z.number().int().nonnegative().optional(),
  });

  const Failure = z.object({ error: z.string() });
  return { ToolCall, Chunk, Failure };
});

/** Added as the last system message when a request forces one tool. */
export function ollamaForcedToolInstruction(tool: ToolSpec): string {
  return `Call the tool "${tool.name}" now: answer with its arguments as one JSON object and nothing else. The tool: ${tool.description}`;
}

function ollamaMessage(m: ChatMessage): Record<string, unknown> {
  switch (m.role) {
    case 'tool':
      return { role: 'tool', content: toolResultText(m), tool_name: m.name };
    case 'assistant':
      if (!m.toolCalls?.length) return { role: 'assistant', content: m.content };
      return {
        role: 'assistant',
        content: m.content,
        // Ollama's arguments are an object: a call whose arguments did not parse goes back as `{}`.
        tool_calls: m.toolCalls.map((call, index) => ({
          function: { index, name: call.name, arguments: argumentsObject(call) },
        })),
      };
    default:
      return { role: m.role, content: m.content };
  }
}

export function ollamaBody(request: ChatRequest, stream: boolean): Record<string, unknown> {
  const forced = forcedTool(request);
  const messages = request.messages.map(ollamaMessage);
  let format: unknown;
  if (forced) {
    messages.push({ role: 'system', content: ollamaForcedToolInstruction(forced) });
    format = wireSchema(forced.inputSchema);
  } else if (request.responseSchema) format = wireSchema(request.responseSchema.schema);
  else if (request.json) format = 'json';
  const offerTools = !forced && request.toolChoice !== 'none' && !!request.tools?.length;
  return {
    model: request.model,
    messages,
    stream,
    ...(offerTools
      ? {
          tools: request.tools!.map((tool) => ({
            type: 'function',
            function: {
              name: tool.name,
              description: tool.description,
              parameters: wireSchema(tool.inputSchema),
            },
          })),
        }
      : {}),
    ...(format === undefined ? {} : { format }),
    options: { temperature: request.temperature, num_predict: request.maxTokens },
  };
}

function ollamaStopReason(reason: string | null | undefined): StopReason {
  if (reason === 'stop' || reason === undefined || reason === null) return 'end';
  if (reason === 'length') return 'max_tokens';
  return 'other';
}

/** An id for a call Ollama gave none: the same conversation, position and call give the same id. */
function callId(conversation: string, index: number, name: string, args: unknown): string {
  const digest = createHash('sha256')
    .update(`${conversation}\n${index}\n${name}\n${JSON.stringify(args)}`)
    .digest('hex');
  return `call_${digest.slice(0, 24)}`;
}

/** Gathers an answer line by line (one line when not streamed). */
class OllamaAnswer {
  text = '';
  readonly calls: Array<z.infer<ReturnType<typeof wire>['ToolCall']>> = [];
  model: string | undefined;
  done = false;
  reason: string | null | undefined;
  inputTokens: number | undefined;
  outputTokens: number | undefined;

  add(chunk: z.infer<ReturnType<typeof wire>['Chunk']>): void {
    this.model ??= chunk.model;
    this.text += chunk.message?.content ?? '';
    this.calls.push(...(chunk.message?.tool_calls ?? []));
    if (chunk.done) {
      this.done = true;
      this.reason = chunk.done_reason;
      this.inputTokens = chunk.prompt_eval_count;
      this.outputTokens = chunk.eval_count;
    }
  }

  answer(request: ChatRequest): ProviderAnswer {
    const forced = forcedTool(request);
    const conversation = createHash('sha256').update(JSON.stringify(request.messages)).digest('hex');
    let toolCalls: ToolCall[] = this.calls.map((c, i) => {
      const args =
        typeof c.function.arguments === 'string'
          ? toolArguments(c.function.arguments)
          : (c.function.arguments ?? {});
      return {
        id: c.id || callId(conversation, i, c.function.name, args),
        name: c.function.name,
        arguments: args,
      };
    });
    let text = this.text;
    if (forced && toolCalls.length === 0) {
      // The forced tool's input came as the (format-constrained) answer: it is that tool's call.
      const args = toolArguments(text);
      toolCalls = [{ id: callId(conversation, 0, forced.name, args), name: forced.name, arguments: args }];
      text = '';
    }
    return {
      text,
      toolCalls,
      stopReason: ollamaStopReason(this.reason),
      model: this.model,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
    };
  }
}

export function createOllamaLlm(options: OllamaLlmOptions = {}): Llm {
  const provider = 'ollama';
  const stream = options.stream ?? true;
  const url = `${(options.baseUrl ?? 'http://127.0.0.1:11434').replace(/\/+$/, '')}/api/chat`;
  return {
    provider,
    async chat(request: ChatRequest, callOptions: ChatOptions = {}): Promise<ChatResponse> {
      const startedAt = performance.now();
      const body = ollamaBody(request, stream);
      const headers: Record<string, string> = stream ? { accept: 'application/x-ndjson' } : {};
      const { response, signal } = await postRequest(provider, url, body, { ...callOptions, headers });
      const gathered = new OllamaAnswer();
      if (stream) {
        for await (const line of responseLines(provider, response, signal, callOptions.timeoutMs)) {
          if (line.trim() === '') continue;
          const failure = wire().Failure.safeParse(jsonOrUndefined(line));
          if (failure.success) {
            throw new LlmUnavailableError(provider, `error mid-stream: ${failure.data.error}`);
          }
          gathered.add(parseAnswer(provider, line, wire().Chunk, response.status, 'stream event'));
          if (gathered.done) break;
        }
        if (!gathered.done) throw streamCutShort(provider, 'no line with done: true');
      } else {
        const text = await responseText(provider, response, signal, callOptions.timeoutMs);
        gathered.add({ ...parseAnswer(provider, text, wire().Chunk, response.status), done: true });
      }
      return finishResponse(provider, request, gathered.answer(request), startedAt);
    },
  };
}
