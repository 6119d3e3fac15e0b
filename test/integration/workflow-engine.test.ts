/**
 * The workflow engine's guarantees, on the real runtime (PostgreSQL, Redis, the coordinator on the
 * local bus), with small test workflows whose requests no agent answers: the test answers them
 * as the role would, through the HTTP API, when and as often as it likes. A clock that can be
 * moved forward makes deadlines pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { Behaviour } from '../../lambdas/core/agent.ts';
import { organization } from '../../lambdas/core/organization.ts';
import { postMessage } from '../../lambdas/core/pipeline.ts';
import type { Role } from '../../lambdas/core/roles.ts';
import { WORKFLOWS } from '../../lambdas/core/workflows/builtin/index.ts';
import { onWorkflowEvent, tickWorkflows } from '../../lambdas/core/workflows/coordinator.ts';
import {
  defineWorkflow,
  type Step,
  type WorkflowDefinition,
} from '../../lambdas/core/workflows/definition.ts';
import { eventually } from '../support/eventually.ts';
import { adjustableClock, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { redisUrl, requireService } from '../support/services.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');
const TOKEN = 'engine-test-token';
const MIN = 60_000;

const ask = (
  id: string,
  to: 'cto' | 'chro' | 'ceo' | 'senior_developer' | 'test_lead',
  extra: Partial<Step> = {},
) => ({ id, kind: 'request', to, subject: `question ${id}`, ...extra }) as Step;
const done: Step = { id: 'after', kind: 'notify', to: 'human', subject: 'all done' };
const test = (name: string, steps: Step[], deadlineMinutes = 600): WorkflowDefinition =>
  defineWorkflow({ name, description: name, input: z.object({}).loose(), deadlineMinutes, steps });

const catalog = new Map<string, WorkflowDefinition>([
  ...WORKFLOWS,
  ...[
    test('test-sequence', [
      ask('a', 'cto', { deadlineMinutes: 5, onTimeout: { action: 'retry', attempts: 2 } }),
      ask('b', 'cto'),
    ]),
    test('test-escalate', [
      ask('a', 'senior_developer', { deadlineMinutes: 5, onTimeout: { action: 'escalate' } }),
    ]),
    test('test-fail', [ask('a', 'test_lead', { deadlineMinutes: 5 })]),
    test('test-join-all', [
      { id: 'par', kind: 'parallel', branches: [[ask('a1', 'cto')], [ask('b1', 'chro')]] },
      done,
    ]),
    test('test-join-first', [
      {
        id: 'par',
        kind: 'parallel',
        join: { first: 1 },
        branches: [[ask('a', 'cto')], [ask('b', 'chro')], [ask('c', 'ceo')]],
      },
      done,
    ]),
    test('test-deadline', [ask('a', 'cto')], 10),
    test('test-broken', [
      ask('a', 'cto'),
      ask('b', 'cto', {
        input: ({ steps }) => {
          if (!steps.a?.answer) throw new Error('step a gave no answer');
          return {};
        },
      }),
    ]),
  ].map((w) => [w.name, w] as const),
]);

/** The organization, except that nobody answers the test workflows' requests: the test does. */
const org = organization();
const held = (ctx: { message: { type: string; metadata: Record<string, unknown> } }) =>
  ctx.message.type === 'request' && String(ctx.message.metadata.workflow ?? '').startsWith('test-');
const holdTestRequests: Behaviour = {
  think: async (ctx) => (held(ctx) ? undefined : org.think?.(ctx)),
  act: async (ctx) => {
    if (!held(ctx)) await org.act(ctx);
  },
};

describe.runIf(hasServices)('the workflow engine', () => {
  let rt: TestRuntime;
  const clock = adjustableClock();

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${rt.apiUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        authorization: `Bearer ${TOKEN}`,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const start = async (name: string) =>
    (await call('POST', `/workflows/${name}/runs`, { input: {} })).body.run.id;
  const getRun = async (id: string) => (await call('GET', `/workflow-runs/${id}`)).body.run;
  const settled = async (id: string) => {
    await rt.bus.idle();
    return getRun(id);
  };
  /** The request a step sent (its nth attempt). */
  const requestOf = (runId: string, step: string, attempt = 1) =>
    eventually(async () => {
      const { rows } = await rt.sql.query<{ id: string; to_address: string; metadata: any }>(
        `SELECT id, to_address, metadata FROM messages WHERE type = 'request' AND metadata->>'workflowRunId' = :runId
           AND metadata->>'workflowStep' = :step AND (metadata->>'attempt')::int = :attempt`,
        { runId, step, attempt },
      );
      return rows[0];
    });
  const requestsOf = async (runId: string) =>
    (
      await rt.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM messages WHERE metadata->>'workflowRunId' = :runId`,
        { runId },
      )
    ).rows[0]!.n;
  /** The role answers, as its agent would: a response with inReplyTo, through the API. */
  /** A role's reply, posted as its handler posts one (the public API takes no agent's reply). */
  const answer = async (
    requestId: string,
    from: Role,
    content: object,
    type: 'response' | 'error' = 'response',
  ) => {
    const { message } = await postMessage(rt.deps, {
      from,
      to: 'human',
      type,
      subject: 'Re: question',
      content: content as Record<string, unknown>,
      priority: 'normal',
      metadata: {},
      inReplyTo: requestId,
    });
    await rt.bus.idle();
    return message.id;
  };
  /** A reply committed whose event never reaches the coordinator (the process died before relaying it). */
  const answerSilently = (requestId: string, from: 'cto' | 'chro', content: object) =>
    rt.deps.store.transaction((tx) =>
      tx.insertMessage(
        {
          from,
          to: 'human',
          type: 'response',
          subject: 'Re: question',
          content: content as Record<string, unknown>,
          priority: 'normal',
          metadata: {},
          inReplyTo: requestId,
        },
        {
          id: crypto.randomUUID(),
          recipients: [],
          metadata: { inReplyTo: requestId },
          createdAt: clock.now(),
          leaseUntil: new Date(clock.now().getTime() + 3_600_000),
        },
      ),
    );

  beforeAll(async () => {
    rt = await startTestRuntime({
      database: 'postgres',
      redisUrl,
      clock,
      behaviour: holdTestRequests,
      workflows: catalog,
      env: { ECHO_HUMAN_TOKEN: TOKEN, ECHO_DEADLINE_INTERVAL_MS: '3600000' },
    });
  });
  afterAll(async () => rt?.close());

  it('a reply advances the run once: a redelivered event and a second reply change nothing', async () => {
    const id = await start('test-sequence');
    const a = await requestOf(id, 'a');
    const replyId = await answer(a.id, 'cto', { answer: 'yes' });
    const moved = await settled(id);
    expect(moved.steps.a.status).toBe('completed');
    expect(moved.steps.b.status).toBe('waiting');
    expect(moved.context.steps.a).toEqual({ answer: 'yes' });

    // the same MessagePosted event again, through the bus, and straight to the coordinator, twice at once
    const reply = (await call('GET', `/messages/${replyId}`)).body.message;
    await rt.bus.putEvents([
      {
        Source: 'echo',
        DetailType: 'MessagePosted',
        Detail: JSON.stringify({ ...reply, messageId: reply.id, inReplyTo: a.id }),
      },
    ]);
    const direct = await Promise.all([
      onWorkflowEvent(rt.deps, catalog, 'reply', a.id),
      onWorkflowEvent(rt.deps, catalog, 'reply', a.id),
    ]);
    expect(direct).toEqual([undefined, undefined]);
    // a second, different answer to the same request
    await answer(a.id, 'cto', { answer: 'no, wait' });
    const after = await settled(id);
    expect(after.version).toBe(moved.version);
    expect(after.context.steps.a).toEqual({ answer: 'yes' });
    expect(await requestsOf(id)).toBe(2); // a and b, once each
  });

  it('a late reply after a timeout is ignored; the retry is what counts, and the retries run out', async () => {
    const id = await start('test-sequence');
    const first = await requestOf(id, 'a');
    clock.advance(6 * MIN);
    await rt.tick();
    const second = await requestOf(id, 'a', 2);
    expect(second.metadata.note).toMatch(/no reply within 5 minutes: sent again/);
    expect((await settled(id)).steps.a).toMatchObject({
      status: 'waiting',
      attempts: 2,
      waitingOn: { id: second.id },
    });

    await answer(first.id, 'cto', { answer: 'late' });
    const ignored = await settled(id);
    expect(ignored.steps.a.status).toBe('waiting');
    expect(ignored.context.steps.a).toBeUndefined();

    await answer(second.id, 'cto', { answer: 'on time' });
    expect((await settled(id)).context.steps.a).toEqual({ answer: 'on time' });

    // b has no deadline of its own; another run shows the retries running out
    const other = await start('test-sequence');
    await requestOf(other, 'a');
    clock.advance(6 * MIN);
    await rt.tick();
    await requestOf(other, 'a', 2);
    clock.advance(6 * MIN);
    await rt.tick();
    const failed = await settled(other);
    expect(failed.status).toBe('failed');
    expect(failed.steps.a).toMatchObject({ status: 'timed_out' });
    expect(failed.error).toBe('step a: no reply within 5 minutes (2 attempts)');
    expect(
      await rt.sql.query('SELECT 1 FROM workflow_waits WHERE run_id = :id::uuid', { id: other }),
    ).toMatchObject({
      rowCount: 0,
    });
  });

  it('on timeout, escalate sends the request to the superior; the original role answering late changes nothing', async () => {
    const id = await start('test-escalate');
    const first = await requestOf(id, 'a');
    expect(first.to_address).toBe('senior_developer');
    clock.advance(6 * MIN);
    await rt.tick();
    const up = await requestOf(id, 'a', 2);
    expect(up.to_address).toBe('senior_architect');
    expect(up.metadata.note).toMatch(
      /senior_developer did not reply within 5 minutes: escalated to senior_architect/,
    );
    await answer(first.id, 'senior_developer', { answer: 'sorry, late' });
    expect((await settled(id)).steps.a).toMatchObject({ status: 'waiting', to: 'senior_architect' });
    await answer(up.id, 'senior_architect', { answer: 'handled' });
    const run = await settled(id);
    expect(run.status).toBe('completed');
    expect(run.context.steps.a).toEqual({ answer: 'handled' });
  });

  it('on timeout, fail ends the run with the step named', async () => {
    const id = await start('test-fail');
    const request = await requestOf(id, 'a');
    clock.advance(6 * MIN);
    await rt.tick();
    const run = await settled(id);
    expect(run).toMatchObject({ status: 'failed', error: 'step a: no reply within 5 minutes' });
    await answer(request.id, 'test_lead', { answer: 'too late' });
    expect((await settled(id)).version).toBe(run.version);
  });

  it('an error reply fails the step and the run, with the error it gave', async () => {
    const id = await start('test-fail');
    const request = await requestOf(id, 'a');
    await answer(
      request.id,
      'test_lead',
      { error: { code: 'ValidationError', message: 'title: is required' } },
      'error',
    );
    expect(await settled(id)).toMatchObject({ status: 'failed', error: 'step a: title: is required' });
  });

  it('a parallel join waits for every branch', async () => {
    const id = await start('test-join-all');
    const [a1, b1] = [await requestOf(id, 'a1'), await requestOf(id, 'b1')];
    await answer(a1.id, 'cto', { from: 'cto' });
    const half = await settled(id);
    expect(half.status).toBe('running');
    expect(half.steps.a1.status).toBe('completed');
    expect(half.steps.par.status).toBe('running');
    expect(half.steps.after).toBeUndefined();
    await answer(b1.id, 'chro', { from: 'chro' });
    const run = await settled(id);
    expect(run.status).toBe('completed');
    expect(run.steps.after.startedAt >= run.steps.b1.completedAt).toBe(true);
    expect(run.context.steps.par).toEqual({ joined: 2, of: 2 });
  });

  it('a join on the first branch cancels the others; their late replies are ignored', async () => {
    const id = await start('test-join-first');
    const [a, b, c] = [await requestOf(id, 'a'), await requestOf(id, 'b'), await requestOf(id, 'c')];
    await answer(b.id, 'chro', { first: true });
    const run = await settled(id);
    expect(run.status).toBe('completed');
    expect(run.steps.a.status).toBe('cancelled');
    expect(run.steps.c.status).toBe('cancelled');
    expect(run.context.steps.par).toEqual({ joined: 1, of: 3 });
    await answer(a.id, 'cto', { late: true });
    await answer(c.id, 'ceo', { late: true });
    const after = await settled(id);
    expect(after.version).toBe(run.version);
    expect(after.context.steps.a).toBeUndefined();
  });

  it('two coordinators racing on one run advance it once', async () => {
    const id = await start('test-join-all');
    const [a1, b1] = [await requestOf(id, 'a1'), await requestOf(id, 'b1')];
    await answerSilently(a1.id, 'cto', { racer: 1 });
    await answerSilently(b1.id, 'chro', { racer: 2 });
    await Promise.all([
      onWorkflowEvent(rt.deps, catalog, 'reply', a1.id),
      onWorkflowEvent(rt.deps, catalog, 'reply', b1.id),
      onWorkflowEvent(rt.deps, catalog, 'reply', a1.id),
      onWorkflowEvent(rt.deps, catalog, 'reply', b1.id),
    ]);
    const run = await settled(id);
    expect(run.status).toBe('completed');
    expect(run.context.steps).toMatchObject({ a1: { racer: 1 }, b1: { racer: 2 } });
    const notified = await rt.sql.query(
      `SELECT 1 FROM messages WHERE metadata->>'workflowRunId' = :id AND metadata->>'workflowStep' = 'after'`,
      { id },
    );
    expect(notified.rowCount).toBe(1);
  });

  it('a reply whose event was lost is found by the catch-up', async () => {
    const id = await start('test-sequence');
    const a = await requestOf(id, 'a');
    await answerSilently(a.id, 'cto', { heard: 'late' });
    expect((await settled(id)).steps.a.status).toBe('waiting');
    const result = await tickWorkflows(rt.deps, catalog);
    expect(result.settled).toBeGreaterThanOrEqual(1);
    expect((await settled(id)).context.steps.a).toEqual({ heard: 'late' });
  });

  it('a cancelled run stops: a reply afterwards changes nothing and nothing more is asked', async () => {
    const id = await start('test-sequence');
    const a = await requestOf(id, 'a');
    const cancelled = await call('POST', `/workflow-runs/${id}/cancel`, { reason: 'changed our mind' });
    expect(cancelled.body.run).toMatchObject({
      status: 'cancelled',
      error: 'cancelled by human:local: changed our mind',
    });
    expect(cancelled.body.run.steps.a.status).toBe('cancelled');
    await answer(a.id, 'cto', { answer: 'yes' });
    const after = await settled(id);
    expect(after.version).toBe(cancelled.body.run.version);
    expect(await requestsOf(id)).toBe(1);
  });

  it("a definition's function that throws fails the run naming the step; the coordinator does not retry it", async () => {
    const id = await start('test-broken');
    const a = await requestOf(id, 'a');
    await answer(a.id, 'cto', { something: 'else' });
    const run = await settled(id);
    expect(run).toMatchObject({
      status: 'failed',
      error: 'step b: its definition threw: step a gave no answer',
    });
    expect(await requestsOf(id)).toBe(1);
    const reasons = (await call('GET', '/dead-letters')).body.deadLetters.map((d: any) => d.reason);
    expect(reasons.join()).not.toMatch(/definition threw/);
  });

  it('a run past its deadline fails and stops waiting', async () => {
    const id = await start('test-deadline');
    await requestOf(id, 'a');
    clock.advance(11 * MIN);
    await rt.tick();
    const run = await settled(id);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/the run's deadline passed/);
    expect(run.steps.a.status).toBe('cancelled');
  });
});
