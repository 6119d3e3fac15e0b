/**
 * The built-in workflows on the whole local runtime (real PostgreSQL and Redis; the rules engine):
 * feature development (the acceptance scenario) runs to its release decision; hiring pauses for a human,
 * resumes on approval and ends on rejection; a cancelled run stops; incident response and the
 * revenue-3x initiative run to their end; echoctl starts, follows, lists, draws and cancels runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../lambdas/adapters/bus/port.ts';
import { echoctl } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { redisUrl, requireService } from '../support/services.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');
const TOKEN = 'workflow-test-token';
export const MOBILE_DASHBOARD = {
  feature: 'Mobile App Dashboard',
  priority: 'high',
  budget_usd: 150_000,
  complexity: 'high',
  users: 50_000,
  platform: 'mobile',
};
const HIRE = { position: 'Senior Backend Engineer', headcount: 1, budget_usd: 180_000, candidate: 'Ada' };

describe.runIf(hasServices)('built-in workflows on the local runtime', () => {
  let rt: TestRuntime;
  const lifecycle: (EventEnvelope & { detail: any })[] = [];
  const realtime: { channel: string; payload: any }[] = [];
  const env = () => ({ ECHO_HUMAN_TOKEN: TOKEN });

  const call = async (method: string, path: string, body?: unknown, human = false) => {
    const res = await fetch(`${rt.apiUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(human ? { authorization: `Bearer ${TOKEN}`, 'x-echo-human': 'tester' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const start = async (name: string, input: unknown) => {
    const { status, body } = await call('POST', `/workflows/${name}/runs`, { input });
    expect(status, JSON.stringify(body)).toBe(201);
    return body.run.id as string;
  };
  const getRun = async (id: string) => (await call('GET', `/workflow-runs/${id}`)).body.run;
  const until = (id: string, ...statuses: string[]) =>
    eventually(
      async () => {
        const r = await getRun(id);
        return statuses.includes(r.status) ? r : undefined;
      },
      30_000,
      `run ${id} to be ${statuses.join(' or ')}`,
    );
  /** The requests the run sent, by step: each step must have asked exactly once. */
  const requestsOf = async (runId: string) => {
    const { rows } = await rt.sql.query<{ step: string; n: number }>(
      `SELECT metadata->>'workflowStep' AS step, count(*)::int AS n FROM messages
       WHERE metadata->>'workflowRunId' = :runId AND type = 'request' GROUP BY 1`,
      { runId },
    );
    return Object.fromEntries(rows.map((r) => [r.step, r.n]));
  };

  beforeAll(async () => {
    rt = await startTestRuntime({
      database: 'postgres',
      redisUrl,
      env: { ...env(), ECHO_DEADLINE_INTERVAL_MS: '200' },
    });
    rt.bus.addRule({
      name: 'test-workflow-lifecycle',
      pattern: { source: ['echo'], 'detail-type': [{ prefix: 'Workflow' }] },
      target: async (e) => void lifecycle.push(e as EventEnvelope & { detail: any }),
    });
    await rt.subscriber.subscribe(['workflow:*'], (channel, payload) => realtime.push({ channel, payload }));
  });
  afterAll(async () => rt?.close());

  it('feature-development: the steps in order, the CTO branch, a joined parallel build, the release vote', async () => {
    const id = await start('feature-development', MOBILE_DASHBOARD);
    const run = await until(id, 'completed', 'failed', 'cancelled');
    expect(run.status, JSON.stringify(run, null, 2)).toBe('completed');
    const s = run.steps;
    const order = [
      'requirements',
      'feasibility',
      'cto_approval',
      'design',
      'quality_gate',
      'release',
      'announce',
    ];
    for (const step of order) expect(s[step]?.status, step).toBe('completed');
    for (let i = 1; i < order.length; i++)
      expect(
        s[order[i]!].startedAt >= s[order[i - 1]!].completedAt,
        `${order[i]} after ${order[i - 1]}`,
      ).toBe(true);
    // complexity high: the CTO's approval branch was taken
    expect(s.cto_gate).toMatchObject({ status: 'completed', conditionMet: true });
    expect(run.context.steps.cto_approval).toMatchObject({
      owner: 'cto',
      status: 'approved',
      budgetUsd: 150_000,
    });
    // the build ran in parallel and the quality gate waited for both branches
    expect(s.implementation.startedAt).toBe(s.test_plan.startedAt);
    expect(s.quality_gate.startedAt >= s.implementation.completedAt).toBe(true);
    expect(s.quality_gate.startedAt >= s.test_plan.completedAt).toBe(true);
    expect(run.context.steps.build).toEqual({ joined: 2, of: 2 });
    // the quality gate used the test plan's output
    expect(run.context.steps.test_plan.coverageTarget).toBe(0.85);
    // the release is a collaborative decision of PM, architect and test lead
    const release = (await call('GET', `/decisions/${run.context.steps.release.decisionId}`)).body.decision;
    expect(release).toMatchObject({ mode: 'collaborative', status: 'approved', consensusScore: 1 });
    expect(release.votes.map((v: any) => v.voter).sort()).toEqual([
      'product_manager',
      'senior_architect',
      'test_lead',
    ]);
    expect(release.outcome.summary).toMatch(/approved: 3 for/);
    // each step asked once
    expect(await requestsOf(id)).toEqual({
      requirements: 1,
      feasibility: 1,
      cto_approval: 1,
      design: 1,
      implementation: 1,
      test_plan: 1,
      quality_gate: 1,
    });
    // lifecycle on EventBridge and on the real-time channel
    await eventually(() =>
      lifecycle.find((e) => e['detail-type'] === 'WorkflowCompleted' && e.detail.runId === id),
    );
    const mine = lifecycle.filter((e) => e.detail.runId === id).map((e) => e['detail-type']);
    expect(mine[0]).toBe('WorkflowStarted');
    expect(mine.filter((t) => t === 'WorkflowStepCompleted')).toHaveLength(Object.keys(s).length);
    await eventually(() =>
      realtime.find((r) => (r.channel === 'workflow:completed' && r.payload.runId === id ? true : undefined)),
    );
  });

  it('feature-development of low complexity skips the CTO approval', async () => {
    const run = await until(
      await start('feature-development', { ...MOBILE_DASHBOARD, complexity: 'low', budget_usd: 20_000 }),
      'completed',
      'failed',
    );
    expect(run.status).toBe('completed');
    expect(run.steps.cto_gate).toMatchObject({ conditionMet: false, status: 'completed' });
    expect(run.steps.cto_approval).toMatchObject({ status: 'skipped' });
    expect(run.context.steps.cto_approval).toBeUndefined();
  });

  it('a step whose decision climbs to a human pauses the run; the approval resumes it where it stopped', async () => {
    const id = await start('feature-development', { ...MOBILE_DASHBOARD, budget_usd: 2_000_000 });
    const paused = await until(id, 'paused');
    // PM ($200k) -> CTO ($500k) -> CEO ($1M) -> a human: the step follows the chain and waits
    expect(paused.steps.requirements).toMatchObject({ status: 'waiting', human: true });
    const chain = (await call('GET', `/decisions/${paused.steps.requirements.waitingOn.id}`)).body.decision
      .chain;
    expect(chain.map((d: any) => d.owner)).toEqual(['product_manager', 'cto', 'ceo']);
    expect(paused.steps.feasibility).toBeUndefined();
    const approved = await echoctl(['approve', id, '--reason', 'the board funds it'], rt.apiUrl, env());
    expect(approved.code, approved.stderr).toBe(0);
    // the CTO's approval climbs again and pauses again
    const again = await until(id, 'paused', 'completed', 'failed');
    expect(again.status).toBe('paused');
    expect(again.context.steps.requirements).toMatchObject({ status: 'approved', owner: 'ceo' });
    expect(again.steps.cto_approval).toMatchObject({ status: 'waiting', human: true });
    expect((await echoctl(['approve', id, '--reason', 'still funded'], rt.apiUrl, env())).code).toBe(0);
    const run = await until(id, 'completed', 'failed', 'cancelled');
    expect(run.status).toBe('completed');
    expect(await requestsOf(id)).toMatchObject({ requirements: 1, cto_approval: 1, quality_gate: 1 });
  });

  it('hiring: the CHRO reviews, the run pauses for candidates, a human resumes it, two interviews, the offer', async () => {
    const id = await start('hiring', HIRE);
    const paused = await until(id, 'paused');
    expect(paused.steps.hiring_request.status).toBe('completed');
    expect(paused.context.steps.hiring_request).toMatchObject({ owner: 'chro', status: 'approved' });
    expect(paused.steps.candidates).toMatchObject({ status: 'waiting', human: true });
    expect(paused.steps.cto_interview).toBeUndefined();
    // the pause is a human-approval item like any other
    const approvalFor = paused.steps.candidates.waitingOn.id;
    const { approvals } = (await call('GET', '/approvals?status=pending')).body;
    expect(approvals.map((a: any) => a.decisionId)).toContain(approvalFor);
    expect(lifecycle.some((e) => e['detail-type'] === 'WorkflowPaused' && e.detail.runId === id)).toBe(true);
    // `echoctl approve <run id>` finds the approval the run waits on
    const approved = await echoctl(['approve', id, '--reason', 'three strong candidates'], rt.apiUrl, env());
    expect(approved.code, approved.stderr).toBe(0);
    const run = await until(id, 'completed', 'failed', 'cancelled');
    expect(run.status, JSON.stringify(run, null, 2)).toBe('completed');
    expect(run.context.steps.candidates).toMatchObject({ status: 'approved' });
    expect(run.context.steps.cto_interview).toMatchObject({ recommendation: 'hire', candidate: 'Ada' });
    expect(run.context.steps.architect_interview).toMatchObject({ recommendation: 'hire' });
    expect(run.steps.offer.startedAt >= run.steps.cto_interview.completedAt).toBe(true);
    expect(run.steps.offer.startedAt >= run.steps.architect_interview.completedAt).toBe(true);
    expect(run.context.steps.offer).toMatchObject({ owner: 'chro', status: 'approved', budgetUsd: 180_000 });
    expect(lifecycle.some((e) => e['detail-type'] === 'WorkflowResumed' && e.detail.runId === id)).toBe(true);
    // the CTO asked, so the CHRO answered the CTO
    const { rows } = await rt.sql.query<{ id: string }>(
      `SELECT id FROM messages WHERE metadata->>'workflowRunId' = :id AND metadata->>'workflowStep' = 'hiring_request'`,
      { id },
    );
    const replies = (await call('GET', `/messages?inReplyTo=${rows[0]!.id}`)).body.messages;
    expect(replies).toMatchObject([{ from: 'chro', to: 'cto', type: 'response' }]);
  });

  it('hiring: a human rejection at the pause ends the run; nobody is interviewed', async () => {
    const id = await start('hiring', HIRE);
    const paused = await until(id, 'paused');
    const approval = (await call('GET', `/decisions/${paused.steps.candidates.waitingOn.id}`)).body.decision
      .approval;
    const rejected = await echoctl(
      ['reject', approval.id, '--reason', 'the role is frozen'],
      rt.apiUrl,
      env(),
    );
    expect(rejected.code, rejected.stderr).toBe(0);
    const run = await until(id, 'completed', 'failed', 'cancelled');
    expect(run.status).toBe('cancelled');
    expect(run.error).toMatch(/rejected.*the role is frozen/);
    expect(run.steps.cto_interview).toBeUndefined();
    expect(await requestsOf(id)).toEqual({ hiring_request: 1 });
  });

  it('a cancelled run stops and withdraws the approval it waited on', async () => {
    const id = await start('hiring', HIRE);
    const paused = await until(id, 'paused');
    const anonymous = await call('POST', `/workflow-runs/${id}/cancel`, { reason: 'no' });
    expect(anonymous.status).toBe(401);
    const cancelled = await echoctl(
      ['workflow', 'cancel', id, '--reason', 'budget moved', '--json'],
      rt.apiUrl,
      env(),
    );
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({
      id,
      status: 'cancelled',
      error: expect.stringMatching(/budget moved/),
    });
    const stopped = await getRun(id);
    expect(stopped.steps.candidates.status).toBe('cancelled');
    // its approval item left the inbox: approving it now is refused, with the reason
    const decisionId = paused.steps.candidates.waitingOn.id;
    const item = (await call('GET', `/decisions/${decisionId}`)).body.decision;
    expect(item).toMatchObject({ status: 'expired', approval: { status: 'withdrawn', principal: 'system' } });
    expect(item.approval.resolution).toMatch(/ended \(cancelled\): cancelled by human:[\w.-]+: budget moved/);
    const pending = (await call('GET', '/approvals?status=pending')).body.approvals;
    expect(pending.map((a: any) => a.decisionId)).not.toContain(decisionId);
    const late = await call('POST', `/decisions/${decisionId}/approve`, { reason: 'too late' }, true);
    expect(late.status).toBe(400);
    expect(late.body.error.message).toMatch(/already withdrawn by system/);
    await rt.bus.idle();
    await rt.tick();
    const after = await getRun(id);
    expect(after.status).toBe('cancelled');
    expect(after.version).toBe(stopped.version);
    expect(await requestsOf(id)).toEqual({ hiring_request: 1 });
    const again = await echoctl(['workflow', 'cancel', id, '--reason', 'twice'], rt.apiUrl, env());
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already cancelled/);
  });

  it('incident-response: a critical incident with customers affected alerts leadership and the CEO communicates', async () => {
    const id = await start('incident-response', {
      title: 'Checkout API returns 500s',
      outage: true,
      customers_affected: 420,
      mitigation: 'rollback',
    });
    const run = await until(id, 'completed', 'failed', 'cancelled');
    expect(run.status, JSON.stringify(run, null, 2)).toBe('completed');
    expect(run.context.steps.assess).toMatchObject({ severity: 'critical', customersAffected: true });
    expect(run.steps.notify_leadership.status).toBe('completed');
    expect(run.context.steps.mitigation).toMatchObject({ owner: 'cto', status: 'approved' });
    expect(run.context.steps.fix).toMatchObject({ owner: 'senior_developer', status: 'approved' });
    expect(run.context.steps.verify).toMatchObject({ meetsTarget: true });
    expect(run.context.steps.ceo_communication).toMatchObject({ role: 'ceo' });
    const alert = (await call('GET', `/messages/${run.context.steps.notify_leadership.messageId}`)).body
      .message;
    expect(alert).toMatchObject({
      to: 'leadership',
      priority: 'critical',
      recipients: ['ceo', 'cto', 'chro'],
    });
  });

  it('incident-response: a minor incident neither alerts leadership nor asks the CEO', async () => {
    const id = await start('incident-response', { title: 'Slow admin page', degraded_services: ['admin'] });
    const run = await until(id, 'completed', 'failed', 'cancelled');
    expect(run.status).toBe('completed');
    expect(run.steps.notify_leadership.status).toBe('skipped');
    expect(run.steps.ceo_communication.status).toBe('skipped');
  });

  it('revenue-3x as a workflow: broadcast, self-selection, votes, the CEO synthesis; $2M waits for a human, then the announcement', async () => {
    const brief = (await import('../../scenarios/revenue-3x.json', { with: { type: 'json' } })).default;
    const id = await start('revenue-3x', brief);
    const paused = await until(id, 'paused', 'completed', 'failed', 'cancelled');
    expect(paused.status, JSON.stringify(paused, null, 2)).toBe('paused');
    const decisionId = paused.steps.initiative.waitingOn.id;
    const waiting = (await call('GET', `/decisions/${decisionId}`)).body.decision;
    expect(waiting).toMatchObject({ mode: 'collaborative', owner: 'ceo', status: 'awaiting_human' });
    expect(waiting.participants).toEqual(
      expect.arrayContaining(['cto', 'product_manager', 'senior_architect', 'operations_head']),
    );
    expect(waiting.context.vote.outcome).toBe('approved');
    // the approving vote is a recommendation: $2,000,000 is above the CEO's $1,000,000
    expect(waiting.reason).toMatch(
      /approved by vote .* as a recommendation; budget \$2,000,000 exceeds ceo authority/,
    );
    const approved = await echoctl(
      ['approve', decisionId, '--reason', 'the board backs it'],
      rt.apiUrl,
      env(),
    );
    expect(approved.code, approved.stderr).toBe(0);
    const run = await until(id, 'completed', 'failed', 'cancelled');
    expect(run.status, JSON.stringify(run, null, 2)).toBe('completed');
    const decision = (await call('GET', `/decisions/${decisionId}`)).body.decision;
    expect(decision).toMatchObject({ status: 'approved', mode: 'human' });
    await eventually(
      async () => (await call('GET', `/decisions/${decisionId}`)).body.decision.outcome?.summary,
    );
    expect(run.context.steps.initiative.status).toBe('approved');
  });

  it('bad input is refused with the field named, and no run is stored', async () => {
    const before = (await call('GET', '/workflow-runs?limit=1000')).body.runs.length;
    const bad = await call('POST', '/workflows/feature-development/runs', {
      input: { feature: 'X', budget_usd: -5 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      field: 'input.budget_usd',
      message: expect.stringMatching(/negative/),
    });
    const unknown = await call('POST', '/workflows/world-domination/runs', { input: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(
      /no workflow world-domination; known: feature-development, hiring/,
    );
    expect((await call('GET', '/workflow-runs?limit=1000')).body.runs.length).toBe(before);
    const cli = await echoctl(
      ['workflow', 'start', 'hiring', '--input', '{"position": ""}'],
      rt.apiUrl,
      env(),
    );
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/input\.position/);
  });

  it('the runtime counts workflow runs by status', async () => {
    const { metrics } = (await call('GET', '/health')).body.detail;
    expect(metrics['WorkflowRuns{status=running}']).toBeGreaterThan(0);
    expect(metrics['WorkflowRuns{status=completed}']).toBeGreaterThan(0);
    expect(metrics['WorkflowRuns{status=paused}']).toBeGreaterThan(0);
    expect(metrics['WorkflowRuns{status=cancelled}']).toBeGreaterThan(0);
  });

  it('echoctl: start --wait --json, workflows, workflow status draws the steps; one idempotency key, one run', async () => {
    const input = JSON.stringify({ ...MOBILE_DASHBOARD, feature: 'Offline mode' });
    const started = await echoctl(
      [
        'workflow',
        'start',
        'feature-development',
        '--input',
        input,
        '--wait',
        '--json',
        '--idempotency-key',
        'offline-1',
      ],
      rt.apiUrl,
      env(),
    );
    expect(started.code, started.stderr).toBe(0);
    const run = JSON.parse(started.stdout);
    expect(run).toMatchObject({
      name: 'feature-development',
      status: 'completed',
      steps: expect.any(Object),
      context: expect.any(Object),
    });
    const again = await echoctl(
      [
        'workflow',
        'start',
        'feature-development',
        '--input',
        input,
        '--json',
        '--idempotency-key',
        'offline-1',
      ],
      rt.apiUrl,
      env(),
    );
    expect(JSON.parse(again.stdout).id).toBe(run.id);

    const progress = await echoctl(
      ['workflow', 'start', 'hiring', '--input', JSON.stringify(HIRE), '--wait'],
      rt.apiUrl,
      env(),
    );
    expect(progress.code, progress.stderr).toBe(0);
    expect(progress.stderr).toMatch(/✓ hiring_request completed \(chro\)/);
    expect(progress.stdout).toMatch(/paused/);
    expect(progress.stdout).toMatch(/step candidates waits for a human: echoctl approve/);

    const list = await echoctl(['workflows', '--json', '--name', 'feature-development'], rt.apiUrl, env());
    expect(JSON.parse(list.stdout).map((r: any) => r.id)).toContain(run.id);
    const available = await echoctl(['workflows', '--available', '--json'], rt.apiUrl, env());
    expect(JSON.parse(available.stdout).map((w: any) => w.name)).toEqual([
      'feature-development',
      'hiring',
      'incident-response',
      'revenue-3x',
    ]);
    const status = await echoctl(['workflow', 'status', run.id], rt.apiUrl, env());
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/feature-development .* completed/);
    expect(status.stdout).toMatch(/✓ requirements +→ product_manager approve_product_requirement +approved/);
    expect(status.stdout).toMatch(/ {4}✓ implementation/); // nested under the parallel step
    const json = await echoctl(['workflow', 'status', run.id, '--json'], rt.apiUrl, env());
    expect(JSON.parse(json.stdout)).toMatchObject({ id: run.id, status: 'completed' });
  });
});
