/**
 * Hostile input: the roles' tools. Every tool of every role in the registry gets arbitrary JSON
 * objects and objects shaped by its own input schema (right types, bounds and one past them, wrong
 * types, prototype keys): runTool returns an outcome or throws a ValidationError naming the field,
 * never anything else. Then through the organization (the real runtime on PostgreSQL and Redis):
 * a request whose subject is the tool and whose content is hostile is answered, an `error` reply
 * naming the field when the input is bad, and the delivery never fails.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../lambdas/core/errors.ts';
import type { JsonObject } from '../../lambdas/core/messages.ts';
import { REGISTRY } from '../../lambdas/core/org/registry.ts';
import { runTool } from '../../lambdas/core/org/tools/index.ts';
import type { ToolOutcome } from '../../lambdas/core/org/tools/types.ts';
import { ROLES, type Role } from '../../lambdas/core/roles.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { redisUrl, requireService } from '../support/services.ts';
import {
  asReceived,
  expectNamedField,
  hostileObject,
  jsonSchemaOf,
  objectFromSchema,
  runs,
} from './arbitraries.ts';

const OUTCOME_KINDS = new Set<ToolOutcome['kind']>([
  'reply',
  'decision',
  'escalation',
  'collaborative',
  'override',
  'memory.write',
  'memory.read',
  'consult',
]);

const TOOLS = ROLES.flatMap((role) => REGISTRY[role].tools.map((tool) => ({ role, tool })));

/** Input for one tool: mostly shaped by its schema, sometimes any object at all. */
const inputFor = (schema: unknown) =>
  fc.oneof({ weight: 4, arbitrary: objectFromSchema(schema) }, { weight: 1, arbitrary: hostileObject });

const ctx = (role: Role) => ({ role, from: 'human' as const, requestId: randomUUID(), now: new Date() });

describe('hostile tool inputs to runTool', () => {
  it('covers every tool of every role', () => {
    expect(TOOLS.length).toBeGreaterThan(ROLES.length * 4);
  });

  it.each(ROLES)(
    'the %s: each tool returns an outcome or throws ValidationError naming the field',
    (role) => {
      for (const tool of REGISTRY[role].tools) {
        const schema = jsonSchemaOf(tool.input);
        fc.assert(
          fc.property(inputFor(schema), (raw) => {
            const input = asReceived(raw) as JsonObject;
            let outcome: ToolOutcome | undefined;
            try {
              outcome = runTool(role, tool.name, input, ctx(role));
            } catch (error) {
              expectNamedField(error);
              return;
            }
            expect(outcome, `${role}.${tool.name}`).toBeDefined();
            expect(OUTCOME_KINDS.has(outcome!.kind), `${role}.${tool.name}: ${outcome!.kind}`).toBe(true);
            // what the organization stores of it must survive JSON (no undefined-only holes, no cycles)
            expect(() => JSON.stringify(outcome)).not.toThrow();
          }),
          runs(100),
        );
      }
    },
  );

  it('an unknown tool name is no tool (undefined), whatever the input', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ROLES),
        fc.string({ unit: 'binary', maxLength: 40 }),
        hostileObject,
        (role, name, input) => {
          fc.pre(!REGISTRY[role].tools.some((t) => t.name === name));
          expect(runTool(role, name, asReceived(input) as JsonObject, ctx(role))).toBeUndefined();
        },
      ),
      runs(200),
    );
  });
});

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');

describe.runIf(hasServices)('hostile tool inputs through the organization', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({
      database: 'postgres',
      redisUrl,
      env: { ECHO_DEADLINE_INTERVAL_MS: '3600000', ECHO_HUMAN_TOKEN: 'hostile-tools-token' },
    });
  });
  afterAll(async () => rt?.close());

  const deadLetters = async (source: string) =>
    (await rt.sql.query('SELECT count(*)::int AS n FROM dead_letters WHERE source = :source', { source }))
      .rows[0]!.n as number;

  it('a request naming the tool gets one reply: an answer, or an error naming the field', async () => {
    const request = fc
      .constantFrom(...TOOLS)
      .chain(({ role, tool }) =>
        inputFor(jsonSchemaOf(tool.input)).map((content) => ({ role, name: tool.name, content })),
      );
    const tally = { answers: 0, errors: 0 };
    await fc.assert(
      fc.asyncProperty(request, async ({ role, name, content }) => {
        const busFailures = await deadLetters('bus');
        const posted = await rt.post({ to: role, type: 'request', subject: name, content });
        if (posted.status === 400) {
          // the contract refused the content itself (text PostgreSQL cannot keep, too deep, too big)
          expect(posted.body.error.code).toBe('ValidationError');
          expect(posted.body.error.field).toMatch(/^(content|entry)/);
          return;
        }
        expect(posted.status).toBe(201);
        const id = posted.body.message.id as string;
        await rt.bus.idle();
        const { body } = await rt.get(`/messages?inReplyTo=${id}`);
        const replies = body.messages.filter(
          (m: { from: string; type: string }) =>
            m.from === role && (m.type === 'response' || m.type === 'error'),
        );
        expect(replies, `${role}.${name} ${JSON.stringify(content).slice(0, 300)}`).toHaveLength(1);
        const [reply] = replies;
        tally[reply.type === 'error' ? 'errors' : 'answers']++;
        if (reply.type === 'error') {
          expect(reply.content.error.code).toEqual(expect.any(String));
          expect(reply.content.error.message).toEqual(expect.any(String));
          if (reply.content.error.code === 'ValidationError')
            expect(reply.content.error.field).toEqual(expect.any(String));
        } else {
          expect(reply.content.tool).toBe(name);
        }
        const { body: thread } = await rt.get(`/messages/${id}`);
        expect(thread.deliveries.map((d: { status: string }) => d.status)).toEqual(['processed']);
        expect(await deadLetters('bus')).toBe(busFailures);
      }),
      runs(150),
    );
    expect(tally.answers, JSON.stringify(tally)).toBeGreaterThanOrEqual(5);
    expect(tally.errors, JSON.stringify(tally)).toBeGreaterThanOrEqual(5);
  }, 180_000);

  it('input at the limits is answered, not failed: 500-character titles and subjects, a budget beyond what is recorded', async () => {
    // Each of these failed the delivery (a CHECK or a numeric overflow in PostgreSQL, retried, then
    // dead-lettered) before composed subjects and titles were clipped and budgets bounded.
    const cases = [
      { to: 'chro', subject: 'approve_hiring_request', content: { position: 'x'.repeat(500) } },
      { to: 'cto', subject: 'x'.repeat(500), content: {} },
      { to: 'cto', subject: 'approve_technical_proposal', content: { title: 'x'.repeat(500) } },
      { to: 'cto', subject: 'approve_technical_proposal', content: { title: 'y', budget_usd: 1e20 } },
      { to: 'ceo', subject: 'initiate_decision', content: { title: 'x'.repeat(500), participants: ['cto'] } },
      {
        to: 'operations_head',
        subject: 'manage_resource_allocation',
        content: { resource: 'r', from_team: 'a'.repeat(600), to_team: 'b' },
      },
    ];
    const busFailures = await deadLetters('bus');
    const posted = [];
    for (const c of cases) posted.push(await rt.post(c));
    await rt.bus.idle();
    for (const [i, p] of posted.entries()) {
      expect(p.status).toBe(201);
      const { body } = await rt.get(`/messages?inReplyTo=${p.body.message.id}`);
      const replies = body.messages.filter(
        (m: { type: string }) => m.type === 'response' || m.type === 'error',
      );
      expect(replies, JSON.stringify(cases[i]).slice(0, 120)).toHaveLength(1);
      expect(replies[0].subject.length).toBeLessThanOrEqual(500);
    }
    const overflow = await rt.get(`/messages?inReplyTo=${posted[3]!.body.message.id}`);
    expect(overflow.body.messages[0]).toMatchObject({
      type: 'error',
      content: { error: { field: 'budget_usd' } },
    });
    expect(await deadLetters('bus')).toBe(busFailures);
  });

  it('bad input gets an error reply naming the field (budget_usd: -1, a missing title)', async () => {
    const bad = await rt.post({
      to: 'cto',
      subject: 'approve_technical_proposal',
      content: { title: 'x', budget_usd: -1 },
    });
    const untitled = await rt.post({ to: 'cto', subject: 'approve_technical_proposal', content: {} });
    await rt.bus.idle();
    for (const [posted, field] of [
      [bad, 'budget_usd'],
      [untitled, 'title'],
    ] as const) {
      const { body } = await rt.get(`/messages?inReplyTo=${posted.body.message.id}`);
      expect(body.messages).toHaveLength(1);
      expect(body.messages[0]).toMatchObject({ type: 'error', content: { error: { field } } });
    }
  });
});

describe('ValidationError is what bad input throws', () => {
  it('names the field for a wrong type', () => {
    expect(() =>
      runTool('cto', 'approve_technical_proposal', { title: 7 } as unknown as JsonObject, ctx('cto')),
    ).toThrow(ValidationError);
  });
});
