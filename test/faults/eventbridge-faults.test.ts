/**
 * EventBridge from the local endpoint failing under load: entries failing one by one (partial
 * failures) and whole calls throttled, at random (seeded) while producers post; then deliveries
 * duplicated and reordered: the same MessagePosted events put on the bus twice, in reverse order,
 * before the originals arrive. Failed entries stay in the outbox and the sweeper delivers them; every
 * delivery is applied once whatever arrives how often and in what order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowToMessage } from '../../lambdas/adapters/sql/rows.ts';
import { messagePostedDetail } from '../../lambdas/core/messages.ts';
import type { PutEventsEntry } from '../../lambdas/local/eventbridge/bus.ts';
import { checkReliability } from '../../soak/check.ts';
import { newProducerLog, runProducers } from '../../soak/producers.ts';
import { seededRandom } from '../../soak/random.ts';
import { eventually } from '../support/eventually.ts';
import { mixedMessage, quiet } from '../support/faults.ts';
import { adjustableClock, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { redisUrl, requireService } from '../support/services.ts';

const variants = [
  {
    name: 'PostgreSQL + Redis',
    database: 'postgres' as const,
    redis: true,
    enabled: requireService('DATABASE_URL') && requireService('REDIS_URL'),
  },
  { name: 'PGlite + in-process hub', database: 'pglite' as const, redis: false, enabled: true },
];

describe.each(variants.filter((v) => v.enabled))('EventBridge faults, on $name', ({ database, redis }) => {
  let rt: TestRuntime;
  const clock = adjustableClock();
  beforeAll(async () => {
    rt = await startTestRuntime({
      database,
      redisUrl: redis ? redisUrl : undefined,
      clock,
      env: { ECHO_SWEEP_INTERVAL_MS: '100', ECHO_CATCHUP_INTERVAL_MS: '250' },
    });
  });
  afterAll(async () => rt?.close());

  it('partial failures and throttling at random during a burst: nothing lost, nothing applied twice', async () => {
    const random = seededRandom(7);
    const injected = { failedEntries: 0, throttledCalls: 0 };
    rt.bus.setFaults({
      failEntry: () => {
        if (random() >= 0.3) return undefined;
        injected.failedEntries++;
        return { code: 'InternalFailure', message: 'injected partial failure' };
      },
      throttle: () => {
        if (random() >= 0.2) return false;
        injected.throttledCalls++;
        return true;
      },
    });
    const log = newProducerLog();
    try {
      await runProducers({
        apiUrl: () => rt.apiUrl,
        count: 40,
        producers: 4,
        keyOf: (i) => `eb-faults-${i}`,
        make: mixedMessage,
        log,
      });
    } finally {
      rt.bus.setFaults({});
    }
    expect(injected.failedEntries).toBeGreaterThan(0);
    expect(injected.throttledCalls).toBeGreaterThan(0);
    // what failed waits in the outbox with its error, for the sweeper
    const { rows } = await rt.sql.query<{ last_error: string }>(
      `SELECT DISTINCT split_part(last_error, ':', 1) AS last_error FROM outbox WHERE last_error IS NOT NULL`,
    );
    expect(rows.map((r) => r.last_error)).toEqual(expect.arrayContaining(['InternalFailure']));

    await eventually(() => quiet(rt, clock), 60_000, 'the sweeper to deliver what failed');
    const report = await checkReliability({ sql: rt.sql, posts: log.posts });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({
      posted: 40,
      acknowledged: 40,
      committed: 40,
      lost: 0,
      duplicated: 0,
      stuck: 0,
    });
  }, 180_000);

  it('the same events twice, in reverse order, before the originals: each delivery applied once', async () => {
    // the originals fail at first: they wait in the outbox while the copies arrive
    rt.bus.setFaults({ failEntry: () => ({ code: 'InternalFailure', message: 'held back' }) });
    const log = newProducerLog();
    try {
      await runProducers({
        apiUrl: () => rt.apiUrl,
        count: 20,
        producers: 2,
        keyOf: (i) => `eb-dup-${i}`,
        make: mixedMessage,
        log,
      });
    } finally {
      rt.bus.setFaults({});
    }
    const { rows } = await rt.sql.query(
      `SELECT * FROM messages WHERE idempotency_key LIKE 'eb-dup-%' ORDER BY seq DESC`,
    );
    expect(rows).toHaveLength(20);
    const reversed: PutEventsEntry[] = rows.map((r) => ({
      Source: 'echo',
      DetailType: 'MessagePosted',
      Detail: JSON.stringify(messagePostedDetail(rowToMessage(r))),
    }));
    const put = async () => {
      for (let i = 0; i < reversed.length; i += 10) {
        const { FailedEntryCount } = await rt.bus.putEvents(reversed.slice(i, i + 10));
        expect(FailedEntryCount).toBe(0);
      }
    };
    await Promise.all([put(), put()]);
    await rt.bus.idle();
    // then the sweeper delivers the originals, a third time each
    await eventually(() => quiet(rt, clock), 60_000, 'the sweeper to deliver the originals');

    const report = await checkReliability({ sql: rt.sql, posts: log.posts });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ acknowledged: 20, lost: 0, duplicated: 0, stuck: 0 });
    const { rows: outcomes } = await rt.sql.query<{ outcome: string; n: number }>(
      `SELECT a.outcome, count(*)::int AS n FROM agent_activity a JOIN messages m ON m.id = a.message_id
       WHERE m.idempotency_key LIKE 'eb-dup-%' GROUP BY a.outcome`,
    );
    const by = Object.fromEntries(outcomes.map((o) => [o.outcome, o.n]));
    expect(by.processed).toBe(report.deliveries.total);
    // two copies and the original at least (catch-up may also have come upon one already applied)
    expect(by.duplicate).toBeGreaterThanOrEqual(2 * report.deliveries.total);
  }, 180_000);
});
