import { describe, expect, it } from 'vitest';
import { replyCommand } from '../../lambdas/core/agent.ts';
import { fanOut, type Message, messageChannels } from '../../lambdas/core/messages.ts';
import { LEADERSHIP, ROLES, recipientsOf } from '../../lambdas/core/roles.ts';

describe('addressing', () => {
  it('a broadcast goes to every role but its sender', () => {
    expect(recipientsOf('all', 'human')).toEqual([...ROLES]);
    expect(recipientsOf('all', 'ceo')).toEqual(ROLES.filter((r) => r !== 'ceo'));
  });

  it('leadership is ceo, cto, chro and operations_head', () => {
    expect(LEADERSHIP).toEqual(['ceo', 'cto', 'chro', 'operations_head']);
    expect(recipientsOf('leadership', 'product_manager')).toEqual(['ceo', 'cto', 'chro', 'operations_head']);
    expect(recipientsOf('leadership', 'cto')).toEqual(['ceo', 'chro', 'operations_head']);
  });

  it('one role gets it, even from itself; humans are no agent', () => {
    expect(recipientsOf('cto', 'cto')).toEqual(['cto']);
    expect(recipientsOf('human', 'ceo')).toEqual([]);
  });
});

describe('fan-out', () => {
  const message: Message = {
    id: '6a1b1c1e-0000-4000-8000-000000000001',
    seq: 7,
    from: 'human',
    to: 'leadership',
    type: 'request',
    subject: 's',
    content: { a: 1 },
    priority: 'high',
    metadata: {},
    recipients: ['ceo', 'cto'],
    idempotencyKey: null,
    createdAt: '2026-01-01T00:00:00.000Z',
  };

  it('publishes one MessagePosted with the recipients and the message on each role channel and messages:all', () => {
    const [bus, realtime] = fanOut(message);
    expect(bus).toEqual({
      target: 'eventbridge',
      payload: {
        source: 'echo',
        detailType: 'MessagePosted',
        detail: expect.objectContaining({
          messageId: message.id,
          seq: 7,
          recipients: ['ceo', 'cto'],
          inReplyTo: null,
        }),
      },
    });
    expect(realtime).toEqual({
      target: 'realtime',
      payload: { channels: ['messages:ceo', 'messages:cto', 'messages:all'], data: message },
    });
    expect(messageChannels({ recipients: [] })).toEqual(['messages:all']);
  });

  it('keeps content out of the event: the database is the record', () => {
    const detail = fanOut(message)[0]!.payload as { detail: Record<string, unknown> };
    expect(detail.detail).not.toHaveProperty('content');
  });

  it('a reply goes back to the sender with inReplyTo; a human sender is answered on the human address', () => {
    expect(replyCommand(message, 'cto', { content: { ok: true } })).toMatchObject({
      from: 'cto',
      to: 'human',
      type: 'response',
      subject: 'Re: s',
      inReplyTo: message.id,
    });
    expect(replyCommand({ ...message, from: 'ceo' }, 'cto', { content: {} }).to).toBe('ceo');
  });
});
