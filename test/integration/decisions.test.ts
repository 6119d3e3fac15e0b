/**
 * Decisions through the real runtime: only a human resolves a human item, deadlines close votes
 * (and survive a restart: they live in the database), degraded agents leave the quorum.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/adapters/config.ts';
import { actInTransaction } from '../../lambdas/core/agent.ts';
import { resolveByHuman } from '../../lambdas/core/decisions.ts';
import { ForbiddenError } from '../../lambdas/core/errors.ts';
import { startLocalRuntime } from '../../lambdas/local/runtime.ts';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { createTestDatabase, requireService } from '../support/services.ts';

const hasPostgres = requireService('DATABASE_URL');

describe('human items and overrides', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ database: 'pglite', env: { ECHO_HUMAN_TOKEN: 't0ken' } });
  });
  afterAll(async () => rt?.close());

  async function awaitingHuman(): Promise<string> {
    const { body } = await rt.post({
      to: 'ceo',
      subject: 'approve_strategic_initiative',
      content: { title: 'Buy a competitor', budget_usd: 5_000_000 },
    });
    const reply = await eventually(
      async () => (await rt.get(`/messages?inReplyTo=${body.message.id}`)).body.messages[0],
    );
    expect(reply.content).toMatchObject({ status: 'awaiting_human' });
    return reply.content.decisionId as string;
  }

  it('an agent principal is refused by the core, whatever the route', async () => {
    const id = await awaitingHuman();
    await expect(
      actInTransaction(rt.deps, (ctx) =>
        resolveByHuman(ctx, {
          idOrDecisionId: id,
          principal: { kind: 'agent', id: 'ceo' },
          approve: true,
          reason: 'I am the CEO',
        }),
      ),
    ).rejects.toBeInstanceOf(ForbiddenError);
    expect((await rt.get(`/decisions/${id}`)).body.decision).toMatchObject({
      status: 'awaiting_human',
      approval: { status: 'pending' },
    });
  });

  it("the CEO's override_decision cannot touch a decision awaiting a human", async () => {
    const id = await awaitingHuman();
    const { body } = await rt.post({
      to: 'ceo',
      subject: 'override_decision',
      content: { decisionId: id, status: 'approved', reason: 'just do it' },
    });
    const reply = await eventually(
      async () => (await rt.get(`/messages?inReplyTo=${body.message.id}`)).body.messages[0],
    );
    expect(reply.type).toBe('error');
    expect(reply.content.error.message).toMatch(
      /waits for a human\): only a human may change it, an agent never can/,
    );
    expect((await rt.get(`/decisions/${id}`)).body.decision.status).toBe('awaiting_human');
  });

  it('without the token the API answers 401; with it the human is recorded', async () => {
    const id = await awaitingHuman();
    const anonymous = await fetch(`${rt.apiUrl}/decisions/${id}/approve`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'x' }),
    });
    expect(anonymous.status).toBe(401);
    const human = await fetch(`${rt.apiUrl}/decisions/${id}/approve`, {
      method: 'POST',
      headers: { authorization: 'Bearer t0ken', 'x-echo-human': 'ada' },
      body: JSON.stringify({ reason: 'the board agrees' }),
    });
    expect(human.status).toBe(200);
    const { decision } = (await human.json()) as any;
    expect(decision).toMatchObject({
      status: 'approved',
      mode: 'human',
      approval: { status: 'approved', principal: 'human:ada', resolution: 'the board agrees' },
    });
    const twice = await fetch(`${rt.apiUrl}/decisions/${id}/reject`, {
      method: 'POST',
      headers: { authorization: 'Bearer t0ken' },
      body: JSON.stringify({ reason: 'changed my mind' }),
    });
    expect(twice.status).toBe(400);
  });

  it('escalate_to tools and a blocked release hand the decision to the named role with the reason', async () => {
    const ask = async (to: string, subject: string, content: Record<string, unknown>) => {
      const { body } = await rt.post({ to, subject, content });
      return eventually(
        async () => (await rt.get(`/messages?inReplyTo=${body.message.id}`)).body.messages[0],
      );
    };
    const blocked = await ask('test_lead', 'approve_release_quality', {
      release: '3.1',
      pass_rate: 0.97,
      open_p0: 2,
    });
    const chain = await eventually(async () => {
      const d = (await rt.get(`/decisions/${blocked.content.decisionId}`)).body.decision;
      return d.chain.length === 2 && d.chain[1].status !== 'pending' ? d.chain : undefined;
    });
    expect(chain[0]).toMatchObject({
      owner: 'test_lead',
      status: 'escalated',
      reason: 'release blocked: 2 open P0 bug(s)',
    });
    expect(chain[1]).toMatchObject({ owner: 'cto', status: 'approved', mode: 'hierarchical' });
    const handed = await ask('senior_developer', 'escalate_to_senior_architect', {
      title: 'Rewrite the auth module',
      reason: 'needs a design decision',
    });
    expect(handed.content).toMatchObject({ status: 'escalated', reason: 'needs a design decision' });
  });

  it('a category that always needs a human skips the ladder', async () => {
    const { body } = await rt.post({
      to: 'chro',
      subject: 'resolve_hr_issue',
      content: { issue: 'complaint', category: 'discrimination', severity: 'high' },
    });
    const reply = await eventually(
      async () => (await rt.get(`/messages?inReplyTo=${body.message.id}`)).body.messages[0],
    );
    expect(reply.content).toMatchObject({
      status: 'awaiting_human',
      reason: 'category "discrimination" always needs a human (a discrimination matter)',
    });
  });
});

describe('listings, newest first', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ database: 'pglite' });
  });
  afterAll(async () => rt?.close());

  // An escalation writes the role's decision and the hop above it in one transaction, with one
  // created_at: the later id (a UUIDv7, time-ordered) is the newer row and must come first, so that
  // `echoctl decisions` lists a chain top down (ceo, cto, product_manager), not ceo, product_manager, cto.
  it('rows made at the same instant: the later id first (decisions, approvals, workflow runs)', async () => {
    const at = '2001-01-01T00:00:00Z';
    const [older, newer] = ['01a24b00-0000-7000-8000-00000000000a', '01a24b00-0001-7000-8000-00000000000b'];
    for (const [id, title] of [
      [older, 'tie: the root'],
      [newer, 'tie: the hop above it'],
    ])
      await rt.sql.query(
        `INSERT INTO decisions (id, type, mode, status, owner, initiator, title, created_at)
         VALUES ('${id}', 'tie_test', 'autonomous', 'expired', 'uiux_engineer', 'human', '${title}', '${at}')`,
      );
    for (const [approval, decision] of [
      ['01a24b00-0000-7000-8000-0000000000aa', older],
      ['01a24b00-0001-7000-8000-0000000000bb', newer],
    ])
      await rt.sql.query(
        `INSERT INTO human_approvals (id, decision_id, status, reason, principal, created_at, resolved_at)
         VALUES ('${approval}', '${decision}', 'rejected', 'tie', 'human:test', '${at}', '${at}')`,
      );
    for (const id of [older, newer])
      await rt.sql.query(
        `INSERT INTO workflow_runs (id, name, status, created_at, updated_at)
         VALUES ('${id}', 'tie-test', 'cancelled', '${at}', '${at}')`,
      );
    const decisions = (await rt.get('/decisions?owner=uiux_engineer&status=expired')).body.decisions;
    expect(decisions.map((d: { id: string }) => d.id)).toEqual([newer, older]);
    const approvals = (await rt.get('/approvals?status=rejected')).body.approvals;
    expect(approvals.map((a: { decisionId: string }) => a.decisionId)).toEqual([newer, older]);
    const runs = (await rt.get('/workflow-runs?name=tie-test')).body.runs;
    expect(runs.map((r: { id: string }) => r.id)).toEqual([newer, older]);
  });
});

describe.runIf(hasPostgres)('deadlines', () => {
  it('no quorum at the deadline escalates, also when the deadline passes while the runtime is down', async () => {
    const db = await createTestDatabase();
    const env = {
      DATABASE_URL: db.url,
      ECHO_PORT: '0',
      ECHO_AWS_PORT: '0',
      ECHO_LOG_LEVEL: 'silent',
      ECHO_DEADLINE_INTERVAL_MS: '100',
      ECHO_HUMAN_TOKEN: 'x',
    };
    let rt = await startLocalRuntime(parseConfig(env));
    try {
      const res = await fetch(`${rt.apiUrl}/decisions`, {
        method: 'POST',
        body: JSON.stringify({
          initiator: 'cto',
          title: 'Pick a queue',
          participants: ['senior_architect', 'operations_head'],
          requestVotes: false,
          deadlineMinutes: 0.02,
        }),
      });
      const { decision } = (await res.json()) as any;
      await rt.stop();
      await new Promise((r) => setTimeout(r, 1500)); // the deadline passes while nothing runs
      rt = await startLocalRuntime(parseConfig(env));
      const closed = await eventually(async () => {
        const d = ((await (await fetch(`${rt.apiUrl}/decisions/${decision.id}`)).json()) as any).decision;
        return d.chain.length > 1 ? d : undefined;
      });
      expect(closed.chain[0]).toMatchObject({
        status: 'escalated',
        reason: 'no quorum: 0 of 2 eligible participants voted; escalated to ceo',
      });
      expect(closed.chain[1]).toMatchObject({ owner: 'ceo', parentId: decision.id });
    } finally {
      await rt.stop();
      await db.drop();
    }
  });
});
