/** Consultation and memory through the runtime: sessions keep their turns in order, expire, warn; memories are found by key and tags. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { adjustableClock, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

describe('consultation and memory', () => {
  let rt: TestRuntime;
  const clock = adjustableClock();
  beforeAll(async () => {
    rt = await startTestRuntime({ database: 'pglite', clock });
  });
  afterAll(async () => rt?.close());

  const ask = async (to: string, subject: string, content: Record<string, unknown>) => {
    const { body } = await rt.post({ to, subject, content });
    return eventually(async () => (await rt.get(`/messages?inReplyTo=${body.message.id}`)).body.messages[0]);
  };

  it('session_consult keeps the turns in order and continues by sessionId', async () => {
    const first = await ask('cto', 'session_consult', { prompt: 'Should we shard the database?' });
    const sessionId = first.content.sessionId as string;
    expect(first.content).toMatchObject({ turns: 2, warnings: [] });
    const second = await ask('cto', 'session_consult', { prompt: 'And the cache?', sessionId });
    expect(second.content).toMatchObject({ sessionId, turns: 4 });
    const { rows } = await rt.sql.query<{ turns: { role: string; content: string }[] }>(
      'SELECT turns FROM llm_sessions WHERE id = :id::uuid',
      {
        id: sessionId,
      },
    );
    expect(rows[0]!.turns.map((t) => `${t.role}:${t.content.slice(0, 12)}`)).toEqual([
      'user:Should we sh',
      expect.stringMatching(/^assistant:/),
      'user:And the cach',
      expect.stringMatching(/^assistant:/),
    ]);
  });

  it('a session idle for an hour expires: the next turn starts a new one and says so', async () => {
    const first = await ask('product_manager', 'session_consult', { prompt: 'Roadmap for Q3?' });
    clock.advance(61 * 60_000);
    const later = await ask('product_manager', 'session_consult', {
      prompt: 'Still there?',
      sessionId: first.content.sessionId,
    });
    expect(later.content.sessionId).not.toBe(first.content.sessionId);
    expect(later.content.warnings).toEqual([
      `session ${first.content.sessionId} expired or unknown; a new one was started`,
    ]);
  });

  it('another role cannot continue a session that is not its own', async () => {
    const first = await ask('cto', 'session_consult', { prompt: 'private' });
    const other = await ask('chro', 'session_consult', {
      prompt: 'peek',
      sessionId: first.content.sessionId,
    });
    expect(other.content.sessionId).not.toBe(first.content.sessionId);
  });

  it('warns as the context grows', async () => {
    let reply = await ask('senior_architect', 'session_consult', { prompt: 'x'.repeat(15_000) });
    reply = await ask('senior_architect', 'session_consult', {
      prompt: 'y'.repeat(15_000),
      sessionId: reply.content.sessionId,
    });
    expect(reply.content.warnings.join(' ')).toMatch(/context is large \(\d+ tokens\)/);
  });

  it('remember and recall by key and by tags; ai_consult answers once', async () => {
    await ask('cto', 'remember', {
      key: 'adr-001',
      content: 'Postgres is the record; Redis is a hint.',
      tags: ['adr', 'data'],
    });
    await ask('chro', 'remember', { key: 'policy-remote', content: 'Remote first.', tags: ['policy'] });
    const byKey = await ask('senior_developer', 'recall', { key: 'adr-001' });
    expect(byKey.content.memories).toEqual([
      expect.objectContaining({ key: 'adr-001', author: 'cto', tags: ['adr', 'data'] }),
    ]);
    const byTag = await ask('ceo', 'recall', { tags: ['policy'] });
    expect(byTag.content.memories.map((m: { key: string }) => m.key)).toEqual(['policy-remote']);
    const invalid = await ask('cto', 'remember', { key: '', content: 'x' });
    expect(invalid).toMatchObject({ type: 'error', content: { error: { field: 'key' } } });
    const once = await ask('uiux_engineer', 'ai_consult', { prompt: 'Dark mode?' });
    expect(once.content.answer).toMatch(/Dark mode\?/);
  });
});
