/**
 * The invariants of DESIGN.md §1, each with a test that fails if it breaks, against the real local
 * runtime: real PostgreSQL (DATABASE_URL) with real Redis (REDIS_URL), and PGlite with the
 * in-process hub.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessPublisher } from '../../lambdas/adapters/bus/in-process.publisher.ts';
import type { EventEnvelope } from '../../lambdas/adapters/bus/port.ts';
import { createJsonLogger } from '../../lambdas/adapters/log/json.logger.ts';
import { createInProcessHub } from '../../lambdas/adapters/realtime/in-process.realtime.ts';
import { openSql } from '../../lambdas/adapters/sql/open.ts';
import { createSqlStore } from '../../lambdas/adapters/sql/store.ts';
import { acknowledge, type Behaviour } from '../../lambdas/core/agent.ts';
import { DatabaseUnavailableError } from '../../lambdas/core/errors.ts';
import type { Message } from '../../lambdas/core/messages.ts';
import { postMessage } from '../../lambdas/core/pipeline.ts';
import { agentRule } from '../../lambdas/core/rules.ts';
import { createAgentHandler } from '../../lambdas/handlers/agent.ts';
import { LocalEventBus } from '../../lambdas/local/eventbridge/bus.ts';
import { echoEvent } from '../support/events.ts';
import { eventually } from '../support/eventually.ts';
import { freePort, kill, startRedis } from '../support/processes.ts';
import { adjustableClock, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { redisUrl, requireService } from '../support/services.ts';

const hasPostgres = requireService('DATABASE_URL');
const hasRedis = requireService('REDIS_URL');

/** A behaviour whose failures a test switches on per role (an agent whose LLM is down). */
function switchableBehaviour() {
  const failing = new Set<string>();
  const behaviour: Behaviour = {
    act: async (ctx) => {
      if (failing.has(ctx.role))
        throw new Error(`${ctx.role}: LLM endpoint unreachable (configured as fatal)`);
      return acknowledge.act(ctx);
    },
  };
  return { behaviour, failing };
}

const variants = [
  {
    name: 'PostgreSQL + Redis',
    database: 'postgres' as const,
    redis: true,
    enabled: hasPostgres && hasRedis,
  },
  { name: 'PGlite + in-process hub', database: 'pglite' as const, redis: false, enabled: true },
];

describe.each(variants.filter((v) => v.enabled))('the message path on $name', ({ database, redis }) => {
  let rt: TestRuntime;
  const clock = adjustableClock();
  const { behaviour, failing } = switchableBehaviour();
  const seen: { channel: string; payload: Message }[] = [];

  beforeAll(async () => {
    rt = await startTestRuntime({ database, redisUrl: redis ? redisUrl : undefined, behaviour, clock });
    await rt.subscriber.subscribe(['messages:*'], (channel, payload) =>
      seen.push({ channel, payload: payload as Message }),
    );
  });
  afterAll(async () => rt?.close());

  const repliesTo = async (id: string) =>
    (await rt.get(`/messages?inReplyTo=${id}`)).body.messages as Message[];
  const deliveries = async (id: string) =>
    (await rt.get(`/messages/${id}`)).body.deliveries as {
      role: string;
      status: string;
      attempts: number;
      lastError: string | null;
      processedAt: string | null;
    }[];
  const countMessages = async () =>
    Number((await rt.sql.query<{ n: number }>('SELECT count(*) AS n FROM messages')).rows[0]!.n);

  it('commits the message with a delivery per recipient, fans out, and the recipient answers', async () => {
    const { status, body } = await rt.post({
      to: 'cto',
      subject: 'approve_technical_proposal',
      content: { budget_usd: 1000 },
    });
    expect(status).toBe(201);
    const id = body.message.id as string;
    const [reply] = await eventually(async () => ((await repliesTo(id)).length ? repliesTo(id) : undefined));
    expect(reply).toMatchObject({ from: 'cto', to: 'human', type: 'response', metadata: { inReplyTo: id } });
    expect(await deliveries(id)).toEqual([
      expect.objectContaining({ role: 'cto', status: 'processed', attempts: 1 }),
    ]);
    await eventually(
      () => seen.some((s) => s.channel === 'messages:cto' && s.payload.id === id) || undefined,
    );
    expect(
      seen
        .filter((s) => s.payload.id === id)
        .map((s) => s.channel)
        .sort(),
    ).toEqual(['messages:all', 'messages:cto']);
  });

  it('a repeated post with the same idempotency key returns the first message and writes nothing', async () => {
    const key = `k-${randomUUID()}`;
    const first = await rt.post({
      to: 'all',
      type: 'broadcast',
      subject: 'Quarterly planning',
      idempotencyKey: key,
    });
    const before = await countMessages();
    const again = await rt.post({
      to: 'all',
      type: 'broadcast',
      subject: 'Quarterly planning',
      idempotencyKey: key,
    });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      created: false,
      message: { id: first.body.message.id, subject: 'Quarterly planning' },
    });
    // the same key with another body is no repeat: 409 naming the key, and nothing written but its dead letter
    const edited = await rt.post({
      to: 'all',
      type: 'broadcast',
      subject: 'Quarterly planning (edited)',
      idempotencyKey: key,
    });
    expect(edited.status).toBe(409);
    expect(edited.body.error).toMatchObject({ code: 'Conflict', field: 'idempotencyKey' });
    expect(await countMessages()).toBe(before);
    expect(await deliveries(first.body.message.id)).toHaveLength(9);
  });

  it('invariant 2: a failed PutEvents entry stays in the outbox and the sweeper delivers it', async () => {
    rt.bus.setFaults({ failEntry: () => ({ code: 'InternalFailure', message: 'injected partial failure' }) });
    const { body } = await rt.post({
      to: 'chro',
      subject: 'approve_hiring_request',
      content: { budget_usd: 5000 },
    });
    rt.bus.setFaults({});
    const id = body.message.id as string;
    const pending = await rt.sql.query<{ target: string; last_error: string }>(
      'SELECT target, last_error FROM outbox WHERE message_id = :id::uuid',
      { id },
    );
    expect(pending.rows).toEqual([
      { target: 'eventbridge', last_error: 'InternalFailure: injected partial failure' },
    ]);
    expect(await deliveries(id)).toEqual([expect.objectContaining({ role: 'chro', status: 'pending' })]);
    clock.advance(60_000);
    await rt.tick();
    await eventually(async () => ((await repliesTo(id)).length === 1 ? true : undefined));
    expect((await rt.sql.query('SELECT 1 FROM outbox WHERE message_id = :id::uuid', { id })).rowCount).toBe(
      0,
    );
  });

  it('throttled PutEvents: nothing delivered, nothing lost', async () => {
    rt.bus.setFaults({ throttle: () => true });
    const { body } = await rt.post({
      to: 'leadership',
      type: 'notification',
      subject: 'Board meeting moved',
    });
    rt.bus.setFaults({});
    const id = body.message.id as string;
    expect((await deliveries(id)).every((d) => d.status === 'pending')).toBe(true);
    clock.advance(60_000);
    await rt.tick();
    await eventually(async () =>
      (await deliveries(id)).every((d) => d.status === 'processed') ? true : undefined,
    );
  });

  it('invariant 3: a redelivered event is a no-op, also when two arrive at once', async () => {
    const envelopes: EventEnvelope[] = [];
    rt.bus.addRule({
      name: `spy-${randomUUID()}`,
      pattern: agentRule('test_lead').pattern,
      target: async (e) => void envelopes.push(e),
    });
    const { body } = await rt.post({ to: 'test_lead', subject: 'review_test_coverage' });
    const id = body.message.id as string;
    await eventually(async () =>
      (await repliesTo(id)).length === 1 && envelopes.length === 1 ? true : undefined,
    );
    const handler = createAgentHandler('test_lead', async () => rt.deps);
    await Promise.all([handler(envelopes[0]!), handler(envelopes[0]!), handler(envelopes[0]!)]);
    expect(await repliesTo(id)).toHaveLength(1);
    const activity = await rt.sql.query<{ outcome: string }>(
      'SELECT outcome FROM agent_activity WHERE message_id = :id::uuid ORDER BY id',
      { id },
    );
    expect(activity.rows.map((r) => r.outcome)).toEqual(['processed', 'duplicate', 'duplicate', 'duplicate']);
    expect(await deliveries(id)).toEqual([expect.objectContaining({ status: 'processed', attempts: 1 })]);
  });

  it('an event that is not a MessagePosted detail is refused naming the field it lacks', async () => {
    const handler = createAgentHandler('test_lead', async () => rt.deps);
    const forged = echoEvent('MessagePosted', { recipients: ['test_lead'] }, 'forged-1');
    const refusal = await handler(forged).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toMatchObject({ code: 'ValidationError', field: 'detail.messageId' });
    expect((refusal as Error).message).toMatch(
      /^event forged-1: not a MessagePosted detail: detail\.messageId: /,
    );
  });

  it('invariant 4: a broadcast read by the CTO is still unread for the CHRO', async () => {
    failing.add('chro');
    try {
      const { body } = await rt.post({ to: 'all', type: 'request', subject: 'Who owns the Q3 roadmap?' });
      const id = body.message.id as string;
      await eventually(async () => ((await repliesTo(id)).length === 8 ? true : undefined));
      await rt.bus.idle();
      const byRole = Object.fromEntries((await deliveries(id)).map((d) => [d.role, d]));
      expect(byRole.cto).toMatchObject({ status: 'processed' });
      expect(byRole.chro).toMatchObject({ status: 'pending', attempts: 3 });
      expect(byRole.chro!.lastError).toContain('LLM endpoint unreachable');
    } finally {
      failing.delete('chro');
    }
  });

  it('catch-up: a failing CEO keeps its delivery; once it works it processes it exactly once', async () => {
    failing.add('ceo');
    const { body } = await rt.post({
      to: 'ceo',
      subject: 'Urgent: Budget Approval',
      content: { budget_usd: 500000 },
    });
    const id = body.message.id as string;
    await eventually(async () => ((await deliveries(id))[0]?.attempts === 3 ? true : undefined));
    await rt.bus.idle();
    const dead = await eventually(async () => {
      const list = (await rt.get('/dead-letters')).body.deadLetters as {
        source: string;
        reason: string;
        payload: EventEnvelope;
      }[];
      return list.find(
        (d) => d.source === 'bus' && (d.payload.detail as { messageId: string }).messageId === id,
      );
    });
    expect(dead.reason).toMatch(
      /rule agent-ceo: target failed after 3 attempts: Error: ceo: LLM endpoint unreachable/,
    );
    expect(await deliveries(id)).toEqual([expect.objectContaining({ status: 'pending', processedAt: null })]);
    expect(await repliesTo(id)).toHaveLength(0);

    failing.delete('ceo');
    await rt.tick();
    await rt.tick();
    const [d] = await deliveries(id);
    expect(d).toMatchObject({ status: 'processed', attempts: 4 });
    expect(d!.processedAt).not.toBeNull();
    expect(await repliesTo(id)).toHaveLength(1);
  });

  it('invariant 5: after a gap a subscriber catches up from Postgres by the last seq it saw', async () => {
    const first = (await rt.post({ to: 'uiux_engineer', type: 'notification', subject: 'one' })).body
      .message as Message;
    const second = (await rt.post({ to: 'uiux_engineer', type: 'notification', subject: 'two' })).body
      .message as Message;
    const third = (await rt.post({ to: 'uiux_engineer', type: 'notification', subject: 'three' })).body
      .message as Message;
    const { messages } = (await rt.get(`/messages?to=uiux_engineer&after=${first.seq}`)).body as {
      messages: Message[];
    };
    expect(messages.map((m) => m.id)).toEqual([second.id, third.id]);
  });

  it('invariant 6: bad input is rejected naming the field or limit, dead-lettered, and changes nothing else', async () => {
    const before = await countMessages();
    const cases = [
      [{ subject: 'no recipient' }, 'to', 'to: is required'],
      [{ to: 'janitor', subject: 'x' }, 'to', 'unknown role "janitor"'],
      [
        { to: 'cto', subject: 'x', content: 'not an object' },
        'content',
        'content must be a JSON object, got a string',
      ],
      [
        { to: 'cto', subject: 'x', content: { blob: 'x'.repeat(300 * 1024) } },
        'entry',
        'exceeds the limit of 256 KB',
      ],
    ] as const;
    for (const [input, field, text] of cases) {
      const { status, body } = await rt.post(input);
      expect(status).toBe(400);
      expect(body.error.field).toBe(field);
      expect(body.error.message).toContain(text);
      const { deadLetters } = (await rt.get('/dead-letters?limit=1')).body;
      // a body past 8 KiB is kept as its prefix, with its size and sha256 (test/hostile/smaller.test.ts)
      const large = JSON.stringify(input).length > 8 * 1024;
      expect(deadLetters[0]).toMatchObject({
        id: body.error.deadLetterId,
        source: 'api',
        field,
        payload: large ? null : input,
        truncated: large,
        bytes: Buffer.byteLength(JSON.stringify(input)),
      });
    }
    const notJson = await rt.post('{"to": "cto",');
    expect(notJson.status).toBe(400);
    expect((await rt.get('/dead-letters?limit=1')).body.deadLetters[0]).toMatchObject({
      raw: '{"to": "cto",',
      payload: null,
    });
    expect(await countMessages()).toBe(before);
  });

  it('ingest: an invalid PostMessage event on the bus is dead-lettered and posts nothing', async () => {
    const before = await countMessages();
    await rt.bus.putEvents([
      {
        Source: 'echo.client',
        DetailType: 'PostMessage',
        Detail: JSON.stringify({ to: 'nobody', subject: 'x' }),
      },
    ]);
    const dead = await eventually(async () => {
      const { deadLetters } = (await rt.get('/dead-letters?limit=5')).body;
      return deadLetters.find((d: { source: string }) => d.source === 'ingest');
    });
    expect(dead).toMatchObject({ field: 'to', payload: { to: 'nobody', subject: 'x' } });
    expect(await countMessages()).toBe(before);
  });
});

describe.runIf(hasPostgres)('invariant 1: nothing is fanned out that is not committed', () => {
  it('with the database down the producer gets DatabaseUnavailableError and nothing reaches the bus or Redis', async () => {
    const sql = await openSql({ kind: 'node-postgres', url: 'postgres://postgres@127.0.0.1:1/echo' });
    const hub = createInProcessHub();
    const received: unknown[] = [];
    await hub.subscriber.subscribe(['messages:*'], (_c, p) => received.push(p));
    const bus = new LocalEventBus({ onDeadLetter: () => {} });
    bus.addRule({ name: 'all', pattern: { source: ['echo'] }, target: async (e) => void received.push(e) });
    const deps = {
      store: createSqlStore(sql),
      bus: createInProcessPublisher(bus),
      realtime: hub.publisher,
      clock: { now: () => new Date() },
      newId: randomUUID,
      logger: createJsonLogger({ service: 'test', level: 'silent' }),
    };
    await expect(
      postMessage(deps, {
        from: 'human',
        to: 'cto',
        type: 'request',
        subject: 's',
        content: {},
        priority: 'normal',
        metadata: {},
      }),
    ).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await new Promise((r) => setTimeout(r, 50));
    await bus.idle();
    expect(received).toEqual([]);
    await sql.close();
    bus.close();
  });
});

describe.runIf(hasPostgres && hasRedis)(
  'invariant 2 with Redis down: the real-time fan-out waits in the outbox',
  () => {
    it('publishes what was committed while Redis was down once it is back, and EventBridge delivery is unaffected', async () => {
      const port = await freePort();
      let redis = await startRedis(port);
      const clock = adjustableClock();
      const rt = await startTestRuntime({
        database: 'postgres',
        redisUrl: `redis://127.0.0.1:${port}`,
        clock,
      });
      const seen: Message[] = [];
      try {
        await rt.subscriber.subscribe(['messages:all'], (_c, p) => seen.push(p as Message));
        await kill(redis);
        const { status, body } = await rt.post({
          to: 'senior_developer',
          subject: 'fix_bug',
          content: { bug: 'login loop' },
        });
        expect(status).toBe(201);
        const id = body.message.id as string;
        const pending = await eventually(async () => {
          const { rows } = await rt.sql.query<{ target: string; last_error: string | null }>(
            'SELECT target, last_error FROM outbox WHERE message_id = :id::uuid',
            { id },
          );
          return rows.length === 1 && rows[0]!.last_error ? rows : undefined;
        });
        expect(pending[0]!.target).toBe('realtime');
        await eventually(async () =>
          (await rt.get(`/messages?inReplyTo=${id}`)).body.messages.length === 1 ? true : undefined,
        );

        // what is published before the subscriber has subscribed again is not heard: wait for it
        const resubscribed = new Promise<void>((r) => rt.subscriber.onReconnect?.(() => r()));
        redis = await startRedis(port);
        await resubscribed;
        await eventually(
          async () => {
            clock.advance(60_000);
            await rt.tick();
            return seen.some((m) => m.id === id) || undefined;
          },
          15_000,
          'the message on messages:all after Redis came back',
        );
        expect(
          (await rt.sql.query('SELECT 1 FROM outbox WHERE message_id = :id::uuid', { id })).rowCount,
        ).toBe(0);
      } finally {
        await rt.close();
        await kill(redis);
      }
    });

    it("both targets failing: the message's one outbox row keeps both, and the sweeper publishes both", async () => {
      const port = await freePort();
      let redis = await startRedis(port);
      const clock = adjustableClock();
      const rt = await startTestRuntime({
        database: 'postgres',
        redisUrl: `redis://127.0.0.1:${port}`,
        clock,
      });
      const seen: Message[] = [];
      try {
        await rt.subscriber.subscribe(['messages:all'], (_c, p) => seen.push(p as Message));
        await kill(redis);
        rt.bus.setFaults({
          failEntry: () => ({ code: 'InternalFailure', message: 'injected partial failure' }),
        });
        const { status, body } = await rt.post({
          to: 'senior_developer',
          subject: 'fix_bug',
          content: { bug: 'logout loop' },
        });
        rt.bus.setFaults({});
        expect(status).toBe(201);
        const id = body.message.id as string;
        // recorded before the post was answered: one row, still for both targets, with an error
        const { rows } = await rt.sql.query<{ target: string; last_error: string | null }>(
          'SELECT target, last_error FROM outbox WHERE message_id = :id::uuid',
          { id },
        );
        expect(rows).toEqual([
          { target: 'both', last_error: expect.stringMatching(/InternalFailure|RealtimeUnavailable/) },
        ]);
        expect((await rt.get(`/messages?inReplyTo=${id}`)).body.messages).toEqual([]);

        const resubscribed = new Promise<void>((r) => rt.subscriber.onReconnect?.(() => r()));
        redis = await startRedis(port);
        await resubscribed; // else the sweeper may publish before the subscriber hears again
        clock.advance(60_000); // past the row's retry time (once: a leap mid-delivery would outrun its lease)
        await eventually(
          async () => {
            await rt.tick();
            const replied = (await rt.get(`/messages?inReplyTo=${id}`)).body.messages.length === 1;
            return (replied && seen.some((m) => m.id === id)) || undefined;
          },
          15_000,
          'the message on messages:all and delivered to its agent after both came back',
        );
        expect(
          (await rt.sql.query('SELECT 1 FROM outbox WHERE message_id = :id::uuid', { id })).rowCount,
        ).toBe(0);
      } finally {
        await rt.close();
        await kill(redis);
      }
    });
  },
);
