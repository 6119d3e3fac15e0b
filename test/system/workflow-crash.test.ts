/**
 * The crash test of the acceptance scenarios: `npm start` (a real process, real PostgreSQL and Redis) is killed
 * with SIGKILL between two steps of two runs, and started again. The feature-development run is
 * caught before its release vote: the participants' model (a scripted OpenAI-compatible server)
 * fails in the discussion round before the vote, so their deliveries stay pending. The hiring run is paused for a human. After the restart the
 * model answers and a human approves: both runs finish, exactly once, and no step is repeated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoctl, npmStart } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { freePort } from '../support/processes.ts';
import { type ScriptedLlmServer, startScriptedLlmServer } from '../support/scripted-llm-servers.ts';
import { createTestDatabase, redisUrl, requireService } from '../support/services.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');
const TOKEN = 'crash-test-token';

describe.runIf(hasServices)('workflows survive the runtime being killed between steps', () => {
  let model: ScriptedLlmServer;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let sql: pg.Client;
  let dataDir: string;
  let env: Record<string, string>;
  let api: string;
  const apps: Awaited<ReturnType<typeof npmStart>>[] = [];

  beforeAll(async () => {
    model = await startScriptedLlmServer('openai');
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'echo-crash-'));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    env = {
      ECHO_PORT: String(port),
      ECHO_AWS_PORT: String(await freePort()),
      ECHO_DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl!,
      ECHO_HUMAN_TOKEN: TOKEN,
      ECHO_LOG_LEVEL: 'warn',
      ECHO_LLM_PROVIDER: 'openai',
      ECHO_LLM_BASE_URL: model.url,
      ECHO_LLM_FAILURE: 'fatal',
      ECHO_LLM_MAX_RETRIES: '0',
      ECHO_LLM_TIMEOUT_MS: '2000',
      ECHO_CATCHUP_INTERVAL_MS: '300',
      ECHO_DEADLINE_INTERVAL_MS: '300',
      ECHO_RETRY_BASE_MS: '5',
    };
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
  }, 180_000);

  afterAll(async () => {
    for (const app of apps) await app.stop();
    await sql?.end();
    await db?.drop();
    await model?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const get = async (path: string) => (await (await fetch(`${api}${path}`)).json()) as any;
  const post = async (path: string, body: unknown) =>
    (await (
      await fetch(`${api}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).json()) as any;
  /** Read from the database itself: it answers whether the runtime is up or not. */
  const runRow = async (id: string) =>
    (await sql.query('SELECT status, steps, version FROM workflow_runs WHERE id = $1', [id])).rows[0];
  const requestsPerStep = async (id: string) =>
    Object.fromEntries(
      (
        await sql.query(
          `SELECT metadata->>'workflowStep' AS step, count(*)::int AS n FROM messages
           WHERE metadata->>'workflowRunId' = $1 AND type = 'request' GROUP BY 1`,
          [id],
        )
      ).rows.map((r) => [r.step, r.n]),
    );

  it('feature-development and hiring resume where they stopped and finish once', async () => {
    apps.push(await npmStart(env, Number(env.ECHO_PORT)));
    const feature = (
      await post('/workflows/feature-development/runs', {
        input: {
          feature: 'Mobile App Dashboard',
          priority: 'high',
          budget_usd: 150_000,
          complexity: 'high',
          users: 50_000,
        },
      })
    ).run.id as string;
    const hire = (
      await post('/workflows/hiring/runs', {
        input: { position: 'Senior Backend Engineer', budget_usd: 180_000, candidate: 'Grace' },
      })
    ).run.id as string;

    // between two steps: the release vote waits on a discussion whose model fails; hiring waits for a human
    await eventually(
      async () => {
        const row = await runRow(feature);
        return row.steps.release?.status === 'waiting' && row.steps.quality_gate?.status === 'completed'
          ? row
          : undefined;
      },
      30_000,
      'the feature run to wait on its release vote',
    );
    await eventually(
      async () => {
        const { rows } = await sql.query(
          `SELECT count(*)::int AS n FROM deliveries d JOIN messages m ON m.id = d.message_id
           WHERE m.subject = 'discuss_decision' AND d.status = 'pending' AND d.attempts > 0`,
        );
        return rows[0].n === 3 ? true : undefined;
      },
      30_000,
      'the three discussion requests to have failed once',
    );
    await eventually(async () => ((await runRow(hire)).status === 'paused' ? true : undefined), 30_000);
    const before = { feature: await runRow(feature), hire: await runRow(hire) };
    expect(before.feature.status).toBe('running');

    await apps[0]!.crash();

    const participants = ['product_manager', 'senior_architect', 'test_lead'];
    model.script(
      ...participants.map(() => ({
        kind: 'answer' as const,
        text: '{"stance": "support", "position": "the quality gate passed"}',
      })),
      ...participants.map(() => ({
        kind: 'answer' as const,
        text: '{"vote": "approve", "confidence": 0.9, "rationale": "ready to ship"}',
      })),
      {
        kind: 'answer' as const,
        text: '{"summary": "Release approved by all three.", "nextSteps": ["ship it"]}',
      },
    );
    apps.push(await npmStart(env, Number(env.ECHO_PORT)));
    const approved = await echoctl(['approve', hire, '--reason', 'shortlist ready'], api, {
      ECHO_HUMAN_TOKEN: TOKEN,
    });
    expect(approved.code, approved.stderr).toBe(0);

    for (const id of [feature, hire]) {
      const done = await eventually(
        async () => {
          const { run } = await get(`/workflow-runs/${id}`);
          return ['completed', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
        },
        60_000,
        `run ${id} to finish`,
      );
      expect(done.status, JSON.stringify(done, null, 2)).toBe('completed');
      // no step repeated: what was done before the crash is as it was, and each step asked once
      const was = id === feature ? before.feature : before.hire;
      for (const [step, state] of Object.entries(was.steps as Record<string, any>))
        if (state.status === 'completed') expect(done.steps[step].completedAt, step).toBe(state.completedAt);
      const asked = await requestsPerStep(id);
      expect(
        Object.values(asked).every((n) => n === 1),
        JSON.stringify(asked),
      ).toBe(true);
    }
    expect(Object.keys(await requestsPerStep(feature)).sort()).toEqual(
      [
        'cto_approval',
        'design',
        'feasibility',
        'implementation',
        'quality_gate',
        'requirements',
        'test_plan',
      ].sort(),
    );
    expect(Object.keys(await requestsPerStep(hire)).sort()).toEqual(
      ['architect_interview', 'cto_interview', 'hiring_request', 'offer'].sort(),
    );
    // one release decision, voted by its three participants with the model's votes
    const { rows } = await sql.query(
      `SELECT id FROM decisions WHERE context->>'workflowRunId' = $1 AND mode = 'collaborative'`,
      [feature],
    );
    expect(rows).toHaveLength(1);
    const release = (await get(`/decisions/${rows[0].id}`)).decision;
    expect(release).toMatchObject({ status: 'approved', consensusScore: 1 });
    expect(release.votes.map((v: any) => v.rationale)).toEqual([
      'ready to ship',
      'ready to ship',
      'ready to ship',
    ]);
    // nothing waits any more, and a second tick changes nothing
    expect((await sql.query('SELECT count(*)::int AS n FROM workflow_waits')).rows[0].n).toBe(0);
  }, 240_000);
});
