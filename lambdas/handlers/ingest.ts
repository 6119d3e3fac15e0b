/**
 * The ingest Lambda: `PostMessage` commands (source `echo.client`) from the bus. A valid command is
 * posted; an invalid one is dead-lettered with its reason and not retried (it would fail again).
 * A database failure throws, so the async-invoke retries apply.
 */
import type { EventEnvelope } from '../adapters/bus/port.ts';
import { submitPostMessage } from '../core/ingest.ts';
import type { PipelineDeps } from '../core/pipeline.ts';
import { lambdaDeps, lambdaEntry } from './deps.ts';

export function createIngestHandler(deps: () => Promise<PipelineDeps>) {
  return async (event: EventEnvelope): Promise<{ messageId?: string; rejected?: string }> => {
    const d = await deps();
    const submitted = await submitPostMessage(d, event.detail, 'ingest');
    if (!submitted.ok) return { rejected: submitted.error.message };
    d.logger.info('command ingested', { eventId: event.id, messageId: submitted.result.message.id });
    return { messageId: submitted.result.message.id };
  };
}

export const handler = lambdaEntry(createIngestHandler(lambdaDeps));
