/**
 * JSON Schemas on their way to a provider: the dialect marker dropped, names made acceptable, and
 * OpenAI's strict Structured Outputs form (every object closed, every property required, a subset
 * of keywords) derived from a schema as zod's `toJSONSchema` writes it, with the way back for the
 * answer (an optional property the model had to fill with `null` is removed again). Pure.
 */
import type { JsonSchema } from '../../core/llm.ts';

/** The schema as sent: without `$schema`, which no provider needs and some reject. */
export function wireSchema(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

/** `^[a-zA-Z0-9_-]{1,64}$`, the name every provider accepts for a tool or a response format. */
export function wireName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64);
  return cleaned || 'answer';
}

export type StrictSchema =
  /** `optional`: the paths (`*` for array items) of the properties made required-but-nullable. */
  | { strict: true; schema: JsonSchema; optional: string[][] }
  /** Strict mode cannot express this schema: sent with `strict: false`, for the reason given. */
  | { strict: false; schema: JsonSchema; reason: string };

class NotStrict extends Error {}

/** Keywords strict mode rejects and that cannot be moved into a description without loss. */
const REJECTED = [
  'allOf',
  'not',
  'if',
  'then',
  'else',
  'dependentRequired',
  'dependentSchemas',
  'patternProperties',
  'unevaluatedProperties',
  'prefixItems',
  'unevaluatedItems',
  'contains',
  'minContains',
  'maxContains',
];

/** Keywords strict mode accepts as they are. */
const KEPT = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'anyOf',
  '$ref',
  '$defs',
  'definitions',
  'description',
  'title',
  'pattern',
  'format',
  'multipleOf',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'minItems',
  'maxItems',
]);

/** Constraints strict mode does not take, said in the description instead (the caller still validates). */
const DESCRIBED: Record<string, (value: unknown) => string> = {
  minLength: (v) => `at least ${v} character${v === 1 ? '' : 's'}`,
  maxLength: (v) => `at most ${v} character${v === 1 ? '' : 's'}`,
  minProperties: (v) => `at least ${v} propert${v === 1 ? 'y' : 'ies'}`,
  maxProperties: (v) => `at most ${v} propert${v === 1 ? 'y' : 'ies'}`,
  uniqueItems: (v) => (v ? 'items must be unique' : ''),
  default: (v) => `default ${JSON.stringify(v)}`,
};

const at = (path: string[]) => (path.length ? path.join('.') : '(root)');

function isObjectNode(node: JsonSchema): boolean {
  const type = node.type;
  return type === 'object' || (Array.isArray(type) && type.includes('object')) || 'properties' in node;
}

/** `node` that also accepts `null`. */
function nullable(node: JsonSchema, path: string[]): JsonSchema {
  if (Array.isArray(node.anyOf)) {
    const hasNull = node.anyOf.some((b) => (b as JsonSchema)?.type === 'null');
    return hasNull ? node : { ...node, anyOf: [...node.anyOf, { type: 'null' }] };
  }
  if (node.$ref !== undefined || node.const !== undefined) return { anyOf: [node, { type: 'null' }] };
  const out: JsonSchema = { ...node };
  if (typeof node.type === 'string') out.type = node.type === 'null' ? 'null' : [node.type, 'null'];
  else if (Array.isArray(node.type))
    out.type = node.type.includes('null') ? node.type : [...node.type, 'null'];
  else throw new NotStrict(`the optional property ${at(path)} has no type to make nullable`);
  if (Array.isArray(node.enum) && !node.enum.includes(null)) out.enum = [...node.enum, null];
  return out;
}

interface Walk {
  optional: string[][];
  /** Inside anyOf or a definition: paths of the answer are not known there. */
  nested: boolean;
}

function strictNode(input: unknown, path: string[], walk: Walk): JsonSchema {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new NotStrict(`${at(path)} is not a schema object (${JSON.stringify(input)})`);
  }
  const node = input as JsonSchema;
  for (const keyword of REJECTED) {
    if (keyword in node) throw new NotStrict(`"${keyword}" at ${at(path)} is not supported in strict mode`);
  }
  const hasShape =
    'type' in node ||
    'enum' in node ||
    'const' in node ||
    'anyOf' in node ||
    'oneOf' in node ||
    '$ref' in node;
  if (!hasShape) throw new NotStrict(`${at(path)} accepts any value; strict mode needs a type`);

  const out: JsonSchema = {};
  const notes: string[] = [];
  for (const [keyword, value] of Object.entries(node)) {
    if (KEPT.has(keyword)) out[keyword] = value;
    else if (keyword === 'oneOf') out.anyOf = value;
    else if (keyword in DESCRIBED) {
      const note = DESCRIBED[keyword]!(value);
      if (note) notes.push(note);
    }
    // Anything else ($schema, $id, $comment, examples, propertyNames, readOnly, ...) is dropped:
    // annotations, or (propertyNames) moot once the object is closed.
  }
  if (notes.length) {
    const said = typeof out.description === 'string' ? `${out.description} ` : '';
    out.description = `${said}(${notes.join('; ')})`;
  }

  if (isObjectNode(out)) {
    const extra = out.additionalProperties;
    if (extra !== undefined && extra !== false) {
      throw new NotStrict(
        `${at(path)} is an open map (additionalProperties); strict mode needs every key named`,
      );
    }
    const properties = (out.properties ?? {}) as Record<string, unknown>;
    const required = new Set(Array.isArray(out.required) ? (out.required as string[]) : []);
    const closed: Record<string, JsonSchema> = {};
    for (const [key, child] of Object.entries(properties)) {
      let schema = strictNode(child, [...path, key], walk);
      if (!required.has(key)) {
        if (walk.nested) {
          throw new NotStrict(
            `the optional property ${at([...path, key])} sits inside anyOf or $defs, where its null cannot be taken back out`,
          );
        }
        schema = nullable(schema, [...path, key]);
        walk.optional.push([...path, key]);
      }
      closed[key] = schema;
    }
    out.properties = closed;
    out.required = Object.keys(closed);
    out.additionalProperties = false;
  }
  if (out.items !== undefined) {
    if (Array.isArray(out.items)) throw new NotStrict(`${at(path)} is a tuple (items as an array)`);
    out.items = strictNode(out.items, [...path, '*'], walk);
  }
  if (Array.isArray(out.anyOf)) {
    out.anyOf = out.anyOf.map((branch, i) =>
      strictNode(branch, [...path, `anyOf[${i}]`], { ...walk, nested: true }),
    );
  }
  for (const defs of ['$defs', 'definitions'] as const) {
    const table = out[defs];
    if (table && typeof table === 'object') {
      out[defs] = Object.fromEntries(
        Object.entries(table as Record<string, unknown>).map(([name, def]) => [
          name,
          strictNode(def, [defs, name], { ...walk, nested: true }),
        ]),
      );
    }
  }
  return out;
}

/**
 * The strict Structured Outputs form of `schema`: objects closed (`additionalProperties: false`),
 * optional properties required and nullable, constraints strict mode lacks (minLength, maxLength,
 * default, ...) said in the description. A schema strict mode cannot express (an open map, allOf,
 * a tuple, a root that is not an object, an untyped value) comes back `strict: false` with why.
 */
export function strictSchema(schema: JsonSchema): StrictSchema {
  const plain = wireSchema(schema);
  try {
    if (!isObjectNode(plain) || 'anyOf' in plain || 'oneOf' in plain) {
      throw new NotStrict('the root must be an object, not a union');
    }
    const walk: Walk = { optional: [], nested: false };
    return { strict: true, schema: strictNode(plain, [], walk), optional: walk.optional };
  } catch (error) {
    if (!(error instanceof NotStrict)) throw error;
    return { strict: false, schema: plain, reason: error.message };
  }
}

/** The answer as the original schema has it: a `null` the strict form forced on an optional property removed. */
export function dropOptionalNulls(value: unknown, optional: string[][]): unknown {
  const drop = (node: unknown, path: string[]): void => {
    if (node === null || typeof node !== 'object') return;
    const [head, ...rest] = path;
    if (head === undefined) return;
    if (head === '*') {
      if (Array.isArray(node)) for (const item of node) drop(item, rest);
      return;
    }
    const record = node as Record<string, unknown>;
    if (rest.length === 0) {
      if (record[head] === null) delete record[head];
    } else drop(record[head], rest);
  };
  for (const path of optional) drop(value, path);
  return value;
}
