/**
 * A model that answers 429 (with Retry-After) or does not answer at all, behind the real HTTP
 * protocol (a scripted OpenAI-compatible server on loopback). With failures as `fallback` (the
 * default) the agent retries within its budget, then the rules engine answers: no crash, each request
 * answered once. With failures `fatal` the delivery fails, is retried by the bus and dead-lettered,
 * and catch-up processes it exactly once when the model answers again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReliability } from '../../soak/check.ts';
import { eventually } from '../support/eventually.ts';
import { quiet } from '../support/faults.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { type ScriptedLlmServer, startScriptedLlmServer } from '../support/scripted-llm-servers.ts';

const modelEnv = (url: string, failure: 'fallback' | 'fatal') => ({
  ECHO_LLM_PROVIDER: 'openai',
  ECHO_LLM_BASE_URL: url,
  ECHO_LLM_FAILURE: failure,
  ECHO_LLM_MAX_RETRIES: failure === 'fallback' ? '1' : '0',
  ECHO_LLM_TIMEOUT_MS: '300',
  ECHO_SWEEP_INTERVAL_MS: '100',
  // Catch-up runs when the fatal case asks (tick): a round that held the delivery while the bus
  // retried would make that retry a duplicate (a success), and the bus would never dead-letter it.
  ECHO_CATCHUP_INTERVAL_MS: failure === 'fallback' ? '250' : '3600000',
});

describe('an LLM that answers 429 or times out', () => {
  let model: ScriptedLlmServer;
  let fallback: TestRuntime;
  let fatal: TestRuntime;
  beforeAll(async () => {
    model = await startScriptedLlmServer('openai');
    fallback = await startTestRuntime({ database: 'pglite', env: modelEnv(model.url, 'fallback') });
    fatal = await startTestRuntime({ database: 'pglite', env: modelEnv(model.url, 'fatal') });
  });
  afterAll(async () => {
    await fallback?.close();
    await fatal?.close();
    await model?.close();
  });

  const ask = async (rt: TestRuntime, key: string) => {
    const { status, body } = await rt.post({
      to: 'senior_developer',
      subject: 'How should we branch?',
      idempotencyKey: key,
    });
    expect(status).toBe(201);
    return body.message.id as string;
  };
  const replyTo = (rt: TestRuntime, id: string) =>
    eventually(
      async () => (await rt.get(`/messages?inReplyTo=${id}`)).body.messages[0],
      15_000,
      `the reply to ${id}`,
    );

  it('fallback: a 429 with Retry-After is retried and the model answers', async () => {
    model.reset();
    model.script(
      { kind: 'error', status: 429, retryAfter: '0' },
      { kind: 'answer', text: 'Trunk-based, short-lived branches.' },
    );
    const id = await ask(fallback, 'llm-429');
    expect((await replyTo(fallback, id)).content).toMatchObject({
      answer: 'Trunk-based, short-lived branches.',
      actions: [],
      stop: 'answered',
      turns: 1,
    });
    expect(model.requests).toHaveLength(2);
  });

  it('fallback: a model that hangs times out on every attempt and the rules engine answers, once', async () => {
    model.reset();
    model.script({ kind: 'hang' }, { kind: 'hang' });
    const id = await ask(fallback, 'llm-hang');
    expect((await replyTo(fallback, id)).content).toMatchObject({
      role: 'senior_developer',
      title: 'Senior Developer',
    });
    await eventually(() => quiet(fallback), 10_000);
    const report = await checkReliability({
      sql: fallback.sql,
      posts: new Map([
        ['llm-429', undefined],
        ['llm-hang', id],
      ]),
    });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ committed: 2, lost: 0, duplicated: 0, stuck: 0, replies: 2 });
    expect((await fallback.get('/health')).status).toBe(200);
  });

  it('fatal: timeouts and 429s fail the delivery, the bus dead-letters it, catch-up processes it once when the model is back', async () => {
    model.reset();
    model.script({ kind: 'hang' }, { kind: 'error', status: 429, retryAfter: '0' }, { kind: 'hang' });
    const id = await ask(fatal, 'llm-fatal');
    const dead = await eventually(
      async () =>
        ((await fatal.get('/dead-letters')).body.deadLetters as any[]).find(
          (d) => d.source === 'bus' && d.payload?.detail?.messageId === id,
        ),
      15_000,
      'the dead letter',
    );
    expect(dead.reason).toMatch(/rule agent-senior-developer: target failed after 3 attempts/);
    const [delivery] = (await fatal.get(`/messages/${id}`)).body.deliveries;
    expect(delivery).toMatchObject({ status: 'pending' });
    expect(delivery.lastError).toMatch(/openai failed/);
    // Each failed call is traced as failed: no rules answer was made, none used (not "fell back").
    const failed = (await fatal.get(`/messages/${id}/trace`)).body;
    expect(failed.calls.length).toBeGreaterThanOrEqual(3);
    expect(failed.calls.map((c: { outcome: string }) => c.outcome)).toEqual(failed.calls.map(() => 'error'));
    expect(failed.totals.outcomes).toMatchObject({ fallback: 0, ok: 0 });

    model.script({ kind: 'answer', text: 'Back: trunk-based.' });
    await fatal.tick();
    await eventually(() => quiet(fatal), 15_000, 'catch-up to process the delivery');
    expect((await replyTo(fatal, id)).content).toMatchObject({
      answer: 'Back: trunk-based.',
      stop: 'answered',
    });
    const report = await checkReliability({ sql: fatal.sql, posts: new Map([['llm-fatal', id]]) });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({
      lost: 0,
      duplicated: 0,
      stuck: 0,
      replies: 1,
      recoveredFromDeadLetter: 1,
    });
  });
});
