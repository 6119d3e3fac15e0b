/**
 * Issue 15, for the person at the keyboard, through the real `echoctl` against the real local
 * runtime (PostgreSQL): ids a person can tell apart and type back (a message's #seq, the random tail
 * of any other id, any unique prefix or suffix of 6+ characters, the candidates when it is ambiguous);
 * conversations, not subjects (a summary of each message's content, `send --wait` and its exit codes,
 * `thread` drawing the request, replies, decisions with their chain and votes, and model calls);
 * inputs you can discover (each input's JSON Schema, its fields in echoctl); saying what happened
 * (what each workflow step returned, each delivery's outcome in the logs, ai_consult's JSON).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'echo-for-people-'));
    rt = await startTestRuntime({
      database: 'postgres',
      env: { ECHO_DATA_DIR: dataDir, ECHO_LOG_FILE_LEVEL: 'info' },
    });
  }, 120_000);
  afterAll(async () => {
    await rt?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** A tool request the CTO decides within its authority: the request, its reply and its decision. */
  const decided = async (title: string, budget = 1000) => {
    const posted = await rt.post({
      to: 'cto',
      subject: 'approve_technical_proposal',
      content: { title, budget_usd: budget },
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

  describe('item 2: conversations, not subjects', () => {
    it('messages shows a one-line summary of each content, --full all of it', async () => {
      const { request } = await decided('Adopt a tracing backend');
      const listed = await echoctl(['messages', '--limit', '10'], rt.apiUrl);
      expect(listed.code).toBe(0);
      const lines = listed.stdout.split('\n');
      const at = lines.findIndex(
        (l) => l.includes(`#${request.seq} `) && l.includes('approve_technical_proposal'),
      );
      expect(at).toBeGreaterThanOrEqual(0);
      expect(lines[at + 1]).toBe('    title="Adopt a tracing backend", budget_usd=1000');
      // the reply's summary: what the CTO answered, on one line
      const reply = lines.findIndex((l) => l.includes(`↩ #${request.seq}`));
      expect(lines[reply + 1]).toMatch(/^ {4}\S.*status="approved"/);

      const full = await echoctl(['messages', '--limit', '10', '--full'], rt.apiUrl);
      expect(full.stdout).toContain(
        '    {\n      "title": "Adopt a tracing backend",\n      "budget_usd": 1000\n    }',
      );
    }, 60_000);

    it('send --wait prints the reply and the decision it opened, and exits 0', async () => {
      const title = `Adopt a build cache ${randomUUID().slice(-6)}`;
      const sent = await echoctl(
        [
          'send',
          '--to',
          'cto',
          '--subject',
          'approve_technical_proposal',
          '--content',
          JSON.stringify({ title, budget_usd: 2000 }),
          '--wait',
          '--timeout',
          '60',
        ],
        rt.apiUrl,
      );
      expect(sent.code).toBe(0);
      expect(sent.stderr).toMatch(/^sent: #\d+ \S+ {2}human → cto; waiting up to 60s for the reply…\n$/);
      expect(sent.stdout).toMatch(
        /^reply #\d+ {2}cto → human {2}response {2}"Re: approve_technical_proposal"/,
      );
      expect(sent.stdout).toContain('"status": "approved"');
      expect(sent.stdout).toMatch(
        new RegExp(`decision [0-9a-f]{8} {2}cto {2}approved {2}\\$2,000 {2}"${title}"`),
      );
      expect(sent.stdout).toMatch(/the whole conversation: echoctl thread \d+\n$/);

      const json = await echoctl(
        [
          'send',
          '--to',
          'cto',
          '--subject',
          'approve_technical_proposal',
          '--content',
          JSON.stringify({ title: `${title} 2`, budget_usd: 10 }),
          '--wait',
          '--json',
        ],
        rt.apiUrl,
      );
      expect(json.code).toBe(0);
      const parsed = JSON.parse(json.stdout);
      expect(parsed).toMatchObject({ complete: true, replies: [{ type: 'response', from: 'cto' }] });
      expect(parsed.decisions.map((d: Decision) => d.title)).toEqual([`${title} 2`]);
    }, 90_000);

    it('send --wait exits 2 on an error reply, 3 when no reply comes in --timeout', async () => {
      const refused = await echoctl(
        [
          'send',
          '--to',
          'cto',
          '--subject',
          'approve_technical_proposal',
          '--content',
          '{"budget_usd": 5}',
          '--wait',
        ],
        rt.apiUrl,
      );
      expect(refused.code).toBe(2);
      expect(refused.stdout).toMatch(/^reply #\d+ {2}cto → human {2}error /);
      expect(refused.stdout).toContain('"field": "title"');

      // an organization that answers nothing (its agents process their deliveries, and say nothing)
      const mute = await startTestRuntime({ database: 'postgres', behaviour: { act: async () => {} } });
      try {
        const silent = await echoctl(
          ['send', '--to', 'cto', '--subject', 'Which queue for the ledger?', '--wait', '--timeout', '2'],
          mute.apiUrl,
        );
        expect(silent.code).toBe(3);
        expect(silent.stdout).toMatch(/^no reply from cto within 2s \(see later: echoctl thread \d+\)\n$/);
      } finally {
        await mute.close();
      }

      const badTimeout = await echoctl(
        ['send', '--to', 'cto', '--subject', 'x', '--wait', '--timeout', '0'],
        rt.apiUrl,
      );
      expect(badTimeout.code).toBe(1);
      expect(badTimeout.stderr).toContain(
        "option '--timeout <seconds>' argument '0' is invalid. must be 1 to 86400 seconds",
      );
    }, 90_000);

    it('thread draws the conversation: request, reply, the decision with its escalation and the model calls', async () => {
      // above the CTO's authority ($500,000): the CTO escalates to the CEO, who decides
      const title = `Migrate the data centre ${randomUUID().slice(-6)}`;
      const { request, reply, decision } = await decided(title, 600_000);
      const chainDone = await eventually(
        async () => {
          const { body } = await rt.get(`/decisions/${decision.id}`);
          const top = (body.decision.chain as Decision[]).at(-1)!;
          return top.owner === 'ceo' && top.status !== 'pending' ? top : undefined;
        },
        30_000,
        'the CEO to decide the escalated proposal',
      );
      // a model call recorded for the reply, as the traced model records it
      await rt.deps.store.recordLlmCall({
        id: randomUUID(),
        at: new Date(),
        role: 'cto',
        purpose: 'answer',
        messageId: reply.id,
        decisionId: null,
        provider: 'openai',
        model: 'gpt-4o-mini',
        request: { messages: [] },
        requestHash: null,
        response: 'Escalate it.',
        toolCalls: [{ id: 'c1', name: 'approve_technical_proposal', arguments: { title } }],
        stopReason: 'tool_calls',
        refusal: null,
        tokensIn: 300,
        tokensOut: 20,
        latencyMs: 42,
        attempts: 1,
        outcome: 'ok',
        errorCode: null,
        error: null,
        costUsd: 0.0001,
      });

      // asked from the reply, the thread is the whole conversation from its request
      const drawn = await echoctl(['thread', reply.id.slice(-10)], rt.apiUrl);
      expect(drawn.stderr).toBe('');
      const out = drawn.stdout;
      const lines = out.split('\n');
      expect(lines[0]).toMatch(
        new RegExp(`^#${request.seq} {2}human → cto {2}request {2}"approve_technical_proposal"`),
      );
      expect(lines[1]).toBe(`│   title="${title}", budget_usd=600000`);
      const replyLine = lines.findIndex((l) => l.includes(`▶ #${reply.seq} `));
      expect(lines[replyLine]).toMatch(/^[├└]─ ▶ #\d+ {2}cto → human {2}response/);
      expect(lines.slice(replyLine).join('\n')).toMatch(
        /[├└]─ model call {2}cto answer {2}openai\/gpt-4o-mini {2}300→20 tok {2}42 ms {2}\$0\.0001 {2}ok\n.*→ tool approve_technical_proposal\(\{"title":/,
      );
      const cto = lines.findIndex((l) => l.includes(`decision ${decision.id.slice(-8)}  cto  escalated`));
      const ceo = lines.findIndex((l) =>
        l.includes(`decision ${chainDone.id.slice(-8)}  ceo  ${chainDone.status}`),
      );
      expect(cto).toBeGreaterThan(0);
      expect(ceo).toBeGreaterThan(cto);
      // the CEO's hop hangs under the CTO's: one level deeper
      expect(lines[ceo]!.indexOf('decision')).toBeGreaterThan(lines[cto]!.indexOf('decision'));
      expect(out).toMatch(/\n\d+ messages, 2 decisions, 1 model call\n$/);

      const json = JSON.parse((await echoctl(['thread', `#${request.seq}`, '--json'], rt.apiUrl)).stdout);
      expect(json.root).toMatchObject({ kind: 'message', message: { id: request.id } });
      expect(json.focusId).toBe(request.id);

      const missing = await echoctl(['thread', randomUUID()], rt.apiUrl);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^echoctl: message \S+ not found\n$/);
    }, 120_000);
  });

  describe('item 3: inputs you can discover', () => {
    it('GET /workflows and GET /agents give each input as JSON Schema with its required fields and limits', async () => {
      const { body } = await rt.get('/workflows');
      const byName = new Map(body.workflows.map((w: { name: string }) => [w.name, w]));
      expect(byName.get('incident-response')).toMatchObject({
        inputSchema: {
          type: 'object',
          required: ['title'],
          properties: { title: { type: 'string', minLength: 1, maxLength: 200 } },
        },
      });
      expect(byName.get('revenue-3x')).toMatchObject({
        inputSchema: { required: expect.arrayContaining(['initiative']) },
      });
      const agents = (await rt.get('/agents')).body.agents;
      const cto = agents.find((a: { role: string }) => a.role === 'cto');
      expect(cto.tools.find((t: { name: string }) => t.name === 'approve_technical_proposal')).toMatchObject({
        description: expect.any(String),
        inputSchema: { required: ['title'], properties: { budget_usd: { type: 'number', minimum: 0 } } },
      });
    });

    it('echoctl workflows --available and echoctl agents <role> show the fields, and inputs that pass', async () => {
      const available = await echoctl(['workflows', '--available'], rt.apiUrl);
      expect(available.code).toBe(0);
      const section = (name: string) =>
        available.stdout.slice(available.stdout.indexOf(`${name} `)).split(/\n(?=\S)/)[0]!;
      const incident = section('incident-response');
      expect(incident).toMatch(/\n {4}title +string, 1 to 200 characters {2}\(required\)\n/);
      expect(incident).toMatch(
        /\n {4}mitigation +one of "rollback", "failover", "hotfix", "scale out", "disable feature" {2}\(default "rollback"\)/,
      );
      expect(incident).toContain(`start: echoctl workflow start incident-response --input '{"title":"..."}'`);
      expect(section('revenue-3x')).toMatch(/\n {4}initiative +string, 1 to 300 characters {2}\(required\)/);

      // the input it suggests is one the workflow takes
      const started = await echoctl(
        ['workflow', 'start', 'incident-response', '--input', '{"title":"..."}', '--json'],
        rt.apiUrl,
      );
      expect(started.code).toBe(0);
      expect(JSON.parse(started.stdout)).toMatchObject({ name: 'incident-response' });

      const cto = await echoctl(['agents', 'cto'], rt.apiUrl);
      expect(cto.code).toBe(0);
      expect(cto.stdout).toMatch(
        /^cto {2}Chief Technology Officer {2}reports to ceo {2}budget authority \$500,000\n/,
      );
      const tool = cto.stdout.slice(cto.stdout.indexOf('  approve_technical_proposal  ')).split('\n\n')[0]!;
      expect(tool).toMatch(/\n {4}title +string, 1 to 500 characters {2}\(required\)/);
      expect(tool).toMatch(/\n {4}budget_usd +number, ≥ 0 {2}\(optional\)/);
      expect(tool).toContain(`e.g. --content '{"title":"..."}'`);
      const json = JSON.parse((await echoctl(['agents', 'cto', '--json'], rt.apiUrl)).stdout);
      expect(json.tools.map((t: { name: string }) => t.name)).toContain('approve_technical_proposal');

      const unknown = await echoctl(['agents', 'cfo'], rt.apiUrl);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/^echoctl: role: no agent "cfo"; one of ceo, cto, /);
    }, 60_000);
  });

  describe('item 4: say what happened', () => {
    it('workflow status shows what each finished step returned', async () => {
      const started = await echoctl(
        [
          'workflow',
          'start',
          'incident-response',
          '--input',
          '{"title":"Search is slow"}',
          '--wait',
          '--timeout',
          '60',
        ],
        rt.apiUrl,
      );
      expect(started.code, started.stderr).toBe(0);
      const runId = /started: incident-response (\S+)/.exec(started.stderr)![1]!;
      const status = await echoctl(['workflow', 'status', runId.slice(-8)], rt.apiUrl);
      expect(status.code, status.stderr).toBe(0);
      const lines = status.stdout.split('\n');
      const assess = lines.findIndex((l) => /✓ assess /.test(l));
      expect(assess).toBeGreaterThan(0);
      expect(lines[assess + 1]).toMatch(/^ {6}↳ tool="assess_incident", title="Search is slow", severity=/);
    }, 90_000);

    it('echoctl logs <role> shows each delivery as what it came to, at the matching level', async () => {
      const ask = async (to: string, subject: string, content: Record<string, unknown>) => {
        const posted = await rt.post({ to, subject, content });
        const id = (posted.body.message as Message).id;
        await eventually(
          async () => ((await rt.get(`/messages?inReplyTo=${id}`)).body.messages.length ? true : undefined),
          30_000,
          `the reply to ${subject}`,
        );
        return id;
      };
      const bad = await ask('cto', 'approve_technical_proposal', { budget_usd: 5 });
      const good = await ask('cto', 'approve_technical_proposal', {
        title: 'Adopt OpenTelemetry',
        budget_usd: 5,
      });
      const up = await ask('cto', 'approve_technical_proposal', {
        title: 'Build a second region',
        budget_usd: 700_000,
      });
      const human = await ask('ceo', 'approve_strategic_initiative', {
        title: 'Buy a competitor',
        budget_usd: 5_000_000,
      });

      const lineFor = async (role: string, id: string) =>
        eventually(
          async () => {
            const out = await echoctl(['logs', role, '--json'], rt.apiUrl, {
              ECHO_DATA_DIR: dataDir,
              ECHO_STAGE: '',
            });
            return out.stdout
              .split('\n')
              .filter(Boolean)
              .map((l) => JSON.parse(l))
              .find((l) => l.messageId === id && typeof l.outcome === 'string');
          },
          20_000,
          `the ${role} log line about ${id}`,
        );
      expect(await lineFor('cto', bad)).toMatchObject({
        level: 'WARN',
        message: 'delivery answered with an error',
        outcome: 'error',
        field: 'title',
      });
      expect(await lineFor('cto', good)).toMatchObject({
        level: 'INFO',
        message: 'delivery answered',
        outcome: 'answered',
      });
      expect(await lineFor('cto', up)).toMatchObject({
        level: 'INFO',
        message: 'delivery escalated to ceo',
        outcome: 'escalated',
      });
      expect(await lineFor('ceo', human)).toMatchObject({
        level: 'WARN',
        message: 'delivery awaits a human',
        outcome: 'awaiting_human',
      });
      const pretty = await echoctl(['logs', 'cto'], rt.apiUrl, { ECHO_DATA_DIR: dataDir, ECHO_STAGE: '' });
      expect(pretty.stdout).toMatch(/ WARN {3}delivery answered with an error {2}.*field=title/);
    }, 120_000);

    it('ai_consult answers with JSON, not JSON inside a string', async () => {
      const posted = await rt.post({
        to: 'cto',
        subject: 'ai_consult',
        content: { prompt: 'Should we adopt Kafka?' },
      });
      const id = (posted.body.message as Message).id;
      const reply = await eventually(
        async () => (await rt.get(`/messages?inReplyTo=${id}`)).body.messages[0] as Message | undefined,
        30_000,
        'the consultation',
      );
      expect(reply.type).toBe('response');
      expect(typeof reply.content.answer).toBe('string');
      // the analysis is JSON beside the text, no longer serialised into it
      expect(reply.content.data).toMatchObject({
        role: 'cto',
        answer: expect.any(String),
        tools: expect.any(Array),
      });
      expect(reply.content.answer).not.toContain('"tools":');
      expect(reply.content.answer).toContain((reply.content.data as { answer: string }).answer);
    }, 60_000);
  });
});
