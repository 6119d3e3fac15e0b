/**
 * Redis killed and restarted mid-run (a private redis-server on its own port, never the shared one):
 * posts keep being committed and delivered through EventBridge; their real-time fan-out waits in
 * the outbox and is published by the sweeper once Redis is back; a watcher on the live feed (the
 * one behind GET /events) misses nothing committed and sees each message once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../lambdas/core/messages.ts';
import { type Feed, openFeed } from '../../lambdas/local/live-feed.ts';
import { checkReliability } from '../../soak/check.ts';
import { newProducerLog, runProducers } from '../../soak/producers.ts';
import { eventually } from '../support/eventually.ts';
import { mixedMessage, quiet } from '../support/faults.ts';
import { freePort, kill, startRedis } from '../support/processes.ts';
import { adjustableClock, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { requireService } from '../support/services.ts';

const hasPostgres = requireService('DATABASE_URL');

describe.runIf(hasPostgres)('Redis killed and restarted mid-run', () => {
  let port: number;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let rt: TestRuntime;
  let feed: Feed;
  const clock = adjustableClock();
  const seen: { id: string; seq: number }[] = [];

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    rt = await startTestRuntime({
      database: 'postgres',
      redisUrl: `redis://127.0.0.1:${port}`,
      clock,
      env: { ECHO_SWEEP_INTERVAL_MS: '100', ECHO_CATCHUP_INTERVAL_MS: '250' },
    });
    feed = await openFeed(
      { store: rt.deps.store, subscriber: rt.subscriber, logger: rt.logger },
      {
        channels: ['messages:all'],
        send: (e) => {
          const m = e.data as Message;
          seen.push({ id: m.id, seq: m.seq });
        },
      },
    );
    await feed.start();
  });
  afterAll(async () => {
    await feed?.close();
    await rt?.close();
    if (redis) await kill(redis);
  });

  it('committed during the outage: delivered to agents at once, published to Redis after, seen once by the watcher', async () => {
    const log = newProducerLog();
    let acknowledged = 0;
    const producing = runProducers({
      apiUrl: () => rt.apiUrl,
      count: 50,
      producers: 4,
      keyOf: (i) => `redis-outage-${i}`,
      make: mixedMessage,
      log,
      onAcknowledged: () => acknowledged++,
    });
    await eventually(() => acknowledged >= 10 || undefined, 20_000, 'ten posts before the outage');
    await kill(redis);
    const atKill = acknowledged;
    // posts go on: committed (201), and their real-time rows wait in the outbox with the error
    await eventually(() => acknowledged >= atKill + 15 || undefined, 20_000, 'posts during the outage');
    const waiting = await eventually(async () => {
      const { rows } = await rt.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM outbox WHERE target = 'realtime' AND last_error LIKE '%RealtimeUnavailable%'`,
      );
      return rows[0]!.n > 0 ? rows[0]!.n : undefined;
    });
    expect(waiting).toBeGreaterThan(0);

    redis = await startRedis(port);
    await producing;
    await eventually(() => quiet(rt, clock), 60_000, 'the outbox to drain once Redis is back');

    const report = await checkReliability({ sql: rt.sql, posts: log.posts });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ posted: 50, acknowledged: 50, lost: 0, duplicated: 0, stuck: 0 });
    // the watcher: every committed message (posts and the agents' answers), each once
    const committed = (await rt.sql.query<{ id: string }>('SELECT id FROM messages')).rows.map((r) => r.id);
    await eventually(
      () => (committed.every((id) => seen.some((s) => s.id === id)) ? true : undefined),
      20_000,
      'the watcher to have seen every committed message',
    );
    const ids = seen.map((s) => s.id);
    expect(ids.length - new Set(ids).size).toBe(0);
  }, 180_000);
});
