/**
 * The checker of the fault tests and the soak (soak/check.ts) finds what it is meant to find: a
 * zero report is worth something only if a forged loss, duplicate or stuck delivery is counted.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postMessage } from '../../lambdas/core/pipeline.ts';
import { checkReliability } from '../../soak/check.ts';
import { eventually } from '../support/eventually.ts';
import { quiet } from '../support/faults.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

describe('the reliability checker', () => {
  let rt: TestRuntime;
  const posts = new Map<string, string | undefined>();
  beforeAll(async () => {
    rt = await startTestRuntime({ database: 'pglite' });
    for (const [key, body] of [
      ['check-request', { to: 'cto', subject: 'Which database?' }],
      ['check-note', { to: 'leadership', type: 'notification', subject: 'Offsite moved' }],
      ['check-broadcast', { to: 'all', type: 'broadcast', subject: 'Town hall' }],
    ] as const) {
      const { body: answer } = await rt.post({ ...body, idempotencyKey: key });
      posts.set(key, answer.message.id);
    }
    await eventually(() => quiet(rt));
  });
  afterAll(async () => rt?.close());

  it('reports zero on a clean run, with the counts', async () => {
    const report = await checkReliability({ sql: rt.sql, posts });
    expect(report).toMatchObject({
      posted: 3,
      acknowledged: 3,
      committed: 3,
      lost: 0,
      duplicated: 0,
      stuck: 0,
      deliveries: { total: 1 + 4 + 9, processed: 14, pending: 0 },
      replies: 1 + 9,
      outboxPending: 0,
    });
    expect(report.problems).toEqual([]);
  });

  it('counts an acknowledged post that is not committed as lost', async () => {
    const report = await checkReliability({
      sql: rt.sql,
      posts: new Map([...posts, ['check-ghost', randomUUID()]]),
    });
    expect(report).toMatchObject({ acknowledged: 4, committed: 3, lost: 1 });
    expect(report.problems).toEqual([
      expect.stringMatching(/check-ghost: acknowledged as .* but not committed/),
    ]);
  });

  it('counts a second application, a second answer and a second recorded application as duplicates', async () => {
    const id = posts.get('check-request')!;
    const key = `${id}/cto`;
    const report = await checkReliability({
      sql: rt.sql,
      posts,
      applied: new Map([[key, new Set(['a', 'b'])]]),
    });
    // the other deliveries have no recorded application: lost, as far as the wrapper knows
    expect(report.duplicated).toBe(1);
    const { rows } = await rt.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM deliveries');
    expect(report.lost).toBe(rows[0]!.n - 1);

    await rt.sql.query(
      `INSERT INTO agent_activity (role, message_id, outcome, duration_ms, at) VALUES ('cto', :id::uuid, 'processed', 1, now())`,
      { id },
    );
    // a second answer, as the CTO's handler would post it (the public API refuses an agent's reply)
    await postMessage(rt.deps, {
      from: 'cto',
      to: 'human',
      type: 'response',
      subject: 'Re: Which database?',
      content: {},
      priority: 'normal',
      metadata: {},
      inReplyTo: id,
    });
    const twice = await checkReliability({ sql: rt.sql, posts });
    expect(twice).toMatchObject({ duplicated: 2, lost: 0 });
    expect(twice.problems).toEqual([
      `delivery ${key}: processed 2 times (agent activity)`,
      `delivery ${key}: answered 2 times`,
    ]);
  });

  it('counts a pending delivery and an unpublished outbox row as stuck', async () => {
    const id = posts.get('check-note')!;
    await rt.sql.query(
      `UPDATE deliveries SET status = 'pending', processed_at = NULL WHERE message_id = :id::uuid AND role = 'ceo'`,
      { id },
    );
    await rt.sql.query(
      `INSERT INTO outbox (message_id, target, created_at, available_at) VALUES (:id::uuid, 'realtime', now(), now() + interval '1 hour')`,
      { id },
    );
    const report = await checkReliability({ sql: rt.sql, posts });
    expect(report).toMatchObject({ stuck: 2, outboxPending: 1, deliveries: { pending: 1 } });
  });
});
