/**
 * Scripted model servers on loopback that speak the providers' real HTTP protocols, so the real
 * adapter code runs: Ollama (`POST /api/chat`), OpenAI Chat Completions (`POST /v1/chat/completions`)
 * and Bedrock Converse (`POST /model/{modelId}/converse`, awsRestJson1 errors, over HTTP/2 cleartext
 * because the SDK's bedrock-runtime client talks HTTP/2 by default). Each answers from a
 * queue of scripted replies (an empty queue answers 500, so a missing script is loud) and records
 * every request, raw and normalized, so tests assert on what the client sent.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createH2cServer, type Http2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';

export type LlmProtocol = 'ollama' | 'openai' | 'bedrock';

export type ScriptedReply =
  | { kind: 'answer'; text: string; inputTokens?: number; outputTokens?: number }
  /** An error status; for Bedrock with the matching exception type (429 ThrottlingException, ...). */
  | { kind: 'error'; status: number; message?: string; retryAfter?: string }
  /** No answer until the client gives up (or the server closes). */
  | { kind: 'hang' }
  /** 200 with a body that is not JSON. */
  | { kind: 'malformed' };

/** What the client asked for, whatever the protocol. */
export interface NormalizedChat {
  model: string;
  messages: Array<{ role: string; content: string }>;
  temperature: number | undefined;
  maxTokens: number | undefined;
  json: boolean;
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
  429: 'ThrottlingException',
  500: 'InternalServerException',
  503: 'ServiceUnavailableException',
};

/** What the handler needs of a response, HTTP/1.1 or HTTP/2 compatibility API alike. */
interface Reply {
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body: string): unknown;
}

interface Protocol {
  path: RegExp;
  normalize(body: any, headers: IncomingHttpHeaders, match: RegExpMatchArray): NormalizedChat;
  answer(reply: { text: string; inputTokens: number; outputTokens: number }, chat: NormalizedChat): unknown;
  error(res: Reply, status: number, message: string, headers: Record<string, string>): void;
}

function sendJson(res: Reply, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const PROTOCOLS: Record<LlmProtocol, Protocol> = {
  ollama: {
    path: /^\/api\/chat$/,
    normalize: (body, headers) => ({
      model: body.model,
      messages: body.messages,
      temperature: body.options?.temperature,
      maxTokens: body.options?.num_predict,
      json: body.format === 'json',
      authorization: headers.authorization,
    }),
    answer: (r, chat) => ({
      model: chat.model,
      created_at: '2024-01-01T00:00:00Z',
      message: { role: 'assistant', content: r.text },
      done: true,
      done_reason: 'stop',
      prompt_eval_count: r.inputTokens,
      eval_count: r.outputTokens,
    }),
    error: (res, status, message, headers) => sendJson(res, status, { error: message }, headers),
  },
  openai: {
    path: /^\/v1\/chat\/completions$/,
    normalize: (body, headers) => ({
      model: body.model,
      messages: body.messages,
      temperature: body.temperature,
      maxTokens: body.max_tokens,
      json: body.response_format?.type === 'json_object',
      authorization: headers.authorization,
    }),
    answer: (r, chat) => ({
      id: 'chatcmpl-scripted',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: chat.model,
      choices: [{ index: 0, message: { role: 'assistant', content: r.text }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: r.inputTokens,
        completion_tokens: r.outputTokens,
        total_tokens: r.inputTokens + r.outputTokens,
      },
    }),
    error: (res, status, message, headers) =>
      sendJson(res, status, { error: { message, type: 'scripted', code: status } }, headers),
  },
  bedrock: {
    path: /^\/model\/([^/]+)\/converse$/,
    normalize: (body, headers, match) => {
      const system: Array<{ text: string }> = body.system ?? [];
      const text = (blocks: Array<{ text: string }>) => blocks.map((b) => b.text).join('\n');
      return {
        model: decodeURIComponent(match[1]!),
        messages: [
          ...(system.length ? [{ role: 'system', content: text(system) }] : []),
          ...body.messages.map((m: any) => ({ role: m.role, content: text(m.content) })),
        ],
        temperature: body.inferenceConfig?.temperature,
        maxTokens: body.inferenceConfig?.maxTokens,
        json: /JSON object/.test(text(system)),
        authorization: headers.authorization,
      };
    },
    answer: (r) => ({
      output: { message: { role: 'assistant', content: [{ text: r.text }] } },
      stopReason: 'end_turn',
      usage: {
        inputTokens: r.inputTokens,
        outputTokens: r.outputTokens,
        totalTokens: r.inputTokens + r.outputTokens,
      },
      metrics: { latencyMs: 1 },
    }),
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

export async function startScriptedLlmServer(protocol: LlmProtocol): Promise<ScriptedLlmServer> {
  const spec = PROTOCOLS[protocol];
  const queue: ScriptedReply[] = [];
  const requests: RecordedRequest[] = [];
  const handle = async (
    req: AsyncIterable<unknown> & { method?: string; url?: string; headers: IncomingHttpHeaders },
    res: Reply,
  ) => {
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
    switch (reply.kind) {
      case 'answer':
        sendJson(
          res,
          200,
          spec.answer(
            { text: reply.text, inputTokens: reply.inputTokens ?? 11, outputTokens: reply.outputTokens ?? 7 },
            chat,
          ),
        );
        return;
      case 'error':
        spec.error(
          res,
          reply.status,
          reply.message ?? `scripted ${reply.status}`,
          reply.retryAfter === undefined ? {} : { 'retry-after': reply.retryAfter },
        );
        return;
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"message": {"content": "cut of');
        return;
      case 'hang':
        return; // the client's abort ends it, or close()
    }
  };
  const sessions = new Set<Http2Session>();
  const server =
    protocol === 'bedrock'
      ? createH2cServer(handle).on('session', (session) => {
          sessions.add(session);
          session.on('close', () => sessions.delete(session));
        })
      : createServer(handle);
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
