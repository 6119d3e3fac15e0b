/**
 * Hostile input: EventBridge event patterns. Arbitrary JSON (as a value and as text), pattern-shaped
 * structures with every operator and wrong operands, long wildcards, deep nesting and `$or` that
 * multiplies, given to the matcher (lambdas/local/eventbridge/pattern.ts) and to the local AWS
 * endpoint's TestEventPattern. Either the pattern is valid (matching answers a boolean) or it is an
 * InvalidEventPatternError with a message; nothing else is thrown, nothing hangs.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidEventPatternError } from '../../lambdas/core/errors.ts';
import type { Logger } from '../../lambdas/core/pipeline.ts';
import { type LocalAwsEndpoint, startLocalAwsEndpoint } from '../../lambdas/local/aws/server.ts';
import { LocalEventBus } from '../../lambdas/local/eventbridge/bus.ts';
import {
  compileEventPattern,
  parseEventPattern,
  validateEventPattern,
} from '../../lambdas/local/eventbridge/pattern.ts';
import { eventBridgeRoute } from '../../lambdas/local/eventbridge/route.ts';
import { signedFetch } from '../support/aws-signing.ts';
import {
  asReceived,
  deepNesting,
  hostileJson,
  hostileKey,
  hostileScalar,
  nastyString,
  nestedText,
  runs,
} from './arbitraries.ts';

const OPERATORS = [
  'prefix',
  'suffix',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
  'wildcard',
  'equals-ignore-case',
  'exactly',
  '$or',
  'regex',
] as const;

/** A wildcard text: long runs of text and `*` (and escapes), the stuff of catastrophic backtracking. */
const wildcardText = fc.oneof(
  fc
    .array(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('*', '\\*', '\\\\', '**', '\\')), {
      maxLength: 30,
    })
    .map((parts) => parts.join('')),
  fc
    .tuple(fc.constantFrom(10, 100, 1000, 4000), fc.constantFrom('a', 'ab', 'a*', '*a', '\u00e9*', 'x:*:'))
    .map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length))),
  fc.string({ unit: 'binary', minLength: 500, maxLength: 2000 }),
);

const operand: fc.Arbitrary<unknown> = fc.oneof(
  hostileJson,
  wildcardText,
  fc.constantFrom(
    ['<', 5],
    ['>', 0, '<=', 5],
    ['=', 5e9 + 1],
    ['>', 'x'],
    [],
    '10.0.0.0/8',
    '::1/129',
    '1.2.3.4/x',
    { 'equals-ignore-case': 'A' },
    { prefix: '' },
    { wildcard: ['a*', 'b*c'] },
    { suffix: ['x', 1] },
  ),
);

const matchExpression = fc
  .tuple(fc.constantFrom(...OPERATORS), operand)
  .map(([op, value]) => ({ [op]: value }));

/** Pattern-shaped values: objects of fields whose values are arrays of values and match expressions. */
const patternLike: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    fc.dictionary(
      fc.oneof(hostileKey, fc.constantFrom('source', 'detail', 'detail-type', 'a.b', '$or')),
      fc.oneof(
        { weight: 3, arbitrary: fc.array(fc.oneof(hostileScalar, matchExpression), { maxLength: 4 }) },
        { weight: 2, arbitrary: tie('node') },
        { weight: 1, arbitrary: fc.array(tie('node'), { minLength: 0, maxLength: 3 }) },
        { weight: 1, arbitrary: hostileScalar },
      ),
      { minKeys: 0, maxKeys: 4 },
    ),
  ),
})).node;

const anyPattern = fc.oneof(
  { weight: 3, arbitrary: patternLike },
  { weight: 1, arbitrary: hostileJson },
  {
    weight: 1,
    arbitrary: fc.array(wildcardText, { minLength: 1, maxLength: 4 }).map((texts) => ({
      detail: { path: [{ 'anything-but': { wildcard: texts } }, ...texts.map((t) => ({ wildcard: t }))] },
    })),
  },
);

/** Events: the envelope fields with hostile values in the places patterns look. */
const anyEvent = fc
  .record({
    source: hostileJson,
    'detail-type': hostileJson,
    detail: hostileJson,
    path: hostileJson,
    a: hostileJson,
  })
  .map((e) => ({
    id: '1',
    account: '000000000000',
    time: '2024-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    ...e,
  }));

/** Compiles; runs the predicate on each event. Returns 'invalid' or the booleans; rethrows anything else. */
function judge(pattern: unknown, events: unknown[]): 'invalid' | boolean[] {
  let matches: (event: unknown) => boolean;
  try {
    matches = compileEventPattern(pattern);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventPatternError);
    expect((error as InvalidEventPatternError).code).toBe('InvalidEventPatternException');
    expect((error as Error).message).toMatch(/^Event pattern is not valid\. Reason: ./);
    return 'invalid';
  }
  return events.map((event) => {
    const result = matches(event);
    expect(typeof result).toBe('boolean');
    return result;
  });
}

describe('hostile patterns to the matcher', () => {
  it('arbitrary JSON values and pattern-shaped values: valid (boolean matches) or InvalidEventPatternError', () => {
    fc.assert(
      fc.property(anyPattern, fc.array(anyEvent, { maxLength: 3 }), (pattern, events) => {
        judge(asReceived(pattern), asReceived(events));
      }),
      runs(300),
    );
  });

  it('the same patterns as JSON text, whole or damaged: parseEventPattern agrees with the value or refuses', () => {
    fc.assert(
      fc.property(anyPattern, fc.nat(), fc.constantFrom('whole', 'cut', 'spliced'), (pattern, at, how) => {
        const whole = JSON.stringify(pattern) ?? 'null';
        const cut = at % (whole.length + 1);
        const text =
          how === 'whole' ? whole : how === 'cut' ? whole.slice(0, cut) : `${whole.slice(0, cut)},${whole}`;
        let parsed: unknown;
        try {
          parsed = parseEventPattern(text);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidEventPatternError);
          expect((error as Error).message).toMatch(/^Event pattern is not valid\. Reason: ./);
          return;
        }
        expect(judge(parsed, [])).not.toBe('invalid');
      }),
      runs(300),
    );
  });

  it('arbitrary text is JSON the reader takes, or an InvalidEventPatternError', () => {
    fc.assert(
      fc.property(fc.oneof(nastyString, fc.string({ unit: 'binary', maxLength: 200 })), (text) => {
        try {
          parseEventPattern(text);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidEventPatternError);
        }
      }),
      runs(200),
    );
  });

  it('deep nesting, as a value and as text, is refused plainly (no stack overflow)', () => {
    fc.assert(
      fc.property(deepNesting, ({ depth, kind }) => {
        const text = nestedText(depth, kind, kind === 'object' ? '["x"]' : '1');
        const operand = `{"a": [{"numeric": [${nestedText(depth)}]}], "b": [{"anything-but": ${nestedText(depth)}}]}`;
        const event = JSON.parse(`{"a": ${nestedText(depth)}, "b": ${nestedText(depth, 'object')}}`);
        for (const attempt of [
          () => parseEventPattern(text),
          () => validateEventPattern(JSON.parse(text)),
          () => parseEventPattern(operand),
          () => validateEventPattern(JSON.parse(operand)),
          () =>
            expect(typeof compileEventPattern({ a: [1], b: { a: [{ exists: true }] } })(event)).toBe(
              'boolean',
            ),
        ]) {
          try {
            attempt();
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidEventPatternError);
          }
        }
      }),
      runs(20),
    );
  });

  it('wildcards of up to 4096 characters (the largest pattern AWS takes) are judged without hanging', () => {
    fc.assert(
      fc.property(
        fc.array(wildcardText, { minLength: 1, maxLength: 3 }),
        fc.array(fc.string({ unit: 'binary', maxLength: 3000 }), { maxLength: 3 }),
        (texts, values) => {
          const pattern = { detail: { path: texts.map((t) => ({ wildcard: t.slice(0, 4096) })) } };
          judge(
            pattern,
            values.map((v) => ({ detail: { path: v } })),
          );
        },
      ),
      runs(100),
    );
  });
});

describe('hostile pattern regressions', () => {
  it('a 4096-character wildcard of distinct characters compiles in linear passes, not quadratic ones', () => {
    let text = '';
    for (let i = 0; text.length < 4095; i++) text += String.fromCodePoint(0x41 + ((i * 7919) % 2000));
    const pattern = { a: [{ wildcard: `${text.replaceAll('*', 'x').replaceAll('\\', 'y')}*` }] };
    expect(judge(pattern, [{ a: `${text}tail` }])).not.toBe('invalid');
  });

  it('an array nested 5000 levels deep as pattern text is an InvalidEventPatternError', () => {
    expect(() => parseEventPattern(nestedText(5000))).toThrow(InvalidEventPatternError);
  });

  it('an object nested 20000 levels deep (as a value) is an InvalidEventPatternError', () => {
    expect(() => validateEventPattern(JSON.parse(nestedText(20_000, 'object', '["x"]')))).toThrow(
      InvalidEventPatternError,
    );
  });

  it('$or at 30 places multiplies into 2^30 branches: refused as too complex, not built', () => {
    const pattern: Record<string, unknown> = {};
    for (let i = 0; i < 30; i++) pattern[`k${i}`] = { $or: [{ x: [1] }, { y: [2] }] };
    expect(() => validateEventPattern(pattern)).toThrow(InvalidEventPatternError);
    expect(() => validateEventPattern(pattern)).toThrow(/too complex/);
  });
});

describe('hostile patterns to the local endpoint (TestEventPattern)', () => {
  const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
  let bus: LocalEventBus;
  let endpoint: LocalAwsEndpoint;

  beforeAll(async () => {
    bus = new LocalEventBus({ logger: silent, onDeadLetter: () => {} });
    endpoint = await startLocalAwsEndpoint({ host: '127.0.0.1', port: 0, routes: [eventBridgeRoute(bus)] });
  });
  afterAll(async () => {
    bus?.close();
    await endpoint?.close();
  });

  async function testEventPattern(body: string) {
    const res = await signedFetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSEvents.TestEventPattern',
      },
      body,
      signal: AbortSignal.timeout(20_000),
    });
    return { status: res.status, type: res.headers.get('x-amzn-errortype'), body: (await res.json()) as any };
  }

  const event = JSON.stringify({
    id: '1',
    account: '000000000000',
    source: 'echo',
    time: '2024-01-01T00:00:00Z',
    region: 'us-east-1',
    'detail-type': 'MessagePosted',
    resources: [],
    detail: { recipients: ['cto'], subject: 'x'.repeat(300) },
  });

  it('answers 200 {Result: boolean} or 400 with an AWS error type and message; never 500', async () => {
    const body = fc.oneof(
      {
        weight: 4,
        arbitrary: anyPattern.map((p) => JSON.stringify({ EventPattern: JSON.stringify(p), Event: event })),
      },
      { weight: 1, arbitrary: hostileJson.map((v) => JSON.stringify({ EventPattern: v, Event: v })) },
      {
        weight: 1,
        arbitrary: deepNesting.map(({ depth, kind }) =>
          JSON.stringify({ EventPattern: nestedText(depth, kind), Event: event }),
        ),
      },
      {
        weight: 1,
        arbitrary: deepNesting.map(({ depth, kind }) =>
          JSON.stringify({
            EventPattern: '{"detail": {"a": [1, {"exists": false}]}, "source": [{"prefix": "e"}]}',
            Event: `${event.slice(0, -1)}, "detail": {"a": ${nestedText(depth, kind)}}}`,
          }),
        ),
      },
      {
        weight: 1,
        arbitrary: fc.oneof(
          nastyString,
          hostileJson.map((v) => JSON.stringify(v) ?? ''),
        ),
      },
    );
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const r = await testEventPattern(text);
        if (r.status === 200) {
          expect(typeof r.body.Result).toBe('boolean');
          return;
        }
        expect(r.status).toBe(400);
        expect(r.type).toMatch(/^(InvalidEventPatternException|ValidationException|SerializationException)$/);
        expect(r.body.__type).toBe(r.type);
        expect(typeof r.body.message).toBe('string');
      }),
      runs(150),
    );
    // still answering
    const ok = await testEventPattern(JSON.stringify({ EventPattern: '{"source":["echo"]}', Event: event }));
    expect(ok).toMatchObject({ status: 200, body: { Result: true } });
  });
});
