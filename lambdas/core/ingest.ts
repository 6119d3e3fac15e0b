/**
 * Commands from outside (the HTTP API, `PostMessage` events through the ingest function): validated
 * against the contract in events/, then posted; a rejected command goes to the dead letters with
 * the reason and changes nothing else.
 */
import { parsePostMessage } from '../../events/post-message.ts';
import { ValidationError } from './errors.ts';
import { type PipelineDeps, type PostResult, postMessage } from './pipeline.ts';
import type { DeadLetter, DeadLetterInput } from './store.ts';

export type Submission =
  | { ok: true; result: PostResult }
  | { ok: false; error: ValidationError; deadLetter: DeadLetter };

export async function submitPostMessage(
  deps: PipelineDeps,
  input: unknown,
  source: DeadLetterInput['source'],
): Promise<Submission> {
  try {
    return { ok: true, result: await postMessage(deps, parsePostMessage(input)) };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return { ok: false, error, deadLetter: await rejectCommand(deps, error, input, source) };
  }
}

export function rejectCommand(
  deps: Pick<PipelineDeps, 'store' | 'clock' | 'newId' | 'logger'>,
  error: ValidationError,
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
