/**
 * The smaller holes of issue 12 (item 11), on the real local runtime (PostgreSQL, Redis): a Detail
 * nested 10,000 levels deep, an idempotency key reused with another body, numbers JSON cannot keep
 * and `__proto__` keys, budgets finer than a cent, a huge rejected body in the dead letters, a
 * misspelt query parameter, and a Last-Event-ID ahead of the log. Each case failed on the code before.
 */
import { createHash, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../events/limits.ts';
import { DEAD_LETTER_BODY_BYTES } from '../../lambdas/core/store.ts';
import { MAX_DETAIL_DEPTH } from '../../lambdas/local/eventbridge/bus.ts';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { redisUrl, requireService } from '../support/services.ts';
import { nestedText } from './arbitraries.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');

type Json = Record<string, any>;

describe.runIf(hasServices)('the smaller holes (issue 12, item 11)', () => {
  let rt: TestRuntime;
  let events: EventBridgeClient;
  const postText = async (text: string) => {
    const res = await fetch(`${rt.apiUrl}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: text,
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const deadLetters = async (): Promise<Json[]> => (await rt.get('/dead-letters?limit=50')).body.deadLetters;
  const put = (detail: string) =>
    events.send(
      new PutEventsCommand({
        Entries: [{ Source: 'echo.client', DetailType: 'PostMessage', Detail: detail }],
      }),
    );

  beforeAll(async () => {
    rt = await startTestRuntime({
      database: 'postgres',
      redisUrl,
      env: { ECHO_DEADLINE_INTERVAL_MS: '3600000' },
    });
    events = new EventBridgeClient({
      endpoint: rt.awsUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  }, 60_000);
  afterAll(async () => rt?.close());

  it('a Detail nested 10,000 levels deep is refused at once naming the depth limit, not retried as a RangeError', async () => {
    const out = await put(`{"to":"cto","subject":"deep","content":{"a":${nestedText(10_000, 'object')}}}`);
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries![0]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    expect(out.Entries![0]!.ErrorMessage).toContain(`the limit is ${MAX_DETAIL_DEPTH} levels`);

    // Deeper than the contract but within what the bus carries: the ingest refuses it once, by name.
    const key = `deep-${randomUUID()}`;
    const within = await put(`{"to":"cto","subject":"${key}","content":{"a":${nestedText(500, 'object')}}}`);
    expect(within.FailedEntryCount).toBe(0);
    const letter = await eventually(
      async () => (await deadLetters()).find((d) => JSON.stringify(d.payload ?? d.raw).includes(key)),
      20_000,
      'the dead letter of the deep command',
    );
    expect(letter).toMatchObject({ source: 'ingest', field: 'content.a' });
    expect(letter.reason).toContain(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    await rt.bus.idle();
    const failures = (await deadLetters()).filter((d) => d.source === 'bus');
    expect(failures.map((d) => d.reason)).toEqual([]);
  });

  it('an idempotency key reused with another body: 409 naming idempotencyKey over HTTP, a dead letter over PutEvents', async () => {
    const key = `idem-${randomUUID()}`;
    const first = await rt.post({
      to: 'cto',
      subject: 'Buy licences',
      content: { seats: 10 },
      idempotencyKey: key,
    });
    expect(first.status).toBe(201);
    const same = await rt.post({
      to: 'cto',
      subject: 'Buy licences',
      content: { seats: 10 },
      idempotencyKey: key,
    });
    expect(same.status).toBe(200);
    expect(same.body.message.id).toBe(first.body.message.id);

    const other = await rt.post({
      to: 'cto',
      subject: 'Buy licences',
      content: { seats: 500 },
      idempotencyKey: key,
    });
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: 'Conflict', field: 'idempotencyKey' });
    expect(other.body.error.message).toContain(first.body.message.id);
    expect(other.body.error.message).toContain('content');
    expect(other.body.error.deadLetterId).toEqual(expect.any(String));

    const out = await put(JSON.stringify({ to: 'cto', subject: 'Buy other licences', idempotencyKey: key }));
    expect(out.FailedEntryCount).toBe(0);
    const letter = await eventually(
      async () =>
        (await deadLetters()).find(
          (d) => d.source === 'ingest' && d.field === 'idempotencyKey' && d.reason.includes(key),
        ),
      20_000,
      'the dead letter of the reused key',
    );
    expect(letter.reason).toContain('subject');
    const { rows } = await rt.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM messages WHERE idempotency_key = :key`,
      { key },
    );
    expect(rows[0]!.n).toBe(1);
  });

  it('a number JSON cannot keep (1e309) and a __proto__ key are refused naming the field', async () => {
    const huge = await postText('{"to":"cto","subject":"x","content":{"amount":1e309}}');
    expect(huge.status).toBe(400);
    expect(huge.body.error.field).toBe('content.amount');
    expect(huge.body.error.message).toMatch(/^content\.amount: a number JSON cannot keep/);

    const proto = await postText('{"to":"cto","subject":"x","content":{"__proto__":{"admin":true}}}');
    expect(proto.status).toBe(400);
    expect(proto.body.error.field).toBe('content.__proto__');

    const decision = await fetch(`${rt.apiUrl}/decisions`, {
      method: 'POST',
      body: '{"initiator":"cto","title":"t","budget_usd":-1e309}',
    });
    expect(decision.status).toBe(400);
    expect(((await decision.json()) as Json).error.field).toBe('budget_usd');
  });

  it('a budget finer than a cent is refused, not rounded', async () => {
    const res = await fetch(`${rt.apiUrl}/decisions`, {
      method: 'POST',
      body: JSON.stringify({
        initiator: 'cto',
        title: 'Fractional',
        budget_usd: 1000.005,
        participants: ['cto'],
      }),
    });
    const body = (await res.json()) as Json;
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error.field).toBe('budget_usd');
    expect(body.error.message).toContain('whole cents');
    const whole = await fetch(`${rt.apiUrl}/decisions`, {
      method: 'POST',
      body: JSON.stringify({
        initiator: 'cto',
        title: 'Whole cents',
        budget_usd: 1000.05,
        participants: ['cto'],
      }),
    });
    expect(whole.status).toBe(201);
    expect(((await whole.json()) as Json).decision.budgetUsd).toBe(1000.05);
  });

  it('a dead letter keeps a bounded prefix of a rejected body, with its size and sha256', async () => {
    const text = JSON.stringify({ to: 'cto', subject: 'too big', content: { blob: 'é'.repeat(200_000) } });
    const res = await postText(text);
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('entry');
    const letter = (await deadLetters()).find((d) => d.id === res.body.error.deadLetterId)!;
    const bytes = Buffer.from(text, 'utf8');
    expect(letter).toMatchObject({
      truncated: true,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      payload: null,
    });
    expect(Buffer.byteLength(letter.raw, 'utf8')).toBeLessThanOrEqual(DEAD_LETTER_BODY_BYTES);
    expect(Buffer.byteLength(letter.raw, 'utf8')).toBeGreaterThan(DEAD_LETTER_BODY_BYTES - 4);
    expect(text.startsWith(letter.raw)).toBe(true);

    const small = await postText('{"to":"nobody","subject":"x"}');
    const kept = (await deadLetters()).find((d) => d.id === small.body.error.deadLetterId)!;
    expect(kept).toMatchObject({ truncated: false, payload: { to: 'nobody', subject: 'x' } });
    expect(kept.sha256).toBe(createHash('sha256').update('{"to":"nobody","subject":"x"}').digest('hex'));
  });

  it('a misspelt query parameter is refused naming it and what the route takes, not answered unfiltered', async () => {
    const { body } = await rt.post({ to: 'cto', type: 'notification', subject: 'a filter to misspell' });
    const id = body.message.id as string;
    const misspelt = await rt.get(`/messages?inreplyto=${id}`);
    expect(misspelt.status).toBe(400);
    expect(misspelt.body.error).toMatchObject({ code: 'ValidationError', field: 'inreplyto' });
    expect(misspelt.body.error.message).toContain('to, from, type, inReplyTo, after, limit');
    expect((await rt.get(`/decisions?statuss=approved`)).body.error).toMatchObject({ field: 'statuss' });
    const long = await rt.get(`/dead-letters?${'x'.repeat(5000)}=1`);
    expect(long.status).toBe(400);
    expect(long.body.error.message.length).toBeLessThan(300);
    const twice = await rt.get('/messages?to=ceo&to=cto');
    expect(twice.status).toBe(400);
    expect(twice.body.error).toMatchObject({
      field: 'to',
      message: expect.stringContaining('given 2 times'),
    });
    // spelt right, it filters
    expect((await rt.get(`/messages?inReplyTo=${id}&limit=5`)).status).toBe(200);
  });

  it('a Last-Event-ID ahead of the log gets event: gap and the stream resumes from the head', async () => {
    const head = (await rt.get('/messages?limit=1')).body.messages[0]?.seq ?? 0;
    let text = '';
    const req = request(`${rt.apiUrl}/events?channels=messages:all`, {
      headers: { 'last-event-id': String(head + 1000) },
    });
    await new Promise<void>((resolve, reject) => {
      req.once('response', (res) => {
        expect(res.statusCode).toBe(200);
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('error', () => {});
        resolve();
      });
      req.once('error', reject);
      req.end();
    });
    const gap = await eventually(() => /event: gap\ndata: (.*)\n/.exec(text)?.[1], 20_000, 'the gap event');
    // Replies to the earlier tests may still be landing, so the head the server saw can be past the
    // one read above; it is never past the forged cursor.
    const told = JSON.parse(gap) as { seq: number; reason: string };
    expect(told.reason).toContain('ahead of the log');
    expect(told.seq).toBeGreaterThanOrEqual(head);
    expect(told.seq).toBeLessThan(head + 1000);
    await eventually(() => text.includes(`id: ${told.seq}\n`), 20_000, 'the cursor moved back to the head');
    const { body } = await rt.post({ to: 'cto', type: 'notification', subject: 'after the gap' });
    await eventually(
      () => text.includes(`id: ${body.message.seq}\n`) && text.includes(body.message.id),
      20_000,
      'the next message on the stream',
    );
    req.destroy();
  });
});
