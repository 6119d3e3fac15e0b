/**
 * Hostile input: PostMessage commands. The contract (parsePostMessage) on arbitrary and near-valid
 * input, then the ingest function as EventBridge invokes it (an envelope from echo.client,
 * detail-type PostMessage) on the real runtime (PostgreSQL, Redis): either the message is committed
 * whole (its deliveries and fan-out with it) or the command is rejected with a ValidationError naming
 * the field (and the limit, where one applies), a dead letter keeps the reason, and nothing else is
 * written. Never another exception.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, parsePostMessage, storableText } from '../../events/index.ts';
import type { EventEnvelope } from '../../lambdas/adapters/bus/port.ts';
import { type ForbiddenError, ValidationError } from '../../lambdas/core/errors.ts';
import { assertPublicCommand } from '../../lambdas/core/ingest.ts';
import { fanOutSettled } from '../../lambdas/core/pipeline.ts';
import { ADDRESSES } from '../../lambdas/core/roles.ts';
import { createIngestHandler } from '../../lambdas/handlers/ingest.ts';
import { signedFetch } from '../support/aws-signing.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { redisUrl, requireService } from '../support/services.ts';
import {
  asReceived,
  expectNamedField,
  hostileJson,
  invalidJsonText,
  nastyString,
  nearValidCommand,
  nestedText,
  runs,
} from './arbitraries.ts';

const anyDetail: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: nearValidCommand },
  { weight: 1, arbitrary: hostileJson },
);

/** A ValidationError from the contract: field named; a limit named when the size or the depth is the problem. */
function expectContractError(error: unknown): asserts error is ValidationError | ForbiddenError {
  expectNamedField(error);
  if (error.field === 'entry') expect((error as ValidationError).limit).toBe('256 KB');
  if (error.message.includes('nested deeper'))
    expect((error as ValidationError).limit).toBe(`${MAX_JSON_DEPTH} levels`);
  if (error.field !== '(root)') expect(error.message).toContain(error.field);
}

describe('hostile PostMessage commands to the contract', () => {
  it('parsePostMessage returns a command or throws a ValidationError naming the field', () => {
    fc.assert(
      fc.property(anyDetail, (raw) => {
        const input = asReceived(raw);
        try {
          const command = parsePostMessage(input);
          expect(ADDRESSES).toContain(command.to);
          expect(command.subject.trim()).toBe(command.subject);
        } catch (error) {
          expectContractError(error);
        }
      }),
      runs(300),
    );
  });

  it('the prototype is not reachable: __proto__, constructor and prototype keys are plain data or refused', () => {
    const input = JSON.parse(
      '{"to": "cto", "subject": "x", "__proto__": {"to": "ceo"}, "content": {"__proto__": {"admin": true}}}',
    );
    expect(() => parsePostMessage(input)).toThrow(ValidationError);
    // inside content a __proto__ key is refused by name (it was silently dropped); constructor is plain data
    expect(() =>
      parsePostMessage(
        JSON.parse('{"to": "cto", "subject": "x", "content": {"__proto__": {"admin": true}}}'),
      ),
    ).toThrow(/^content\.__proto__: /);
    const command = parsePostMessage(
      JSON.parse('{"to": "cto", "subject": "x", "content": {"constructor": {"prototype": {"admin": true}}}}'),
    );
    expect((command.content as Record<string, unknown>).admin).toBeUndefined();
    expect(command.content.constructor).toEqual({ prototype: { admin: true } });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('a `to` that is an object whose toString is not callable is refused by name (it threw a TypeError)', () => {
    const bad = () => parsePostMessage({ to: { toString: null }, subject: 'x' });
    expect(bad).toThrow(ValidationError);
    expect(bad).toThrow(/to: must be one of .*, got an object/);
  });
});

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');

describe.runIf(hasServices)('hostile PostMessage events to the ingest function', () => {
  let rt: TestRuntime;
  let ingest: ReturnType<typeof createIngestHandler>;

  beforeAll(async () => {
    rt = await startTestRuntime({
      database: 'postgres',
      redisUrl,
      env: { ECHO_DEADLINE_INTERVAL_MS: '3600000', ECHO_HUMAN_TOKEN: 'hostile-ingest-token' },
    });
    ingest = createIngestHandler(async () => rt.deps);
  });
  afterAll(async () => rt?.close());

  const envelope = (detail: unknown): EventEnvelope =>
    ({
      version: '0',
      id: randomUUID(),
      'detail-type': 'PostMessage',
      source: 'echo.client',
      account: '000000000000',
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: 'us-east-1',
      resources: [],
      detail,
    }) as EventEnvelope;

  async function counts() {
    const { rows } = await rt.sql.query(
      `SELECT (SELECT count(*) FROM messages)::int AS messages,
              (SELECT count(*) FROM deliveries)::int AS deliveries,
              (SELECT count(*) FROM outbox)::int AS outbox,
              (SELECT count(*) FROM decisions)::int AS decisions,
              (SELECT count(*) FROM dead_letters)::int AS dead_letters`,
    );
    return rows[0] as Record<string, number>;
  }

  /** No partial rows: every message has one delivery per recipient; no outbox row lacks its message. */
  async function expectWholeRows() {
    const { rows } = await rt.sql.query(
      `SELECT (SELECT count(*) FROM messages m
                WHERE jsonb_array_length(m.recipients)
                      <> (SELECT count(*) FROM deliveries d WHERE d.message_id = m.id))::int AS partial,
              (SELECT count(*) FROM outbox o
                WHERE o.message_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = o.message_id))::int AS orphans`,
    );
    expect(rows[0]).toEqual({ partial: 0, orphans: 0 });
  }

  it('commits the whole message, or dead-letters the command with its reason and writes nothing else', async () => {
    const tally = { committed: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(anyDetail, async (raw) => {
        const detail = asReceived(raw);
        await rt.bus.idle();
        // the outbox rows of what was posted before are cleared after the post returns
        await fanOutSettled(rt.deps);
        const before = await counts();
        const result = await ingest(envelope(detail));
        tally[result.messageId ? 'committed' : 'rejected']++;
        if (result.messageId) {
          const { status, body } = await rt.get(`/messages/${result.messageId}`);
          expect(status).toBe(200);
          expect(body.deliveries.map((d: { role: string }) => d.role).sort()).toEqual(
            [...body.message.recipients].sort(),
          );
        } else {
          expect(typeof result.rejected).toBe('string');
          // the contract says the same, and names the field
          let error: unknown;
          try {
            assertPublicCommand(parsePostMessage(detail));
          } catch (e) {
            error = e;
          }
          if (error === undefined) {
            // valid by the contract, refused by the database's own rules (a reply to no message), or
            // an idempotency key an earlier run used with another body
            expect(result.rejected).toMatch(/^(inReplyTo: no message|idempotencyKey: ")/);
          } else {
            expectContractError(error);
            expect(result.rejected).toBe(error.message);
          }
          const after = await counts();
          expect(after).toEqual({ ...before, dead_letters: before.dead_letters! + 1 });
          const [dead] = (await rt.get('/dead-letters?limit=1')).body.deadLetters;
          expect(dead).toMatchObject({ source: 'ingest', reason: result.rejected!.slice(0, 2000) });
          expect(dead.field).toEqual(expect.any(String));
          // the command as it came: as JSON, or as its JSON text when jsonb cannot hold it
          // a string is kept as raw text, U+FFFD for what PostgreSQL cannot store
          // (a body past DEAD_LETTER_BODY_BYTES: its prefix, with the whole one's size and sha256)
          let text: string | undefined;
          try {
            text = typeof detail === 'string' ? detail : JSON.stringify(detail);
          } catch {
            text = undefined; // nested too deep to serialise: not kept
          }
          if (text !== undefined) expect(dead.bytes).toBe(Buffer.byteLength(text, 'utf8'));
          if (dead.truncated) expect(storableText(text!).startsWith(dead.raw)).toBe(true);
          else if (typeof detail === 'string') expect(dead.raw).toBe(storableText(detail));
          else if (dead.raw === null) expect(dead.payload).toEqual(detail);
          else expect(JSON.parse(dead.raw)).toEqual(detail);
        }
      }),
      runs(300),
    );
    expect(tally.committed, JSON.stringify(tally)).toBeGreaterThanOrEqual(20);
    expect(tally.rejected, JSON.stringify(tally)).toBeGreaterThanOrEqual(20);
    await rt.bus.idle();
    await expectWholeRows();
    // and nothing accepted made an agent (or the workflow coordinator) fail
    const { rows } = await rt.sql.query(
      `SELECT reason FROM dead_letters WHERE source = 'bus'
       UNION ALL SELECT error FROM agent_activity WHERE outcome = 'failed'`,
    );
    expect(rows).toEqual([]);
  }, 180_000);

  it('a command with U+0000 or an unpaired surrogate is refused by name, and its dead letter keeps it as JSON text', async () => {
    // Both were 500s (PostgreSQL refuses them in text and jsonb) for the command and for its dead letter.
    for (const [detail, field] of [
      [{ to: 'cto', subject: 'a\u0000b' }, 'subject'],
      [{ to: 'cto', subject: 'x', content: { note: 'lone \ud800' } }, 'content.note'],
      [{ to: 'nobody\u0000', subject: 'x' }, 'to'],
    ] as const) {
      const result = await ingest(envelope(detail));
      expect(result.rejected).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
      const [dead] = (await rt.get('/dead-letters?limit=1')).body.deadLetters;
      expect(dead).toMatchObject({ source: 'ingest', field, payload: null });
      expect(JSON.parse(dead.raw)).toEqual(detail);
    }
  });

  it('content nested 20000 levels deep is refused naming the limit (it overflowed the stack: a 500)', async () => {
    const result = await ingest(
      envelope({ to: 'cto', subject: 'x', content: JSON.parse(`{"a": ${nestedText(20_000)}}`) }),
    );
    expect(result.rejected).toBe(`content.a: objects and arrays nested deeper than ${MAX_JSON_DEPTH} levels`);
    const [dead] = (await rt.get('/dead-letters?limit=1')).body.deadLetters;
    expect(dead).toMatchObject({ source: 'ingest', field: 'content.a', payload: null });
    expect(dead.raw).toMatch(/nested too deep/);
  });

  it('PutEvents on the local AWS endpoint with hostile entries: 200 with a result per entry or a 400; ingest never fails', async () => {
    const entry = fc.record(
      {
        Source: fc.oneof(
          { weight: 4, arbitrary: fc.constant('echo.client') },
          { weight: 1, arbitrary: nastyString },
        ),
        DetailType: fc.oneof(
          { weight: 4, arbitrary: fc.constant('PostMessage') },
          { weight: 1, arbitrary: nastyString },
        ),
        Detail: fc.oneof(
          { weight: 4, arbitrary: anyDetail.map((d) => JSON.stringify(d) ?? '') },
          { weight: 1, arbitrary: invalidJsonText },
          {
            weight: 1,
            arbitrary: fc
              .constantFrom(101, 1100, 3000)
              .map((depth) => `{"to": "cto", "subject": "deep", "content": {"a": ${nestedText(depth)}}}`),
          },
        ),
      },
      { requiredKeys: [] },
    );
    const busFailures = async () =>
      (await rt.sql.query(`SELECT count(*)::int AS n FROM dead_letters WHERE source = 'bus'`)).rows[0]!.n;
    const before = await busFailures();
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 0, maxLength: 4 }), async (entries) => {
        const res = await signedFetch(rt.awsUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
          body: JSON.stringify({ Entries: entries }),
          signal: AbortSignal.timeout(20_000),
        });
        const body = (await res.json()) as any;
        const what = `${res.status} ${JSON.stringify(body).slice(0, 300)}`;
        if (res.status === 200) {
          expect(body.Entries, what).toHaveLength(entries.length);
          for (const r of body.Entries) expect(r.EventId ?? r.ErrorCode, what).toEqual(expect.any(String));
        } else {
          expect(res.status, what).toBe(400);
          expect(body.__type, what).toMatch(/Exception$/);
        }
        await rt.bus.idle();
      }),
      runs(100),
    );
    expect(await busFailures()).toBe(before);
  }, 180_000);
});
