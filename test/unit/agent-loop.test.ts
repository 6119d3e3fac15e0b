/** The agent loop's pure step at its bounds, and the context a role's model reads. */
import { describe, expect, it } from 'vitest';
import { searchTerms, systemPrompt } from '../../lambdas/core/context.ts';
import type { ChatResponse, ToolCall } from '../../lambdas/core/llm.ts';
import {
  afterModel,
  afterTools,
  beforeFirstCall,
  type LoopLimits,
  startLoop,
  type ToolRun,
} from '../../lambdas/core/loop.ts';

const at = (ms: number) => new Date(ms);
const limits = (over: Partial<LoopLimits> = {}): LoopLimits => ({
  maxTurns: 3,
  maxTokens: 10_000,
  deadline: at(60_000),
  ...over,
});
const answer = (
  text: string,
  toolCalls: ToolCall[] = [],
  tokens = 100,
  stop?: ChatResponse['stopReason'],
): ChatResponse => ({
  text,
  toolCalls,
  stopReason: stop ?? (toolCalls.length ? 'tool_calls' : 'end'),
  usage: { inputTokens: tokens, outputTokens: 0 },
  provider: 'p',
  model: 'm',
  latencyMs: 1,
});
const call = (id: string, name = 'approve_technical_proposal'): ToolCall => ({
  id,
  name,
  arguments: { title: 't' },
});
const ran = (c: ToolCall, ok = true): ToolRun => ({
  callId: c.id,
  tool: c.name,
  input: c.arguments,
  ok,
  result: ok ? { done: true } : { error: 'budget_usd: must be a number' },
});

describe('the agent loop', () => {
  it('asks, runs what the model asks for, gives the results back, and ends on an answer', () => {
    let { state, next } = startLoop('system', 'user');
    expect(next).toEqual({ kind: 'ask' });
    ({ state, next } = afterModel(state, answer('', [call('a'), call('b')])));
    expect(next).toEqual({ kind: 'run', calls: [call('a'), call('b')] });
    ({ state, next } = afterTools(state, [ran(call('a')), ran(call('b'))], limits(), at(1)));
    expect(next).toEqual({ kind: 'ask' });
    expect(
      state.messages.filter((m) => m.role === 'tool').map((m) => (m as { toolCallId: string }).toolCallId),
    ).toEqual(['a', 'b']);
    ({ state, next } = afterModel(state, answer('Approved within my authority.')));
    expect(next).toEqual({ kind: 'done', answer: 'Approved within my authority.', stop: 'answered' });
    expect(state).toMatchObject({ turns: 2, tokens: 200, runs: [{ callId: 'a' }, { callId: 'b' }] });
  });

  it('stops at its turns, tokens and time, saying so after what it said last', () => {
    let { state } = startLoop('s', 'u');
    for (let i = 0; i < 3; i++) {
      ({ state } = afterModel(state, answer(i === 2 ? 'Half done.' : '', [call(`c${i}`)])));
      const after = afterTools(state, [ran(call(`c${i}`))], limits(), at(1));
      state = after.state;
      if (i < 2) expect(after.next).toEqual({ kind: 'ask' });
      else
        expect(after.next).toEqual({
          kind: 'done',
          stop: 'turns',
          answer: 'Half done.\n(I stopped before finishing: I used every turn I had.)',
        });
    }
    ({ state } = afterModel(startLoop('s', 'u').state, answer('', [call('x')], 20_000)));
    expect(afterTools(state, [ran(call('x'))], limits(), at(1)).next).toMatchObject({
      kind: 'done',
      stop: 'tokens',
    });
    ({ state } = afterModel(startLoop('s', 'u').state, answer('', [call('y')])));
    expect(afterTools(state, [ran(call('y'))], limits(), at(60_000)).next).toMatchObject({
      kind: 'done',
      stop: 'time',
    });
    expect(beforeFirstCall(startLoop('s', 'u').state, limits(), at(60_001))).toMatchObject({
      kind: 'done',
      stop: 'time',
    });
  });

  it("an invalid call goes back to the model once, as the tool's error; a second ends the loop", () => {
    let { state, next } = startLoop('s', 'u');
    ({ state } = afterModel(state, answer('', [call('a')])));
    ({ state, next } = afterTools(state, [ran(call('a'), false)], limits(), at(1)));
    expect(next).toEqual({ kind: 'ask' });
    expect(state.messages.at(-1)).toMatchObject({
      role: 'tool',
      isError: true,
      content: '{"error":"budget_usd: must be a number"}',
    });
    ({ state } = afterModel(state, answer('', [call('b')])));
    ({ next } = afterTools(state, [ran(call('b'), false)], limits(), at(1)));
    expect(next).toMatchObject({ kind: 'done', stop: 'invalid_calls' });
  });

  it('a refusal ends the loop as a refusal', () => {
    const { next } = afterModel(startLoop('s', 'u').state, {
      ...answer("I can't help with that", [], 10, 'refusal'),
      refusal: "I can't help with that",
    });
    expect(next).toEqual({ kind: 'done', stop: 'refusal', answer: "I can't help with that" });
  });
});

describe('the context a role reads', () => {
  it('search terms: the words of the request, no stopwords or numbers, bounded', () => {
    expect(searchTerms('Should we adopt PostgreSQL for the event store in 2027?')).toEqual([
      'should',
      'adopt',
      'postgresql',
      'event',
      'store',
    ]);
    expect(
      searchTerms(
        'a '.repeat(100) +
          Array.from({ length: 30 }, (_, i) => `word${String.fromCharCode(97 + i)}x`).join(' '),
      ),
    ).toHaveLength(12);
  });

  it('the system prompt: persona, authority, tools, thread, decision, recollection; each bounded', () => {
    const long = 'x'.repeat(5000);
    const prompt = systemPrompt('cto', {
      now: new Date('2026-12-06T00:00:00Z'),
      thread: [
        {
          id: '1',
          seq: 1,
          from: 'human',
          to: 'cto',
          type: 'request',
          subject: 'Which database?',
          content: { note: long },
          priority: 'normal',
          metadata: {},
          recipients: ['cto'],
          idempotencyKey: null,
          createdAt: '',
        },
      ],
      recollection: {
        memories: [{ key: 'db-choice', content: 'We standardised on PostgreSQL in 2025.' }],
        decisions: [
          { title: 'Adopt Redis', status: 'approved', reason: 'within cto authority', budgetUsd: 40_000 },
        ],
      },
    });
    expect(prompt).toMatch(/You are the Chief Technology Officer \(cto\)/);
    expect(prompt).toMatch(
      /budget: up to \$500,000 alone; above it a decision escalates to the Chief Executive Officer \(ceo\)/,
    );
    expect(prompt).toMatch(/always for a human, whatever the budget: acquisition, merger, layoff/);
    expect(prompt).toMatch(/approve_technical_proposal \(Approve a technical proposal\)/);
    expect(prompt).not.toMatch(/ai_consult/);
    expect(prompt).toMatch(/- human → cto \(request\) "Which database\?"/);
    expect(prompt).toMatch(/memory "db-choice": We standardised on PostgreSQL/);
    expect(prompt).toMatch(/your decision "Adopt Redis" \(\$40,000\): approved/);
    expect(prompt.length).toBeLessThan(5000);
  });
});
