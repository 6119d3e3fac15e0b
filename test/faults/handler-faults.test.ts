/**
 * An agent handler that throws, or hangs past its timeout (Lambda's timeout, emulated locally by
 * lambdas/local/handler-timeout.ts): the bus retries it, then dead-letters it with the error, and
 * catch-up processes the delivery exactly once when the handler works again. A handler that timed
 * out and wakes up later commits nothing: its transaction was rolled back at the deadline.
 * The fault is a Behaviour wrapper, the runtime's extension point, around the real organization.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Behaviour } from '../../lambdas/core/agent.ts';
import { organization } from '../../lambdas/core/organization.ts';
import { errorText } from '../../lambdas/core/pipeline.ts';
import { checkReliability } from '../../soak/check.ts';
import { eventually } from '../support/eventually.ts';
import { quiet } from '../support/faults.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { requireService } from '../support/services.ts';

const HANDLER_TIMEOUT_MS = 300;

/** The organization, failing for the subjects a test names: throwing, or hanging past the timeout. */
function faultyOrganization() {
  const inner = organization();
  const throwing = new Set<string>();
  /** Subject -> how many more attempts throw before it works. */
  const flaky = new Map<string, number>();
  const hanging = new Set<string>();
  const late: { settled: boolean; error?: string }[] = [];
  const behaviour: Behaviour = {
    ...(inner.think ? { think: inner.think } : {}),
    act: async (ctx) => {
      const { subject } = ctx.message;
      const left = flaky.get(subject) ?? 0;
      if (left > 0) flaky.set(subject, left - 1);
      if (throwing.has(subject) || left > 0) throw new Error(`injected: the ${ctx.role} handler fails`);
      if (hanging.has(subject)) {
        const record: (typeof late)[number] = { settled: false };
        late.push(record);
        await new Promise((r) => setTimeout(r, HANDLER_TIMEOUT_MS * 3));
        // past the deadline: try to apply the effects anyway, as a stuck handler that wakes up would
        try {
          await inner.act(ctx);
        } catch (error) {
          record.error = errorText(error);
          throw error;
        } finally {
          record.settled = true;
        }
        return;
      }
      await inner.act(ctx);
    },
  };
  return { behaviour, throwing, flaky, hanging, late };
}

const variants = [
  { name: 'PostgreSQL', database: 'postgres' as const, enabled: requireService('DATABASE_URL') },
  { name: 'PGlite', database: 'pglite' as const, enabled: true },
];

describe.each(variants.filter((v) => v.enabled))(
  'a handler that throws or times out, on $name',
  ({ database }) => {
    let rt: TestRuntime;
    const faults = faultyOrganization();
    beforeAll(async () => {
      rt = await startTestRuntime({
        database,
        behaviour: faults.behaviour,
        env: {
          ECHO_HANDLER_TIMEOUT_MS: String(HANDLER_TIMEOUT_MS),
          ECHO_SWEEP_INTERVAL_MS: '100',
          // catch-up runs when the test says (a catch-up racing the bus's retries would take the
          // delivery's lease in between, and the bus's attempt would rightly stand aside)
        },
      });
    });
    afterAll(async () => rt?.close());

    const delivery = async (id: string) => (await rt.get(`/messages/${id}`)).body.deliveries[0];
    const caughtUp = async () => {
      await rt.tick();
      return quiet(rt);
    };
    const deadLetterFor = async (id: string) =>
      ((await rt.get('/dead-letters?limit=100')).body.deadLetters as any[]).find(
        (d) => d.source === 'bus' && d.payload?.detail?.messageId === id,
      );

    it('throws on every attempt: retried, dead-lettered with the error, then caught up exactly once', async () => {
      const subject = 'Capacity question (handler throws)';
      faults.throwing.add(subject);
      const { status, body } = await rt.post({ to: 'cto', subject, idempotencyKey: 'throws-1' });
      expect(status).toBe(201);
      const id = body.message.id as string;
      const dead = await eventually(() => deadLetterFor(id), 15_000, 'the dead letter');
      expect(dead.reason).toMatch(
        /rule agent-cto: target failed after 3 attempts: Error: injected: the cto handler fails/,
      );
      expect(await delivery(id)).toMatchObject({ status: 'pending', processedAt: null });
      expect((await delivery(id)).lastError).toMatch(/injected/);

      faults.throwing.delete(subject); // the handler works again: catch-up takes the delivery
      await eventually(caughtUp, 15_000, 'catch-up to process the delivery');
      const d = await delivery(id);
      expect(d.status).toBe('processed');
      expect(d.attempts).toBeGreaterThanOrEqual(4);
      const report = await checkReliability({ sql: rt.sql, posts: new Map([['throws-1', id]]) });
      expect(report.problems).toEqual([]);
      expect(report).toMatchObject({ lost: 0, duplicated: 0, stuck: 0, recoveredFromDeadLetter: 1 });
    });

    it('hangs past its timeout: rolled back at the deadline, retried, dead-lettered, caught up once; the late wake-ups commit nothing', async () => {
      const subject = 'Hiring question (handler hangs)';
      faults.hanging.add(subject);
      const { body } = await rt.post({ to: 'chro', subject, idempotencyKey: 'hangs-1' });
      const id = body.message.id as string;
      const dead = await eventually(() => deadLetterFor(id), 20_000, 'the dead letter');
      expect(dead.reason).toMatch(/HandlerTimeout.*Task timed out after 300 ms/);
      expect((await delivery(id)).lastError).toMatch(/timed out/);

      faults.hanging.delete(subject);
      await eventually(caughtUp, 20_000, 'catch-up to process the delivery');
      // every timed-out attempt woke up and tried to answer: none of them could
      await eventually(
        () => (faults.late.every((l) => l.settled) ? true : undefined),
        10_000,
        'the late wake-ups',
      );
      expect(faults.late.length).toBeGreaterThanOrEqual(3);
      for (const l of faults.late) expect(l.error).toMatch(/transaction has ended/);
      const report = await checkReliability({ sql: rt.sql, posts: new Map([['hangs-1', id]]) });
      expect(report.problems).toEqual([]);
      expect(report).toMatchObject({ lost: 0, duplicated: 0, stuck: 0, replies: 1 });
    });

    it('throws twice, then works: the third attempt of the bus processes it, nothing dead-lettered', async () => {
      const subject = 'Budget question (handler flaky)';
      faults.flaky.set(subject, 2);
      const { body } = await rt.post({ to: 'ceo', subject, idempotencyKey: 'flaky-1' });
      const id = body.message.id as string;
      await eventually(() => quiet(rt), 15_000, 'the delivery to be processed');
      expect(await delivery(id)).toMatchObject({ status: 'processed', attempts: 3 });
      expect(await deadLetterFor(id)).toBeUndefined();
      const report = await checkReliability({ sql: rt.sql, posts: new Map([['flaky-1', id]]) });
      expect(report.problems).toEqual([]);
      expect(report).toMatchObject({ lost: 0, duplicated: 0, stuck: 0, replies: 1 });
    });
  },
);
