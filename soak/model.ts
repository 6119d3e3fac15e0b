/**
 * The soak's model: an OpenAI-compatible Chat Completions endpoint on loopback (the real client code
 * runs against it) that answers at once, or, while a fault is on, answers 429 with Retry-After or
 * does not answer at all (the client's timeout ends the call).
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ModelMode = 'ok' | 'rate-limited' | 'hang';

export interface SoakModel {
  /** The base URL for ECHO_LLM_BASE_URL (`.../v1`). */
  url: string;
  mode: ModelMode;
  calls: Record<ModelMode, number>;
  close(): Promise<void>;
}

/** One JSON object that satisfies both JSON questions the agents ask (self-selection and votes). */
const JSON_ANSWER = JSON.stringify({
  join: false,
  as: null,
  reason: 'the soak model leaves it to the keywords',
  vote: 'abstain',
  confidence: 0.5,
  rationale: 'the soak model has no opinion',
});

export async function startSoakModel(): Promise<SoakModel> {
  const hanging = new Set<ServerResponse>();
  const model: SoakModel = {
    url: '',
    mode: 'ok',
    calls: { ok: 0, 'rate-limited': 0, hang: 0 },
    close: async () => undefined,
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const mode = model.mode;
    model.calls[mode]++;
    if (mode === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (mode === 'rate-limited') {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' });
      res.end(JSON.stringify({ error: { message: 'Rate limit reached (soak)', type: 'requests' } }));
      return;
    }
    let json = false;
    try {
      json = JSON.parse(Buffer.concat(chunks).toString('utf8')).response_format?.type === 'json_object';
    } catch {
      // answered as text
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'chatcmpl-soak',
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: 'soak',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: json ? JSON_ANSWER : 'Noted; the soak model answers.' },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28 },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  model.url = `http://127.0.0.1:${port}/v1`;
  model.close = async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return model;
}
