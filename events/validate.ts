import type { z } from 'zod';
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
