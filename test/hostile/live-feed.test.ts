/**
 * The live feed (`GET /events`) as a hostile caller meets it, on `npm start` in its own process (so
 * that a frozen runtime fails the test instead of freezing it): a channel glob built to make a
 * backtracking regex take exponential time, too many channels, too long a pattern (issue 12, item 8).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globMatcher } from '../../lambdas/adapters/realtime/shared.ts';
import { npmStart } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { freePort } from '../support/processes.ts';

/** The glob of issue 12: `messages:` then 80 `*` and an `x`. */
const EVIL = `messages:${'*'.repeat(80)}x`;

/** An SSE stream read raw over a socket of our own, until `close()`. */
function openStream(base: string, channels: string) {
  let raw = '';
  let status = 0;
  const req = request(`${base}/events?channels=${encodeURIComponent(channels)}`);
  const opened = new Promise<void>((resolve, reject) => {
    req.once('response', (res) => {
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
      });
      res.on('error', () => {});
      resolve();
    });
    req.once('error', reject);
  });
  req.end();
  return {
    opened,
    status: () => status,
    raw: () => raw,
    close: () => req.destroy(),
  };
}

/** Redis's `stringmatchlen`, written as the specification: exponential, for small inputs only. */
function reference(pattern: string, text: string): boolean {
  if (pattern === '') return text === '';
  const c = pattern[0]!;
  if (c === '*') {
    for (let i = 0; i <= text.length; i++) if (reference(pattern.slice(1), text.slice(i))) return true;
    return false;
  }
  if (text === '') return false;
  if (c === '?') return reference(pattern.slice(1), text.slice(1));
  return c === text[0] && reference(pattern.slice(1), text.slice(1));
}

describe('channel globs are matched in linear time', () => {
  it('the glob of the issue answers at once, and matches what Redis would', () => {
    const match = globMatcher(EVIL);
    expect(match('messages:all')).toBe(false);
    expect(match('messages:senior_developer')).toBe(false);
    expect(match(`messages:${'a'.repeat(5000)}`)).toBe(false);
    expect(match('messages:x')).toBe(true);
    expect(globMatcher(`messages:${'*a'.repeat(40)}b`)(`messages:${'a'.repeat(5000)}`)).toBe(false);
  });

  it('agrees with the specification on generated patterns of *, ? and letters', () => {
    const alphabet = fc.constantFrom('a', 'b', '*', '?');
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 8 }).map((a) => a.join('')),
        fc.array(fc.constantFrom('a', 'b'), { maxLength: 8 }).map((a) => a.join('')),
        (pattern, text) => {
          const glob = pattern.includes('*') || pattern.includes('?') ? pattern : `${pattern}*`;
          expect(globMatcher(glob)(text)).toBe(reference(glob, text));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('GET /events with hostile channels, on npm start', () => {
  let app: Awaited<ReturnType<typeof npmStart>>;
  let base: string;
  let dataDir: string;

  beforeAll(async () => {
    const [port, awsPort] = [await freePort(), await freePort()];
    dataDir = mkdtempSync(join(tmpdir(), 'echo-hostile-feed-'));
    app = await npmStart(
      {
        ECHO_PORT: String(port),
        ECHO_AWS_PORT: String(awsPort),
        ECHO_DATA_DIR: dataDir,
        DATABASE_URL: '',
        REDIS_URL: '',
        ECHO_LOG_LEVEL: 'warn',
      },
      port,
    );
    base = `http://127.0.0.1:${port}`;
  }, 90_000);

  afterAll(async () => {
    await app?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a backtracking glob does not freeze the runtime: /health and posting still answer', async () => {
    const evil = openStream(base, `${EVIL},messages:${'*c'.repeat(30)}*x`);
    const plain = openStream(base, 'messages:*');
    await Promise.all([evil.opened, plain.opened]);
    expect(evil.status()).toBe(200);

    const posted = await fetch(`${base}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'senior_developer', subject: 'glob probe', content: {} }),
      signal: AbortSignal.timeout(30_000),
    });
    expect(posted.status).toBe(201);
    const { message } = (await posted.json()) as { message: { id: string } };
    // A frozen runtime answers nothing: the bound is generous, the test fails rather than hangs.
    await eventually(() => plain.raw().includes(message.id), 30_000, 'the message on messages:*');
    const health = await fetch(`${base}/health`, { signal: AbortSignal.timeout(30_000) });
    expect(health.status).toBe(200);
    expect(evil.raw()).not.toContain(message.id);
    evil.close();
    plain.close();
  }, 90_000);

  it('refuses more than 32 channels, and a pattern longer than 100 characters, naming channels and the limit', async () => {
    const many = Array.from({ length: 33 }, (_, i) => `messages:r${i}`).join(',');
    const tooMany = await fetch(`${base}/events?channels=${encodeURIComponent(many)}`);
    expect(tooMany.status).toBe(400);
    const body = (await tooMany.json()) as { error: { field: string; message: string } };
    expect(body.error.field).toBe('channels');
    expect(body.error.message).toContain('at most 32');

    const long = `messages:${'*'.repeat(92)}`;
    const tooLong = await fetch(`${base}/events?channels=${encodeURIComponent(long)}`);
    expect(tooLong.status).toBe(400);
    const longBody = (await tooLong.json()) as { error: { field: string; message: string } };
    expect(longBody.error.field).toBe('channels');
    expect(longBody.error.message).toContain('at most 100 characters');

    const exactly = Array.from({ length: 32 }, (_, i) => `messages:r${i}`).join(',');
    const ok = openStream(base, exactly);
    await ok.opened;
    expect(ok.status()).toBe(200);
    ok.close();
  });
});
