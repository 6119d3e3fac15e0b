/**
 * The bench's model: an OpenAI-compatible Chat Completions server on loopback
 * (`POST /v1/chat/completions`, Server-Sent Events ending in `data: [DONE]` when the client streams,
 * one JSON body otherwise) that answers every call after a fixed latency, so what the agents cost
 * besides the model can be told apart from the model's own time.
 *
 * Unlike the tests' scripted servers (a queue of replies per test), it answers by what it is asked,
 * as a cooperative model would, so nine agents can call it at once in any order:
 * - a response schema (`response_format.json_schema`): a valid object for the schemas the agents
 *   ask for (relevance, position, vote, judgement, synthesis, lead);
 * - tools offered and no tool result yet in the conversation: one call of the first tool that needs
 *   only a `title` (with `budget_usd` 120,000 where it takes one), else `recall`;
 * - otherwise a short answer.
 * Usage is reported as a tokenizer would roughly count it: a token per 4 characters of the request's
 * messages (and tools) and of the answer. Every call is counted, with the time it was received.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedModel {
  /** The adapter's base URL (`.../v1`). */
  url: string;
  /** Calls answered so far. */
  calls(): number;
  close(): Promise<void>;
}

// biome-ignore lint/suspicious/noExplicitAny: request bodies from the wire, read field by field as a server would
type Json = Record<string, any>;

interface Answer {
  text: string;
  toolCalls: { id: string; name: string; arguments: string }[];
}

const tokens = (chars: number) => Math.max(1, Math.ceil(chars / 4));

/** A distinct word per request (purposes are keyed by their words: numbers would be dropped). */
function benchWord(messages: Json[]): string {
  const all = messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n');
  return /\bbench ([a-z]+)\b/i.exec(all)?.[1] ?? 'bench';
}

function structured(name: string, schema: Json, messages: Json[]): Json {
  switch (name) {
    case 'relevance': {
      const system = String(messages[0]?.content ?? '');
      const lead = /\((cto)\)/.test(system);
      return { join: true, as: lead ? 'lead' : 'assist', reason: 'It touches my domains.' };
    }
    case 'position':
      return { stance: 'support', position: 'It fits our platform; the on-call cost is the risk to watch.' };
    case 'vote':
      return {
        vote: 'approve',
        confidence: 0.8,
        rationale: 'Having read the discussion, the risk is covered by the runbooks.',
      };
    case 'judgement':
      return { verdict: 'approve', rationale: 'Worth it on the merits: it unblocks the platform work.' };
    case 'synthesis':
      return {
        summary: 'Adopted: the participants support it; watch the on-call load.',
        nextSteps: ['plan it'],
      };
    case 'lead': {
      const candidates: string[] = schema?.properties?.lead?.enum ?? ['ceo'];
      return { lead: candidates[0], reason: 'Closest to the subject.' };
    }
    default:
      return {};
  }
}

function answer(body: Json, callNo: number): Answer {
  const messages: Json[] = Array.isArray(body.messages) ? body.messages : [];
  const format = body.response_format;
  if (format?.type === 'json_schema') {
    const js = format.json_schema ?? {};
    return { text: JSON.stringify(structured(String(js.name), js.schema, messages)), toolCalls: [] };
  }
  const tools: Json[] = Array.isArray(body.tools) ? body.tools : [];
  const toolDone = messages.some((m) => m.role === 'tool');
  if (tools.length > 0 && !toolDone) {
    const fns = tools.map((t) => t.function ?? {});
    const titled = fns.find((f) => {
      const required: string[] = f.parameters?.required ?? [];
      return required.length === 1 && required[0] === 'title';
    });
    const chosen = titled ?? fns.find((f) => f.name === 'recall') ?? fns[0]!;
    const args: Json = {};
    if (chosen === titled) {
      args.title = `Adopt Kafka for the ${benchWord(messages)} event store`;
      if (chosen.parameters?.properties?.budget_usd) args.budget_usd = 120_000;
    }
    return {
      text: '',
      toolCalls: [{ id: `call_bench${callNo}`, name: String(chosen.name), arguments: JSON.stringify(args) }],
    };
  }
  return { text: 'Done: the proposal is decided as the tool said, within my authority.', toolCalls: [] };
}

function sse(res: ServerResponse, model: string, a: Answer, usage: Json): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (delta: Json, finish: string | null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  let out = chunk({ role: 'assistant', content: '' }, null);
  for (let i = 0; i < a.text.length; i += 24) out += chunk({ content: a.text.slice(i, i + 24) }, null);
  a.toolCalls.forEach((c, index) => {
    out += chunk(
      { tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] },
      null,
    );
    out += chunk({ tool_calls: [{ index, function: { arguments: c.arguments } }] }, null);
  });
  out += chunk({}, a.toolCalls.length ? 'tool_calls' : 'stop');
  out += `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', model, choices: [], usage })}\n\n`;
  out += 'data: [DONE]\n\n';
  res.end(out);
}

/** Starts the model on an ephemeral loopback port; every answer waits `latencyMs` first. */
export async function startScriptedModel(latencyMs: number): Promise<ScriptedModel> {
  let count = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route for ${req.method} ${req.url}` } }));
      return;
    }
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = JSON.parse(raw || '{}') as Json;
    const callNo = ++count;
    const a = answer(body, callNo);
    const promptChars = JSON.stringify(body.messages ?? []).length + JSON.stringify(body.tools ?? []).length;
    const usage = {
      prompt_tokens: tokens(promptChars),
      completion_tokens: tokens(a.text.length + a.toolCalls.reduce((s, c) => s + c.arguments.length, 0)),
    };
    await new Promise((r) => setTimeout(r, latencyMs));
    const model = String(body.model ?? 'bench-model');
    if (body.stream) {
      sse(res, model, a, usage);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'chatcmpl-bench',
        object: 'chat.completion',
        model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: a.text || null,
              ...(a.toolCalls.length
                ? {
                    tool_calls: a.toolCalls.map((c) => ({
                      id: c.id,
                      type: 'function',
                      function: { name: c.name, arguments: c.arguments },
                    })),
                  }
                : {}),
            },
            finish_reason: a.toolCalls.length ? 'tool_calls' : 'stop',
          },
        ],
        usage,
      }),
    );
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(error) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    calls: () => count,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
