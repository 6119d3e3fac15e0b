/**
 * PostgreSQL stopped and restarted mid-run: a private server (test/support/postgres-server.ts) on its
 * own port, never the shared one. Producers keep posting through the HTTP API during the outage and
 * get a clear 503 (DatabaseUnavailable: nothing written, nothing fanned out); after the restart
 * everything acknowledged is committed once and delivered exactly once, the outbox drains, and the
 * runtime recovers with no restart of its own. Also the narrowest window: the database lost right
 * after a commit, before the relay could clear the outbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../lambdas/core/messages.ts';
import { checkReliability } from '../../soak/check.ts';
import { newProducerLog, runProducers } from '../../soak/producers.ts';
import { eventually } from '../support/eventually.ts';
import { mixedMessage, quiet } from '../support/faults.ts';
import {
  type PostgresServer,
  requirePostgresServer,
  startPostgresServer,
} from '../support/postgres-server.ts';
import { adjustableClock, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

describe.runIf(requirePostgresServer())('PostgreSQL stopped and restarted mid-run', () => {
  let server: PostgresServer;
  let rt: TestRuntime;
  const clock = adjustableClock();
  const busEvents: string[] = [];
  const realtime: string[] = [];

  beforeAll(async () => {
    server = await startPostgresServer();
    rt = await startTestRuntime({
      database: 'postgres',
      databaseUrl: server.url,
      clock,
      env: { ECHO_SWEEP_INTERVAL_MS: '100', ECHO_CATCHUP_INTERVAL_MS: '200' },
    });
    rt.bus.addRule({
      name: 'spy-message-posted',
      pattern: { source: ['echo'], 'detail-type': ['MessagePosted'] },
      target: async (e) => void busEvents.push((e.detail as { messageId: string }).messageId),
    });
    await rt.subscriber.subscribe(['messages:all'], (_c, p) => void realtime.push((p as Message).id));
  });
  afterAll(async () => {
    await rt?.close();
    await server?.remove();
  });

  it('503 during the outage with nothing written or fanned out; afterwards every acknowledged post delivered exactly once', async () => {
    const log = newProducerLog();
    let acknowledged = 0;
    const producing = runProducers({
      apiUrl: () => rt.apiUrl,
      count: 60,
      producers: 4,
      keyOf: (i) => `pg-outage-${i}`,
      make: mixedMessage,
      log,
      onAcknowledged: () => acknowledged++,
    });
    await eventually(() => acknowledged >= 10 || undefined, 20_000, 'ten posts before the outage');

    await server.stop('fast');
    const probe = await rt.post({
      to: 'cto',
      subject: 'posted while the database is down',
      idempotencyKey: 'pg-probe',
    });
    expect(probe.status).toBe(503);
    expect(probe.body.error).toMatchObject({ code: 'DatabaseUnavailable' });
    expect(probe.body.error.hint).toMatch(/nothing was written/);
    await eventually(
      () => ((log.statuses['503'] ?? 0) >= 4 ? true : undefined),
      20_000,
      'producers to meet the outage',
    );
    const fannedOutBeforeRestart = new Set([...busEvents, ...realtime]);

    await server.start();
    await producing;
    expect(acknowledged).toBe(60);
    await eventually(() => quiet(rt, clock), 60_000, 'the outbox and every delivery to settle');

    const report = await checkReliability({ sql: rt.sql, posts: log.posts });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({
      posted: 60,
      acknowledged: 60,
      committed: 60,
      lost: 0,
      duplicated: 0,
      stuck: 0,
    });
    // the refused post wrote nothing, and nothing was fanned out that is not committed
    expect((await rt.sql.query(`SELECT 1 FROM messages WHERE idempotency_key = 'pg-probe'`)).rowCount).toBe(
      0,
    );
    const committed = new Set(
      (await rt.sql.query<{ id: string }>('SELECT id FROM messages')).rows.map((r) => r.id),
    );
    expect([...fannedOutBeforeRestart].filter((id) => !committed.has(id))).toEqual([]);
    expect((await rt.get('/health')).status).toBe(200);
  }, 180_000);

  it('the database lost right after a commit: the producer is told 201, and the message is delivered exactly once after the restart', async () => {
    let armed = true;
    // PutEvents runs right after the commit: take the database away at that point, synchronously.
    rt.bus.setFaults({
      failEntry: (entry) => {
        if (armed && entry.Detail?.includes('lost after commit')) {
          armed = false;
          server.crashNow();
        }
        return undefined;
      },
    });
    const res = await rt.post({
      to: 'senior_developer',
      subject: 'lost after commit',
      idempotencyKey: 'pg-after-commit',
    });
    rt.bus.setFaults({});
    expect(armed).toBe(false);
    expect(res.status, JSON.stringify(res.body)).toBe(201);

    await server.start();
    await eventually(() => quiet(rt, clock), 60_000, 'the outbox and the delivery to settle');
    const report = await checkReliability({
      sql: rt.sql,
      posts: new Map([['pg-after-commit', res.body.message.id as string]]),
    });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ acknowledged: 1, committed: 1, lost: 0, duplicated: 0, stuck: 0 });
  }, 180_000);
});
