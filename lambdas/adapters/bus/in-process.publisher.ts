/**
 * EventPublisher over the local runtime's in-process bus, with the EventBridge adapter's semantics:
 * the same batches (10 entries, 256 KB) and the same results, a throttled or refused call failing
 * only its own entries.
 */
import type { LocalEventBus } from '../../local/eventbridge/bus.ts';
import { publishInBatches } from './batching.ts';
import type { EventPublisher } from './port.ts';

export function createInProcessPublisher(bus: LocalEventBus): EventPublisher {
  return {
    putEvents: (entries) =>
      publishInBatches(entries, undefined, async (batch) => (await bus.putEvents(batch)).Entries),
  };
}
