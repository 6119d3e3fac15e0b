/**
 * A delivery that keeps failing: catch-up waits longer after each failure, gives up after the last
 * allowed attempt (a dead letter says so and how to retry), leaves it alone after that, and takes it
 * up again when a person asks (`echoctl retry`). The clock is the runtime's own, moved forward.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acknowledge,
  type Behaviour,
  DEFAULT_DELIVERY_RETRY,
  retrySchedule,
} from '../../lambdas/core/agent.ts';
import { echoctl } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { adjustableClock, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { redisUrl, requireService } from '../support/services.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');
const TOKEN = 'retry-test-token';
const MINUTE = 60_000;

describe('the retry schedule', () => {
  it('doubles from the base, is capped at 6 hours, and has no entry after the last attempt', () => {
    const now = new Date('2026-12-06T12:00:00Z');
    const at = retrySchedule({ maxAttempts: 12, baseDelayMs: 30_000 }, now).map(
      (t) => (Date.parse(t) - now.getTime()) / 1000,
    );
    expect(at).toEqual([30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600]);
    expect(retrySchedule({ maxAttempts: 1, baseDelayMs: 30_000 }, now)).toEqual([]);
    expect(retrySchedule(DEFAULT_DELIVERY_RETRY, now)).toHaveLength(DEFAULT_DELIVERY_RETRY.maxAttempts - 1);
  });
});

describe.runIf(hasServices)('a delivery that keeps failing', () => {
  let rt: TestRuntime;
  const clock = adjustableClock();
  let healed = false;
  const calls: string[] = [];

  beforeAll(async () => {
    const behaviour: Behaviour = {
      act: async (ctx) => {
        calls.push(ctx.message.id);
        if (!healed) throw new Error('the model is down');
        return acknowledge.act(ctx);
      },
    };
    rt = await startTestRuntime({
      database: 'postgres',
      redisUrl,
      behaviour,
      clock,
      env: {
        ECHO_DELIVERY_MAX_ATTEMPTS: '4',
        ECHO_DELIVERY_RETRY_BASE_MS: String(MINUTE),
        ECHO_HUMAN_TOKEN: TOKEN,
      },
    });
  });
  afterAll(async () => rt?.close());

  const delivery = async (id: string) => (await rt.get(`/messages/${id}`)).body.deliveries[0];
  const retry = (id: string, role: string, token?: string) =>
    fetch(`${rt.apiUrl}/messages/${id}/deliveries/${role}/retry`, {
      method: 'POST',
      headers: token ? { authorization: `Bearer ${token}` } : {},
    }).then(async (r) => ({ status: r.status, body: await r.json() }));
  /** A request to the CTO, once the bus has made its own three attempts at it. */
  const failedThrice = async (subject: string) => {
    const id = (await rt.post({ to: 'cto', subject })).body.message.id as string;
    await eventually(
      async () => ((await delivery(id)).attempts >= 3 ? true : undefined),
      15_000,
      '3 attempts',
    );
    await rt.bus.idle();
    return id;
  };

  it('is tried again only once its delay has passed, given up after the last attempt, then left alone', async () => {
    const id = await failedThrice('Review the schema');
    const third = await delivery(id);
    expect(third).toMatchObject({ status: 'pending', attempts: 3, gaveUpAt: null });
    // after the third failure: 1 minute × 2² from then
    const wait = Date.parse(third.retryAt) - clock.now().getTime();
    expect(wait).toBeGreaterThan(3.5 * MINUTE);
    expect(wait).toBeLessThanOrEqual(4 * MINUTE);

    const before = calls.length;
    await rt.tick();
    expect(calls.length).toBe(before); // not yet

    clock.advance(4 * MINUTE + 1000);
    await rt.tick();
    expect(calls.length).toBe(before + 1);
    const fourth = await delivery(id);
    expect(fourth).toMatchObject({
      status: 'pending',
      attempts: 4,
      retryAt: null,
      lastError: expect.stringMatching(/model is down/),
    });
    expect(Date.parse(fourth.gaveUpAt)).toBeGreaterThan(0);

    // one dead letter says so, and how to take it up again
    const { deadLetters } = (await rt.get('/dead-letters')).body;
    const gaveUp = deadLetters.filter((d: { reason: string }) =>
      d.reason.includes(`gave up on message ${id}`),
    );
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]).toMatchObject({
      source: 'agent',
      reason: expect.stringContaining(`after 4 attempts (retry it with echoctl retry ${id} cto)`),
      payload: { messageId: id, role: 'cto', attempts: 4 },
    });

    clock.advance(7 * 24 * 60 * MINUTE);
    await rt.tick();
    expect(calls.length).toBe(before + 1); // given up: never again by itself
    expect((await delivery(id)).attempts).toBe(4);
  });

  it('a person puts it back: only with the human token, only a pending delivery of a role it went to', async () => {
    const id = await failedThrice('Review the indexes');
    clock.advance(4 * MINUTE + 1000);
    await rt.tick();
    expect((await delivery(id)).gaveUpAt).not.toBeNull();

    expect(await retry(id, 'cto')).toMatchObject({ status: 401, body: { error: { code: 'Unauthorized' } } });
    expect(await retry(id, 'chief', TOKEN)).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringMatching(/^role: must be one of ceo, /) } },
    });
    expect(await retry(id, 'ceo', TOKEN)).toMatchObject({
      status: 404,
      body: { error: { message: expect.stringContaining('the message went to cto') } },
    });

    healed = true;
    const out = await echoctl(['retry', id, 'cto', '--as', 'ops'], rt.apiUrl, { ECHO_HUMAN_TOKEN: TOKEN });
    expect(out.stderr).toBe('');
    expect(out.stdout).toMatch(
      new RegExp(`^cto takes message ${id} up again at its next catch-up \\(4 failed attempts`),
    );
    expect(await delivery(id)).toMatchObject({ status: 'pending', gaveUpAt: null, retryAt: null });

    const before = calls.length;
    await rt.tick();
    expect(calls.length).toBe(before + 1);
    expect(await delivery(id)).toMatchObject({ status: 'processed', attempts: 5 }); // the try that succeeded counts too
    expect(await retry(id, 'cto', TOKEN)).toMatchObject({
      status: 409,
      body: { error: { message: expect.stringContaining('already processed by cto') } },
    });
  });
});
