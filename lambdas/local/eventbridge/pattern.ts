/**
 * EventBridge event patterns: validation and matching, with the semantics of the AWS EventBridge user
 * guide ("Event patterns", "Content filtering in Amazon EventBridge event patterns") and of the rule
 * engine behind it, checked against conformance cases that were validated on AWS.
 *
 * A pattern compiles once into branches (one per combination of `$or` alternatives). A branch maps
 * flattened field paths ("detail.state": keys joined with dots, as AWS does, so `{"a.b": …}` and
 * `{"a": {"b": …}}` are the same field) to a test on leaf values. An event matches when, for some branch,
 * every field has a leaf value passing its test, or has none and accepts absence (`exists: false`).
 * Arrays in the event are crushed: each element is a value of the same path. Matches are array
 * consistent: two fields cannot be satisfied by objects in different elements of the same array.
 */
import { InvalidEventPatternError } from '../../core/errors.ts';

export type EventPattern = { readonly [key: string]: unknown };

type Scalar = string | number | boolean | null;
type Test = (value: Scalar) => boolean;

/** One field of a branch: its flattened path, the OR of its values, and whether absence matches. */
interface Field {
  readonly path: string;
  readonly test: Test;
  readonly absent: boolean;
  /** Wildcard patterns on this field, as literal segments between `*`, for the complexity limit. */
  readonly globs: readonly Glob[];
}
type Glob = readonly string[];

/** AWS numbers: numeric matching is limited to -5.0e9 ..= 5.0e9. */
const LIMIT = 5e9;
/** Most wildcard-pattern prefixes one value of a field may match at once (see wildcardComplexity). */
const MAX_WILDCARD_COMPLEXITY = 10;
/**
 * Most branches the `$or`s of a pattern may multiply into. Each `$or` multiplies the branches before
 * it by its alternatives: 30 of them at different places would make 2^30. Refused as too complex,
 * like a costly wildcard, before any is built.
 */
const MAX_OR_BRANCHES = 1000;
/**
 * Deepest nesting of objects and arrays read in a pattern, and followed in an event (EventBridge
 * itself takes events nested at most 1100 levels). Deeper patterns are invalid; deeper parts of an
 * event hold no value a pattern can match. Keeps every walk far from the stack's limit.
 */
const MAX_DEPTH = 1100;
/** Keys the rule engine reserves; inside `$or` they cannot name fields. */
const RESERVED = new Set(
  [
    'exactly equals-ignore-case prefix suffix anything-but exists wildcard numeric cidr html = < <= > >= regex',
    'not-wildcard not-equals-ignore-case date-after date-on-or-after date-before date-on-or-before',
    'in-date-range ip-address-in-range ip-address-not-in-range',
  ]
    .join(' ')
    .split(' '),
);
/** Objects read by parseEventPattern keep every member here, in document order, repeated keys included. */
const MEMBERS = Symbol('members');
type Members = ReadonlyArray<readonly [string, unknown]>;

/** Throws InvalidEventPatternError (message like AWS's) when `pattern` is not a valid event pattern. */
export function validateEventPattern(pattern: unknown): asserts pattern is EventPattern {
  compile(pattern);
}

/** Parses JSON text and validates it. Invalid JSON is an InvalidEventPatternError too. */
export function parseEventPattern(json: string): EventPattern {
  const pattern = readJson(json);
  validateEventPattern(pattern);
  return pattern;
}

/** Validates once and returns a fast predicate. A string is taken as the pattern's JSON text. */
export function compileEventPattern(pattern: unknown): (event: unknown) => boolean {
  const { branches, paths, steps } = compile(typeof pattern === 'string' ? readJson(pattern) : pattern);
  return (event) => {
    if (!isObject(event)) return false;
    const values = flatten(event, paths, steps);
    return branches.some((fields) => matchFields(fields, values, 0, []));
  };
}

export function matchesEventPattern(pattern: unknown, event: unknown): boolean {
  return compileEventPattern(pattern)(event);
}

// ---------------------------------------------------------------------------------------------------
// Compiling (and so validating) a pattern

function fail(reason: string, at = ''): never {
  throw new InvalidEventPatternError(`Event pattern is not valid. Reason: ${reason}${at && ` (at ${at})`}`);
}

function isScalar(value: unknown): value is Scalar {
  return (
    value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
  );
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function membersOf(object: object): Members {
  return (object as { [MEMBERS]?: Members })[MEMBERS] ?? Object.entries(object);
}

/** The single `{ "operator": operand }` member of a match expression. */
function onlyMember(object: object, at: string): readonly [string, unknown] {
  const members = membersOf(object);
  if (members.length === 0) fail('Match expression name not found', at);
  if (members.length > 1) fail('Only one key allowed in match expression', at);
  return members[0]!;
}

const show = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Array.isArray(value) ? 'an array nested too deep to show' : 'an object nested too deep to show';
  }
};
const fold = (text: string): string => text.toLowerCase();

function compile(pattern: unknown) {
  if (!isObject(pattern)) fail('Filter is not an object');
  // Like AWS, the pattern is read in document order: a later value for the same path replaces an
  // earlier one, and fields after an `$or` join every branch it created.
  let branches: Map<string, Field>[] = [new Map()];

  const walk = (object: object, prefix: string, inOr: boolean, depth: number): void => {
    if (depth > MAX_DEPTH) fail(`Pattern is nested deeper than ${MAX_DEPTH} levels`, prefix);
    const members = membersOf(object);
    if (members.length === 0) fail('Empty objects are not allowed', prefix);
    for (const [key, value] of members) {
      if (key === '$or') {
        or(value, prefix, depth);
        continue;
      }
      const path = prefix ? `${prefix}.${key}` : key;
      if (inOr && RESERVED.has(key)) fail(`${key} is a reserved keyword, not a field name, inside $or`, path);
      if (isObject(value)) walk(value, path, inOr, depth + 1);
      else if (Array.isArray(value)) {
        const field = compileField(value, path);
        for (const branch of branches) branch.set(path, field);
      } else fail(`"${key}" must be an object or an array`, path);
    }
  };

  const or = (alternatives: unknown, at: string, depth: number): void => {
    if (!Array.isArray(alternatives)) fail('It must be an Array followed with $or', at || '$or');
    const before = branches;
    const after: Map<string, Field>[] = [];
    for (const alternative of alternatives) {
      if (!isObject(alternative))
        fail('Only JSON object is allowed in array of $or relationship', at || '$or');
      branches = before.map((branch) => new Map(branch));
      walk(alternative, at, true, depth + 1);
      if (after.length + branches.length > MAX_OR_BRANCHES) {
        fail(
          `Rule is too complex - its $or alternatives combine into more than ${MAX_OR_BRANCHES} branches`,
          at || '$or',
        );
      }
      for (const branch of branches) after.push(branch);
    }
    if (alternatives.length < 2) fail('There must have at least 2 Objects in $or relationship', at || '$or');
    branches = after;
  };

  walk(pattern, '', false, 1);

  const globsByPath = new Map<string, Map<string, Glob>>();
  for (const branch of branches) {
    for (const { path, globs } of branch.values()) {
      for (const glob of globs) {
        const known = globsByPath.get(path) ?? globsByPath.set(path, new Map()).get(path)!;
        known.set(glob.join('*'), glob);
      }
    }
  }
  for (const [path, globs] of globsByPath) {
    if (wildcardComplexity([...globs.values()]) > MAX_WILDCARD_COMPLEXITY) {
      fail(
        'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character',
        path,
      );
    }
  }

  const paths = new Set(branches.flatMap((branch) => [...branch.keys()]));
  const steps = new Set(
    [...paths].flatMap((path) => path.split('.').map((_, i, keys) => keys.slice(0, i + 1).join('.'))),
  );
  const byPath = (a: Field, b: Field) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return { branches: branches.map((branch) => [...branch.values()].sort(byPath)), paths, steps };
}

/** A field's array: values and match expressions, any of which may match (OR). */
function compileField(values: readonly unknown[], path: string): Field {
  if (values.length === 0) fail('Empty arrays are not allowed', path);
  const tests: Test[] = [];
  const globs: Glob[] = [];
  let absent = false;
  for (const value of values) {
    if (typeof value === 'string') tests.push(exactString(value));
    else if (isScalar(value)) tests.push((v) => v === value);
    else if (isObject(value)) {
      const expression = compileExpression(value, path);
      if (expression === 'absent') absent = true;
      else {
        tests.push(expression.test);
        globs.push(...(expression.globs ?? []));
      }
    } else fail('Match value must be String, number, true, false, or null', path);
  }
  const [only] = tests;
  const test: Test = tests.length === 1 && only ? only : (v) => tests.some((t) => t(v));
  return { path, test, absent, globs };
}

type Expression = { test: Test; globs?: Glob[] } | 'absent';

function compileExpression(object: object, at: string): Expression {
  const [operator, operand] = onlyMember(object, at);
  switch (operator) {
    case 'exists':
      if (operand === true) return { test: () => true };
      if (operand === false) return 'absent';
      return fail('exists match pattern must be either true or false.', at);
    case 'prefix':
    case 'suffix':
      return { test: affix(operator, operand, at) };
    case 'equals-ignore-case': {
      if (typeof operand !== 'string') fail('equals-ignore-case match pattern must be a string', at);
      const folded = fold(operand);
      return { test: (v) => typeof v === 'string' && fold(v) === folded };
    }
    case 'wildcard': {
      if (typeof operand !== 'string') fail('wildcard match pattern must be a string', at);
      const glob = parseWildcard(operand, at);
      const matches = globMatcher(glob);
      return { test: (v) => typeof v === 'string' && matches(v), globs: [glob] };
    }
    case 'numeric':
      return { test: numeric(operand, at) };
    case 'cidr':
      return { test: cidr(operand, at) };
    case 'anything-but':
      return anythingBut(operand, at);
    default:
      return fail(`Unrecognized match type ${operator}`, at);
  }
}

/** A plain string value. One that is an IP address matches the same address however it is written. */
function exactString(text: string): Test {
  const ip = parseIp(text);
  if (!ip) return (v) => v === text;
  return (v) => v === text || (typeof v === 'string' && sameBytes(parseIp(v), ip));
}

function affix(kind: 'prefix' | 'suffix', operand: unknown, at: string): Test {
  const ends =
    kind === 'prefix' ? (v: string, p: string) => v.startsWith(p) : (v: string, p: string) => v.endsWith(p);
  if (isObject(operand)) {
    const [operator, value] = onlyMember(operand, at);
    if (operator !== 'equals-ignore-case') fail(`Unsupported ${kind} pattern: ${operator}`, at);
    if (typeof value !== 'string') fail('equals-ignore-case match pattern must be a string', at);
    const folded = fold(value);
    return (v) => typeof v === 'string' && ends(fold(v), folded);
  }
  if (typeof operand !== 'string') fail(`${kind} match pattern must be a string`, at);
  return (v) => typeof v === 'string' && ends(v, operand);
}

/** `["=", n]`, `["<" | "<=", n]`, or `[">" | ">=", n]` optionally followed by `"<" | "<=", m`. */
function numeric(operand: unknown, at: string): Test {
  if (!Array.isArray(operand)) fail('Value of numeric must be an array.', at);
  const [operator, first, ...rest] = operand;
  const bound = (value: unknown, name: string): number => {
    if (typeof value !== 'number') fail(`Value of ${name} must be numeric`, at);
    return inRange(value, at);
  };
  if (typeof operator !== 'string') {
    fail(`Invalid member in numeric match: ${operand.length === 0 ? ']' : show(operator)}`, at);
  }
  let [bottom, openBottom, top, openTop] = [-LIMIT, false, LIMIT, false];
  if (operator === '=') {
    const n = bound(first, 'equals');
    if (rest.length > 0) fail('Too many elements in numeric expression', at);
    return (v) => v === n;
  }
  if (operator === '<' || operator === '<=') {
    [top, openTop] = [bound(first, operator), operator === '<'];
    if (rest.length > 0) fail('Too many elements in numeric expression', at);
  } else if (operator === '>' || operator === '>=') {
    [bottom, openBottom] = [bound(first, operator), operator === '>'];
    if (rest.length > 0) {
      const [second, last, ...more] = rest;
      if (typeof second !== 'string') fail(`Bad value in numeric range: ${show(second)}`, at);
      if (second !== '<' && second !== '<=') fail(`Bad numeric range operator: ${second}`, at);
      [top, openTop] = [bound(last, second), second === '<'];
      if (more.length > 0) fail('Too many terms in numeric range expression', at);
    }
  } else fail(`Unrecognized numeric range operator: ${operator}`, at);
  if (bottom >= top) fail('Bottom must be less than top', at);
  return (v) =>
    typeof v === 'number' && (openBottom ? v > bottom : v >= bottom) && (openTop ? v < top : v <= top);
}

function inRange(n: number, at: string): number {
  if (!(n >= -LIMIT && n <= LIMIT)) fail('Value must be between -5.0E9 and 5.0E9, inclusive', at);
  return n;
}

/**
 * `anything-but`: a string, a number, a list of only strings or only numbers, or an object applying it
 * to `prefix`, `suffix`, `equals-ignore-case` or `wildcard` (one value or a list). It matches every
 * value that is not excluded, null and values of another type included, but never a missing field.
 */
function anythingBut(operand: unknown, at: string): Expression {
  const notAValue = () => fail('Value of anything-but must be an array or single string/number value.', at);
  if (!isObject(operand)) {
    if (typeof operand === 'string' || typeof operand === 'number') {
      const excluded = typeof operand === 'number' ? inRange(operand, at) : operand;
      return { test: (v) => v !== excluded };
    }
    if (!Array.isArray(operand)) return notAValue();
    for (const value of operand) {
      if (typeof value === 'number') inRange(value, at);
      else if (typeof value !== 'string')
        fail('Inside anything but list, start|null|boolean is not supported.', at);
    }
    const kinds = new Set(operand.map((value) => typeof value));
    if (kinds.size !== 1) {
      fail(
        'Inside anything but list, either all values are number or string, mixed type is not supported',
        at,
      );
    }
    const excluded = new Set(operand as Scalar[]);
    return { test: (v) => !excluded.has(v) };
  }
  const [operator, value] = onlyMember(operand, at);
  const typeError: Record<string, string> = {
    'equals-ignore-case':
      'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.',
    prefix: 'prefix/suffix match pattern must be a string',
    suffix: 'prefix/suffix match pattern must be a string',
    wildcard: 'wildcard match pattern must be a string',
  };
  const mistyped = typeError[operator];
  if (!mistyped) return fail(`Unsupported anything-but pattern: ${operator}`, at);
  if (typeof value === 'number') fail(mistyped, at);
  if (typeof value !== 'string' && !Array.isArray(value)) return notAValue();
  const texts = typeof value === 'string' ? [value] : value;
  for (const text of texts) {
    if (typeof text !== 'string') fail(mistyped, at);
    if (text === '' && operator !== 'wildcard' && operator !== 'equals-ignore-case') {
      fail('Null prefix/suffix not allowed', at);
    }
  }
  const strings = texts as string[];
  const globs = operator === 'wildcard' ? strings.map((text) => parseWildcard(text, at)) : [];
  const excluded = ((): ((v: string) => boolean) => {
    switch (operator) {
      case 'prefix':
        return (v) => strings.some((p) => v.startsWith(p));
      case 'suffix':
        return (v) => strings.some((s) => v.endsWith(s));
      case 'equals-ignore-case': {
        const folded = new Set(strings.map(fold));
        return (v) => folded.has(fold(v));
      }
      default: {
        const matchers = globs.map(globMatcher);
        return (v) => matchers.some((matches) => matches(v));
      }
    }
  })();
  return { test: (v) => typeof v !== 'string' || !excluded(v), globs };
}

// ---------------------------------------------------------------------------------------------------
// Wildcards

/**
 * Splits a wildcard pattern into the literal segments between its `*`s. `\*` is a literal asterisk,
 * `\\` a literal backslash; any other escape, and two `*` in a row, are invalid (as on AWS).
 */
function parseWildcard(text: string, at: string): Glob {
  const segments: string[] = [];
  let segment = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '*') {
      if (text[i + 1] === '*') fail(`Consecutive wildcard characters at pos ${i}`, at);
      segments.push(segment);
      segment = '';
    } else if (c === '\\') {
      const next = text[i + 1];
      if (next !== '*' && next !== '\\') fail(`Invalid escape character at pos ${i}`, at);
      segment += next;
      i++;
    } else segment += c;
  }
  segments.push(segment);
  return segments;
}

/** Whole-string glob match: the first segment is a prefix, the last a suffix, the rest in order between. */
function globMatcher(glob: Glob): (text: string) => boolean {
  const first = glob[0] ?? '';
  const last = glob[glob.length - 1] ?? '';
  const middle = glob.slice(1, -1);
  if (glob.length === 1) return (text) => text === first;
  return (text) => {
    const end = text.length - last.length;
    if (end < first.length || !text.startsWith(first) || !text.endsWith(last)) return false;
    let from = first.length;
    for (const segment of middle) {
      const found = text.indexOf(segment, from);
      if (found < 0 || found + segment.length > end) return false;
      from = found + segment.length;
    }
    return true;
  };
}

/**
 * AWS refuses a rule whose wildcards make matching too costly. Its measure, per field: the most
 * prefixes of that field's wildcard patterns (each taken as `"value"`, quotes and UTF-8 bytes, as the
 * engine stores it) that one input can match at the same time; more than 10 is too complex.
 * `"*:*:*:*:*:event-bus/*"`, AWS's own example of a rule that is too complex, reaches 11;
 * `"/Users/*\/dir/dir/dir/dir/dir/doc.txt"` reaches 7 and is accepted. Computed by walking the sets of
 * matched prefixes reachable over the bytes the patterns use (plus one standing for every other byte).
 */
function wildcardComplexity(globs: readonly Glob[]): number {
  const STAR = -1;
  const OTHER = -2;
  const QUOTE = 0x22;
  const encoder = new TextEncoder();
  const tokens = globs.map((glob) => [
    QUOTE,
    ...glob.flatMap((segment, i) =>
      i > 0 ? [STAR, ...encoder.encode(segment)] : [...encoder.encode(segment)],
    ),
    QUOTE,
  ]);
  // A set holds k when the first k tokens match the input so far; a `*` may match nothing. A Set's
  // iteration visits what is added meanwhile, so runs of `*` close in one pass over the set.
  const close = (t: number[], set: Set<number>) => {
    for (const k of set) if (t[k] === STAR) set.add(k + 1);
    return set;
  };
  const step = (t: number[], set: Set<number>, byte: number) => {
    const next = new Set<number>();
    for (const k of set) {
      if (t[k] === byte) next.add(k + 1);
      if (k > 0 && t[k - 1] === STAR) next.add(k);
    }
    return close(t, next);
  };
  const bytes = [...new Set(tokens.flat().filter((b) => b !== STAR)), OTHER];
  const start = tokens.map((t) => close(t, new Set([0])));
  const seen = new Set<string>();
  const queue = [start];
  let most = 0;
  for (let state = queue.pop(); state; state = queue.pop()) {
    for (const byte of bytes) {
      const next = state.map((set, i) => step(tokens[i]!, set, byte));
      const count = next.reduce((sum, set) => sum + set.size - (set.has(0) ? 1 : 0), 0);
      if (count === 0) continue;
      most = Math.max(most, count);
      const key = next.map((set) => [...set].sort((a, b) => a - b).join(',')).join('|');
      if (most > MAX_WILDCARD_COMPLEXITY) return most;
      // A bound on the walk for pathological patterns; real ones reach far fewer sets.
      if (!seen.has(key) && seen.size < 20_000) {
        seen.add(key);
        queue.push(next);
      }
    }
  }
  return most;
}

// ---------------------------------------------------------------------------------------------------
// IP addresses and CIDR blocks

const IPV4 = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

/** The address bytes (4 or 16) of an IPv4 or IPv6 literal, or null. */
function parseIp(text: string): number[] | null {
  if (IPV4.test(text)) {
    const octets = text.split('.').map(Number);
    return octets.every((o) => o <= 255) ? octets : null;
  }
  if (!IPV6.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const hextets = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!hextets.every((h) => HEXTET.test(h))) return null;
  const bytes = hextets.flatMap((h) => [Number.parseInt(h, 16) >> 8, Number.parseInt(h, 16) & 0xff]);
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is read as the IPv4 address itself.
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

function sameBytes(a: readonly number[] | null, b: readonly number[]): boolean {
  return a !== null && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Lexicographic comparison of two addresses of the same family. */
function compareBytes(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * `cidr`: "address/bits". As on AWS the block runs from the address as written up to that address with
 * every host bit set, and the mask must be below the address width (< 32 for IPv4, < 128 for IPv6).
 */
function cidr(operand: unknown, at: string): Test {
  if (typeof operand !== 'string') fail('cidr match pattern must be a string', at);
  const parts = operand.split('/');
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length !== 2) fail("Malformed CIDR, one '/' required", at);
  const [address = '', mask = ''] = parts;
  if (!/^[+-]?\d+$/.test(mask)) fail('Malformed CIDR, mask bits must be an integer', at);
  const bits = Number(mask);
  if (bits < 0) fail('Malformed CIDR, mask bits must not be negative', at);
  const bottom = parseIp(address);
  if (!bottom) return fail(`Nonstandard IP address: ${address}`, at);
  const width = bottom.length * 8;
  if (bits >= width) fail(width === 32 ? 'IPv4 mask bits must be < 32' : 'IPv6 mask bits must be < 128', at);
  const top = bottom.map((byte, i) => {
    const hostBits = Math.min(8, Math.max(0, width - bits - (bottom.length - 1 - i) * 8));
    return byte | ((1 << hostBits) - 1);
  });
  return (v) => {
    const ip = typeof v === 'string' ? parseIp(v) : null;
    return (
      ip !== null &&
      ip.length === bottom.length &&
      compareBytes(ip, bottom) >= 0 &&
      compareBytes(ip, top) <= 0
    );
  };
}

// ---------------------------------------------------------------------------------------------------
// Matching

/** A leaf value of the event and the array elements it sits in: [arrayId, index, arrayId, index, …]. */
interface Leaf {
  readonly value: Scalar;
  readonly within: readonly number[];
}

/** The event's leaf values on the pattern's paths (and only those), by flattened path. */
function flatten(event: object, paths: ReadonlySet<string>, steps: ReadonlySet<string>): Map<string, Leaf[]> {
  const leaves = new Map<string, Leaf[]>();
  let arrays = 0;
  const visit = (node: unknown, path: string, within: readonly number[], depth: number): void => {
    if (depth > MAX_DEPTH) return;
    if (Array.isArray(node)) {
      const id = arrays++;
      for (const [index, element] of node.entries()) visit(element, path, [...within, id, index], depth + 1);
    } else if (isObject(node)) {
      for (const [key, value] of Object.entries(node)) {
        const child = path ? `${path}.${key}` : key;
        if (steps.has(child)) visit(value, child, within, depth + 1);
      }
    } else if (paths.has(path) && isScalar(node)) {
      const list = leaves.get(path) ?? leaves.set(path, []).get(path)!;
      list.push({ value: node, within });
    }
  };
  visit(event, '', [], 1);
  return leaves;
}

/** Combined array membership of two leaves, or null when they lie in different elements of one array. */
function join(a: readonly number[], b: readonly number[]): readonly number[] | null {
  if (b.length === 0) return a;
  const joined = [...a];
  for (let i = 0; i < b.length; i += 2) {
    const at = a.findIndex((id, j) => j % 2 === 0 && id === b[i]);
    if (at < 0) joined.push(b[i]!, b[i + 1]!);
    else if (a[at + 1] !== b[i + 1]) return null;
  }
  return joined;
}

/** Fields in path order, as AWS walks them; absence is judged against the elements chosen so far. */
function matchFields(
  fields: readonly Field[],
  leaves: Map<string, Leaf[]>,
  i: number,
  within: readonly number[],
): boolean {
  const field = fields[i];
  if (!field) return true;
  let present = false;
  for (const leaf of leaves.get(field.path) ?? []) {
    const joined = join(within, leaf.within);
    if (!joined) continue;
    present = true;
    if (field.test(leaf.value) && matchFields(fields, leaves, i + 1, joined)) return true;
  }
  return field.absent && !present && matchFields(fields, leaves, i + 1, within);
}

// ---------------------------------------------------------------------------------------------------
// JSON text

/**
 * A strict JSON reader (RFC 8259). Unlike JSON.parse it keeps repeated keys: AWS reads a pattern as a
 * stream, so `{"a": [1], "a": [2]}` compiles the field twice and the later value wins, while repeated
 * objects add up their fields and an invalid earlier value is still an error. The returned objects
 * look like JSON.parse's (last value per key) and carry all members under a private symbol.
 */
function readJson(text: string): unknown {
  if (typeof text !== 'string') fail('Event pattern must be JSON text');
  let i = 0;
  const bad = (what: string): never => fail(`Filter is not valid JSON: ${what} at position ${i}`);
  const space = () => {
    while (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r') i++;
  };
  const expect = (c: string) => {
    space();
    if (text[i] !== c) bad(text[i] === undefined ? `expected '${c}' but the text ended` : `expected '${c}'`);
    i++;
  };
  const string = (): string => {
    const start = i;
    for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    if (i >= text.length) bad('unterminated string');
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      i = start;
      return bad('invalid string');
    }
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const LITERALS = [
    ['true', true],
    ['false', false],
    ['null', null],
  ] as const;
  /** Reads `item` after item, separated by commas, up to `close`; the opening bracket is already read. */
  const items = (close: string, item: () => void) => {
    space();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      space();
      if (text[i] !== ',') break;
      i++;
    }
    expect(close);
  };
  let depth = 0;
  const value = (): unknown => {
    space();
    const c = text[i];
    if (c === '"') return string();
    if ((c === '{' || c === '[') && ++depth > MAX_DEPTH)
      fail(`Pattern is nested deeper than ${MAX_DEPTH} levels`);
    if (c === '{') {
      i++;
      const object: Record<string, unknown> = {};
      const members: [string, unknown][] = [];
      items('}', () => {
        space();
        if (text[i] !== '"') bad('expected a member name in double quotes');
        const key = string();
        expect(':');
        const member = value();
        members.push([key, member]);
        Object.defineProperty(object, key, {
          value: member,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      });
      if (new Set(members.map(([key]) => key)).size < members.length) {
        Object.defineProperty(object, MEMBERS, { value: members });
      }
      depth--;
      return object;
    }
    if (c === '[') {
      i++;
      const array: unknown[] = [];
      items(']', () => array.push(value()));
      depth--;
      return array;
    }
    const literal = LITERALS.find(([word]) => text.startsWith(word, i));
    if (literal) {
      i += literal[0].length;
      return literal[1];
    }
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(text);
    if (number) {
      i += number[0].length;
      return Number(number[0]);
    }
    return bad(c === undefined ? 'the text ended' : `unexpected character ${show(c)}`);
  };
  const result = value();
  space();
  if (i < text.length) bad('unexpected text after the end');
  return result;
}
