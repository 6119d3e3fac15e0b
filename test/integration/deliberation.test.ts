/**
 * Deliberation and ownership on the real runtime (the rules engine thinking): a collaborative
 * decision is discussed before it is voted on, each vote reading the discussion; more rounds when
 * configured; a broadcast nobody joins goes to the CEO, who names a lead and says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { redisUrl, requireService } from '../support/services.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');

type Json = Record<string, any>;

async function openAndSettle(rt: TestRuntime, body: Json): Promise<Json> {
  const res = await fetch(`${rt.apiUrl}/decisions`, { method: 'POST', body: JSON.stringify(body) });
  const { decision } = (await res.json()) as Json;
  return eventually(
    async () => {
      const d = (await rt.get(`/decisions/${decision.id}`)).body.decision;
      return d.status !== 'voting' && d.outcome?.summary ? d : undefined;
    },
    30_000,
    'the vote and the synthesis',
  );
}

describe.runIf(hasServices)('deliberation and ownership', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ database: 'postgres', redisUrl, env: { ECHO_HUMAN_TOKEN: 't' } });
  });
  afterAll(async () => rt?.close());

  it('a collaborative decision is discussed before it is voted on; each vote cites the discussion', async () => {
    const d = await openAndSettle(rt, {
      initiator: 'cto',
      title: 'Adopt an event-driven architecture for billing',
      participants: ['product_manager', 'senior_architect', 'operations_head'],
      domain: 'architecture',
      details: {
        product: 'Customers see invoices as features ship.',
        architecture: 'An event-driven architecture with clear API contracts.',
        operations: 'The on-call rota is understaffed for two more services: a reliability concern.',
      },
    });
    const discussion = d.context.discussion;
    expect(discussion).toMatchObject({ rounds: 1, round: 1, phase: 'voting' });
    expect(discussion.entries.map((e: Json) => [e.role, e.stance]).sort()).toEqual([
      ['operations_head', 'oppose'],
      ['product_manager', 'support'],
      ['senior_architect', 'support'],
    ]);
    // every position was said before any vote was asked for
    const messages = (await rt.get(`/messages?limit=200`)).body.messages as Json[];
    const positions = messages.filter(
      (m) => m.subject.startsWith('Position:') && m.content.decisionId === d.id,
    );
    const voteRequests = messages.filter((m) => m.subject === 'cast_vote' && m.content.decisionId === d.id);
    expect(positions).toHaveLength(3);
    expect(voteRequests).toHaveLength(3);
    expect(Math.max(...positions.map((m) => m.seq))).toBeLessThan(
      Math.min(...voteRequests.map((m) => m.seq)),
    );
    expect(voteRequests[0]!.content.discussion).toHaveLength(3);
    for (const v of d.votes) expect(v.rationale).toMatch(/having read the discussion: /);
    expect(d.status).toBe('approved');
  });

  /** The CEO's notice naming the lead of broadcast `id`, which nobody joined. */
  const leadNamed = (id: string) =>
    eventually(
      async () =>
        (await rt.get(`/messages?to=human&type=notification&limit=50`)).body.messages.find(
          (m: Json) => m.content.broadcastId === id,
        ),
      20_000,
      'the CEO to name a lead',
    );

  it('a broadcast nobody joins goes to the CEO, who names a lead, says so, and the lead answers', async () => {
    const { body } = await rt.post({
      to: 'all',
      type: 'broadcast',
      subject: 'Quarterly fire drill moves to the parking lot',
    });
    const id = body.message.id;
    const told = await leadNamed(id);
    expect(told).toMatchObject({
      from: 'ceo',
      subject: 'Lead assigned: Quarterly fire drill moves to the parking lot',
    });
    expect(told.content.reason).toMatch(/\(rules\)$/);
    const verdicts = (await rt.get(`/messages?inReplyTo=${id}&type=participation&limit=20`)).body.messages;
    expect(verdicts).toHaveLength(9);
    expect(verdicts.every((v: Json) => v.content.join === false)).toBe(true);
    const lead = told.content.lead;
    const asked = await eventually(async () =>
      (await rt.get(`/messages?to=${lead}&type=request&limit=50`)).body.messages.find(
        (m: Json) => m.content.broadcastId === id,
      ),
    );
    const answered = await eventually(async () =>
      (await rt.get(`/messages?inReplyTo=${asked.id}`)).body.messages.find((m: Json) => m.from === lead),
    );
    expect(answered.type).toBe('response');
    // once only: the CEO was asked once, whoever gave the last verdict
    const requests = (await rt.get(`/messages?to=ceo&type=request&limit=100`)).body.messages.filter(
      (m: Json) => m.subject === 'assign_lead' && m.content.broadcastId === id,
    );
    expect(requests).toHaveLength(1);
  });

  it("a broadcast no role's domains touch is led by the CEO, who takes it rather than decline its own assignment", async () => {
    const { body } = await rt.post({ to: 'all', type: 'broadcast', subject: 'All hands on Monday' });
    const id = body.message.id;
    const told = await leadNamed(id);
    expect(told.content).toMatchObject({ lead: 'ceo', reason: expect.stringMatching(/no role's domains/) });
    const asked = await eventually(async () =>
      (await rt.get(`/messages?to=ceo&type=request&limit=50`)).body.messages.find(
        (m: Json) => m.subject === 'Lead: All hands on Monday' && m.content.broadcastId === id,
      ),
    );
    const answered = await eventually(async () =>
      (await rt.get(`/messages?inReplyTo=${asked.id}`)).body.messages.find((m: Json) => m.from === 'ceo'),
    );
    expect(answered.type).toBe('response');
    expect(answered.content.answer).toMatch(
      /^As Chief Executive Officer: I lead "Lead: All hands on Monday"/,
    );
    expect(answered.content.answer).not.toMatch(/outside my domains/);
  });
});

describe.runIf(hasServices)('more rounds of discussion', () => {
  it('with ECHO_DISCUSSION_ROUNDS=2 each participant speaks twice, the second time having read the first', async () => {
    const rt = await startTestRuntime({
      database: 'postgres',
      redisUrl,
      env: { ECHO_DISCUSSION_ROUNDS: '2' },
    });
    try {
      const d = await openAndSettle(rt, {
        initiator: 'cto',
        title: 'Adopt Kafka for the event store',
        participants: ['senior_architect', 'operations_head'],
        domain: 'architecture',
        details: {
          architecture: 'Event-driven integration for the platform.',
          operations: 'Monitoring exists.',
        },
      });
      expect(d.context.discussion).toMatchObject({ rounds: 2, round: 2, phase: 'voting' });
      expect(d.context.discussion.entries.map((e: Json) => `${e.round}:${e.role}`).sort()).toEqual([
        '1:operations_head',
        '1:senior_architect',
        '2:operations_head',
        '2:senior_architect',
      ]);
    } finally {
      await rt.close();
    }
  });
});

describe.runIf(hasServices)('the agent loop with the rules engine as its mind', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ database: 'postgres', redisUrl });
  });
  afterAll(async () => rt?.close());

  const ask = async (to: string, subject: string, content: Json = {}) => {
    const { body } = await rt.post({ to, subject, content });
    return eventually(async () =>
      (await rt.get(`/messages?inReplyTo=${body.message.id}`)).body.messages.find((m: Json) => m.from === to),
    );
  };

  it('a free-text request that asks for a tool runs it: within authority approved, above it escalated', async () => {
    const within = await ask('cto', 'Approve the Kafka migration for $120k');
    expect(within.type).toBe('response');
    expect(within.content.actions).toMatchObject([
      {
        tool: 'approve_technical_proposal',
        ok: true,
        input: { title: 'Kafka migration', budget_usd: 120_000 },
        result: { status: 'approved', owner: 'cto' },
      },
    ]);
    expect(within.content.answer).toMatch(/^Chief Technology Officer: I ran approve_technical_proposal/);
    const above = await ask('cto', 'Approve the Kafka cluster expansion for $900k');
    expect(above.content.actions[0]).toMatchObject({
      tool: 'approve_technical_proposal',
      result: { status: 'escalated', reason: 'budget $900,000 exceeds cto authority $500,000' },
    });
    expect(above.content.answer).toMatch(/it will escalate to ceo/);
  });

  it('the README\'s "Adopt PostgreSQL" is the CTO\'s own: it decides it', async () => {
    const reply = await ask('cto', 'Adopt PostgreSQL', { budget_usd: 100_000 });
    expect(reply.content.actions[0]).toMatchObject({
      tool: 'approve_technical_proposal',
      result: { status: 'approved' },
    });
  });

  it('what a tool needs and the text does not say is asked for, not guessed', async () => {
    const reply = await ask('cto', 'Approve the Kafka migration for €120k');
    expect(reply.content.actions).toEqual([]);
    expect(reply.content.needs?.[0]?.field).toBe('budget_usd');
  });
});
