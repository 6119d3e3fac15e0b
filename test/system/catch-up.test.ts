/**
 * The catch-up scenario: the CEO's model fails on every delivery (failures configured as fatal), the
 * Product Manager's urgent request is stored and stays unprocessed; once the model answers again the
 * CEO processes it exactly once. The model is a scripted OpenAI-compatible server on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../cli/client.ts';
import { runScenario } from '../../cli/scenarios.ts';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { type ScriptedLlmServer, startScriptedLlmServer } from '../support/scripted-llm-servers.ts';
import { redisUrl, requireService } from '../support/services.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');

describe.runIf(hasServices)('catch-up', () => {
  let rt: TestRuntime;
  let model: ScriptedLlmServer;
  beforeAll(async () => {
    model = await startScriptedLlmServer('openai');
    rt = await startTestRuntime({
      database: 'postgres',
      redisUrl,
      env: {
        ECHO_LLM_PROVIDER: 'openai',
        ECHO_LLM_BASE_URL: model.url,
        ECHO_LLM_FAILURE: 'fatal',
        ECHO_LLM_MAX_RETRIES: '0',
        ECHO_LLM_TIMEOUT_MS: '2000',
      },
    });
  });
  afterAll(async () => {
    await rt?.close();
    await model?.close();
  });

  it('a failing CEO keeps the delivery; once its model answers it processes it exactly once', async () => {
    const { status, body } = await rt.post({
      to: 'ceo',
      subject: 'Urgent: Budget Approval',
      content: { budget_usd: 500_000, request: 'Approve the Q3 platform budget' },
    });
    expect(status).toBe(201);
    const id = body.message.id as string;
    const delivery = async () => (await rt.get(`/messages/${id}`)).body.deliveries[0];
    await eventually(
      async () => ((await delivery()).attempts >= 3 ? true : undefined),
      15_000,
      'three failed attempts',
    );
    await rt.bus.idle();
    expect(await delivery()).toMatchObject({ role: 'ceo', status: 'pending', processedAt: null });
    expect((await delivery()).lastError).toMatch(/openai/i);
    expect((await rt.get(`/messages?inReplyTo=${id}`)).body.messages).toEqual([]);
    const agents = (await rt.get('/agents')).body.agents as { role: string; status: string }[];
    expect(agents.find((a) => a.role === 'ceo')?.status).toBe('degraded');

    model.script({ kind: 'answer', text: 'Approved in principle; send the breakdown.' });
    await rt.tick();
    await rt.tick();
    const done = await delivery();
    expect(done).toMatchObject({ status: 'processed' });
    expect(done.processedAt).not.toBeNull();
    const replies = (await rt.get(`/messages?inReplyTo=${id}`)).body.messages;
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({
      from: 'ceo',
      to: 'human',
      content: { answer: 'Approved in principle; send the breakdown.' },
    });
    expect(model.requests.at(-1)?.chat.messages[0]?.content).toMatch(/Chief Executive Officer|CEO/);
    const ceo = ((await rt.get('/agents')).body.agents as { role: string; status: string }[]).find(
      (a) => a.role === 'ceo',
    );
    expect(ceo?.status).toBe('healthy');
  });

  it('echoctl scenario catch-up: the same, as a user runs it, restoring the model while it waits', async () => {
    model.reset();
    const result = runScenario(createClient(rt.apiUrl), 'catch-up');
    await eventually(
      async () => (model.requests.length >= 3 ? true : undefined),
      20_000,
      'three failed model calls',
    );
    await rt.bus.idle();
    model.script({ kind: 'answer', text: 'Approved.' });
    await rt.tick();
    const outcome = await result;
    expect(outcome.checks.filter((c) => !c.ok)).toEqual([]);
    expect(outcome.ok).toBe(true);
  });

  it('against a CEO that does not fail, the scenario says what it needs', async () => {
    model.reset();
    model.script({ kind: 'answer', text: 'Fine.' });
    const outcome = await runScenario(createClient(rt.apiUrl), 'catch-up');
    expect(outcome.ok).toBe(false);
    expect(outcome.checks[0]!.detail).toContain('ECHO_LLM_FAILURE=fatal');
  });
});
