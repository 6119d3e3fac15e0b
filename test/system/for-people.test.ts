/**
 * Issue 15, for the person at the keyboard, through the real `echoctl` against the real local
 * runtime (PostgreSQL): ids a person can tell apart and type back (a message's #seq, the random tail
 * of any other id, any unique prefix or suffix of 6+ characters, the candidates when it is ambiguous).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../../lambdas/core/decision-types.ts';
import type { Message } from '../../lambdas/core/messages.ts';
import { echoctl } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { requireService } from '../support/services.ts';

const hasPostgres = requireService('DATABASE_URL');

const hex = (id: string) => id.replace(/-/g, '');
const commonPrefix = (a: string, b: string) => {
  let n = 0;
  while (n < a.length && a[n] === b[n]) n++;
  return a.slice(0, n);
};

describe.runIf(hasPostgres)('for the person at the keyboard: echoctl against the local runtime', () => {
  let rt: TestRuntime;

  beforeAll(async () => {
    rt = await startTestRuntime({ database: 'postgres' });
  }, 120_000);
  afterAll(async () => {
    await rt?.close();
  });

  /** A tool request the CTO decides within its authority: the request, its reply and its decision. */
  const decided = async (title: string) => {
    const posted = await rt.post({
      to: 'cto',
      subject: 'approve_technical_proposal',
      content: { title, budget_usd: 1000 },
    });
    expect(posted.status).toBe(201);
    const request = posted.body.message as Message;
    const reply = await eventually(
      async () => (await rt.get(`/messages?inReplyTo=${request.id}`)).body.messages[0] as Message | undefined,
      30_000,
      `the CTO's reply to ${title}`,
    );
    const decision = await eventually(
      async () =>
        ((await rt.get('/decisions?owner=cto&limit=1000')).body.decisions as Decision[]).find(
          (d) => d.title === title,
        ),
      30_000,
      `the decision on ${title}`,
    );
    return { request, reply, decision };
  };

  describe('item 1: ids a person can tell apart', () => {
    it('lists messages by #seq and decisions by the random tail of their ids, all different', async () => {
      const a = await decided('Adopt an event store');
      const b = await decided('Adopt a message queue');
      const messages = await echoctl(['messages', '--limit', '20'], rt.apiUrl);
      expect(messages.code).toBe(0);
      const seqs = messages.stdout.split('\n').flatMap((l) => /^\S+ \S+ {2}(#\d+)/.exec(l)?.[1] ?? []);
      expect(seqs.length).toBeGreaterThanOrEqual(4);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(seqs).toContain(`#${a.request.seq}`);
      // a reply points at its request by #seq when the request is listed too
      expect(messages.stdout).toContain(`↩ #${b.request.seq}`);

      const decisions = await echoctl(['decisions'], rt.apiUrl);
      expect(decisions.code).toBe(0);
      const shown = decisions.stdout.split('\n').flatMap((l) => /^\S+ \S+ {2}(\S+)/.exec(l)?.[1] ?? []);
      expect(shown).toContain(a.decision.id.slice(-8));
      expect(shown).toContain(b.decision.id.slice(-8));
      expect(new Set(shown).size).toBe(shown.length);
    }, 90_000);

    it('takes a unique prefix or suffix of 6+ characters, or #seq, wherever an id is taken', async () => {
      const { request, decision } = await decided('Adopt a schema registry');
      for (const ref of [decision.id.slice(-8), decision.id.slice(-6), decision.id]) {
        const shown = await echoctl(['decision', ref], rt.apiUrl);
        expect(shown.stderr).toBe('');
        expect(shown.stdout).toContain(`id ${decision.id}`);
      }
      const trace = await echoctl(['trace', `#${request.seq}`], rt.apiUrl);
      expect(trace.stderr).toBe('');
      expect(trace.stdout).toContain(`message ${request.id}`);
      const bySeq = await echoctl(['trace', String(request.seq), '--json'], rt.apiUrl);
      expect(JSON.parse(bySeq.stdout).message.id).toBe(request.id);
      const replies = await echoctl(
        ['messages', '--in-reply-to', request.id.slice(-10), '--json'],
        rt.apiUrl,
      );
      expect((JSON.parse(replies.stdout) as Message[]).map((m) => m.metadata.inReplyTo)).toEqual([
        request.id,
      ]);
      const byDecision = await echoctl(['trace', decision.id.slice(-7), '--decision', '--json'], rt.apiUrl);
      expect(JSON.parse(byDecision.stdout).decision.id).toBe(decision.id);
    }, 90_000);

    it('refuses an ambiguous reference, listing the candidates, and one too short, naming the limit', async () => {
      // ids made within hours share their first 6 characters (the time); two such decisions
      const made: Decision[] = [];
      let shared = '';
      for (let i = 0; shared.length < 6 && i < 3; i++) {
        made.push((await decided(`Adopt a feature flag service ${i}`)).decision);
        if (made.length > 1) shared = commonPrefix(hex(made.at(-2)!.id), hex(made.at(-1)!.id));
      }
      expect(shared.length).toBeGreaterThanOrEqual(6);
      const ambiguous = await echoctl(['decision', shared.slice(0, 6)], rt.apiUrl);
      expect(ambiguous.code).toBe(1);
      expect(ambiguous.stderr).toMatch(/^echoctl: id: "[0-9a-f]{6}" matches \d+ decisions: /);
      for (const d of made.slice(-2)) expect(ambiguous.stderr).toContain(`${d.id} (${d.title})`);
      expect(ambiguous.stderr).toContain('give more characters');

      const api = await rt.get(`/decisions/${shared.slice(0, 6)}`);
      expect(api.status).toBe(400);
      expect(api.body.error.code).toBe('AmbiguousId');
      expect(api.body.error.candidates.map((c: { id: string }) => c.id)).toEqual(
        expect.arrayContaining(made.slice(-2).map((d) => d.id)),
      );

      const tooShort = await echoctl(['decision', made[0]!.id.slice(-5)], rt.apiUrl);
      expect(tooShort.code).toBe(1);
      expect(tooShort.stderr).toContain('is too short to name a decision');
      expect(tooShort.stderr).toContain('at least 6 of its first or last characters');
      const none = await echoctl(['decision', 'ffffff0000'], rt.apiUrl);
      expect(none.code).toBe(1);
      expect(none.stderr).toBe('echoctl: decision matching "ffffff0000" not found\n');
    }, 120_000);
  });
});
