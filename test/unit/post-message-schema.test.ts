import { describe, expect, it } from 'vitest';
import { MAX_ENTRY_BYTES, parsePostMessage } from '../../events/index.ts';
import samples from '../../events/samples/post-message.json' with { type: 'json' };
import { ValidationError } from '../../lambdas/core/errors.ts';

function rejection(input: unknown): ValidationError {
  try {
    parsePostMessage(input);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('PostMessage contract', () => {
  it('fills defaults: from human, type request, empty content and metadata, normal priority', () => {
    expect(parsePostMessage({ to: 'cto', subject: 'hello' })).toEqual({
      from: 'human',
      to: 'cto',
      type: 'request',
      subject: 'hello',
      content: {},
      metadata: {},
      priority: 'normal',
    });
  });

  it('accepts the sample used with aws events put-events', () => {
    const detail = JSON.parse(samples[0]!.Detail);
    expect(parsePostMessage(detail)).toMatchObject({ to: 'senior_developer', subject: 'what_do_you_do' });
  });

  it('names a missing recipient', () => {
    const e = rejection({ subject: 'x' });
    expect(e.field).toBe('to');
    expect(e.message).toBe('to: is required');
  });

  it('names an unknown role and lists the known ones', () => {
    const e = rejection({ to: 'janitor', subject: 'x' });
    expect(e.field).toBe('to');
    expect(e.message).toContain('unknown role "janitor"');
    expect(e.message).toContain('senior_developer');
  });

  it.each([
    ['a string', 'hello'],
    ['an array', [1, 2]],
    ['a number', 42],
    ['null', null],
  ])('rejects content that is %s', (what, content) => {
    const e = rejection({ to: 'cto', subject: 'x', content });
    expect(e.field).toBe('content');
    expect(e.message).toBe(`content: content must be a JSON object, got ${what}`);
  });

  it('rejects an entry over 256 KB naming the limit', () => {
    const e = rejection({ to: 'cto', subject: 'x', content: { blob: 'a'.repeat(300 * 1024) } });
    expect(e.field).toBe('entry');
    expect(e.limit).toBe('256 KB');
    expect(e.message).toMatch(/exceeds the limit of 256 KB/);
  });

  it('accepts an entry just under the limit', () => {
    const content = { blob: 'a'.repeat(MAX_ENTRY_BYTES - 200) };
    expect(parsePostMessage({ to: 'cto', subject: 'x', content }).content).toEqual(content);
  });

  it('names the subject limit, empty subjects and unknown fields', () => {
    expect(rejection({ to: 'cto', subject: 'x'.repeat(501) }).message).toBe(
      'subject: must be at most 500 characters',
    );
    expect(rejection({ to: 'cto', subject: '  ' }).message).toBe('subject: must not be empty');
    expect(rejection({ to: 'cto', subject: 'x', colour: 'red' }).field).toBe('(root)');
  });

  it('rejects a command that is not an object', () => {
    expect(rejection('hello').message).toMatch(/must be a JSON object/);
    expect(rejection([]).message).toMatch(/got an array/);
  });

  it('checks inReplyTo, priority, type and the idempotency key', () => {
    expect(rejection({ to: 'cto', subject: 'x', inReplyTo: 'nope' }).field).toBe('inReplyTo');
    expect(rejection({ to: 'cto', subject: 'x', priority: 'urgent' }).field).toBe('priority');
    expect(rejection({ to: 'cto', subject: 'x', type: 'gossip' }).field).toBe('type');
    expect(rejection({ to: 'cto', subject: 'x', idempotencyKey: 'k'.repeat(201) }).message).toBe(
      'idempotencyKey: must be at most 200 characters',
    );
  });
});
