/**
 * The agents' mind over a real model protocol (a scripted OpenAI-compatible server on loopback):
 * the model decides self-selection only between the keyword thresholds, answers free text in the
 * role's voice, and a model failure falls back to the rules engine (failures not fatal).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    model.script({
      kind: 'answer',
      text: '{"join": true, "as": "lead", "reason": "a hiring plan is mine to lead"}',
    });
    const { body } = await rt.post({ to: 'all', type: 'broadcast', subject: 'Hiring plan for next quarter' });
    const verdicts = await eventually(async () => {
      const list = (await rt.get(`/messages?inReplyTo=${body.message.id}`)).body.messages;
      return list.length === 9 ? list : undefined;
    });
    const chro = verdicts.find((m: { from: string }) => m.from === 'chro');
    expect(chro.content).toEqual({ join: true, as: 'lead', reason: 'a hiring plan is mine to lead' });
    expect(model.requests).toHaveLength(1);
    expect(model.requests[0]!.chat).toMatchObject({ json: true, model: expect.stringContaining('nova') });
    expect(model.requests[0]!.chat.messages[0]!.content).toMatch(/Chief Human Resources Officer/);
    expect(verdicts.find((m: { from: string }) => m.from === 'cto').content.join).toBe(false);
  });

  it('free text is answered by the role model; a failing model falls back to the rules engine', async () => {
    model.reset();
    model.script({ kind: 'answer', text: 'We should adopt trunk-based development.' });
    const first = (await rt.post({ to: 'senior_developer', subject: 'How should we branch?' })).body.message
      .id;
    const answer = await eventually(
      async () => (await rt.get(`/messages?inReplyTo=${first}`)).body.messages[0],
    );
    expect(answer.content).toEqual({
      answer: 'We should adopt trunk-based development.',
      role: 'senior_developer',
    });
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
