/**
 * Slow readers of `GET /events` (issue 12, item 9): five clients that never read, and large messages.
 * Before, the runtime buffered everything for them (156 MB to 401 MB for 200 messages of 200 KB);
 * now each stream holds at most ECHO_SSE_MAX_BUFFER_BYTES, a client past it is disconnected and
 * counted (SseSlowClientDisconnects in /health), a client that reads is untouched, and a cut-off
 * client resumes with its Last-Event-ID without missing a message. Real sockets, real PostgreSQL and
 * Redis; the assertions are the disconnects and the counter, never memory or timings.
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { redisUrl, requireService } from '../support/services.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');
const MAX_BUFFER = 256 * 1024;
const SLOW_CLIENTS = 5;
const MESSAGES = 60;
const BLOB = 'x'.repeat(200_000);

/** The ids of the complete events in an SSE text (an event ends with a blank line). */
function completeIds(text: string): number[] {
  const complete = text.slice(0, text.lastIndexOf('\n\n') + 2);
  return [...complete.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
}

/** A client that sends its GET and, once the stream has begun, never reads again. */
async function slowClient(
  api: URL,
): Promise<{ socket: Socket; received: () => string; ended: Promise<void>; readRest: () => void }> {
  const socket = connect(Number(api.port), api.hostname);
  let received = '';
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  await new Promise<void>((resolve) => {
    socket.setEncoding('utf8');
    const onData = (chunk: string) => {
      received += chunk;
      if (!received.includes(': subscribed')) return;
      socket.off('data', onData);
      socket.pause(); // from here on, nothing is read: the kernel's buffers fill, then the server's
      resolve();
    };
    socket.on('data', onData);
    socket.write(`GET /events?channels=messages:all HTTP/1.1\r\nHost: ${api.host}\r\n\r\n`);
  });
  return {
    socket,
    ended,
    received: () => received,
    /** Reads again: what the kernel held for it, to the end of the stream. */
    readRest: () => {
      socket.on('data', (chunk: string) => {
        received += chunk;
      });
      socket.resume();
    },
  };
}

/** A client that reads everything, as EventSource would; optionally resuming after an id. */
function reader(api: string, lastEventId?: number) {
  let text = '';
  let status = 0;
  let closed = false;
  const req = request(`${api}/events?channels=messages:all`, {
    headers: lastEventId === undefined ? {} : { 'last-event-id': String(lastEventId) },
  });
  const opened = new Promise<void>((resolve, reject) => {
    req.once('response', (res) => {
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.once('close', () => {
        closed = true;
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
    ids: () => completeIds(text),
    closed: () => closed,
    close: () => req.destroy(),
  };
}

describe.runIf(hasServices)('GET /events: a slow client has a bounded buffer', () => {
  let rt: TestRuntime;

  beforeAll(async () => {
    rt = await startTestRuntime({
      database: 'postgres',
      redisUrl,
      env: { ECHO_SSE_MAX_BUFFER_BYTES: String(MAX_BUFFER) },
    });
  }, 60_000);
  afterAll(async () => rt?.close());

  it('clients that never read are disconnected and counted; a reader is not; a cut-off client resumes', async () => {
    const api = new URL(rt.apiUrl);
    const slow = await Promise.all(Array.from({ length: SLOW_CLIENTS }, () => slowClient(api)));
    const fast = reader(rt.apiUrl);
    await fast.opened;
    expect(fast.status()).toBe(200);

    const seqs: number[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const { status, body } = await rt.post({
        to: 'cto',
        type: 'notification',
        subject: `large ${i}`,
        content: { blob: BLOB },
      });
      expect(status).toBe(201);
      seqs.push(body.message.seq);
    }

    // Every slow client is cut off, and each cut is counted where the other counters are.
    const metrics = await eventually(
      async () => {
        const { body } = await rt.get('/health');
        const m = body.detail.metrics as Record<string, number>;
        return (m.SseSlowClientDisconnects ?? 0) >= SLOW_CLIENTS ? m : undefined;
      },
      120_000,
      'five slow clients to be disconnected',
    );
    expect(metrics.SseSlowClientDisconnects).toBe(SLOW_CLIENTS);

    // The reader got every message and is still connected.
    await eventually(
      () => seqs.every((s) => fast.ids().includes(s)),
      120_000,
      'the reader to get every message',
    );
    expect(fast.closed()).toBe(false);

    // A cut-off client reads what reached it, sees the end of the stream, and resumes from its last id.
    const [first] = slow;
    first!.readRest();
    await first!.ended;
    const got = completeIds(first!.received());
    const last = got.at(-1) ?? -1;
    expect(seqs.filter((s) => s > last).length).toBeGreaterThan(0); // it was cut before the end
    const resumed = reader(rt.apiUrl, last);
    await resumed.opened;
    expect(resumed.status()).toBe(200);
    await eventually(
      () => seqs.filter((s) => s > last).every((s) => resumed.ids().includes(s)),
      120_000,
      'the resumed client to get the rest',
    );
    resumed.close();
    fast.close();
    for (const c of slow) c.socket.destroy();
  }, 300_000);
});
