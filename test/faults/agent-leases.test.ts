/**
 * Thinking with no transaction open, effects exactly once. An agent leases its delivery, thinks (a
 * model may take seconds; no connection or lock is held), then commits its effects in the one
 * transaction that checks the lease is still its own. Injected here: the runtime killed while the
 * model thinks (a real `npm start` process, SIGKILL), the same delivery arriving again during the
 * thought, and a thought that outlives its lease while another takes the delivery over.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSql } from '../../lambdas/adapters/sql/open.ts';
import { type Behaviour, processDelivery } from '../../lambdas/core/agent.ts';
import { organization } from '../../lambdas/core/organization.ts';
import { npmStart } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { freePort } from '../support/processes.ts';
import { adjustableClock, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startScriptedLlmServer } from '../support/scripted-llm-servers.ts';
import { createTestDatabase, redisUrl, requireService } from '../support/services.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');

/** A gate a thought waits at until the test opens it; `reached` resolves when one arrives. */
function gate() {
  let open!: () => void;
  let reach!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const reached = new Promise<void>((r) => (reach = r));
  return { opened, reached, open, reach };
}

/** The organization, its first thought about `subject` held at a gate. */
function heldOrganization(subject: string) {
  const inner = organization();
  const first = gate();
  let held = false;
  const behaviour: Behaviour = {
    think: async (ctx) => {
      if (ctx.message.subject === subject && !held) {
        held = true;
        first.reach();
        await first.opened;
      }
      return inner.think!(ctx);
    },
    act: (ctx) => inner.act(ctx),
  };
  return { behaviour, first };
}

describe.runIf(hasServices)('agents lease their deliveries and think with no transaction open', () => {
  let rt: TestRuntime | undefined;
  afterAll(async () => rt?.close());

  const replies = async (id: string) =>
    (await rt!.get(`/messages?inReplyTo=${id}`)).body.messages.filter(
      (m: { from: string }) => m.from === 'cto',
    );
  const activity = async (id: string): Promise<Record<string, number>> =>
    Object.fromEntries(
      (
        await rt!.sql.query<{ outcome: string; n: number }>(
          `SELECT outcome, count(*)::int AS n FROM agent_activity WHERE message_id = :id::uuid GROUP BY outcome`,
          { id },
        )
      ).rows.map((r) => [r.outcome, r.n]),
    );

  it('a duplicate delivery during a thought changes nothing; the thought commits once', async () => {
    const held = heldOrganization('Which queue for the event store?');
    rt = await startTestRuntime({ database: 'postgres', redisUrl, behaviour: held.behaviour });
    const { body } = await rt.post({ to: 'cto', subject: 'Which queue for the event store?' });
    const id = body.message.id as string;
    await held.first.reached;
    // while the CTO thinks: no transaction holds its delivery, and a second delivery stands aside
    const { rows } = await rt.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    expect(rows[0]!.n).toBe(0);
    const lease = (
      await rt.sql.query<{ lease_owner: string | null }>(
        `SELECT lease_owner FROM deliveries WHERE message_id = :id::uuid AND role = 'cto'`,
        { id },
      )
    ).rows[0]!;
    expect(lease.lease_owner).not.toBeNull();
    expect(await processDelivery(rt.deps, 'cto', id)).toBe('duplicate');
    expect(await replies(id)).toEqual([]);
    held.first.open();
    await eventually(async () => ((await replies(id)).length ? true : undefined));
    await rt.bus.idle();
    expect(await replies(id)).toHaveLength(1);
    expect(await activity(id)).toMatchObject({ processed: 1, duplicate: 1 });
    await rt.close();
    rt = undefined;
  });

  it('a thought longer than many lease terms keeps its lease: it is renewed while the agent thinks', async () => {
    const held = heldOrganization('How many shards for the ledger?');
    rt = await startTestRuntime({
      database: 'postgres',
      redisUrl,
      behaviour: held.behaviour,
      env: { ECHO_AGENT_LEASE_MS: '300' },
    });
    const { body } = await rt.post({ to: 'cto', subject: 'How many shards for the ledger?' });
    const id = body.message.id as string;
    await held.first.reached;
    const leaseUntil = async () =>
      (
        await rt!.sql.query<{ until: string }>(
          `SELECT lease_until AS until FROM deliveries WHERE message_id = :id::uuid AND role = 'cto'`,
          { id },
        )
      ).rows[0]!.until;
    const first = new Date(await leaseUntil()).getTime();
    // three terms later the lease still holds, renewed past where its first term ended
    await eventually(
      async () => (new Date(await leaseUntil()).getTime() > first + 600 ? true : undefined),
      10_000,
      'the lease to be renewed',
    );
    expect(await processDelivery(rt.deps, 'cto', id)).toBe('duplicate');
    held.first.open();
    await eventually(async () => ((await replies(id)).length ? true : undefined));
    await rt.bus.idle();
    expect(await replies(id)).toHaveLength(1);
    expect(await activity(id)).toMatchObject({ processed: 1, duplicate: 1 });
    expect((await activity(id)).failed).toBeUndefined();
    await rt.close();
    rt = undefined;
  });

  it('a thought that outlives its lease is discarded: the one who took the delivery over answers, once', async () => {
    const clock = adjustableClock();
    const held = heldOrganization('Should we shard the database?');
    rt = await startTestRuntime({
      database: 'postgres',
      redisUrl,
      clock,
      behaviour: held.behaviour,
      env: { ECHO_AGENT_THINK_MS: '1000' },
    });
    const { body } = await rt.post({ to: 'cto', subject: 'Should we shard the database?' });
    const id = body.message.id as string;
    await held.first.reached;
    clock.advance(5_000); // past the lease (1 s to think, 1 s more to commit)
    await rt.tick(); // catch-up takes the delivery over and answers
    expect(await replies(id)).toHaveLength(1);
    held.first.open(); // the first thought finishes late: its lease is gone, so are its effects
    await eventually(
      async () => ((await activity(id)).failed ? true : undefined),
      10_000,
      'the late commit to fail',
    );
    await rt.bus.idle();
    expect(await replies(id)).toHaveLength(1);
    const failures = await rt.sql.query<{ error: string }>(
      `SELECT error FROM agent_activity WHERE message_id = :id::uuid AND outcome = 'failed'`,
      { id },
    );
    expect(failures.rows[0]!.error).toMatch(/LeaseLost.*lost its lease.*effects were discarded/);
    expect((await activity(id)).processed).toBe(1);
    await rt.close();
    rt = undefined;
  });
});

describe.runIf(hasServices)('npm start killed while an agent thinks', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  const apps: Awaited<ReturnType<typeof npmStart>>[] = [];
  const model = startScriptedLlmServer('openai');

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'echo-think-kill-'));
  }, 180_000);
  afterAll(async () => {
    for (const app of apps) await app.stop();
    await (await model).close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the delivery is taken up again once its lease term runs out, and answered exactly once', async () => {
    const llm = await model;
    const port = await freePort();
    const env = {
      ECHO_PORT: String(port),
      ECHO_AWS_PORT: String(await freePort()),
      ECHO_DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl!,
      ECHO_LOG_LEVEL: 'warn',
      ECHO_CATCHUP_INTERVAL_MS: '300',
      ECHO_RETRY_BASE_MS: '5',
      // the default 90 s to think; the dead process's lease runs out after one 1.5 s term
      ECHO_AGENT_LEASE_MS: '1500',
      ECHO_LLM_PROVIDER: 'openai',
      ECHO_LLM_BASE_URL: llm.url,
      ECHO_LLM_MAX_RETRIES: '0',
      ECHO_LLM_FAILURE: 'fatal',
    };
    llm.script({ kind: 'hang' });
    apps.push(await npmStart(env, port));
    const posted = await fetch(`http://127.0.0.1:${port}/messages`, {
      method: 'POST',
      body: JSON.stringify({ to: 'cto', subject: 'Do we need a read replica?' }),
    });
    const id = ((await posted.json()) as { message: { id: string } }).message.id;
    await eventually(() => (llm.requests.length ? true : undefined), 30_000, 'the CTO to ask its model');
    await apps[0]!.crash(); // mid-thought: the lease is held by a process that is gone

    llm.script({ kind: 'answer', text: 'Yes: one reader for the dashboards.' });
    apps.push(await npmStart(env, port));
    const sql = await openSql({ kind: 'node-postgres', url: db.url });
    try {
      const answered = async () =>
        (
          await sql.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM messages WHERE in_reply_to = :id::uuid AND from_role = 'cto'`,
            { id },
          )
        ).rows[0]!.n;
      await eventually(
        async () => ((await answered()) > 0 ? true : undefined),
        60_000,
        'the answer after the restart',
      );
      await new Promise((r) => setTimeout(r, 1000));
      expect(await answered()).toBe(1);
      const { rows } = await sql.query<{
        status: string;
        lease_owner: string | null;
        content: { answer: string };
      }>(
        `SELECT d.status, d.lease_owner, m.content FROM deliveries d
         JOIN messages m ON m.in_reply_to = d.message_id AND m.from_role = 'cto'
         WHERE d.message_id = :id::uuid AND d.role = 'cto'`,
        { id },
      );
      expect(rows[0]).toMatchObject({
        status: 'processed',
        lease_owner: null,
        content: { answer: 'Yes: one reader for the dashboards.' },
      });
    } finally {
      await sql.close();
    }
  }, 180_000);
});
