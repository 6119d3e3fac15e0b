/**
 * Scripted model servers on loopback that speak the providers' real HTTP protocols, so the real
 * adapter code runs: Ollama (`POST /api/chat`, NDJSON when streamed), OpenAI Chat Completions
 * (`POST /v1/chat/completions`, Server-Sent Events ending in `data: [DONE]` when streamed) and
 * Bedrock Converse (`POST /model/{modelId}/converse` and `/converse-stream`, the latter in the AWS
 * event-stream binary framing; awsRestJson1 errors; over HTTP/2 cleartext because the SDK's
 * bedrock-runtime client talks HTTP/2 by default).
 *
 * Each answers from a queue of scripted replies (an empty queue answers 500, so a missing script
 * is loud), in the form the client asked for (streamed or whole), and records every request, raw
 * and normalized (messages with their tool calls and tool results, the tools offered, the tool
 * choice, the response schema, whether it streamed), so tests assert on what the client sent.
 * Streamed answers go out frame by frame, each frame split in two writes, so clients meet frames
 * cut anywhere.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import {
  createServer as createH2cServer,
  type Http2ServerResponse,
  type Http2Session,
  constants as h2,
} from 'node:http2';
import type { AddressInfo } from 'node:net';

export type LlmProtocol = 'ollama' | 'openai' | 'bedrock';

/** A tool call the scripted model makes. `rawArguments`: sent verbatim (e.g. JSON that does not parse). */
export interface ScriptedToolCall {
  id?: string;
  name: string;
  arguments?: unknown;
  rawArguments?: string;
}

/** Why the scripted model stops, said in each protocol's words. `guardrail`: Bedrock's guardrail_intervened. */
export type ScriptedStop = 'end' | 'max_tokens' | 'content_filter' | 'guardrail';

interface ScriptedUsage {
  inputTokens?: number;
  outputTokens?: number;
}

export type ScriptedReply =
  | ({ kind: 'answer'; text: string; stop?: ScriptedStop } & ScriptedUsage)
  /** The model asks for tools (OpenAI `tool_calls`, Ollama `message.tool_calls`, Bedrock `toolUse`), with text before them if given. */
  | ({ kind: 'tool-calls'; calls: ScriptedToolCall[]; text?: string } & ScriptedUsage)
  /** The model refuses: OpenAI `message.refusal`; elsewhere the refusal is the text. */
  | ({ kind: 'refusal'; text: string } & ScriptedUsage)
  /** An error status; for Bedrock with the matching exception type (429 ThrottlingException, ...). */
  | { kind: 'error'; status: number; message?: string; retryAfter?: string }
  /**
   * Streamed: `text` (default "Partial") is sent, then the protocol's error event (OpenAI
   * `data: {"error": ...}`, Ollama `{"error": ...}`, Bedrock an exception event for `status`).
   * Not streamed: the error status.
   */
  | { kind: 'stream-error'; status: number; message?: string; text?: string }
  /** The connection breaks after `text` (streamed) or half a body (not streamed). */
  | { kind: 'cut'; text?: string }
  /** Streamed: `text`, then silence until the client gives up. Not streamed: like `hang`. */
  | { kind: 'stall'; text?: string }
  /** No answer until the client gives up (or the server closes). */
  | { kind: 'hang' }
  /** 200 with a body (or a stream event) that does not parse. */
  | { kind: 'malformed' };

/** A message as the client sent it, whatever the protocol. */
export interface NormalizedMessage {
  role: string;
  content: string;
  /** An assistant turn's tool calls, arguments parsed where they parse. */
  toolCalls?: Array<{ id: string | undefined; name: string; arguments: unknown }>;
  /** A tool result's call (OpenAI `tool_call_id`, Bedrock `toolUseId`). */
  toolCallId?: string;
  /** A tool result's tool (Ollama `tool_name`). */
  name?: string;
  /** A tool result marked failed (Bedrock `status: "error"`). */
  isError?: boolean;
}

/** What the client asked for, whatever the protocol. */
export interface NormalizedChat {
  model: string;
  messages: NormalizedMessage[];
  temperature: number | undefined;
  maxTokens: number | undefined;
  json: boolean;
  /** The tools offered, in the port's terms. */
  tools: Array<{ name: string; description: string | undefined; inputSchema: unknown }>;
  /** The protocol's own tool choice (OpenAI `tool_choice`, Bedrock `toolConfig.toolChoice`). */
  toolChoice: unknown;
  /** The schema asked for: OpenAI `response_format.json_schema` (name, schema, strict), Ollama `format`. */
  responseSchema: unknown;
  stream: boolean;
  authorization: string | undefined;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
  chat: NormalizedChat;
}

export interface ScriptedLlmServer {
  protocol: LlmProtocol;
  /** What the adapter is given: Ollama's base URL, OpenAI's `.../v1`, Bedrock's endpoint. */
  url: string;
  requests: RecordedRequest[];
  script(...replies: ScriptedReply[]): void;
  /** Forgets the replies not yet given and the requests recorded. */
  reset(): void;
  close(): Promise<void>;
}

const BEDROCK_ERRORS: Record<number, string> = {
  400: 'ValidationException',
  403: 'AccessDeniedException',
  404: 'ResourceNotFoundException',
  408: 'ModelTimeoutException',
  424: 'ModelErrorException',
  429: 'ThrottlingException',
  500: 'InternalServerException',
  503: 'ServiceUnavailableException',
};

/** ConverseStream's exception events: the union member named in `:exception-type`. */
const BEDROCK_STREAM_EXCEPTIONS: Record<number, string> = {
  400: 'validationException',
  429: 'throttlingException',
  500: 'internalServerException',
  503: 'serviceUnavailableException',
};

/** What the handler needs of a response, HTTP/1.1 or HTTP/2 compatibility API alike. */
interface Reply {
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: Buffer): unknown;
  end(body?: string | Buffer): unknown;
  /** Breaks the connection (HTTP/1.1) or resets the stream (HTTP/2) under the answer. */
  abort(): void;
}

/** A tool call as the server sends it: its id, and its arguments as JSON text (or raw). */
interface TurnCall {
  id: string;
  name: string;
  args: string;
  raw: boolean;
}

/** A reply that answers, in protocol-neutral terms. */
interface Turn {
  text: string;
  calls: TurnCall[];
  refusal: string | undefined;
  stop: ScriptedStop;
  inputTokens: number;
  outputTokens: number;
}

type Frame = string | Buffer;

interface Protocol {
  path: RegExp;
  streamed(body: any, match: RegExpMatchArray): boolean;
  normalize(body: any, headers: IncomingHttpHeaders, match: RegExpMatchArray): NormalizedChat;
  /** The whole answer's body. */
  answer(turn: Turn, chat: NormalizedChat): unknown;
  streamContentType: string;
  /** The whole answer, streamed (`body`: the request, for options such as OpenAI's `stream_options`). */
  frames(turn: Turn, chat: NormalizedChat, body: any): Frame[];
  /** The start of an answer, `text` of it, and no end. */
  partial(text: string, chat: NormalizedChat): Frame[];
  /** The error event a stream ends with. */
  streamError(status: number, message: string): Frame;
  malformedFrame: Frame;
  error(res: Reply, status: number, message: string, headers: Record<string, string>): void;
}

/** Thrown by a protocol for a script it cannot send; answered with a loud 500. */
class UnsendableScript extends Error {}

function sendJson(res: Reply, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** `text` in pieces of `size` characters, as models stream it. */
function pieces(text: string, size = 6): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function parsedOrRaw(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const OPENAI_FINISH: Record<ScriptedStop, string> = {
  end: 'stop',
  max_tokens: 'length',
  content_filter: 'content_filter',
  guardrail: 'content_filter',
};

const BEDROCK_STOP: Record<ScriptedStop, string> = {
  end: 'end_turn',
  max_tokens: 'max_tokens',
  content_filter: 'content_filtered',
  guardrail: 'guardrail_intervened',
};

const PADDING = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

// --- the AWS event-stream framing (prelude, headers, payload, CRC32s), as ConverseStream sends it ---

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let crc = -1;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** One event-stream message: string headers (type 7) and a payload, framed and checksummed. */
export function eventStreamMessage(headers: Record<string, string>, payload: Buffer): Buffer {
  const headerBytes = Buffer.concat(
    Object.entries(headers).map(([name, value]) => {
      const n = Buffer.from(name, 'utf8');
      const v = Buffer.from(value, 'utf8');
      const head = Buffer.alloc(1 + n.length + 1 + 2);
      head.writeUInt8(n.length, 0);
      n.copy(head, 1);
      head.writeUInt8(7, 1 + n.length);
      head.writeUInt16BE(v.length, 2 + n.length);
      return Buffer.concat([head, v]);
    }),
  );
  const total = 12 + headerBytes.length + payload.length + 4;
  const prelude = Buffer.alloc(12);
  prelude.writeUInt32BE(total, 0);
  prelude.writeUInt32BE(headerBytes.length, 4);
  prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8);
  const body = Buffer.concat([prelude, headerBytes, payload]);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([body, trailer]);
}

/** A ConverseStream event, with the random-length `p` padding the service adds to every event. */
function converseEvent(type: string, payload: Record<string, unknown>): Buffer {
  const p = PADDING.slice(0, 1 + (JSON.stringify(payload).length % PADDING.length));
  return eventStreamMessage(
    { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
    Buffer.from(JSON.stringify({ ...payload, p }), 'utf8'),
  );
}

// --- the three protocols ---

const PROTOCOLS: Record<LlmProtocol, Protocol> = {
  ollama: {
    path: /^\/api\/chat$/,
    // Ollama streams unless told not to.
    streamed: (body) => body.stream !== false,
    normalize: (body, headers) => ({
      model: body.model,
      messages: (body.messages ?? []).map((m: any) => ({
        role: m.role,
        content: m.content ?? '',
        ...(m.tool_calls
          ? {
              toolCalls: m.tool_calls.map((c: any) => ({
                id: c.id,
                name: c.function?.name,
                arguments: c.function?.arguments,
              })),
            }
          : {}),
        ...(m.tool_name !== undefined ? { name: m.tool_name } : {}),
      })),
      temperature: body.options?.temperature,
      maxTokens: body.options?.num_predict,
      json: body.format === 'json',
      tools: (body.tools ?? []).map((t: any) => ({
        name: t.function?.name,
        description: t.function?.description,
        inputSchema: t.function?.parameters,
      })),
      toolChoice: undefined,
      responseSchema: body.format && typeof body.format === 'object' ? body.format : undefined,
      stream: body.stream !== false,
      authorization: headers.authorization,
    }),
    answer: (turn, chat) => ({ ...ollamaDone(turn, chat), message: ollamaMessage(turn) }),
    streamContentType: 'application/x-ndjson',
    frames: (turn, chat) => {
      const line = (value: unknown) => `${JSON.stringify(value)}\n`;
      const at = '2024-01-01T00:00:00Z';
      const { content, tool_calls } = ollamaMessage(turn);
      const out = pieces(content).map((piece) =>
        line({
          model: chat.model,
          created_at: at,
          message: { role: 'assistant', content: piece },
          done: false,
        }),
      );
      if (tool_calls) {
        out.push(
          line({
            model: chat.model,
            created_at: at,
            message: { role: 'assistant', content: '', tool_calls },
            done: false,
          }),
        );
      }
      out.push(line(ollamaDone(turn, chat)));
      return out;
    },
    partial: (text, chat) =>
      pieces(text).map(
        (piece) =>
          `${JSON.stringify({ model: chat.model, created_at: '2024-01-01T00:00:00Z', message: { role: 'assistant', content: piece }, done: false })}\n`,
      ),
    streamError: (_status, message) => `${JSON.stringify({ error: message })}\n`,
    malformedFrame: '{"model": "m", "message": {"content": "cut of\n',
    error: (res, status, message, headers) => sendJson(res, status, { error: message }, headers),
  },
  openai: {
    path: /^\/v1\/chat\/completions$/,
    streamed: (body) => body.stream === true,
    normalize: (body, headers) => ({
      model: body.model,
      messages: (body.messages ?? []).map((m: any) => ({
        role: m.role,
        content:
          typeof m.content === 'string' ? m.content : m.content == null ? '' : JSON.stringify(m.content),
        ...(m.tool_calls
          ? {
              toolCalls: m.tool_calls.map((c: any) => ({
                id: c.id,
                name: c.function?.name,
                arguments: parsedOrRaw(c.function?.arguments),
              })),
            }
          : {}),
        ...(m.role === 'tool' ? { toolCallId: m.tool_call_id } : {}),
      })),
      temperature: body.temperature,
      maxTokens: body.max_tokens,
      json: body.response_format?.type === 'json_object',
      tools: (body.tools ?? []).map((t: any) => ({
        name: t.function?.name,
        description: t.function?.description,
        inputSchema: t.function?.parameters,
      })),
      toolChoice: body.tool_choice,
      responseSchema:
        body.response_format?.type === 'json_schema' ? body.response_format.json_schema : undefined,
      stream: body.stream === true,
      authorization: headers.authorization,
    }),
    answer: (turn, chat) => ({
      id: 'chatcmpl-scripted',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: chat.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: turn.refusal !== undefined ? null : turn.calls.length && !turn.text ? null : turn.text,
            refusal: turn.refusal ?? null,
            ...(turn.calls.length
              ? {
                  tool_calls: turn.calls.map((c) => ({
                    id: c.id,
                    type: 'function',
                    function: { name: c.name, arguments: c.args },
                  })),
                }
              : {}),
          },
          logprobs: null,
          finish_reason: turn.calls.length ? 'tool_calls' : OPENAI_FINISH[turn.stop],
        },
      ],
      usage: {
        prompt_tokens: turn.inputTokens,
        completion_tokens: turn.outputTokens,
        total_tokens: turn.inputTokens + turn.outputTokens,
      },
    }),
    streamContentType: 'text/event-stream; charset=utf-8',
    frames: (turn, chat, body) => {
      // With `stream_options.include_usage`, every chunk has `usage: null` and one more chunk,
      // with no choices, carries the usage before `[DONE]`.
      const usageToo = body.stream_options?.include_usage === true;
      const chunk = (delta: unknown, finish: string | null = null) =>
        sse({
          ...chunkBase(chat),
          choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
          ...(usageToo ? { usage: null } : {}),
        });
      const out: Frame[] = [chunk({ role: 'assistant', content: '', refusal: null })];
      if (turn.refusal !== undefined) out.push(...pieces(turn.refusal).map((p) => chunk({ refusal: p })));
      else out.push(...pieces(turn.text).map((p) => chunk({ content: p })));
      turn.calls.forEach((call, index) => {
        out.push(
          chunk({
            tool_calls: [
              { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } },
            ],
          }),
        );
        for (const part of pieces(call.args, 7)) {
          out.push(chunk({ tool_calls: [{ index, function: { arguments: part } }] }));
        }
      });
      out.push(chunk({}, turn.calls.length ? 'tool_calls' : OPENAI_FINISH[turn.stop]));
      if (usageToo)
        out.push(
          sse({
            ...chunkBase(chat),
            choices: [],
            usage: {
              prompt_tokens: turn.inputTokens,
              completion_tokens: turn.outputTokens,
              total_tokens: turn.inputTokens + turn.outputTokens,
            },
          }),
        );
      out.push('data: [DONE]\n\n');
      return out;
    },
    partial: (text, chat) => [
      sse({
        ...chunkBase(chat),
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      }),
      ...pieces(text).map((p) =>
        sse({ ...chunkBase(chat), choices: [{ index: 0, delta: { content: p }, finish_reason: null }] }),
      ),
    ],
    streamError: (status, message) =>
      sse({
        error: {
          message,
          type: status === 429 ? 'requests' : status < 500 ? 'invalid_request_error' : 'server_error',
          param: null,
          code: status === 429 ? 'rate_limit_exceeded' : null,
        },
      }),
    malformedFrame: 'data: {"id": "chatcmpl-scripted", "choices": [{"delta": {"content": "cut of\n\n',
    error: (res, status, message, headers) =>
      sendJson(res, status, { error: { message, type: 'scripted', code: status } }, headers),
  },
  bedrock: {
    path: /^\/model\/([^/]+)\/(converse|converse-stream)$/,
    streamed: (_body, match) => match[2] === 'converse-stream',
    normalize: (body, headers, match) => {
      const system: Array<{ text: string }> = body.system ?? [];
      const text = (blocks: Array<{ text?: string }>) =>
        blocks.flatMap((b) => (b.text === undefined ? [] : [b.text])).join('\n');
      const messages: NormalizedMessage[] = system.length ? [{ role: 'system', content: text(system) }] : [];
      for (const m of body.messages ?? []) {
        const blocks: any[] = m.content ?? [];
        const uses = blocks.filter((b) => b.toolUse);
        if (m.role === 'assistant') {
          messages.push({
            role: 'assistant',
            content: text(blocks),
            ...(uses.length
              ? {
                  toolCalls: uses.map((b) => ({
                    id: b.toolUse.toolUseId,
                    name: b.toolUse.name,
                    arguments: b.toolUse.input,
                  })),
                }
              : {}),
          });
          continue;
        }
        for (const b of blocks.filter((b) => b.toolResult)) {
          messages.push({
            role: 'tool',
            toolCallId: b.toolResult.toolUseId,
            content: (b.toolResult.content ?? [])
              .map((c: any) => (c.text !== undefined ? c.text : JSON.stringify(c.json)))
              .join('\n'),
            isError: b.toolResult.status === 'error',
          });
        }
        if (blocks.some((b) => b.text !== undefined)) messages.push({ role: m.role, content: text(blocks) });
      }
      return {
        model: decodeURIComponent(match[1]!),
        messages,
        temperature: body.inferenceConfig?.temperature,
        maxTokens: body.inferenceConfig?.maxTokens,
        json: /JSON object/.test(text(system)),
        tools: (body.toolConfig?.tools ?? []).map((t: any) => ({
          name: t.toolSpec?.name,
          description: t.toolSpec?.description,
          inputSchema: t.toolSpec?.inputSchema?.json,
        })),
        toolChoice: body.toolConfig?.toolChoice,
        responseSchema: undefined,
        stream: match[2] === 'converse-stream',
        authorization: headers.authorization,
      };
    },
    answer: (turn) => {
      const raw = turn.calls.find((c) => c.raw);
      if (raw) {
        throw new UnsendableScript(
          `rawArguments cannot be sent in a non-streamed Converse answer: toolUse.input is a JSON document (call ${raw.name})`,
        );
      }
      const text = turn.refusal ?? turn.text;
      return {
        output: {
          message: {
            role: 'assistant',
            content: [
              ...(text ? [{ text }] : []),
              ...turn.calls.map((c) => ({
                toolUse: { toolUseId: c.id, name: c.name, input: JSON.parse(c.args) },
              })),
            ],
          },
        },
        stopReason: turn.calls.length ? 'tool_use' : BEDROCK_STOP[turn.stop],
        usage: {
          inputTokens: turn.inputTokens,
          outputTokens: turn.outputTokens,
          totalTokens: turn.inputTokens + turn.outputTokens,
        },
        metrics: { latencyMs: 1 },
      };
    },
    streamContentType: 'application/vnd.amazon.eventstream',
    frames: (turn) => {
      const out: Frame[] = [converseEvent('messageStart', { role: 'assistant' })];
      const text = turn.refusal ?? turn.text;
      let index = 0;
      if (text) {
        for (const piece of pieces(text)) {
          out.push(converseEvent('contentBlockDelta', { contentBlockIndex: index, delta: { text: piece } }));
        }
        out.push(converseEvent('contentBlockStop', { contentBlockIndex: index }));
        index++;
      }
      for (const call of turn.calls) {
        out.push(
          converseEvent('contentBlockStart', {
            contentBlockIndex: index,
            start: { toolUse: { toolUseId: call.id, name: call.name } },
          }),
        );
        for (const part of pieces(call.args, 7)) {
          out.push(
            converseEvent('contentBlockDelta', {
              contentBlockIndex: index,
              delta: { toolUse: { input: part } },
            }),
          );
        }
        out.push(converseEvent('contentBlockStop', { contentBlockIndex: index }));
        index++;
      }
      out.push(
        converseEvent('messageStop', {
          stopReason: turn.calls.length ? 'tool_use' : BEDROCK_STOP[turn.stop],
        }),
      );
      out.push(
        converseEvent('metadata', {
          usage: {
            inputTokens: turn.inputTokens,
            outputTokens: turn.outputTokens,
            totalTokens: turn.inputTokens + turn.outputTokens,
          },
          metrics: { latencyMs: 1 },
        }),
      );
      return out;
    },
    partial: (text) => [
      converseEvent('messageStart', { role: 'assistant' }),
      ...pieces(text).map((piece) =>
        converseEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: piece } }),
      ),
    ],
    streamError: (status, message) =>
      eventStreamMessage(
        {
          ':exception-type': BEDROCK_STREAM_EXCEPTIONS[status] ?? 'modelStreamErrorException',
          ':content-type': 'application/json',
          ':message-type': 'exception',
        },
        Buffer.from(JSON.stringify({ message }), 'utf8'),
      ),
    // A prelude whose checksum is wrong.
    malformedFrame: Buffer.from([
      0,
      0,
      0,
      32,
      0,
      0,
      0,
      0,
      1,
      2,
      3,
      4,
      ...Buffer.from('not an event-stream message'),
    ]),
    error: (res, status, message, headers) => {
      const type =
        BEDROCK_ERRORS[status] ?? (status >= 500 ? 'InternalServerException' : 'ValidationException');
      sendJson(
        res,
        status,
        { message },
        { 'x-amzn-errortype': `${type}:http://internal.amazon.com/`, ...headers },
      );
    },
  },
};

function sse(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

function chunkBase(chat: NormalizedChat) {
  return {
    id: 'chatcmpl-scripted',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: chat.model,
    system_fingerprint: 'fp_scripted',
  };
}

/** Ollama's last object of an answer: why it stopped, the counts and durations. */
function ollamaDone(turn: Turn, chat: NormalizedChat) {
  return {
    model: chat.model,
    created_at: '2024-01-01T00:00:00Z',
    message: { role: 'assistant', content: '' },
    done_reason: turn.stop === 'max_tokens' ? 'length' : 'stop',
    done: true,
    total_duration: 1_000_000,
    load_duration: 1_000,
    prompt_eval_count: turn.inputTokens,
    prompt_eval_duration: 100_000,
    eval_count: turn.outputTokens,
    eval_duration: 900_000,
  };
}

/** Ollama's message: text (a refusal is text), tool calls with object arguments and no ids. */
function ollamaMessage(turn: Turn): { role: 'assistant'; content: string; tool_calls?: unknown[] } {
  // Ollama's arguments are an object: when the model writes ones that do not parse, Ollama makes
  // no call of them and the model's words stay in the content.
  const raw = turn.calls.filter((c) => c.raw);
  const calls = turn.calls.filter((c) => !c.raw);
  const content = [turn.refusal ?? turn.text, ...raw.map((c) => c.args)].filter(Boolean).join('\n');
  return {
    role: 'assistant',
    content,
    ...(calls.length
      ? {
          tool_calls: calls.map((c, index) => ({
            function: { index, name: c.name, arguments: JSON.parse(c.args) },
          })),
        }
      : {}),
  };
}

function turnOf(
  reply: Extract<ScriptedReply, { kind: 'answer' | 'tool-calls' | 'refusal' }>,
  ids: () => string,
): Turn {
  const base = { inputTokens: reply.inputTokens ?? 11, outputTokens: reply.outputTokens ?? 7 };
  switch (reply.kind) {
    case 'answer':
      return { ...base, text: reply.text, calls: [], refusal: undefined, stop: reply.stop ?? 'end' };
    case 'refusal':
      return { ...base, text: '', calls: [], refusal: reply.text, stop: 'end' };
    case 'tool-calls':
      return {
        ...base,
        text: reply.text ?? '',
        refusal: undefined,
        stop: 'end',
        calls: reply.calls.map((c) => ({
          id: c.id ?? ids(),
          name: c.name,
          args: c.rawArguments ?? JSON.stringify(c.arguments ?? {}),
          raw: c.rawArguments !== undefined,
        })),
      };
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Writes frames each in two writes cut in the middle (inside a frame, even inside a character),
 * and lets the event loop turn once halfway through the stream, inside a frame, so the client
 * surely reads the answer in more than one piece. One turn only: a busy machine must not make a
 * streamed answer slower than a whole one.
 */
async function writeFrames(res: Reply, frames: Frame[]): Promise<void> {
  const pause = Math.floor(frames.length / 2);
  for (const [i, frame] of frames.entries()) {
    const bytes = Buffer.from(frame);
    const cut = Math.max(1, Math.floor(bytes.length / 2));
    res.write(bytes.subarray(0, cut));
    if (i === pause) await tick();
    res.write(bytes.subarray(cut));
  }
}

export async function startScriptedLlmServer(protocol: LlmProtocol): Promise<ScriptedLlmServer> {
  const spec = PROTOCOLS[protocol];
  const queue: ScriptedReply[] = [];
  const requests: RecordedRequest[] = [];
  let callCount = 0;
  const ids = () => {
    callCount++;
    return protocol === 'bedrock' ? `tooluse_scripted${callCount}` : `call_scripted${callCount}`;
  };
  const respond = async (
    res: Reply,
    reply: ScriptedReply,
    streamed: boolean,
    chat: NormalizedChat,
    body: any,
  ) => {
    switch (reply.kind) {
      case 'answer':
      case 'tool-calls':
      case 'refusal': {
        const turn = turnOf(reply, ids);
        if (!streamed) {
          sendJson(res, 200, spec.answer(turn, chat));
          return;
        }
        res.writeHead(200, { 'content-type': spec.streamContentType });
        await writeFrames(res, spec.frames(turn, chat, body));
        res.end();
        return;
      }
      case 'error':
        spec.error(
          res,
          reply.status,
          reply.message ?? `scripted ${reply.status}`,
          reply.retryAfter === undefined ? {} : { 'retry-after': reply.retryAfter },
        );
        return;
      case 'stream-error': {
        const message = reply.message ?? `scripted ${reply.status}`;
        if (!streamed) {
          spec.error(res, reply.status, message, {});
          return;
        }
        res.writeHead(200, { 'content-type': spec.streamContentType });
        await writeFrames(res, [
          ...spec.partial(reply.text ?? 'Partial', chat),
          spec.streamError(reply.status, message),
        ]);
        res.end();
        return;
      }
      case 'cut':
        if (!streamed) {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
          res.write(Buffer.from('{"message": {"content": "half'));
          await tick();
          res.abort();
          return;
        }
        res.writeHead(200, { 'content-type': spec.streamContentType });
        await writeFrames(res, spec.partial(reply.text ?? 'Partial', chat));
        res.abort();
        return;
      case 'stall':
        if (streamed) {
          res.writeHead(200, { 'content-type': spec.streamContentType });
          await writeFrames(res, spec.partial(reply.text ?? 'Partial', chat));
        }
        return; // the client's abort ends it, or close()
      case 'malformed':
        if (streamed) {
          res.writeHead(200, { 'content-type': spec.streamContentType });
          await writeFrames(res, [spec.malformedFrame]);
          res.end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"message": {"content": "cut of');
        return;
      case 'hang':
        return; // the client's abort ends it, or close()
    }
  };
  const handle = async (
    req: AsyncIterable<unknown> & { method?: string; url?: string; headers: IncomingHttpHeaders },
    raw: ServerResponse | Http2ServerResponse,
  ) => {
    const res: Reply = {
      writeHead: (status, headers) => raw.writeHead(status, headers),
      write: (chunk) => ('stream' in raw ? raw.write(chunk) : raw.write(chunk)),
      end: (body) => (body === undefined ? raw.end() : raw.end(body)),
      abort: () => {
        if ('stream' in raw) raw.stream.close(h2.NGHTTP2_INTERNAL_ERROR);
        else raw.socket?.destroy();
      },
    };
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? '/').split('?')[0]!;
    const match = path.match(spec.path);
    if (req.method !== 'POST' || !match) {
      spec.error(res, 404, `no route for ${req.method} ${path}`, {});
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    const chat = spec.normalize(body, req.headers, match);
    requests.push({ method: req.method, path, headers: req.headers, body, chat });
    const reply = queue.shift() ?? { kind: 'error', status: 500, message: 'no scripted reply left' };
    try {
      await respond(res, reply, spec.streamed(body, match), chat, body);
    } catch (error) {
      if (!(error instanceof UnsendableScript)) throw error;
      spec.error(res, 500, error.message, {});
    }
  };
  const sessions = new Set<Http2Session>();
  const server =
    protocol === 'bedrock'
      ? createH2cServer((req, res) => void handle(req, res)).on('session', (session) => {
          sessions.add(session);
          session.on('close', () => sessions.delete(session));
        })
      : createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    protocol,
    url: protocol === 'openai' ? `${origin}/v1` : origin,
    requests,
    script: (...replies) => {
      queue.push(...replies);
    },
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    async close() {
      if ('closeAllConnections' in server) server.closeAllConnections();
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
