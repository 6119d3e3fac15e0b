/**
 * The pure parts of issue 15: what an id reference is (and the limit it names when it is too
 * short), a message's content on one line, and what a delivery came to, at which log level.
 */
import { describe, expect, it } from 'vitest';
import { deliveryOutcome } from '../../lambdas/core/agent.ts';
import { ValidationError } from '../../lambdas/core/errors.ts';
import { parseIdRef, shortId } from '../../lambdas/core/ids.ts';
import type { PostMessageCommand } from '../../lambdas/core/messages.ts';
import { summarizeContent } from '../../lambdas/core/thread.ts';
import { modelLine } from '../../lambdas/local/banner.ts';

const ID = '01a249c9-1f2e-7abc-8def-0123456789ab';

describe('id references', () => {
  it('takes a whole id, a hex fragment of 6+ characters (dashes ignored), or a message #seq', () => {
    expect(parseIdRef(ID.toUpperCase(), 'decision')).toEqual({ kind: 'uuid', id: ID });
    expect(parseIdRef('89', 'message')).toEqual({ kind: 'fragment', hex: undefined, seq: 89 });
    expect(() => parseIdRef('89ab', 'message')).toThrow(/is too short/);
    expect(parseIdRef('#42', 'message')).toEqual({ kind: 'fragment', hex: undefined, seq: 42 });
    expect(parseIdRef('123456', 'message')).toEqual({ kind: 'fragment', hex: '123456', seq: 123456 });
    expect(parseIdRef('01a249c9-1f', 'decision')).toEqual({
      kind: 'fragment',
      hex: '01a249c91f',
      seq: undefined,
    });
    expect(shortId(ID)).toBe('456789ab');
  });

  it('refuses one too short naming the limit, and what is no id naming the forms', () => {
    const short = (() => {
      try {
        parseIdRef('01a24', 'decision');
      } catch (error) {
        return error;
      }
    })() as ValidationError;
    expect(short).toBeInstanceOf(ValidationError);
    expect(short).toMatchObject({ field: 'id', limit: 'at least 6 characters' });
    expect(short.message).toBe(
      'id: "01a24" is too short to name a decision: give the whole id, or at least 6 of its first or last characters',
    );
    expect(() => parseIdRef('#42', 'decision')).toThrow(/is not a decision id/);
    expect(() => parseIdRef('hello world', 'message', 'inReplyTo')).toThrow(
      /^inReplyTo: "hello world" is not a message id: .* or the message's #seq$/,
    );
  });
});

describe('a content on one line', () => {
  it('puts the telling text first, then the other fields; ids by their tail; an error by its message', () => {
    expect(summarizeContent({ status: 'approved', reason: 'within  authority\n', decisionId: ID })).toBe(
      'within authority  (status="approved", decisionId=456789ab)',
    );
    expect(
      summarizeContent({ error: { code: 'ValidationError', field: 'title', message: 'title: is required' } }),
    ).toBe('error: title: is required');
    expect(summarizeContent({ budget_usd: 5, tags: ['a', 'b'], nested: { x: 1 } })).toBe(
      'budget_usd=5, tags=[2], nested={…}',
    );
    expect(summarizeContent({})).toBe('(no content)');
    expect(summarizeContent({ answer: 'x'.repeat(200) }, 20)).toBe(`${'x'.repeat(19)}…`);
  });
});

describe('what a delivery came to', () => {
  const request = { id: ID };
  const reply = (type: PostMessageCommand['type'], content: Record<string, unknown>): PostMessageCommand => ({
    from: 'cto',
    to: 'human',
    type,
    subject: 'Re: x',
    content,
    priority: 'normal',
    metadata: {},
    inReplyTo: ID,
  });
  const escalation = (to: 'ceo' | 'human'): PostMessageCommand => ({
    ...reply('escalation', {}),
    to,
    inReplyTo: undefined,
    subject: 'Big spend',
  });

  it('says each outcome at its level', () => {
    expect(deliveryOutcome(request, [reply('response', { status: 'approved' })])).toMatchObject({
      level: 'info',
      outcome: 'answered',
      message: 'delivery answered',
    });
    expect(
      deliveryOutcome(request, [
        reply('error', { error: { code: 'ValidationError', field: 'title', message: 'title: is required' } }),
      ]),
    ).toEqual({
      level: 'warn',
      outcome: 'error',
      message: 'delivery answered with an error',
      fields: { error: 'title: is required', field: 'title', reply: 'Re: x' },
    });
    expect(
      deliveryOutcome(request, [reply('error', { error: { code: 'Forbidden', message: 'no' } })]),
    ).toMatchObject({
      level: 'warn',
      outcome: 'refused',
    });
    expect(
      deliveryOutcome(request, [reply('response', { answer: 'no', refused: { text: 'I cannot' } })]),
    ).toMatchObject({
      level: 'warn',
      outcome: 'refused',
      message: 'delivery refused by the model',
    });
    expect(deliveryOutcome(request, [escalation('ceo'), reply('response', {})])).toMatchObject({
      level: 'info',
      outcome: 'escalated',
      message: 'delivery escalated to ceo',
    });
    expect(deliveryOutcome(request, [escalation('human'), reply('response', {})])).toMatchObject({
      level: 'warn',
      outcome: 'awaiting_human',
    });
    expect(deliveryOutcome(request, [reply('participation', { join: false })])).toMatchObject({
      outcome: 'verdict',
      fields: { join: false },
    });
    expect(deliveryOutcome(request, [])).toMatchObject({ level: 'info', outcome: 'no_reply' });
  });
});

describe("the start banner's model line", () => {
  it('says which mind the agents have, and warns when an OpenAI or Ollama server would be asked for Bedrock ids', () => {
    expect(modelLine({ provider: 'rules' })).toBe('rules engine (no model: ECHO_LLM_PROVIDER chooses one)');
    expect(modelLine({ provider: 'openai', baseUrl: 'http://127.0.0.1:8080/v1', model: 'gpt-4o-mini' })).toBe(
      'openai at http://127.0.0.1:8080/v1, gpt-4o-mini',
    );
    expect(modelLine({ provider: 'ollama', baseUrl: 'http://127.0.0.1:11434' })).toMatch(
      /^ollama at http:\/\/127\.0\.0\.1:11434, each role's own model, a Bedrock model id .*set ECHO_LLM_MODEL/,
    );
    expect(modelLine({ provider: 'bedrock', region: 'us-east-1' })).toBe(
      "bedrock in us-east-1, each role's own model",
    );
  });
});
