/**
 * Commands from outside (the HTTP API, MCP, `PostMessage` events through the ingest function):
 * validated against the contract in events/, then posted; a rejected command goes to the dead
 * letters with the reason and changes nothing else. Only a human speaks through these doors: an
 * agent's messages, votes, verdicts and escalations come only from its own handler.
 */
import { parsePostMessage } from '../../events/post-message.ts';
import { ForbiddenError, ValidationError } from './errors.ts';
import type { MessageType, PostMessageCommand } from './messages.ts';
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

export type Submission =
  | { ok: true; result: PostResult }
  | { ok: false; error: ValidationError | ForbiddenError; deadLetter: DeadLetter };

export async function submitPostMessage(
  deps: PipelineDeps,
  input: unknown,
  source: DeadLetterInput['source'],
  principal?: { id: string } | undefined,
): Promise<Submission> {
  try {
    const command = parsePostMessage(input);
    assertPublicCommand(command);
    return {
      ok: true,
      result: await postMessage(deps, { ...command, ...(principal ? { principal: principal.id } : {}) }),
    };
  } catch (error) {
    if (!(error instanceof ValidationError || error instanceof ForbiddenError)) throw error;
    return { ok: false, error, deadLetter: await rejectCommand(deps, error, input, source) };
  }
}

export function rejectCommand(
  deps: Pick<PipelineDeps, 'store' | 'clock' | 'newId' | 'logger'>,
  error: ValidationError | ForbiddenError,
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
