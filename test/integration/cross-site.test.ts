/**
 * The local runtime refuses what a page on another site could send it: a state-changing request
 * with a foreign Origin (a form, a fetch) and any request whose Host is not a loopback name (DNS
 * rebinding). Clients without an Origin (curl, echoctl, MCP clients) and its own pages go through.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/** A raw HTTP request: fetch would not let a test set Host. */
function raw(url: string, method: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('cross-site requests to the local runtime', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ database: 'pglite' });
  });
  afterAll(async () => rt?.close());

  const post = (headers: Record<string, string>) =>
    raw(
      `${rt.apiUrl}/messages`,
      'POST',
      { 'content-type': 'text/plain', ...headers },
      JSON.stringify({ to: 'cto', subject: 'cross-site?', content: {} }),
    );
  const count = async () => (await rt.get('/messages?limit=1000')).body.messages.length;

  it('a POST from another site is refused and writes nothing', async () => {
    const before = await count();
    const refused = await post({ origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'Forbidden' });
    expect(refused.body.error.message).toMatch(
      /Origin https:\/\/evil\.example is not this runtime's own pages/,
    );
    expect(await count()).toBe(before);
  });

  it('a request for another host name (DNS rebinding) is refused, even a GET', async () => {
    const port = new URL(rt.apiUrl).port;
    const refused = await raw(`${rt.apiUrl}/messages`, 'GET', { host: `rebind.example:${port}` });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/Host rebind\.example:\d+ is not this loopback runtime/);
  });

  it('its own pages, and clients that send no Origin, go through', async () => {
    const own = new URL(rt.apiUrl).origin;
    expect((await post({ origin: own })).status).toBe(201);
    expect((await post({})).status).toBe(201);
    expect((await raw(`${rt.apiUrl}/health`, 'GET', { origin: 'https://evil.example' })).status).toBe(200);
  });
});
