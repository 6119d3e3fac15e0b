/**
 * Catch-up takes what nobody is working on, the least tried first. Injected here: more deliveries
 * that fail every time than one round of catch-up takes (50), ahead of one whose failure has passed;
 * and a delivery whose agent is still thinking when catch-up runs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { acknowledge, type Behaviour } from '../../lambdas/core/agent.ts';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { redisUrl, requireService } from '../support/services.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');

describe.runIf(hasServices)('catch-up', () => {
  let rt: TestRuntime | undefined;
  afterAll(async () => rt?.close());

  const attempts = async (ids: string[]) =>
    (
      await rt!.sql.query<{ attempts: number }>(
        `SELECT attempts FROM deliveries WHERE role = 'cto' AND message_id IN
           (SELECT value::uuid FROM jsonb_array_elements_text(:ids::jsonb))`,
        { ids },
      )
    ).rows.map((r) => r.attempts);
  const outcomes = async (id: string) =>
    (
      await rt!.sql.query<{ outcome: string }>(
        `SELECT outcome FROM agent_activity WHERE message_id = :id::uuid ORDER BY at`,
        { id },
      )
    ).rows.map((r) => r.outcome);

  it('deliveries that keep failing do not crowd out one that would now succeed', async () => {
    let recovered = false;
    const behaviour: Behaviour = {
      act: async (ctx) => {
        if (ctx.message.subject.startsWith('poison'))
          throw new Error(`${ctx.message.subject}: fails every time`);
        if (!recovered) throw new Error('the model is down');
        return acknowledge.act(ctx);
      },
    };
    rt = await startTestRuntime({ database: 'postgres', redisUrl, behaviour });
    const poison: string[] = [];
    for (let i = 0; i < 52; i++)
      poison.push((await rt.post({ to: 'cto', subject: `poison ${i}` })).body.message.id as string);
    const late = (await rt.post({ to: 'cto', subject: 'the one that recovers' })).body.message.id as string;
    await rt.bus.idle();
    await eventually(
      async () => ((await attempts([...poison, late])).every((n) => n >= 1) ? true : undefined),
      30_000,
      'every delivery tried once',
    );
    recovered = true;
    // One round takes 50 of the 53. Oldest first, it took the same 50 poisoned ones every round.
    await rt.tick();
    await rt.tick();
    const [delivery] = (await rt.get(`/messages/${late}`)).body.deliveries;
    expect(delivery).toMatchObject({ role: 'cto', status: 'processed' });
    expect(Math.min(...(await attempts(poison)))).toBeGreaterThanOrEqual(2);
    await rt.close();
    rt = undefined;
  });

  it('a delivery an agent is still working on is left to it', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const thinking = new Promise<void>((r) => (reached = r));
    const behaviour: Behaviour = {
      think: async () => {
        reached();
        await released;
        return undefined;
      },
      act: (ctx) => acknowledge.act(ctx),
    };
    rt = await startTestRuntime({ database: 'postgres', redisUrl, behaviour });
    const id = (await rt.post({ to: 'cto', subject: 'a long thought' })).body.message.id as string;
    await thinking;
    await rt.tick();
    // Before, catch-up tried to lease it, and was recorded (and logged) as a duplicate delivery.
    expect(await outcomes(id)).toEqual([]);
    release();
    await eventually(
      async () => ((await outcomes(id)).length ? true : undefined),
      30_000,
      'the thought done',
    );
    expect(await outcomes(id)).toEqual(['processed']);
    await rt.close();
    rt = undefined;
  });
});
