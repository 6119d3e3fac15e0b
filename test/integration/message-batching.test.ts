/**
 * Group commit on the message path (lambdas/adapters/sql/batching.ts): posts made at the same time
 * share one statement and relays share one DELETE, and still every post gets its own answer: its
 * message with its deliveries and outbox rows, the first message for a repeated idempotency key, its
 * own error for a bad reference, with the other posts of its batch committed. On PGlite, real
 * PostgreSQL and the RDS Data API (through the local endpoint).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessPublisher } from '../../lambdas/adapters/bus/in-process.publisher.ts';
import { createInProcessHub } from '../../lambdas/adapters/realtime/in-process.realtime.ts';
import { migrate } from '../../lambdas/adapters/sql/migrate.ts';
import type { SqlClient } from '../../lambdas/adapters/sql/port.ts';
import { createSqlStore } from '../../lambdas/adapters/sql/store.ts';
import { ValidationError } from '../../lambdas/core/errors.ts';
import type { Message, PostMessageCommand } from '../../lambdas/core/messages.ts';
import {
  fanOutSettled,
  type PipelineDeps,
  type PostResult,
  postMessage,
  sweep,
} from '../../lambdas/core/pipeline.ts';
import { LocalEventBus } from '../../lambdas/local/eventbridge/bus.ts';
import { availableSqlDrivers } from '../support/sql-drivers.ts';

const command = (subject: string, extra: Partial<PostMessageCommand> = {}): PostMessageCommand => ({
  from: 'human',
  to: 'cto',
  type: 'notification',
  subject,
  content: { subject },
  priority: 'normal',
  metadata: {},
  ...extra,
});

describe.each(availableSqlDrivers())('concurrent posts on $name', (driver) => {
  let sql: SqlClient;
  let close: () => Promise<void>;
  let deps: PipelineDeps;
  let bus: LocalEventBus;
  const events: string[] = [];
  const published: Message[] = [];

  beforeAll(async () => {
    ({ sql, close } = await driver.open());
    await migrate(sql);
    bus = new LocalEventBus({ onDeadLetter: () => undefined });
    bus.addRule({
      name: 'all',
      pattern: { source: ['echo'] },
      target: async (e) => void events.push((e.detail as { messageId: string }).messageId),
    });
    const hub = createInProcessHub();
    await hub.subscriber.subscribe(['messages:all'], (_c, m) => void published.push(m as Message));
    deps = {
      store: createSqlStore(sql),
      bus: createInProcessPublisher(bus),
      realtime: hub.publisher,
      clock: { now: () => new Date() },
      newId: randomUUID,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    };
  }, 180_000);
  afterAll(async () => {
    bus?.close();
    await close?.();
  });

  const count = async (q: string, params: Record<string, string> = {}) =>
    Number((await sql.query<{ n: number }>(q, params)).rows[0]!.n);

  it('commits each message with its deliveries, fans each out once, and answers each producer', async () => {
    const tag = randomUUID();
    const commands = Array.from({ length: 30 }, (_, i) =>
      command(`${tag} ${i}`, i % 3 === 0 ? { to: 'all', type: 'broadcast' } : {}),
    );
    // Issued in the same tick: the first goes alone, the others wait for it and share a statement.
    const results = await Promise.all(commands.map((c) => postMessage(deps, c)));
    await bus.idle();
    results.forEach((r, i) => {
      expect(r.created).toBe(true);
      expect(r.message.subject).toBe(commands[i]!.subject);
      expect(r.message.recipients).toHaveLength(i % 3 === 0 ? 9 : 1);
    });
    const ids = results.map((r) => r.message.id);
    expect(new Set(results.map((r) => r.message.seq)).size).toBe(30);
    const pattern = `${tag} %`;
    expect(await count('SELECT count(*)::int AS n FROM messages WHERE subject LIKE :p', { p: pattern })).toBe(
      30,
    );
    expect(
      await count(
        'SELECT count(*)::int AS n FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE m.subject LIKE :p',
        { p: pattern },
      ),
    ).toBe(10 * 9 + 20);
    // postMessage leaves the DELETE of its published row running: once it is done, nothing is left
    await fanOutSettled(deps);
    expect(await count('SELECT count(*)::int AS n FROM outbox')).toBe(0);
    expect(events.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
    expect(
      published
        .filter((m) => ids.includes(m.id))
        .map((m) => m.id)
        .sort(),
    ).toEqual([...ids].sort());
  });

  it("posts whose PutEvents entry fails: each message's one outbox row is narrowed to EventBridge, and the sweeper publishes it", async () => {
    const tag = randomUUID();
    bus.setFaults({
      failEntry: (entry) =>
        String(entry.Detail).includes(`${tag} fail`)
          ? { code: 'InternalFailure', message: 'injected partial failure' }
          : undefined,
    });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => postMessage(deps, command(`${tag} ${i % 2 ? 'fail' : 'ok'} ${i}`))),
    );
    bus.setFaults({});
    await fanOutSettled(deps);
    const failedIds = results.filter((_, i) => i % 2).map((r) => r.message.id);
    const { rows } = await sql.query<{ message_id: string; target: string; last_error: string }>(
      `SELECT o.message_id, o.target, o.last_error FROM outbox o JOIN messages m ON m.id = o.message_id
       WHERE m.subject LIKE :p ORDER BY m.seq`,
      { p: `${tag} %` },
    );
    // recorded before postMessage returned: the failed target only (the real-time one went out)
    expect(rows).toEqual(
      failedIds.map((id) => ({
        message_id: id,
        target: 'eventbridge',
        last_error: 'InternalFailure: injected partial failure',
      })),
    );
    const later = new Date(Date.now() + 60 * 60_000);
    await sweep({ ...deps, clock: { now: () => later } });
    await bus.idle();
    expect(
      await count(
        'SELECT count(*)::int AS n FROM outbox o JOIN messages m ON m.id = o.message_id WHERE m.subject LIKE :p',
        { p: `${tag} %` },
      ),
    ).toBe(0);
    const ids = results.map((r) => r.message.id);
    // each message once on the bus (the failed ones by the sweeper) and once on messages:all
    expect(events.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
    expect(
      published
        .filter((m) => ids.includes(m.id))
        .map((m) => m.id)
        .sort(),
    ).toEqual([...ids].sort());
  });

  it('a key repeated within one batch: one message, every producer gets it', async () => {
    const key = `k-${randomUUID()}`;
    const results = await Promise.all([
      postMessage(deps, command('before the batch')),
      ...Array.from({ length: 6 }, (_, i) =>
        postMessage(deps, command(`same key ${i}`, { idempotencyKey: key })),
      ),
    ]);
    const keyed = results.slice(1);
    expect(keyed.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(keyed.map((r) => r.message.id)).size).toBe(1);
    expect(keyed.every((r) => r.message.idempotencyKey === key)).toBe(true);
    expect(keyed.filter((r) => !r.created).every((r) => r.fanOut.length === 0)).toBe(true);
    expect(
      await count('SELECT count(*)::int AS n FROM messages WHERE idempotency_key = :k', { k: key }),
    ).toBe(1);
  });

  it('a bad reply in a batch fails alone, naming the field; the rest of its batch is committed', async () => {
    const tag = randomUUID();
    const settled = await Promise.allSettled([
      postMessage(deps, command(`${tag} first`)),
      postMessage(deps, command(`${tag} a`)),
      postMessage(deps, command(`${tag} bad`, { inReplyTo: randomUUID() })),
      postMessage(deps, command(`${tag} b`)),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const error = (settled[2] as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('inReplyTo');
    expect(
      (settled.filter((s) => s.status === 'fulfilled') as PromiseFulfilledResult<PostResult>[]).map(
        (s) => s.value.message.subject,
      ),
    ).toEqual([`${tag} first`, `${tag} a`, `${tag} b`]);
    expect(
      await count('SELECT count(*)::int AS n FROM messages WHERE subject LIKE :p', { p: `${tag} %` }),
    ).toBe(3);
    // postMessage leaves the DELETE of its published row running: once it is done, nothing is left
    await fanOutSettled(deps);
    expect(await count('SELECT count(*)::int AS n FROM outbox')).toBe(0);
  });
});
