import type * as z from 'zod';
import { ValidationError } from '../lambdas/core/errors.ts';

/** The path of a zod issue as a field name: `content`, `metadata.inReplyTo`, `recipients[2]`. */
export function fieldOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(root)';
}

/** Parses with a schema; the first issue becomes a ValidationError naming the field. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = fieldOf(issue.path);
  throw new ValidationError(field, `${field}: ${issue.message}`, { cause: result.error });
}

/** A UTF-16 surrogate without its pair: no UTF-8 encoding, no place in PostgreSQL's text or jsonb. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why PostgreSQL cannot keep this text (U+0000, an unpaired surrogate), or undefined when it can. */
export function unstorableText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain the character U+0000 (NUL)';
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode text (it holds an unpaired surrogate)';
  return undefined;
}

/**
 * Checks input before anything serialises or stores it: objects and arrays nested at most `maxDepth`
 * levels (the input itself is level 1), every string and key a text PostgreSQL can keep, every
 * number finite (JSON.parse turns `1e309` into Infinity, which JSON writes as null), no key
 * `__proto__` (an own key JSON.parse makes, which spreads and schemas silently drop).
 * Iterative, so no input exhausts the stack. Throws a ValidationError naming the field.
 */
export function assertStorableJson(value: unknown, maxDepth: number): void {
  const stack: [unknown, PropertyKey[], number][] = [[value, [], 1]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [node, path, depth] = next;
    if (typeof node === 'string') {
      const problem = unstorableText(node);
      if (problem) throw new ValidationError(fieldOf(path), `${fieldOf(path)}: ${problem}`);
      continue;
    }
    if (typeof node === 'number' && !Number.isFinite(node)) {
      const field = fieldOf(path);
      throw new ValidationError(
        field,
        `${field}: a number JSON cannot keep (beyond ±1.7976931348623157e308, it would become null); send it as a string`,
      );
    }
    if (node === null || typeof node !== 'object') continue;
    if (depth > maxDepth) {
      const field = fieldOf(path.slice(0, 2));
      throw new ValidationError(field, `${field}: objects and arrays nested deeper than ${maxDepth} levels`, {
        limit: `${maxDepth} levels`,
      });
    }
    if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) stack.push([item, [...path, i], depth + 1]);
      continue;
    }
    for (const [key, item] of Object.entries(node)) {
      const problem = unstorableText(key);
      if (problem) throw new ValidationError(fieldOf(path), `${fieldOf(path)}: a key ${problem}`);
      if (key === '__proto__') {
        const field = fieldOf([...path, key]);
        throw new ValidationError(
          field,
          `${field}: the key "__proto__" is not accepted (JavaScript would drop it, or take it for the object's prototype); rename it`,
        );
      }
      stack.push([item, [...path, key], depth + 1]);
    }
  }
}

/** The text with what PostgreSQL cannot keep (U+0000, unpaired surrogates) replaced by U+FFFD. */
export function storableText(text: string): string {
  return text.replaceAll('\u0000', '\ufffd').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\ufffd');
}
