/**
 * `PostMessage` (source `echo.client`): a command from outside. The same schema validates the HTTP
 * API's POST /messages, the ingest function's EventBridge events and `echoctl send`.
 */
import * as z from 'zod';
import { ValidationError } from '../lambdas/core/errors.ts';
import { MESSAGE_TYPES, type PostMessageCommand, PRIORITIES } from '../lambdas/core/messages.ts';
import { ADDRESSES, SENDERS } from '../lambdas/core/roles.ts';
import { MAX_ENTRY_BYTES, MAX_IDEMPOTENCY_KEY_CHARS, MAX_JSON_DEPTH, MAX_SUBJECT_CHARS } from './limits.ts';
import { assertStorableJson, parseWith } from './validate.ts';

const list = (values: readonly string[]) => values.join(', ');
const objectOnly = (field: string) =>
  z.record(z.string(), z.unknown(), {
    error: (issue) =>
      issue.input === undefined
        ? `${field} is required`
        : `${field} must be a JSON object, got ${describe(issue.input)}`,
  });

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

export const PostMessageSchema = z
  .object({
    from: z
      .enum(SENDERS as [string, ...string[]], { error: `must be one of ${list(SENDERS)}` })
      .default('human'),
    to: z.enum(ADDRESSES as [string, ...string[]], {
      error: (issue) =>
        issue.input === undefined
          ? 'is required'
          : typeof issue.input === 'string'
            ? `unknown role "${issue.input}": must be one of ${list(ADDRESSES)}`
            : `must be one of ${list(ADDRESSES)}, got ${describe(issue.input)}`,
    }),
    type: z.enum(MESSAGE_TYPES, { error: `must be one of ${list(MESSAGE_TYPES)}` }).default('request'),
    subject: z
      .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
      .trim()
      .min(1, 'must not be empty')
      .max(MAX_SUBJECT_CHARS, `must be at most ${MAX_SUBJECT_CHARS} characters`),
    content: objectOnly('content').default({}),
    priority: z.enum(PRIORITIES, { error: `must be one of ${list(PRIORITIES)}` }).default('normal'),
    metadata: objectOnly('metadata').default({}),
    inReplyTo: z.uuid('must be a message id (uuid)').optional(),
    idempotencyKey: z
      .string()
      .min(1, 'must not be empty')
      .max(MAX_IDEMPOTENCY_KEY_CHARS, `must be at most ${MAX_IDEMPOTENCY_KEY_CHARS} characters`)
      .optional(),
  })
  .strict();

export type PostMessageInput = z.input<typeof PostMessageSchema>;

/** Size in bytes of a command as it travels (UTF-8 JSON). */
export function byteSize(value: unknown): number {
  return Buffer.byteLength(typeof value === 'string' ? value : (JSON.stringify(value) ?? ''), 'utf8');
}

/** Validates a PostMessage command; throws ValidationError naming the field or the limit. */
export function parsePostMessage(input: unknown): PostMessageCommand {
  assertStorableJson(input, MAX_JSON_DEPTH);
  const size = byteSize(input);
  if (size > MAX_ENTRY_BYTES) {
    throw new ValidationError(
      'entry',
      `entry: ${size} bytes exceeds the limit of 256 KB (${MAX_ENTRY_BYTES} bytes)`,
      {
        limit: '256 KB',
      },
    );
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ValidationError('(root)', `the command must be a JSON object, got ${describe(input)}`);
  }
  return parseWith(PostMessageSchema, input) as PostMessageCommand;
}
