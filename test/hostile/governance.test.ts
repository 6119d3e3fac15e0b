/**
 * Governance as a hostile caller meets it, on the real local runtime (PostgreSQL, Redis, the
 * organization answering with its rules engine): no caller gets around authority, a human's word,
 * or another agent's identity. Every case here was reproduced against the runtime before the rule
 * that stops it existed (issue 12): an agent overturning a human, a vote approving beyond its
 * initiator's authority, a forged sender or vote, an always-human matter passing as an ordinary
 * one, a split budget, an escalation rubber-stamped.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { adjustableClock, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { startScriptedLlmServer } from '../support/scripted-llm-servers.ts';
import { redisUrl, requireService } from '../support/services.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');
const TOKEN = 'hostile-governance-token';

type Json = Record<string, any>;

/** The organization as a caller reaches it: POST a request, wait for its reply; act as the human. */
function callerOf(rt: TestRuntime) {
  const ask = async (to: string, subject: string, content: Json = {}) => {
    const { status, body } = await rt.post({ to, subject, content });
    expect(status, JSON.stringify(body)).toBe(201);
    return eventually(
      async () =>
        (await rt.get(`/messages?inReplyTo=${body.message.id}`)).body.messages.find(
          (m: Json) => m.from === to && ['response', 'error', 'vote'].includes(m.type),
        ),
      20_000,
      `the reply of ${to} to ${subject}`,
    );
  };
  const decision = async (id: string) => (await rt.get(`/decisions/${id}`)).body.decision;
  /**
   * The decision once its chain stops moving: neither it nor the last hop pending or voting (the
   * decision and its chain are separate reads, so one may be newer than the other).
   */
  const settled = (id: string) =>
    eventually(
      async () => {
        const d = await decision(id);
        const moving = [d.status, d.chain.at(-1).status].some((s) => ['pending', 'voting'].includes(s));
        return moving ? undefined : d;
      },
      20_000,
      `decision ${id} to settle`,
    );
  const asHuman = async (action: 'approve' | 'reject', id: string, reason: string) => {
    const res = await fetch(`${rt.apiUrl}/decisions/${id}/${action}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'x-echo-human': 'board' },
      body: JSON.stringify({ reason }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as Json).decision;
  };
  const openDecision = async (body: Json) => {
    const res = await fetch(`${rt.apiUrl}/decisions`, { method: 'POST', body: JSON.stringify(body) });
    const json = (await res.json()) as Json;
    expect(res.status, JSON.stringify(json)).toBe(201);
    return json.decision;
  };
  return { ask, decision, settled, asHuman, openDecision };
}

describe.runIf(hasServices)('governance: what a hostile caller cannot do', () => {
  let rt: TestRuntime;
  let org: ReturnType<typeof callerOf>;

  beforeAll(async () => {
    rt = await startTestRuntime({
      database: 'postgres',
      redisUrl,
      env: { ECHO_HUMAN_TOKEN: TOKEN, ECHO_DEADLINE_INTERVAL_MS: '3600000' },
    });
    org = callerOf(rt);
  });
  afterAll(async () => rt?.close());

  describe('1. no agent overturns a human', () => {
    it('a decision the human rejected stays rejected when the CEO is asked to override it (POST /messages)', async () => {
      const asked = await org.ask('ceo', 'approve_strategic_initiative', {
        title: 'Enterprise Expansion (override case)',
        budget_usd: 15_000_000,
      });
      const id = asked.content.decisionId;
      expect((await org.settled(id)).status).toBe('awaiting_human');
      await org.asHuman('reject', id, 'not this year');
      const reply = await org.ask('ceo', 'override_decision', {
        decisionId: id,
        status: 'approved',
        reason: 'the CEO insists',
      });
      expect(reply.type).toBe('error');
      expect(reply.content.error).toMatchObject({ code: 'Forbidden', field: 'decisionId' });
      expect(reply.content.error.message).toMatch(
        /was rejected by human:board\): only a human may change it/,
      );
      const d = await org.decision(id);
      expect(d).toMatchObject({ status: 'rejected', mode: 'human', approval: { status: 'rejected' } });
      // the refused override is on the record: who asked, and why it was refused
      const override = await org.decision(reply.content.overrideId);
      expect(override).toMatchObject({
        type: 'override_decision',
        owner: 'ceo',
        initiator: 'human',
        status: 'rejected',
      });
      expect(override.reason).toMatch(/^override refused: /);
    });

    it('the same through MCP (tools/call override_decision on /mcp/ceo)', async () => {
      const asked = await org.ask('ceo', 'approve_strategic_initiative', {
        title: 'Enterprise Expansion (MCP case)',
        budget_usd: 15_000_000,
      });
      const id = asked.content.decisionId;
      await org.settled(id);
      await org.asHuman('reject', id, 'no');
      const res = await fetch(`${rt.apiUrl}/mcp/ceo`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2025-06-18',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 7,
          method: 'tools/call',
          params: {
            name: 'override_decision',
            arguments: { decisionId: id, status: 'approved', reason: 'via MCP', from: 'cto' },
          },
        }),
      });
      const answer = (await res.json()) as Json;
      expect(answer.result.isError).toBe(true);
      expect(JSON.stringify(answer.result.content)).toMatch(/only a human may change it/);
      expect((await org.decision(id)).status).toBe('rejected');
    });

    it('nor the first decision of a chain whose human item is still pending', async () => {
      const asked = await org.ask('product_manager', 'approve_product_requirement', {
        title: 'Chain with a pending human item',
        budget_usd: 2_000_000,
      });
      const first = asked.content.decisionId;
      const chain = (await org.settled(first)).chain;
      expect(chain.map((c: Json) => c.status)).toEqual(['escalated', 'escalated', 'awaiting_human']);
      const reply = await org.ask('ceo', 'override_decision', {
        decisionId: first,
        status: 'approved',
        reason: 'skip the board',
      });
      expect(reply.type).toBe('error');
      expect(reply.content.error.message).toMatch(/in a chain with a human item .* waits for a human/);
      const after = await org.decision(first);
      expect(after.chain.map((c: Json) => c.status)).toEqual(['escalated', 'escalated', 'awaiting_human']);
      expect(after.approval).toBeNull();
      expect(after.chain.at(-1).status).toBe('awaiting_human');
    });

    it('an override within authority is a decision of its own, recorded with who and why', async () => {
      const asked = await org.ask('cto', 'approve_technical_proposal', {
        title: 'Adopt a service mesh',
        budget_usd: 300_000,
      });
      const id = asked.content.decisionId;
      expect((await org.settled(id)).status).toBe('approved');
      const reply = await org.ask('ceo', 'override_decision', {
        decisionId: id,
        status: 'rejected',
        reason: 'not before the platform migration',
      });
      expect(reply.type).toBe('response');
      const d = await org.decision(id);
      expect(d.status).toBe('rejected');
      expect(d.reason).toBe(
        `overridden by ceo (decision ${reply.content.overrideId}, asked by human): not before the platform migration`,
      );
      expect(d.context.overriddenBy).toMatchObject({ by: 'ceo', requestedBy: 'human', from: 'approved' });
      expect(await org.decision(reply.content.overrideId)).toMatchObject({
        type: 'override_decision',
        status: 'approved',
        owner: 'ceo',
        initiator: 'human',
        context: { overrides: { decisionId: id, from: 'approved', to: 'rejected' } },
      });
    });

    it("an override beyond the overrider's authority is refused with the reason", async () => {
      // a $5M decision the vote rejected: no human item in its chain, but above the CEO's $1M
      const d = await org.openDecision({
        initiator: 'ceo',
        title: 'Build a second headquarters',
        budget_usd: 5_000_000,
        participants: ['cto', 'operations_head'],
        requestVotes: false,
        details: {
          infrastructure: 'A second data centre for the platform.',
          operations: 'Facilities and operations cost double.',
        },
      });
      await org.ask('cto', 'cast_vote', { decisionId: d.id });
      await org.ask('operations_head', 'cast_vote', { decisionId: d.id });
      expect((await org.settled(d.id)).status).toBe('rejected');
      const reply = await org.ask('ceo', 'override_decision', {
        decisionId: d.id,
        status: 'approved',
        reason: 'build it anyway',
      });
      expect(reply.type).toBe('error');
      expect(reply.content.error.message).toMatch(
        /beyond ceo authority: budget \$5,000,000 exceeds ceo authority \$1,000,000/,
      );
      expect((await org.decision(d.id)).status).toBe('rejected');
    });
  });

  describe("2. a vote is a recommendation its initiator's authority still bounds", () => {
    it('a $50M decision opened by senior_developer and approved by vote climbs to a human with the votes', async () => {
      const d = await org.openDecision({
        initiator: 'senior_developer',
        title: 'Rewrite the platform in a new language',
        budget_usd: 50_000_000,
        participants: ['product_manager', 'senior_architect'],
        requestVotes: false,
        details: {
          product: 'Customers get the features on the roadmap sooner.',
          architecture: 'A cleaner architecture; the migration risk is assessed and phased.',
        },
      });
      await org.ask('product_manager', 'cast_vote', { decisionId: d.id });
      await org.ask('senior_architect', 'cast_vote', { decisionId: d.id });
      const done = await org.settled(d.id);
      expect(done.votes.map((v: Json) => v.vote)).toEqual(['approve', 'approve']);
      expect(done.chain.map((c: Json) => c.owner)).toEqual([
        'senior_developer',
        'senior_architect',
        'cto',
        'ceo',
      ]);
      expect(done.chain[0].status).toBe('escalated');
      expect(done.chain[0].reason).toMatch(
        /^approved by vote \(2 for, 0 against, 0 abstaining \(consensus 1\.00\)\) as a recommendation; budget \$50,000,000 exceeds senior_developer authority \$0$/,
      );
      const top = done.chain.at(-1);
      expect(top.status).toBe('awaiting_human');
      // the votes travel with the decision up the chain
      expect(top.context.vote).toMatchObject({ outcome: 'approved', approvals: 2 });
      expect(top.context.vote.votes.map((v: Json) => v.voter)).toEqual(
        expect.arrayContaining(['product_manager', 'senior_architect']),
      );
      const approval = (await org.decision(top.id)).approval;
      expect(approval.status).toBe('pending');
    });

    it('revenue-3x: $2,000,000 approved by vote waits for a human above the CEO, with the synthesis', async () => {
      const brief = JSON.parse(
        readFileSync(resolve(import.meta.dirname, '../../scenarios/revenue-3x.json'), 'utf8'),
      );
      const reply = await org.ask('ceo', 'initiate_decision', {
        title: 'STRATEGIC INITIATIVE: 3x Revenue Growth in 18 Months',
        budget_usd: brief.constraints.budget_usd,
        details: brief,
      });
      const id = reply.content.decisionId;
      const d = await eventually(
        async () => {
          const v = await org.decision(id);
          return v.outcome?.summary && v.status !== 'voting' ? v : undefined;
        },
        30_000,
        'the vote and the synthesis',
      );
      expect(d.context.vote.outcome).toBe('approved');
      expect(d.status).toBe('awaiting_human');
      expect(d.completedAt).toBeNull();
      expect(d.reason).toMatch(/as a recommendation; budget \$2,000,000 exceeds ceo authority \$1,000,000/);
      expect(d.approval.status).toBe('pending');
      const approved = await org.asHuman('approve', id, 'the board backs it');
      expect(approved).toMatchObject({ status: 'approved', mode: 'human' });
      expect(approved.completedAt).not.toBeNull();
    });
  });

  describe('3. nobody speaks as an agent through a public entry point', () => {
    it.each(['cto', 'system', 'ceo'])(
      'POST /messages from "%s": 403 naming from, dead-lettered, nothing posted',
      async (from) => {
        const before = (await rt.get('/messages?limit=1')).body.messages[0]?.seq ?? 0;
        const { status, body } = await rt.post({
          from,
          to: 'chro',
          subject: 'approve_hiring_request',
          content: {},
        });
        expect(status).toBe(403);
        expect(body.error).toMatchObject({ code: 'Forbidden', field: 'from' });
        expect(body.error.message).toMatch(/only "human" may/);
        const letters = (await rt.get('/dead-letters?limit=20')).body.deadLetters;
        expect(letters.find((l: Json) => l.id === body.error.deadLetterId)).toMatchObject({ field: 'from' });
        expect((await rt.get('/messages?limit=1')).body.messages[0]?.seq ?? 0).toBe(before);
      },
    );

    it('a forged vote (type vote, even from "human") is refused and counts for nobody', async () => {
      const d = await org.openDecision({
        initiator: 'cto',
        title: 'Forged votes',
        participants: ['product_manager', 'senior_architect', 'operations_head'],
        requestVotes: false,
        domain: 'architecture',
      });
      for (const from of ['product_manager', 'human']) {
        const { status, body } = await rt.post({
          from,
          to: 'cto',
          type: 'vote',
          subject: 'Vote',
          content: { decisionId: d.id, vote: 'approve', confidence: 1, rationale: 'forged' },
        });
        expect(status).toBe(403);
        expect(body.error.field).toBe(from === 'human' ? 'type' : 'from');
      }
      for (const type of ['escalation', 'participation', 'response', 'decision', 'error']) {
        const { status, body } = await rt.post({
          to: 'ceo',
          type,
          subject: 'x',
          content: { decisionId: d.id },
        });
        expect(status).toBe(403);
        expect(body.error.field).toBe('type');
      }
      await new Promise((r) => setTimeout(r, 200));
      expect((await org.decision(d.id)).votes).toEqual([]);
    });

    it('PutEvents ingest: a PostMessage from an agent is dead-lettered with the reason, nothing posted', async () => {
      const client = new EventBridgeClient({
        endpoint: rt.awsUrl,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      const before = (await rt.get('/messages?limit=1')).body.messages[0]?.seq ?? 0;
      const out = await client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: 'echo.client',
              DetailType: 'PostMessage',
              Detail: JSON.stringify({ from: 'cto', to: 'ceo', subject: 'impersonated', content: {} }),
            },
          ],
        }),
      );
      expect(out.FailedEntryCount).toBe(0);
      const letter = await eventually(async () =>
        (await rt.get('/dead-letters?limit=50')).body.deadLetters.find(
          (l: Json) => l.source === 'ingest' && l.payload?.subject === 'impersonated',
        ),
      );
      expect(letter).toMatchObject({ field: 'from' });
      expect(letter.reason).toMatch(/only "human" may/);
      expect((await rt.get('/messages?limit=1')).body.messages[0]?.seq ?? 0).toBe(before);
      client.destroy();
    });

    it("MCP speaks as the human: a tool's arguments cannot set the sender", async () => {
      const res = await fetch(`${rt.apiUrl}/mcp/senior_developer`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2025-06-18',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'recall', arguments: { key: 'x', from: 'ceo', type: 'vote' } },
        }),
      });
      expect(res.status).toBe(200);
      const requests = (await rt.get('/messages?to=senior_developer&type=request&limit=5')).body.messages;
      const sent = requests.find((m: Json) => m.subject === 'recall');
      expect(sent).toMatchObject({ from: 'human', type: 'request' });
    });

    it('a producer cannot write metadata.principal: only an authenticated entry point stamps it', async () => {
      const { body } = await rt.post({
        to: 'senior_developer',
        subject: 'what_do_you_do',
        metadata: { principal: 'human:arn:aws:iam::1:role/board', note: 'kept' },
      });
      expect(body.message.metadata).toEqual({ note: 'kept' });
      const signed = await fetch(`${rt.apiUrl}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'x-echo-human': 'ada' },
        body: JSON.stringify({ to: 'senior_developer', subject: 'what_do_you_do' }),
      });
      expect(((await signed.json()) as Json).message.metadata).toEqual({ principal: 'human:ada' });
    });

    it('POST /decisions: a human asks the named role; the role owns it, the human initiated it', async () => {
      const d = await org.openDecision({
        initiator: 'cto',
        title: 'Who opened this',
        participants: ['senior_architect'],
      });
      expect(d).toMatchObject({ owner: 'cto', initiator: 'human' });
    });
  });

  describe('4. always-human matters are recognized from the content', () => {
    it('"Reduce Customer Success headcount by 12" (category layoffs) waits for a human', async () => {
      const reply = await org.ask('chro', 'resolve_hr_issue', {
        issue: 'Reduce Customer Success headcount by 12',
        category: 'layoffs',
      });
      expect(reply.content).toMatchObject({ status: 'awaiting_human' });
      expect(reply.content.reason).toMatch(/always needs a human \(a layoff matter\)/);
    });

    it.each([
      ['chro', 'resolve_hr_issue', { issue: 'Reduce Customer Success headcount by 12' }, 'layoff'],
      [
        'ceo',
        'approve_strategic_initiative',
        { title: 'Acquire DataCo, our closest competitor', budget_usd: 400_000 },
        'acquisition',
      ],
      ['ceo', 'approve_strategic_initiative', { title: 'Merge with Acme Corp' }, 'merger'],
      [
        'chro',
        'resolve_hr_issue',
        { issue: 'Terminate the employment of J. Doe', severity: 'high' },
        'termination',
      ],
      [
        'chro',
        'resolve_hr_issue',
        { issue: 'Complaint', details: 'an employee alleges she was harassed by her manager' },
        'discrimination',
      ],
      [
        'operations_head',
        'approve_vendor_contract',
        { vendor: 'Acme', notes: 'the vendor threatens to sue over the last invoice' },
        'legal',
      ],
      [
        'cto',
        'approve_technical_proposal',
        { title: 'Store EU customer data in the US', concern: 'GDPR transfer rules' },
        'regulatory',
      ],
      [
        'ceo',
        'approve_strategic_initiative',
        { title: 'Pivot from SMB to enterprise only' },
        'strategic pivot',
      ],
      [
        'ceo',
        'allocate_budget',
        { amount_usd: 100_000, purpose: 'Severance: we are laying off the night shift' },
        'layoff',
      ],
    ])('%s %s %j: a human decides (a %s matter)', async (role, tool, content, matter) => {
      const reply = await org.ask(role, tool, content);
      expect(reply.type, JSON.stringify(reply.content)).toBe('response');
      expect(reply.content).toMatchObject({ status: 'awaiting_human' });
      expect(reply.content.reason).toContain(`a ${matter} matter`);
    });
  });

  describe('5. a budget split into parts escapes nothing', () => {
    it('five $400,000 proposals with one title: the CTO approves one, the second escalates naming the sum and the first', async () => {
      const titles = [
        'GPU cluster',
        'GPU cluster',
        'gpu cluster (part 3 of 5)',
        'GPU Clusters — tranche 4',
        'GPU cluster, phase V',
      ];
      const replies = [];
      for (const title of titles)
        replies.push(await org.ask('cto', 'approve_technical_proposal', { title, budget_usd: 400_000 }));
      const chains = await Promise.all(replies.map((r) => org.settled(r.content.decisionId)));
      expect(chains[0].chain.map((c: Json) => [c.owner, c.status])).toEqual([['cto', 'approved']]);
      for (const d of chains.slice(1)) {
        expect(d.chain[0].status).toBe('escalated');
        expect(d.chain[1].owner).toBe('ceo');
      }
      expect(chains[1].chain[0].reason).toBe(
        `budget $400,000 with $400,000 cto approved for the same purpose in the last 30 days makes $800,000, exceeding cto authority $500,000; earlier decisions: ${chains[0].id} ($400,000)`,
      );
      // the CEO's approvals add up as well: its $1,000,000 covers two of the parts, not four
      const ceoApproved = chains.slice(1).filter((d) => d.chain[1].status === 'approved').length;
      expect(ceoApproved).toBe(2);
      expect(chains.slice(1).map((d) => d.chain.at(-1).status)).toContain('awaiting_human');
    });

    it('contracts with one vendor add up whatever their titles', async () => {
      const first = await org.ask('operations_head', 'approve_vendor_contract', {
        vendor: 'Initech, Inc.',
        budget_usd: 300_000,
        term_months: 12,
      });
      const second = await org.ask('operations_head', 'approve_vendor_contract', {
        vendor: 'INITECH',
        budget_usd: 200_000,
        term_months: 6,
      });
      expect((await org.settled(first.content.decisionId)).status).toBe('approved');
      const d = await org.settled(second.content.decisionId);
      expect(d.chain[0].status).toBe('escalated');
      expect(d.chain[0].reason).toMatch(/makes \$500,000, exceeding operations_head authority \$400,000/);
    });

    it('parts sent at once are judged one after another (no race past the sum)', async () => {
      const sent = await Promise.all(
        Array.from({ length: 5 }, () =>
          rt.post({
            to: 'cto',
            subject: 'approve_technical_proposal',
            content: { title: 'Parallel parts', budget_usd: 300_000 },
          }),
        ),
      );
      const replies = await Promise.all(
        sent.map(({ body }) =>
          eventually(async () =>
            (await rt.get(`/messages?inReplyTo=${body.message.id}`)).body.messages.find(
              (m: Json) => m.from === 'cto',
            ),
          ),
        ),
      );
      const firstHops = await Promise.all(replies.map((r) => org.decision(r.content.decisionId)));
      expect(firstHops.filter((d) => d.status === 'approved')).toHaveLength(1);
    });
  });

  describe('6. an escalation is decided on its merits', () => {
    it('a tie of three abstentions reaches the CEO, who rejects it: nobody supported it (rules)', async () => {
      const d = await org.openDecision({
        initiator: 'cto',
        title: 'Repaint the lobby',
        participants: ['product_manager', 'senior_architect', 'operations_head'],
        domain: 'architecture',
      });
      const done = await org.settled(d.id);
      expect(done.votes.map((v: Json) => v.vote)).toEqual(['abstain', 'abstain', 'abstain']);
      expect(done.chain.map((c: Json) => c.owner)).toEqual(['cto', 'ceo']);
      const ceo = done.chain[1];
      expect(ceo.status).toBe('rejected');
      expect(ceo.reason).toMatch(
        /^rejected by ceo on its merits \(rules\): nobody supported it: 0 for, 0 against, 3 abstaining/,
      );
      expect(ceo.reason).not.toMatch(/within ceo authority/);
    });

    it('an escalation the proposer was sure of goes ahead, and the reason says why, not only that it fits', async () => {
      const reply = await org.ask('product_manager', 'approve_product_requirement', {
        title: 'Offline mode for the mobile app',
        budget_usd: 300_000,
      });
      const d = await org.settled(reply.content.decisionId);
      expect(d.chain.map((c: Json) => [c.owner, c.status])).toEqual([
        ['product_manager', 'escalated'],
        ['cto', 'approved'],
      ]);
      expect(d.chain[1].reason).toMatch(/^approved by cto on its merits \(rules\): /);
    });
  });
});

describe.runIf(hasServices)("governance with a model: the superior's model decides an escalation", () => {
  it('the reason names the model, and a model that rejects is heard', async () => {
    const model = await startScriptedLlmServer('openai');
    const rt = await startTestRuntime({
      database: 'postgres',
      redisUrl,
      env: { ECHO_LLM_PROVIDER: 'openai', ECHO_LLM_BASE_URL: model.url, ECHO_LLM_MAX_RETRIES: '0' },
    });
    try {
      model.script({
        kind: 'answer',
        text: JSON.stringify({
          verdict: 'reject',
          rationale: 'the offline cache duplicates the sync work planned for Q3',
        }),
      });
      const reply = await callerOf(rt).ask('product_manager', 'approve_product_requirement', {
        title: 'Offline mode, model case',
        budget_usd: 300_000,
      });
      const d = await callerOf(rt).settled(reply.content.decisionId);
      expect(d.chain[1]).toMatchObject({ owner: 'cto', status: 'rejected' });
      expect(d.chain[1].reason).toMatch(
        /^rejected by cto on its merits \(model [^)]+\): the offline cache duplicates the sync work planned for Q3$/,
      );
      expect(model.requests.at(-1)!.chat.messages.at(-1)!.content).toMatch(/decide it on its merits/);
    } finally {
      await rt.close();
      await model.close();
    }
  });
});

describe.runIf(hasServices)('the split-budget window', () => {
  it('is 30 days by default and configurable: past it, a new part is judged alone', async () => {
    const clock = adjustableClock();
    const rt = await startTestRuntime({
      database: 'postgres',
      redisUrl,
      clock,
      env: { ECHO_SPLIT_BUDGET_WINDOW_DAYS: '7' },
    });
    try {
      const org = callerOf(rt);
      const part = async () =>
        org.settled(
          (await org.ask('cto', 'approve_technical_proposal', { title: 'Data lake', budget_usd: 300_000 }))
            .content.decisionId,
        );
      expect((await part()).chain.length).toBe(1);
      const second = await part();
      expect(second.chain[0].reason).toMatch(/in the last 7 days makes \$600,000/);
      clock.advance(8 * 86_400_000);
      expect((await part()).chain.map((c: Json) => c.status)).toEqual(['approved']);
    } finally {
      await rt.close();
    }
  });
});
