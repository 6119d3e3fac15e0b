/**
 * Hostile input for the generated-input suites (test/hostile): JSON of every shape, strings that
 * PostgreSQL cannot store (U+0000, lone surrogates), prototype keys, values at and beyond the
 * contract's limits, nesting deeper than any caller needs. Everything is JSON-safe as a value: what
 * an entry point receives went through JSON.parse, so generated values are round-tripped through it.
 */

import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import * as z from 'zod';
import { MAX_ENTRY_BYTES } from '../../events/limits.ts';
import { ForbiddenError, ValidationError } from '../../lambdas/core/errors.ts';
import { PUBLIC_MESSAGE_TYPES } from '../../lambdas/core/ingest.ts';
import { PRIORITIES } from '../../lambdas/core/messages.ts';
import { ADDRESSES } from '../../lambdas/core/roles.ts';

/** Keys that name the prototype or its methods: a naive `obj[key] = …` or `{...obj}` may trip on them. */
export const PROTO_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
] as const;

/** Strings chosen to hurt: NUL, lone surrogates, bidi, SQL, format strings, whitespace only. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '\t\n\r ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\ud83d\ude80',
  '\u202eevil',
  '\ufeff',
  'null',
  'undefined',
  'NaN',
  '-0',
  '1e400',
  '__proto__',
  "'; DROP TABLE messages; --",
  '%00',
  '%s%n%x',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a string that looks like a template, on purpose
  '${process.exit()}',
  '../../../etc/passwd',
  '<script>alert(1)</script>',
  '*',
  '\\',
] as const;

/** Lengths around the contract's limits (subject 500, idempotency key 200, titles 500, tags 50, …). */
export const LIMIT_LENGTHS = [49, 50, 51, 99, 100, 101, 199, 200, 201, 499, 500, 501, 2000, 2001, 10_001];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...LIMIT_LENGTHS), fc.constantFrom('x', 'é', '\ud83d\ude80', ' '))
      .map(([n, c]) => c.repeat(n)),
  },
);

export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...PROTO_KEYS) },
  { weight: 3, arbitrary: nastyString.filter((s) => s.length <= 60) },
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(
    0,
    -0,
    -1,
    0.5,
    1,
    2 ** 31,
    2 ** 53,
    2 ** 53 + 2,
    1e14,
    1e15,
    1e20,
    1e300,
    -1e300,
    5e9,
    5e9 + 1,
    Number.MIN_VALUE,
  ),
);

export const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  hostileNumber,
  nastyString,
);

/** Any JSON value, a few levels deep, with hostile keys and strings. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    { weight: 4, arbitrary: hostileScalar },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 2, arbitrary: fc.dictionary(hostileKey, tie('value'), { maxKeys: 5 }) },
  ),
})).value;

export const hostileObject: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(hostileKey, hostileJson, {
  maxKeys: 6,
});

/** A value as an entry point receives it: what JSON.parse makes of its JSON text. */
export function asReceived<T>(value: T): T {
  const text = JSON.stringify(value);
  return (text === undefined ? undefined : JSON.parse(text)) as T;
}

/** JSON text of arrays (or objects) nested `depth` levels, around `inner`. */
export function nestedText(depth: number, kind: 'array' | 'object' = 'array', inner = '1'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`;
}

export const deepNesting = fc.record({
  depth: fc.constantFrom(50, 99, 100, 101, 500, 1000, 1100, 5000, 20_000),
  kind: fc.constantFrom('array' as const, 'object' as const),
});

/** JSON text that is not JSON: truncated, trailing commas, comments, single quotes, raw control characters. */
export const invalidJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '{',
    '}',
    '{"to": "cto",}',
    "{'to': 'cto'}",
    '{"to": "cto" /* comment */}',
    '{"to": NaN}',
    '{"to": undefined}',
    '{"a": 1}{"b": 2}',
    '\u0000',
    '{"a\u0000": 1',
    '\ufeff{}',
    'nul\u0000l',
    '[',
    '"unterminated',
  ),
  hostileJson.map((v) => (JSON.stringify(v) ?? 'null').slice(0, -1)),
  nastyString,
);

/**
 * Values for a JSON Schema (the subset zod emits for the tools' inputs): mostly of the right type,
 * sometimes at or beyond a bound, sometimes of another type altogether.
 */
export function fromJsonSchema(schema: unknown, depth = 0): fc.Arbitrary<unknown> {
  const s = (schema ?? {}) as Record<string, any>;
  const wrong = depth > 3 ? hostileScalar : hostileJson;
  const typed = (): fc.Arbitrary<unknown> => {
    if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
    if (Array.isArray(s.anyOf)) return fc.oneof(...s.anyOf.map((x: unknown) => fromJsonSchema(x, depth + 1)));
    switch (s.type) {
      case 'string': {
        const bounds = [s.minLength, s.maxLength].filter((n): n is number => typeof n === 'number');
        return fc.oneof(
          { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
          { weight: 2, arbitrary: nastyString },
          { weight: 1, arbitrary: fc.constantFrom('#1a2b3c', '#FFFFFF', '#000000', randomUuid()) },
          ...(bounds.length
            ? [
                {
                  weight: 3,
                  arbitrary: fc
                    .constantFrom(...bounds.flatMap((n) => [n - 1, n, n + 1]).filter((n) => n >= 0))
                    .map((n) => 'x'.repeat(n)),
                },
              ]
            : []),
        );
      }
      case 'number':
      case 'integer': {
        const bounds = [s.minimum, s.maximum, s.exclusiveMinimum, s.exclusiveMaximum].filter(
          (n): n is number => typeof n === 'number',
        );
        return fc.oneof(
          { weight: 3, arbitrary: fc.integer({ min: 0, max: 10 }) },
          { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
          { weight: 2, arbitrary: hostileNumber },
          { weight: 1, arbitrary: fc.constantFrom(1e14, 99_999_999_999_999, 1e20, 1e300) },
          ...(bounds.length
            ? [{ weight: 2, arbitrary: fc.constantFrom(...bounds.flatMap((n) => [n - 1, n, n + 1])) }]
            : []),
        );
      }
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(fromJsonSchema(s.items, depth + 1), { maxLength: s.minItems ? 4 : 3 });
      case 'object':
        return objectFromSchema(s, depth + 1);
      default:
        return hostileJson;
    }
  };
  return fc.oneof({ weight: 5, arbitrary: typed() }, { weight: 1, arbitrary: wrong });
}

/** An object with the schema's properties (each present or not), plus now and then a hostile extra key. */
export function objectFromSchema(schema: unknown, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const s = (schema ?? {}) as Record<string, any>;
  const props = Object.entries((s.properties ?? {}) as Record<string, unknown>);
  const required = new Set((s.required ?? []) as string[]);
  const fields = props.map(([key, sub]) =>
    fc.tuple(
      fc.constant(key),
      fromJsonSchema(sub, depth),
      fc.integer({ min: 0, max: 9 }).map((n) => (required.has(key) ? n > 0 : n > 4)),
    ),
  );
  return fc
    .tuple(fc.tuple(...fields), fc.option(fc.tuple(hostileKey, hostileJson), { freq: 4 }))
    .map(([entries, extra]) => {
      const out: Record<string, unknown> = {};
      for (const [key, value, present] of entries) if (present) out[key] = value;
      if (extra) Object.defineProperty(out, extra[0], { value: extra[1], enumerable: true, writable: true });
      return out;
    });
}

// PostMessage commands -------------------------------------------------------------------------

export const COMMAND_FIELDS = [
  'from',
  'to',
  'type',
  'subject',
  'content',
  'priority',
  'metadata',
  'inReplyTo',
  'idempotencyKey',
] as const;

/**
 * A valid command: every optional field now and then, values from the contract's own lists. Through
 * a public entry point only the human speaks, and only with the types a human sends.
 */
export const validCommand = fc.record(
  {
    from: fc.constant('human'),
    to: fc.constantFrom(...ADDRESSES.filter((a) => a !== 'all' && a !== 'leadership')),
    type: fc.constantFrom(...PUBLIC_MESSAGE_TYPES),
    subject: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim().length > 0),
    content: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    priority: fc.constantFrom(...PRIORITIES),
    metadata: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 2 }),
    idempotencyKey: fc.uuid(),
  },
  { requiredKeys: ['to', 'subject'] },
);

/** A near-valid command: one field replaced, removed, or at the edge of its limit; or an extra key. */
export const nearValidCommand: fc.Arbitrary<unknown> = validCommand.chain((command) =>
  fc.oneof(
    fc.constant(command),
    fc
      .tuple(fc.constantFrom(...COMMAND_FIELDS, ...PROTO_KEYS, 'recipients', 'seq'), hostileJson)
      .map(([key, value]) => ({ ...command, [key]: value })),
    fc.constantFrom(...COMMAND_FIELDS).map((key) => {
      const { [key]: _gone, ...rest } = command as Record<string, unknown>;
      return rest;
    }),
    fc
      .constantFrom(
        { subject: 'x'.repeat(500) },
        { subject: 'x'.repeat(501) },
        { subject: `${' '.repeat(600)}x` },
        { subject: '   ' },
        { idempotencyKey: 'k'.repeat(200) },
        { idempotencyKey: 'k'.repeat(201) },
        { idempotencyKey: '' },
        { inReplyTo: randomUUID() },
        { inReplyTo: 'not-a-uuid' },
        { content: { blob: 'b'.repeat(MAX_ENTRY_BYTES) } },
        { content: { blob: 'b'.repeat(MAX_ENTRY_BYTES - 200) } },
        { metadata: { inReplyTo: 7 } },
        { metadata: { principal: 'human:forged' } },
        { from: 'cto' },
        { from: 'system' },
        { type: 'vote' },
        { type: 'escalation' },
        { to: 'all' },
        { to: 'leadership' },
      )
      .map((patch) => ({ ...command, ...patch })),
    fc.tuple(hostileKey, nastyString).map(([key, value]) => ({ ...command, content: { [key]: value } })),
    // as a value no deeper than EventBridge delivers (1100 levels); deeper ones arrive as text (HTTP)
    fc
      .tuple(
        fc.constantFrom(50, 99, 100, 101, 500, 1100),
        fc.constantFrom('array' as const, 'object' as const),
      )
      .map(([depth, kind]) => ({ ...command, content: { deep: JSON.parse(nestedText(depth, kind)) } })),
  ),
);

/** The JSON Schema of a zod input, as the MCP catalogue lists it. */
export const jsonSchemaOf = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;

function randomUuid(): string {
  return '7d4b3f9e-1c2a-4b5d-8e6f-0a1b2c3d4e5f';
}

/** The field of a ValidationError is named, and the message says which (or speaks of the whole input). */
/** A refusal of the contract: a ValidationError, or a ForbiddenError (a sender or type only an agent has), naming the field. */
export function expectNamedField(error: unknown): asserts error is ValidationError | ForbiddenError {
  if (!(error instanceof ValidationError || error instanceof ForbiddenError)) throw error;
  if (typeof error.field !== 'string' || error.field.length === 0)
    throw new Error(`ValidationError without a field: ${error.message}`);
  if (typeof error.message !== 'string' || error.message.length === 0)
    throw new Error(`ValidationError (field ${error.field}) without a message`);
}

/** fast-check parameters: a fixed seed from FC_SEED when given (to replay), the run count here. */
export function runs(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
  return { numRuns, ...(seed !== undefined ? { seed } : {}) };
}
