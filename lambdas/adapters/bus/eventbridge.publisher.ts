/**
 * EventPublisher over the AWS SDK's EventBridgeClient (AWS, LocalStack or the local endpoint). Entries
 * go in batches of at most 10 and under 256 KB, one call after another; a call that fails as a whole
 * (throttled after the SDK's own retries, network down) fails its own entries, so the other batches
 * still go and the caller keeps the failed ones pending. It never throws for a publishing failure.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { traced } from '../tracing.ts';
import { publishInBatches } from './batching.ts';
import type { EventPublisher } from './port.ts';

export interface EventBridgePublisherOptions {
  region: string;
  /** E.g. the local endpoint or LocalStack; unset for AWS itself. */
  endpoint?: string;
  /** Unset: the SDK's default provider chain (the Lambda role in AWS). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Name or ARN; unset: the account's default bus. */
  eventBusName?: string;
  /** The SDK's attempts per call, retries of throttling and 5xx included (SDK default: 3). */
  maxAttempts?: number;
}

export function createEventBridgePublisher(
  options: EventBridgePublisherOptions,
): EventPublisher & { close(): void } {
  const client = traced(
    new EventBridgeClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    }),
  );
  return {
    putEvents: (entries) =>
      publishInBatches(
        entries,
        options.eventBusName,
        async (batch) => (await client.send(new PutEventsCommand({ Entries: batch }))).Entries,
      ),
    close: () => client.destroy(),
  };
}
