/**
 * The event-bus port: what a producer needs from EventBridge. Adapters: the AWS SDK client
 * (against AWS, LocalStack or the local endpoint) and the in-process bus of the local runtime.
 */
export interface BusEntry {
  source: string;
  detailType: string;
  /** The event's detail, serialised as JSON by the adapter. */
  detail: unknown;
  resources?: string[];
  time?: Date;
}

/** One result per entry, in the order given. */
export type PutResult =
  | { ok: true; eventId: string }
  | { ok: false; errorCode: string; errorMessage: string };

export interface EventPublisher {
  /** Accepts any number of entries; the adapter batches (PutEvents takes at most 10). */
  putEvents(entries: readonly BusEntry[]): Promise<PutResult[]>;
}

/** The EventBridge envelope a rule's target receives. */
export interface EventEnvelope<D = unknown> {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: D;
}
