/**
 * Commands from outside (the HTTP API, MCP, `PostMessage` events through the ingest function):
 * validated against the contract in events/, then posted; a rejected command goes to the dead
 * letters with the reason and changes nothing else. Only a human speaks through these doors: an
 * agent's messages, votes, verdicts and escalations come only from its own handler.
 */
import { parsePostMessage } from '../../events/post-message.ts';
import { ForbiddenError, IdempotencyConflictError, ValidationError } from './errors.ts';
import {
  fitSubject,
  type Message,
  type MessageType,
  type PostMessageCommand,
  planMessage,
} from './messages.ts';
import { type PipelineDeps, type PostResult, postMessage } from './pipeline.ts';
import type { DeadLetter, DeadLetterInput } from './store.ts';

/** What a human may send: ask a role (or everyone) and tell. */
export const PUBLIC_MESSAGE_TYPES: readonly MessageType[] = ['request', 'broadcast', 'notification'];

/** Refuses a command a public entry point must not carry: another sender, or an agent's kind of message. */
export function assertPublicCommand(command: PostMessageCommand): void {
  if (command.from !== 'human') {
    throw new ForbiddenError(
      `from: "${command.from}" may not send through a public entry point; only "human" may. An agent speaks only from its own handler: send the agent a request instead`,
      { field: 'from' },
    );
  }
  if (!PUBLIC_MESSAGE_TYPES.includes(command.type)) {
    throw new ForbiddenError(
      `type: a "${command.type}" message comes only from an agent's own handler; a human sends ${PUBLIC_MESSAGE_TYPES.join(', ')} (to have a role vote, send it the request "cast_vote" with the decisionId)`,
      { field: 'type' },
    );
  }
}

/** JSON with its object keys sorted: two values that mean the same give the same text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/**
 * The fields of a command's message that differ from the message its idempotency key already
 * holds (none: a true repeat). The stored message is compared as postMessage would have written it.
 */
export function idempotencyMismatch(command: PostMessageCommand, stored: Message): string[] {
  const planned = planMessage(command, { id: stored.id, now: new Date(0) });
  const expected: Record<string, unknown> = {
    from: command.from,
    to: command.to,
    type: command.type,
    subject: fitSubject(command.subject),
    content: command.content,
    priority: command.priority,
    metadata: planned.metadata,
  };
  const held = stored as unknown as Record<string, unknown>;
  return Object.keys(expected).filter((k) => canonical(expected[k]) !== canonical(held[k]));
}

export type Submission =
  | { ok: true; result: PostResult }
  | { ok: false; error: ValidationError | ForbiddenError | IdempotencyConflictError; deadLetter: DeadLetter };

export async function submitPostMessage(
  deps: PipelineDeps,
  input: unknown,
  source: DeadLetterInput['source'],
  principal?: { id: string } | undefined,
): Promise<Submission> {
  try {
    const command = { ...parsePostMessage(input), ...(principal ? { principal: principal.id } : {}) };
    assertPublicCommand(command);
    const result = await postMessage(deps, command);
    const differs = result.created ? [] : idempotencyMismatch(command, result.message);
    if (differs.length > 0) {
      throw new IdempotencyConflictError(
        `idempotencyKey: "${command.idempotencyKey}" was used by message ${result.message.id} with another ${differs.join(', ')}; nothing was posted. A repeat must carry the same command; a new message needs a new key`,
      );
    }
    return { ok: true, result };
  } catch (error) {
    if (
      !(
        error instanceof ValidationError ||
        error instanceof ForbiddenError ||
        error instanceof IdempotencyConflictError
      )
    )
      throw error;
    return { ok: false, error, deadLetter: await rejectCommand(deps, error, input, source) };
  }
}

export function rejectCommand(
  deps: Pick<PipelineDeps, 'store' | 'clock' | 'newId' | 'logger'>,
  error: ValidationError | ForbiddenError | IdempotencyConflictError,
  input: unknown,
  source: DeadLetterInput['source'],
): Promise<DeadLetter> {
  deps.logger.warn('command rejected', { source, field: error.field, reason: error.message });
  const raw = typeof input === 'string' ? input : undefined;
  return deps.store.addDeadLetter(
    {
      source,
      reason: error.message,
      field: error.field,
      payload: raw === undefined ? input : undefined,
      raw,
    },
    { id: deps.newId(), now: deps.clock.now() },
  );
}
