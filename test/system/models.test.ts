/**
 * The agents thinking with a model, in each provider's own protocol (a scripted OpenAI-compatible,
 * Ollama and Bedrock Converse server on loopback speaking tool calls, structured output and
 * streaming as the real ones do), on the real runtime (PostgreSQL, Redis):
 * - a free-text request: the model calls the role's tool; the decision lands within authority, and
 *   above it escalates (the superior's model then decides it on its merits);
 * - a collaborative decision: a discussion round, votes that cite it, the CEO's model-written synthesis;
 * - `echoctl trace` shows the calls made for a message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoctl } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import {
  type LlmProtocol,
  type ScriptedLlmServer,
  type ScriptedReply,
  startScriptedLlmServer,
} from '../support/scripted-llm-servers.ts';
import { redisUrl, requireService } from '../support/services.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');
type Json = Record<string, any>;

// the Bedrock client signs its calls with whatever credentials the environment has
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

describe.runIf(hasServices).each(['openai', 'ollama', 'bedrock'] as LlmProtocol[])(
  'agents with a scripted %s model',
  (protocol) => {
    let model: ScriptedLlmServer;
    let rt: TestRuntime;

    /** A structured answer as the protocol gives one: Bedrock's is the input of the forced answer tool. */
    const structured = (name: string, value: Json): ScriptedReply =>
      protocol === 'bedrock'
        ? { kind: 'tool-calls', calls: [{ name, arguments: value }] }
        : { kind: 'answer', text: JSON.stringify(value) };

    beforeAll(async () => {
      model = await startScriptedLlmServer(protocol);
      rt = await startTestRuntime({
        database: 'postgres',
        redisUrl,
        env: {
          ECHO_LLM_PROVIDER: protocol,
          ECHO_LLM_BASE_URL: model.url,
          ECHO_LLM_MAX_RETRIES: '0',
          ECHO_LLM_FAILURE: 'fatal',
          ECHO_HUMAN_TOKEN: 't',
        },
      });
    });
    afterAll(async () => {
      await rt?.close();
      await model?.close();
    });

    const ask = async (to: string, subject: string) => {
      const { body } = await rt.post({ to, subject });
      const reply = await eventually(
        async () =>
          (await rt.get(`/messages?inReplyTo=${body.message.id}`)).body.messages.find(
            (m: Json) => m.from === to,
          ),
        20_000,
        `the reply of ${to}`,
      );
      return { id: body.message.id as string, reply };
    };

    it("a free-text request: the model calls the role's tool, and the decision lands within authority", async () => {
      model.reset();
      model.script(
        {
          kind: 'tool-calls',
          calls: [
            { name: 'approve_technical_proposal', arguments: { title: 'Adopt Kafka', budget_usd: 120_000 } },
          ],
        },
        { kind: 'answer', text: 'Approved: Kafka for the event store, within my authority.' },
      );
      const { id, reply } = await ask(
        'cto',
        'We need a durable queue for the event store. Can we adopt Kafka for about $120k?',
      );
      expect(reply.content).toMatchObject({
        answer: 'Approved: Kafka for the event store, within my authority.',
        stop: 'answered',
        by: expect.stringMatching(/^model /),
        actions: [
          {
            tool: 'approve_technical_proposal',
            ok: true,
            input: { title: 'Adopt Kafka', budget_usd: 120_000 },
            result: { status: 'approved', owner: 'cto' },
          },
        ],
      });
      const [first, second] = model.requests.map((r) => r.chat);
      // the role's tools, with their JSON Schemas, in the provider's own protocol
      const offered = first!.tools.find((t) => t.name === 'approve_technical_proposal');
      expect(offered?.inputSchema).toMatchObject({
        type: 'object',
        properties: { budget_usd: { type: 'number' } },
      });
      expect(first!.tools.map((t) => t.name)).not.toContain('ai_consult');
      // its context: who it is, what it may decide
      expect(first!.messages[0]!.content).toMatch(/You are the Chief Technology Officer \(cto\)/);
      // the tool's result went back to the model before it answered, as the tool's code judged it
      expect(JSON.stringify(second!.messages)).toMatch(/within cto authority: it will be approved/);
      const decision = (await rt.get(`/decisions/${reply.content.actions[0].result.decisionId}`)).body
        .decision;
      expect(decision).toMatchObject({ status: 'approved', owner: 'cto', budgetUsd: 120_000, messageId: id });
    });

    it("over authority the model's ask escalates, never an approval; the CEO's model decides it on its merits", async () => {
      model.reset();
      model.script(
        {
          kind: 'tool-calls',
          calls: [
            {
              name: 'approve_technical_proposal',
              arguments: { title: 'Kafka everywhere', budget_usd: 900_000 },
            },
          ],
        },
        { kind: 'answer', text: 'That is above my authority: it went to the CEO.' },
        structured('judgement', {
          verdict: 'approve',
          rationale: 'The event store is the platform bet of the year.',
        }),
      );
      const { reply } = await ask('cto', 'Move every service to Kafka, about $900k.');
      const action = reply.content.actions[0];
      expect(action).toMatchObject({
        tool: 'approve_technical_proposal',
        result: { status: 'escalated', reason: 'budget $900,000 exceeds cto authority $500,000' },
      });
      const chain = await eventually(async () => {
        const d = (await rt.get(`/decisions/${action.result.decisionId}`)).body.decision;
        return d.chain.at(-1).status === 'pending' ? undefined : d.chain;
      });
      expect(chain.map((c: Json) => [c.owner, c.status])).toEqual([
        ['cto', 'escalated'],
        ['ceo', 'approved'],
      ]);
      expect(chain[1].reason).toMatch(
        /^approved by ceo on its merits \(model [^)]+\): The event store is the platform bet of the year\.$/,
      );
    });

    it("a collaborative decision: a discussion round, votes that cite it, and a synthesis the CEO's model wrote", async () => {
      model.reset();
      const position = {
        stance: 'support',
        position: 'One store we know; the on-call cost is the risk to watch.',
      };
      const vote = {
        vote: 'approve',
        confidence: 0.8,
        rationale: 'Having read the discussion, the on-call risk is covered by the runbooks.',
      };
      model.script(
        structured('position', position),
        structured('position', position),
        structured('vote', vote),
        structured('vote', vote),
        structured('synthesis', {
          summary: 'Adopted: both leads support it; watch the on-call load.',
          nextSteps: ['write the runbooks', 'review in a quarter'],
        }),
      );
      const res = await fetch(`${rt.apiUrl}/decisions`, {
        method: 'POST',
        body: JSON.stringify({
          initiator: 'cto',
          title: 'Adopt PostgreSQL and Redis for the event store',
          participants: ['senior_architect', 'operations_head'],
          domain: 'architecture',
        }),
      });
      const id = ((await res.json()) as Json).decision.id;
      const d = await eventually(
        async () => {
          const v = (await rt.get(`/decisions/${id}`)).body.decision;
          return v.outcome?.summary ? v : undefined;
        },
        30_000,
        'the synthesis',
      );
      expect(d.context.discussion.entries).toHaveLength(2);
      expect(d.context.discussion.entries.every((e: Json) => e.position === position.position)).toBe(true);
      expect(d.votes.map((v: Json) => v.rationale)).toEqual([vote.rationale, vote.rationale]);
      expect(d.status).toBe('approved');
      expect(d.outcome).toMatchObject({
        summary: 'Adopted: both leads support it; watch the on-call load.',
        nextSteps: ['write the runbooks', 'review in a quarter'],
        breakdown: { approve: 2, reject: 0, abstain: 0 },
        writtenBy: expect.stringMatching(/^model /),
      });
      // the votes were asked after the discussion, with it to read
      const voteRequest = model.requests.find((r) =>
        /Vote on this proposal/.test(JSON.stringify(r.chat.messages)),
      );
      expect(JSON.stringify(voteRequest!.chat.messages)).toMatch(/the on-call cost is the risk to watch/);
    });

    it("a refusal is recorded as a refusal, not passed on as the agent's answer", async () => {
      model.reset();
      model.script({ kind: 'refusal', text: "I'm sorry, but I can't help with that." });
      const { reply } = await ask('cto', 'Write the exploit for the billing system');
      expect(reply.content).toMatchObject({
        stop: 'refusal',
        refused: { text: "I'm sorry, but I can't help with that.", by: expect.stringMatching(/^model /) },
        answer: 'Chief Technology Officer: I cannot take this on (the model declined it).',
        actions: [],
      });
    });

    it('echoctl trace shows every call made for a message and what it led to', async () => {
      model.reset();
      model.script(
        {
          kind: 'tool-calls',
          calls: [
            { name: 'approve_technical_proposal', arguments: { title: 'Adopt NATS', budget_usd: 50_000 } },
          ],
        },
        { kind: 'answer', text: 'Approved NATS.' },
      );
      const { id } = await ask('cto', 'Adopt NATS for $50k?');
      const out = await echoctl(['trace', id, '--json'], rt.apiUrl);
      expect(out.code, out.stderr).toBe(0);
      const trace = JSON.parse(out.stdout);
      expect(trace.calls).toHaveLength(2);
      expect(trace.calls.map((c: Json) => [c.role, c.purpose, c.outcome])).toEqual([
        ['cto', 'loop', 'ok'],
        ['cto', 'loop', 'ok'],
      ]);
      expect(trace.calls[0].toolCalls[0]).toMatchObject({ name: 'approve_technical_proposal' });
      expect(trace.totals.calls).toBe(2);
    });
  },
);
