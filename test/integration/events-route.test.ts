/**
 * `GET /events` on its own HTTP server, with the real adapters: PGlite for the record, the in-process
 * hub or a private Redis for the real-time channel. Heartbeats, live events of every family, the
 * subscription released when the client goes away, 503 while Redis is unreachable, and a stream that
 * ends (so the client resumes) when the database fails its replay.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSse } from '../../cli/sse.ts';
import { createInProcessHub } from '../../lambdas/adapters/realtime/in-process.realtime.ts';
import { createRedisSubscriber } from '../../lambdas/adapters/realtime/ioredis.realtime.ts';
import type { RealtimeSubscriber } from '../../lambdas/adapters/realtime/port.ts';
import { migrate } from '../../lambdas/adapters/sql/migrate.ts';
import { openSql } from '../../lambdas/adapters/sql/open.ts';
import type { SqlClient } from '../../lambdas/adapters/sql/port.ts';
import { createSqlStore } from '../../lambdas/adapters/sql/store.ts';
import type { Logger } from '../../lambdas/core/pipeline.ts';
import { createEventsRoute } from '../../lambdas/local/events-route.ts';
import { eventually } from '../support/eventually.ts';
import { freePort, kill, startRedis } from '../support/processes.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function serve(subscriber: RealtimeSubscriber, sql?: SqlClient) {
  const db = sql ?? (await openSql({ kind: 'pglite' }));
  if (!sql) {
    await migrate(db);
    cleanup.push(() => db.close());
  }
  const route = createEventsRoute({ store: createSqlStore(db), subscriber, logger: quiet, heartbeatMs: 20 });
  const server: Server = createServer((req, res) => {
    route(req, res, new URL(req.url ?? '/', 'http://localhost')).catch((error) => res.destroy(error));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
}

/** Reads a stream as raw text and as events, until closed. */
function read(url: string) {
  const controller = new AbortController();
  let raw = '';
  let ended = false;
  const events: { event: string; id: string | undefined; data: any }[] = [];
  const done = (async () => {
    const response = await fetch(url, { signal: controller.signal });
    const [forText, forEvents] = response.body!.tee();
    const decoder = new TextDecoder();
    await Promise.all([
      (async () => {
        for await (const chunk of forText) raw += decoder.decode(chunk, { stream: true });
      })(),
      (async () => {
        for await (const e of parseSse(forEvents, { lastEventId: undefined }))
          events.push({ event: e.event, id: e.hasId ? e.lastEventId : undefined, data: JSON.parse(e.data) });
      })(),
    ]);
    ended = true;
  })().catch(() => {});
  return {
    raw: () => raw,
    events,
    ended: () => ended,
    close: async () => {
      controller.abort();
      await done;
    },
  };
}

describe('GET /events', () => {
  it('sends a heartbeat comment, and live events of every family with ids on messages', async () => {
    const hub = createInProcessHub();
    const url = await serve(hub.subscriber);
    const stream = read(`${url}?channels=messages:all,decisions:*,workflow:*`);
    cleanup.push(stream.close);
    await eventually(() => stream.raw().includes(': heartbeat\n\n'), 5000, 'a heartbeat');
    expect(stream.raw()).toMatch(/^retry: 1000\n: subscribed to messages:all,decisions:\*,workflow:\*\n\n/);

    await hub.publisher.publish('decisions:created', { event: 'DecisionCreated', decisionId: 'd-1' });
    await hub.publisher.publish('workflow:started', { event: 'WorkflowStarted', workflowId: 'w-1' });
    await hub.publisher.publish('messages:all', { id: 'm-5', seq: 5, recipients: [] });
    await hub.publisher.publish('outbox:other', { ignored: true });
    await eventually(() => stream.events.length === 3, 5000, 'three events');
    expect(stream.events).toEqual([
      { event: 'decisions:created', id: undefined, data: { event: 'DecisionCreated', decisionId: 'd-1' } },
      { event: 'workflow:started', id: undefined, data: { event: 'WorkflowStarted', workflowId: 'w-1' } },
      { event: 'messages:all', id: '5', data: { id: 'm-5', seq: 5, recipients: [] } },
    ]);
  });

  it('releases the Redis subscription when the client goes away', async () => {
    const port = await freePort();
    const redis: ChildProcess = await startRedis(port);
    cleanup.push(() => kill(redis));
    const subscriber = createRedisSubscriber(`redis://127.0.0.1:${port}`);
    cleanup.push(() => subscriber.close());
    const admin = new Redis(port, '127.0.0.1');
    cleanup.push(() => admin.quit());
    const numpat = async () => Number(await admin.call('PUBSUB', 'NUMPAT'));
    const url = await serve(subscriber);

    const stream = read(`${url}?channels=decisions:*`);
    await eventually(() => stream.raw().includes('subscribed'), 5000, 'the stream');
    expect(await numpat()).toBe(1);
    await stream.close();
    await eventually(async () => (await numpat()) === 0, 5000, 'PUNSUBSCRIBE after the client left');
  });

  it('answers 503 with what to do while Redis is unreachable', async () => {
    const subscriber = createRedisSubscriber(`redis://127.0.0.1:${await freePort()}`, {
      timeoutMs: 200,
      log: () => {},
    });
    cleanup.push(() => subscriber.close());
    const res = await fetch(await serve(subscriber));
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error).toMatchObject({
      code: 'RealtimeUnavailable',
      hint: expect.stringContaining('retry'),
    });
  });

  it('ends the stream when the database fails the replay, so the client resumes later', async () => {
    const sql = await openSql({ kind: 'pglite' });
    await migrate(sql);
    const url = await serve(createInProcessHub().subscriber, sql);
    await sql.close();
    const stream = read(`${url}?after=0`);
    cleanup.push(stream.close);
    await eventually(() => stream.ended(), 5000, 'the stream to end');
    expect(stream.events).toEqual([]);
  });
});
