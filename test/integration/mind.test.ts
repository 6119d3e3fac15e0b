/**
 * The agents' mind over a real model protocol (a scripted OpenAI-compatible server on loopback):
 * the model decides self-selection only between the keyword thresholds, answers free text in the
 * role's voice, and a model failure falls back to the rules engine (failures not fatal).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAiCompatibleLlm } from '../../lambdas/adapters/llm/openai-compatible.llm.ts';
import { createJsonLogger } from '../../lambdas/adapters/log/json.logger.ts';
import { llmMind, rulesMind } from '../../lambdas/core/mind.ts';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { type ScriptedLlmServer, startScriptedLlmServer } from '../support/scripted-llm-servers.ts';

describe('the mind on a model', () => {
  let rt: TestRuntime;
  let model: ScriptedLlmServer;
  beforeAll(async () => {
    model = await startScriptedLlmServer('openai');
    rt = await startTestRuntime({
      database: 'pglite',
      env: {
        ECHO_LLM_PROVIDER: 'openai',
        ECHO_LLM_BASE_URL: model.url,
        ECHO_LLM_MAX_RETRIES: '0',
        ECHO_LLM_TIMEOUT_MS: '2000',
      },
    });
  });
  afterAll(async () => {
    await rt?.close();
    await model?.close();
  });

  it('between the thresholds the model decides whether to join', async () => {
    model.reset();
    model.script(
      { kind: 'answer', text: '{"join": true, "as": "lead", "reason": "a hiring plan is mine to lead"}' },
      // the lead of a plain broadcast says its take (the agent loop)
      { kind: 'answer', text: 'Two backend engineers first, then a designer.' },
    );
    const { body } = await rt.post({ to: 'all', type: 'broadcast', subject: 'Hiring plan for next quarter' });
    const verdicts = await eventually(async () => {
      const list = (await rt.get(`/messages?inReplyTo=${body.message.id}`)).body.messages;
      return list.length === 9 ? list : undefined;
    }, 30_000);
    const chro = verdicts.find((m: { from: string }) => m.from === 'chro');
    expect(chro.content).toMatchObject({
      join: true,
      as: 'lead',
      reason: 'a hiring plan is mine to lead',
      take: { answer: 'Two backend engineers first, then a designer.', stop: 'answered', actions: [] },
    });
    expect(model.requests).toHaveLength(2);
    // asked with the verdict's JSON Schema, in OpenAI's own way (response_format json_schema)
    expect(model.requests[0]!.chat).toMatchObject({
      model: expect.stringContaining('nova'),
      responseSchema: {
        name: 'relevance',
        schema: { type: 'object', required: expect.arrayContaining(['join', 'as', 'reason']) },
      },
    });
    expect(model.requests[0]!.chat.messages[0]!.content).toMatch(/Chief Human Resources Officer/);
    expect(verdicts.find((m: { from: string }) => m.from === 'cto').content.join).toBe(false);
  });

  it('a consultation session reaches the model as the conversation so far, turn by turn', async () => {
    model.reset();
    model.script(
      { kind: 'answer', text: 'Shard by tenant.' },
      { kind: 'answer', text: 'Cache the hot reads.' },
    );
    const ask = async (content: Record<string, unknown>) => {
      const id = (await rt.post({ to: 'cto', subject: 'session_consult', content })).body.message.id;
      return eventually(async () => (await rt.get(`/messages?inReplyTo=${id}`)).body.messages[0]);
    };
    const first = await ask({ prompt: 'How do we scale writes?' });
    await ask({ prompt: 'And reads?', sessionId: first.content.sessionId });
    expect(model.requests[1]!.chat.messages.map((m) => `${m.role}: ${m.content}`)).toEqual([
      expect.stringMatching(/^system: You are the Chief Technology Officer/),
      'user: How do we scale writes?',
      'assistant: Shard by tenant.',
      'user: And reads?',
    ]);
  });

  it('free text is answered by the role model; a failing model falls back to the rules engine', async () => {
    model.reset();
    model.script({ kind: 'answer', text: 'We should adopt trunk-based development.' });
    const first = (await rt.post({ to: 'senior_developer', subject: 'How should we branch?' })).body.message
      .id;
    const answer = await eventually(
      async () => (await rt.get(`/messages?inReplyTo=${first}`)).body.messages[0],
    );
    expect(answer.content).toMatchObject({
      answer: 'We should adopt trunk-based development.',
      actions: [],
      stop: 'answered',
      by: expect.stringMatching(/^model /),
    });
    // the model read the role's context: who it is, what it may decide, its tools
    const system = model.requests.at(-1)!.chat.messages[0]!.content;
    expect(system).toMatch(/Senior Developer \(senior_developer\)/);
    expect(system).toMatch(/budget: none of your own; above it a decision escalates to the Senior Architect/);
    expect(system).toMatch(/implement_feature/);
    model.script({ kind: 'error', status: 500, message: 'overloaded' });
    const second = (await rt.post({ to: 'senior_developer', subject: 'How should we branch?' })).body.message
      .id;
    const fallback = await eventually(
      async () => (await rt.get(`/messages?inReplyTo=${second}`)).body.messages[0],
    );
    expect(fallback).toMatchObject({
      type: 'response',
      content: { role: 'senior_developer', title: 'Senior Developer' },
    });
  });
});

describe('the token budget of a decision', () => {
  it('charges each call to its decision and answers by the rules once the budget is spent', async () => {
    const model = await startScriptedLlmServer('openai');
    try {
      const logger = createJsonLogger({ service: 'test', level: 'silent' });
      const llm = createOpenAiCompatibleLlm({ baseUrl: model.url });
      const proposal = {
        kind: 'k',
        title: 'Scale the platform infrastructure',
        domain: 'infrastructure',
        confidence: 0.9,
        details: {},
      };
      const vote = '{"vote": "reject", "confidence": 0.9, "rationale": "model says no"}';
      const mind = llmMind(llm, { logger, decisionTokenBudget: 1500 });
      model.script({ kind: 'answer', text: vote, inputTokens: 900, outputTokens: 100 });
      expect(await mind.vote('cto', proposal, { decisionId: 'd-1' })).toEqual({
        vote: 'reject',
        confidence: 0.9,
        rationale: 'model says no',
      });
      // 1000 of 1500 spent: the next call's estimate does not fit, so the model is not asked
      expect(await mind.vote('cto', proposal, { decisionId: 'd-1' })).toEqual(
        await rulesMind.vote('cto', proposal),
      );
      expect(model.requests).toHaveLength(1);
      // another decision has its own budget
      model.script({ kind: 'answer', text: vote });
      expect((await mind.vote('cto', proposal, { decisionId: 'd-2' })).rationale).toBe('model says no');
      expect(model.requests).toHaveLength(2);
    } finally {
      await model.close();
    }
  });
});
