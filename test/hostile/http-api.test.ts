/**
 * Hostile input: the HTTP API of the real local runtime (its Node server, PostgreSQL, Redis, the
 * organization answering). Random methods, paths, query strings, bodies (JSON of every wrong shape,
 * text that is not JSON, strings at and beyond the limits, U+0000 and unpaired surrogates, nesting
 * far deeper than any caller needs, prototype keys), with and without the human token, against
 * every route. Each answer is JSON: a success, or an error with a 4xx status, `error.code`,
 * `error.message` and, for a validation error, `error.field`; never a 500, never a hang. A refused
 * request writes nothing (a refused command only its dead letter); the server stays healthy.
 * Then the workflows: arbitrary input to each built-in one starts a run (201) or is refused naming
 * `input.<field>` (400) with no run row.
 */
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECISION_STATUSES } from '../../lambdas/core/decision-types.ts';
import { ROLES } from '../../lambdas/core/roles.ts';
import { WORKFLOWS } from '../../lambdas/core/workflows/builtin/index.ts';
import { signedHeaders } from '../support/aws-signing.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { redisUrl, requireService } from '../support/services.ts';
import {
  hostileJson,
  hostileKey,
  invalidJsonText,
  jsonSchemaOf,
  nastyString,
  nearValidCommand,
  nestedText,
  objectFromSchema,
  runs,
} from './arbitraries.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');
const TOKEN = 'hostile-http-token';

/** What an error status may be, with the code it carries. */
const ERROR_CODES: Record<number, RegExp> = {
  400: /^ValidationError$/,
  401: /^Unauthorized$/,
  403: /^Forbidden$/,
  404: /^NotFound$/,
  405: /^MethodNotAllowed$/,
  409: /^Conflict$/,
  413: /^PayloadTooLarge$/,
  431: /^RequestHeaderFieldsTooLarge$/,
};

const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const segment = fc.oneof(
  { weight: 3, arbitrary: fc.uuid() },
  // (a URL cannot carry an unpaired surrogate: it goes as U+FFFD, as a browser would send it)
  { weight: 3, arbitrary: nastyString.map((t) => encodeURIComponent(t.replace(LONE, '\ufffd'))) },
  { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%00', 'a%2Fb', '%E2%80%AE', '..', '.', '') },
);

const path = fc.oneof(
  fc.constantFrom(
    '/health',
    '/messages',
    '/dead-letters',
    '/agents',
    '/decisions',
    '/approvals',
    '/workflows',
    '/workflow-runs',
    '/events',
    '/',
    '/messages/',
    '//messages',
  ),
  segment.map((s) => `/messages/${s}`),
  segment.map((s) => `/dashboard/${s}`),
  segment.map((s) => `/decisions/${s}`),
  fc.tuple(segment, fc.constantFrom('approve', 'reject')).map(([s, verb]) => `/decisions/${s}/${verb}`),
  fc.oneof(fc.constantFrom(...WORKFLOWS.keys()), segment).map((name) => `/workflows/${name}/runs`),
  segment.map((s) => `/workflow-runs/${s}`),
  segment.map((s) => `/workflow-runs/${s}/cancel`),
  fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
);

const QUERY_NAMES = [
  'to',
  'from',
  'type',
  'inReplyTo',
  'after',
  'limit',
  'status',
  'owner',
  'name',
  'channels',
];
const query = fc
  .dictionary(
    fc.oneof(fc.constantFrom(...QUERY_NAMES), hostileKey),
    fc.oneof(
      nastyString,
      fc.constantFrom(
        ...ROLES,
        ...DECISION_STATUSES,
        '0',
        '-1',
        '1e3',
        '1e21',
        '0x10',
        'Infinity',
        '1001',
        '9007199254740993',
      ),
    ),
    { maxKeys: 3 },
  )
  .map((q) => new URLSearchParams(Object.entries(q)).toString());

/** Mostly a valid value, now and then a hostile one. */
const mostly = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: hostileJson });

const shortText = fc.string({ minLength: 1, maxLength: 30 }).filter((t) => t.trim().length > 0);

const decisionBody = fc.record(
  {
    initiator: mostly(fc.constantFrom(...ROLES)),
    title: mostly(fc.oneof(shortText, nastyString)),
    participants: mostly(fc.uniqueArray(fc.constantFrom(...ROLES), { minLength: 1, maxLength: 3 })),
    domain: mostly(fc.constantFrom('strategy', 'architecture', 'hiring', 'x'.repeat(101))),
    budget_usd: mostly(fc.constantFrom(0, 1000, 2_000_000, 99_999_999_999_999, 1e15, 1e20, -1)),
    deadlineMinutes: mostly(fc.constantFrom(1, 60, 10_080, 10_081, 0)),
    requestVotes: mostly(fc.boolean()),
    details: mostly(
      fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
    ),
  },
  { requiredKeys: ['initiator', 'title'] },
);

const workflowBody = (name: string) =>
  fc.record(
    {
      input: objectFromSchema(jsonSchemaOf(WORKFLOWS.get(name)!.input)),
      idempotencyKey: fc.oneof(fc.uuid(), nastyString),
    },
    { requiredKeys: ['input'] },
  );

const reasonBody = fc.oneof(
  fc.record({ reason: mostly(fc.oneof(shortText, nastyString)) }),
  fc.constant({ reason: 'r'.repeat(2001) }),
);

/** Any body as text: JSON of the right shape for some route, JSON of another shape, not JSON, huge. */
const anyBody: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: nearValidCommand.map((c) => JSON.stringify(c)) },
  { weight: 2, arbitrary: decisionBody.map((b) => JSON.stringify(b)) },
  { weight: 1, arbitrary: reasonBody.map((b) => JSON.stringify(b)) },
  { weight: 2, arbitrary: hostileJson.map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 2, arbitrary: invalidJsonText },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(101, 1100, 5000, 100_000), fc.constantFrom('array' as const, 'object' as const))
      .map(
        ([depth, kind]) => `{"to": "cto", "subject": "deep", "content": {"a": ${nestedText(depth, kind)}}}`,
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(256 * 1024 - 100, 256 * 1024 + 1, 1024 * 1024 + 1)
      .map((n) => JSON.stringify({ to: 'cto', subject: 'big', content: { blob: 'b'.repeat(n) } })),
  },
);

/** A body of this shape, mostly; now and then any body at all. */
const bodyOf = (shape: fc.Arbitrary<unknown>): fc.Arbitrary<string | undefined> =>
  fc.oneof({ weight: 4, arbitrary: shape.map((b) => JSON.stringify(b)) }, { weight: 1, arbitrary: anyBody });

const headers = {
  auth: fc.constantFrom('none', 'token', 'token', 'wrong'),
  contentType: fc.constantFrom(
    'application/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    undefined,
  ),
};

/** Query strings of a route's own parameters, with valid and hostile values, and strangers. */
const queryOf = (names: Record<string, fc.Arbitrary<string>>) =>
  fc
    .dictionary(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...Object.keys(names)) },
        { weight: 1, arbitrary: hostileKey },
      ),
      fc.oneof(
        nastyString,
        fc.constantFrom('0', '-1', '1e3', '1e21', '0x10', 'Infinity', '1001', '9007199254740993', ''),
        ...Object.values(names),
      ),
      { maxKeys: 3 },
    )
    .map((q) => new URLSearchParams(Object.entries(q)).toString());

const roleName = fc.constantFrom(...ROLES, 'all', 'human');
const limitValue = fc.integer({ min: 0, max: 1001 }).map(String);

/**
 * Requests that mean something to a route (its method, its parameters, a body of its shape, the
 * ids the test seeded), mostly with one thing wrong; and requests of any method, path and body.
 */
function requests(known: { messageId: string; decisionId: string; runId: string }) {
  const id = fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(known.messageId, known.decisionId, known.runId) },
    { weight: 2, arbitrary: segment },
  );
  const req = (
    method: fc.Arbitrary<string>,
    path: fc.Arbitrary<string>,
    body: fc.Arbitrary<string | undefined> = fc.constant(undefined),
    query: fc.Arbitrary<string> = fc.constant(''),
  ) => fc.record({ method, path, query, body, ...headers });
  const post = fc.constantFrom('POST', 'POST', 'POST', 'POST', 'POST', 'PUT');
  const get = fc.constantFrom('GET', 'GET', 'GET', 'GET', 'GET', 'HEAD', 'DELETE');
  return fc.oneof(
    { weight: 5, arbitrary: req(post, fc.constant('/messages'), bodyOf(nearValidCommand)) },
    {
      weight: 2,
      arbitrary: req(
        get,
        fc.constant('/messages'),
        fc.constant(undefined),
        queryOf({
          to: roleName,
          from: roleName,
          type: fc.constantFrom('request', 'response', 'error'),
          inReplyTo: fc.oneof(fc.uuid(), fc.constant(known.messageId)),
          after: fc.integer({ min: -1, max: 1000 }).map(String),
          limit: limitValue,
        }),
      ),
    },
    {
      weight: 1,
      arbitrary: req(
        get,
        id.map((i) => `/messages/${i}`),
      ),
    },
    {
      weight: 1,
      arbitrary: req(
        get,
        fc.constant('/dead-letters'),
        fc.constant(undefined),
        queryOf({ limit: limitValue }),
      ),
    },
    { weight: 1, arbitrary: req(get, fc.constantFrom('/agents', '/health', '/workflows')) },
    {
      weight: 1,
      arbitrary: req(
        get,
        fc.constant('/approvals'),
        fc.constant(undefined),
        queryOf({ status: fc.constantFrom('pending', 'approved'), limit: limitValue }),
      ),
    },
    {
      weight: 2,
      arbitrary: req(
        get,
        fc.constant('/decisions'),
        fc.constant(undefined),
        queryOf({ status: fc.constantFrom(...DECISION_STATUSES), owner: roleName, limit: limitValue }),
      ),
    },
    { weight: 4, arbitrary: req(post, fc.constant('/decisions'), bodyOf(decisionBody)) },
    {
      weight: 1,
      arbitrary: req(
        get,
        id.map((i) => `/decisions/${i}`),
      ),
    },
    {
      weight: 3,
      arbitrary: req(
        post,
        fc.tuple(id, fc.constantFrom('approve', 'reject')).map(([i, verb]) => `/decisions/${i}/${verb}`),
        bodyOf(reasonBody),
      ),
    },
    {
      weight: 4,
      arbitrary: fc.constantFrom(...WORKFLOWS.keys()).chain((name) =>
        req(
          post,
          fc
            .oneof({ weight: 5, arbitrary: fc.constant(name) }, { weight: 1, arbitrary: segment })
            .map((n) => `/workflows/${n}/runs`),
          bodyOf(workflowBody(name)),
        ),
      ),
    },
    {
      weight: 2,
      arbitrary: req(
        get,
        fc.constant('/workflow-runs'),
        fc.constant(undefined),
        queryOf({
          status: fc.constantFrom('running', 'paused'),
          name: fc.constantFrom(...WORKFLOWS.keys()),
          limit: limitValue,
        }),
      ),
    },
    {
      weight: 1,
      arbitrary: req(
        get,
        id.map((i) => `/workflow-runs/${i}`),
      ),
    },
    {
      weight: 2,
      arbitrary: req(
        post,
        id.map((i) => `/workflow-runs/${i}/cancel`),
        bodyOf(reasonBody),
      ),
    },
    {
      weight: 1,
      arbitrary: req(
        fc.constant('GET'),
        fc.constant('/events'),
        fc.constant(undefined),
        queryOf({
          channels: fc.constantFrom('messages:all', 'decisions:*', 'nope', 'messages:cto,workflow:*'),
          after: limitValue,
        }),
      ),
    },
    {
      weight: 4,
      arbitrary: req(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
        path,
        anyBody,
        query,
      ),
    },
  );
}

interface Request {
  method: string;
  path: string;
  query: string;
  body: string | undefined;
  auth: string;
  contentType: string | undefined;
}

/** A request with exactly this target (fetch would normalise it). */
function raw(base: string, method: string, target: string, headers: Record<string, string> = {}) {
  const { hostname, port } = new URL(base);
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path: target, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe.runIf(hasServices)('hostile requests to the HTTP API', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({
      database: 'postgres',
      redisUrl,
      env: { ECHO_DEADLINE_INTERVAL_MS: '3600000', ECHO_HUMAN_TOKEN: TOKEN },
    });
  });
  afterAll(async () => rt?.close());

  /** Ids that exist: a message, a decision awaiting a human, a running workflow. */
  let known: { messageId: string; decisionId: string; runId: string };
  beforeAll(async () => {
    const message = await rt.post({ to: 'cto', subject: 'hello' });
    await rt.post({
      to: 'ceo',
      subject: 'approve_strategic_initiative',
      content: { title: 'Acquire a competitor', budget_usd: 5_000_000 },
    });
    const run = await fetch(`${rt.apiUrl}/workflows/hiring/runs`, {
      method: 'POST',
      body: JSON.stringify({ input: { position: 'Engineer', budget_usd: 150_000 } }),
    });
    await rt.bus.idle();
    const { body } = await rt.get('/decisions?status=awaiting_human');
    known = {
      messageId: message.body.message.id,
      decisionId: body.decisions[0].id,
      runId: ((await run.json()) as any).run.id,
    };
  });

  async function counts() {
    const { rows } = await rt.sql.query(
      `SELECT (SELECT count(*) FROM messages)::int AS messages,
              (SELECT count(*) FROM deliveries)::int AS deliveries,
              (SELECT count(*) FROM decisions)::int AS decisions,
              (SELECT count(*) FROM decision_votes)::int AS votes,
              (SELECT count(*) FROM human_approvals)::int AS approvals,
              (SELECT count(*) FROM workflow_runs)::int AS workflow_runs,
              (SELECT count(*) FROM dead_letters)::int AS dead_letters`,
    );
    return rows[0] as Record<string, number>;
  }

  async function send(r: Request) {
    const headers: Record<string, string> = {};
    if (r.contentType) headers['content-type'] = r.contentType;
    if (r.auth === 'token') headers.authorization = `Bearer ${TOKEN}`;
    if (r.auth === 'wrong') headers.authorization = `Bearer ${TOKEN}x`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('no answer within 20 s: a hang')), 20_000);
    try {
      const res = await fetch(`${rt.apiUrl}${r.path}${r.query ? `?${r.query}` : ''}`, {
        method: r.method,
        headers,
        body: r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body,
        signal: controller.signal,
      });
      const type = res.headers.get('content-type') ?? '';
      if (type.startsWith('text/event-stream')) {
        controller.abort(); // a live stream: it answered, and would go on
        return { status: res.status, type, json: undefined };
      }
      const text = r.method === 'HEAD' ? '' : await res.text();
      const json = type.startsWith('application/json') && text ? (JSON.parse(text) as any) : undefined;
      return { status: res.status, type, json };
    } finally {
      clearTimeout(timer);
    }
  }

  it('answers every request with JSON, a 4xx naming the problem or a success; refused requests write nothing', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(requests(known), async (r) => {
        await rt.bus.idle();
        const before = await counts();
        const res = await send(r);
        seen.set(`${r.method} ${res.status}`, (seen.get(`${r.method} ${res.status}`) ?? 0) + 1);
        const what = `${r.method} ${r.path}?${r.query} -> ${res.status} ${JSON.stringify(res.json)?.slice(0, 300)}`;
        expect(res.status, what).toBeLessThan(500);
        if (res.type.startsWith('text/event-stream')) {
          expect(r.method, what).toBe('GET');
          return;
        }
        // the dashboard's static files (GET and HEAD of `/` and `/dashboard/...`: its page, scripts,
        // styles, and a text/plain 404 for what it does not have) are no API answers
        const served = new URL(`${rt.apiUrl}${r.path}`).pathname;
        const page = served === '/' || served.startsWith('/dashboard');
        if (page && (r.method === 'GET' || r.method === 'HEAD')) {
          expect([200, 304, 404], what).toContain(res.status);
          return;
        }
        if (r.method !== 'HEAD') expect(res.type, what).toMatch(/^application\/json/);
        if (res.status >= 400 && r.method !== 'HEAD') {
          const { error } = res.json ?? {};
          expect(ERROR_CODES[res.status], what).toBeDefined();
          expect(error?.code, what).toMatch(ERROR_CODES[res.status]!);
          expect(error?.message, what).toEqual(expect.any(String));
          if (error.code === 'ValidationError') expect(error.field, what).toEqual(expect.any(String));
        }
        await rt.bus.idle();
        const after = await counts();
        const accepted = res.status < 300 && r.method !== 'GET' && r.method !== 'HEAD';
        if (accepted) {
          for (const [table, n] of Object.entries(before))
            expect(after[table], `${what}: ${table}`).toBeGreaterThanOrEqual(n);
        } else {
          // a refused post is dead-lettered: bad input, a sender it may not be, a reused idempotency key
          const deadLettered =
            [400, 403, 409].includes(res.status) && r.method === 'POST' && /^\/messages\/?$/.test(r.path)
              ? 1
              : 0;
          expect(after, what).toEqual({ ...before, dead_letters: before.dead_letters! + deadLettered });
          if (deadLettered) expect(res.json.error.deadLetterId, what).toEqual(expect.any(String));
        }
      }),
      runs(300),
    );
    // the requests reached the routes' success paths as well as their refusals
    const tally = (re: RegExp) => [...seen].filter(([k]) => re.test(k)).reduce((n, [, v]) => n + v, 0);
    expect(tally(/^POST 20[01]$/), JSON.stringify([...seen])).toBeGreaterThanOrEqual(5);
    expect(tally(/^GET 200$/), JSON.stringify([...seen])).toBeGreaterThanOrEqual(5);
    expect(tally(/ 400$/), JSON.stringify([...seen])).toBeGreaterThanOrEqual(10);
    await rt.bus.idle();
    // still healthy; every message whole; no agent failed on what was accepted
    expect((await rt.get('/health')).status).toBe(200);
    const { rows } = await rt.sql.query(
      `SELECT (SELECT count(*) FROM messages m
                WHERE jsonb_array_length(m.recipients)
                      <> (SELECT count(*) FROM deliveries d WHERE d.message_id = m.id))::int AS partial,
              (SELECT count(*) FROM agent_activity WHERE outcome = 'failed')::int AS failed,
              (SELECT count(*) FROM dead_letters WHERE source = 'bus')::int AS bus_dead_letters`,
    );
    const failures = await rt.sql.query(
      `SELECT reason FROM dead_letters WHERE source = 'bus'
       UNION ALL SELECT error FROM agent_activity WHERE outcome = 'failed'`,
    );
    expect(rows[0], JSON.stringify(failures.rows)).toEqual({ partial: 0, failed: 0, bus_dead_letters: 0 });
  }, 180_000);

  it('each built-in workflow: arbitrary input starts a run (201) or is refused naming input.<field>, with no run row', async () => {
    const start = fc
      .constantFrom(...WORKFLOWS.values())
      .chain((def) =>
        fc
          .oneof(
            { weight: 4, arbitrary: objectFromSchema(jsonSchemaOf(def.input)) },
            { weight: 1, arbitrary: hostileJson },
          )
          .map((input) => ({ name: def.name, input })),
      );
    await fc.assert(
      fc.asyncProperty(start, async ({ name, input }) => {
        await rt.bus.idle();
        const before = (await counts()).workflow_runs!;
        const res = await fetch(`${rt.apiUrl}/workflows/${name}/runs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ input }),
        });
        const json = (await res.json()) as any;
        const what = `${name} ${JSON.stringify(input)?.slice(0, 300)} -> ${res.status} ${JSON.stringify(json).slice(0, 300)}`;
        if (res.status === 201) {
          expect(json.run, what).toMatchObject({ name });
          expect((await rt.get(`/workflow-runs/${json.run.id}`)).status).toBe(200);
          expect((await counts()).workflow_runs, what).toBe(before + 1);
          return;
        }
        expect(res.status, what).toBe(400);
        expect(json.error.code, what).toBe('ValidationError');
        expect(json.error.field, what).toMatch(/^input($|[.[])/);
        expect(json.error.message, what).toContain(json.error.field);
        expect((await counts()).workflow_runs, what).toBe(before);
      }),
      runs(200),
    );
  }, 180_000);

  it('regression: a request target of `//` (or `//host`) is a path, not a URL to resolve: 404 in JSON, not a 500', async () => {
    // `new URL('//', base)` threw (Invalid URL: a 500); `//messages` named a host and served the dashboard.
    for (const target of ['//', '//messages', '///x', '//127.0.0.1:1/health']) {
      const res = await raw(rt.apiUrl, 'GET', target);
      expect([target, res.status, res.type]).toEqual([target, 404, 'application/json; charset=utf-8']);
      expect(JSON.parse(res.body).error.code).toBe('NotFound');
    }
    const aws = await raw(rt.awsUrl, 'POST', '//', await signedHeaders('POST', `${rt.awsUrl}/`, {}, ''));
    expect(aws.status).toBe(404);
    expect(JSON.parse(aws.body).__type).toBe('UnknownOperationException');
  });

  it('regression: a URL beyond what Node reads (431) is answered in JSON, and the server goes on', async () => {
    const res = await raw(rt.apiUrl, 'GET', `/messages/${'x'.repeat(20_000)}`);
    expect([res.status, res.type]).toEqual([431, 'application/json; charset=utf-8']);
    expect(JSON.parse(res.body).error.code).toBe('RequestHeaderFieldsTooLarge');
    expect((await rt.get('/health')).status).toBe(200);
  });

  it("regression: a producer's metadata.inReplyTo (a number) no longer fails every recipient", async () => {
    // It went into the MessagePosted detail as `inReplyTo: 7`: each agent and the workflow coordinator
    // refused the event, three times, then it was dead-lettered. The system owns metadata.inReplyTo.
    const bus = async () =>
      (await rt.sql.query(`SELECT count(*)::int AS n FROM dead_letters WHERE source = 'bus'`)).rows[0]!.n;
    const before = await bus();
    const posted = await rt.post({ to: 'cto', subject: 'spoofed', metadata: { inReplyTo: 7, tag: 'kept' } });
    expect(posted.status).toBe(201);
    expect(posted.body.message.metadata).toEqual({ tag: 'kept' });
    await rt.bus.idle();
    expect(await bus()).toBe(before);
    const { body } = await rt.get(`/messages?inReplyTo=${posted.body.message.id}`);
    expect(body.messages.map((m: { from: string }) => m.from)).toEqual(['cto']);
  });

  it('regressions: what PostgreSQL cannot store, or nesting that overflowed the stack, is a 400 naming the field', async () => {
    // Each of these was a 500 (SqlError, or RangeError: Maximum call stack size exceeded).
    const cases: [string, string, string][] = [
      ['/messages', JSON.stringify({ to: 'cto', subject: 'a\u0000b' }), 'subject'],
      ['/messages', JSON.stringify({ to: 'cto', subject: 'x', content: { k: '\ud800' } }), 'content.k'],
      ['/messages', JSON.stringify({ to: 'nobody\u0000', subject: 'x' }), 'to'],
      ['/messages', '{"to": "cto", "subject": "x\u0000', '(body)'],
      ['/messages', `{"to": "cto", "subject": "x", "content": {"a": ${nestedText(5000)}}}`, 'content.a'],
      ['/decisions', JSON.stringify({ initiator: 'cto', title: 'x\u0000' }), 'title'],
      ['/decisions', JSON.stringify({ initiator: 'cto', title: 'x', details: { a: '\u0000' } }), 'details.a'],
      ['/decisions', JSON.stringify({ initiator: 'cto', title: 'x', budget_usd: 1e20 }), 'budget_usd'],
      [
        '/workflows/hiring/runs',
        JSON.stringify({ input: { position: 'p\u0000', budget_usd: 1 } }),
        'input.position',
      ],
      [
        '/workflows/hiring/runs',
        JSON.stringify({ input: { position: 'p', budget_usd: 1 }, idempotencyKey: '\u0000' }),
        'idempotencyKey',
      ],
    ];
    for (const [route, text, field] of cases) {
      const res = await fetch(`${rt.apiUrl}${route}`, { method: 'POST', body: text });
      const json = (await res.json()) as any;
      expect([route, res.status, json.error?.field], text.slice(0, 100)).toEqual([route, 400, field]);
    }
    const named = await rt.get(`/workflow-runs?name=${encodeURIComponent('x\u0000')}`);
    expect([named.status, named.body.error.field]).toEqual([400, 'name']);
  });
});
