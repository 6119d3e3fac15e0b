/** The deterministic offline Llm: same request, same answer; "no opinion" in JSON mode; estimated usage. */
import { describe, expect, it } from 'vitest';
import { createRulesLlm, RULES_NO_OPINION, rulesAnswer } from '../../lambdas/adapters/llm/rules.llm.ts';
import { type ChatRequest, estimateRequestTokens, estimateTokens } from '../../lambdas/core/llm.ts';

const request = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'llama3.1:8b',
  messages: [
    { role: 'system', content: 'You are the Test Lead of ECHO. You guard the quality gates.' },
    { role: 'user', content: 'Earlier question.' },
    { role: 'assistant', content: 'Earlier answer.' },
    { role: 'user', content: 'Can we   ship release 2.3\non Friday?' },
  ],
  ...extra,
});

describe('rules llm', () => {
  const llm = createRulesLlm();

  it('acknowledges the last user message in the voice of the system prompt', async () => {
    const response = await llm.chat(request());
    expect(response.text).toBe(
      'As the Test Lead of ECHO: noted "Can we ship release 2.3 on Friday?". (rules engine: no model was consulted)',
    );
    expect(response).toMatchObject({ provider: 'rules', model: 'rules', latencyMs: 0 });
  });

  it('speaks in no voice without a "You are ..." system prompt', () => {
    expect(rulesAnswer({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] })).toBe(
      'Noted "Hello". (rules engine: no model was consulted)',
    );
  });

  it('is deterministic: the same request gets the same answer, another request another', async () => {
    const first = await llm.chat(request());
    const again = await createRulesLlm().chat(structuredClone(request()));
    expect(again).toEqual(first);
    const other = await llm.chat(request({ messages: [{ role: 'user', content: 'Something else' }] }));
    expect(other.text).not.toBe(first.text);
  });

  it('answers "no opinion" as a JSON object in JSON mode', async () => {
    const response = await llm.chat(request({ json: true, maxTokens: 1 }));
    expect(response.text).toBe(RULES_NO_OPINION);
    expect(JSON.parse(response.text)).toEqual({
      verdict: null,
      confidence: 0,
      reason: 'rules engine: no model was consulted',
    });
  });

  it('answers "no opinion" to a response schema too, and calls no tool even when one is forced', async () => {
    const tools = [
      { name: 'approve_spend', description: 'Approve a spend.', inputSchema: { type: 'object' } },
    ];
    const schema = await llm.chat(request({ responseSchema: { name: 'vote', schema: { type: 'object' } } }));
    expect(schema.text).toBe(RULES_NO_OPINION);
    const forced = await llm.chat(request({ tools, toolChoice: { name: 'approve_spend' } }));
    expect(forced).toMatchObject({ toolCalls: [], stopReason: 'end', provider: 'rules' });
    expect(forced.text).toContain('rules engine: no model was consulted');
  });

  it('cuts the text to maxTokens (about 4 characters a token)', async () => {
    expect((await llm.chat(request({ maxTokens: 3 }))).text).toBe('As the Test ');
  });

  it('counts estimated tokens: about characters / 4, rounded up', async () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcd')).toBe(1);
    expect(estimateTokens('abcde')).toBe(2);
    const req = request();
    const response = await llm.chat(req);
    const input = req.messages.reduce((n, m) => n + Math.ceil(m.content.length / 4), 0);
    expect(response.usage).toEqual({ inputTokens: input, outputTokens: Math.ceil(response.text.length / 4) });
    expect(estimateRequestTokens({ ...req, maxTokens: 100 })).toBe(input + 100);
  });
});
