/**
 * What both publishers share: BusEntry -> PutEvents entry, batches within the PutEvents limits, and
 * the answer of each call mapped back to the caller's order. A call that fails as a whole fails its
 * own entries only; the other batches still go.
 */
import { EchoError } from '../../core/errors.ts';
import type { BusEntry, PutResult } from './port.ts';

/** PutEvents quotas: entries per call, and the total entry size of a call must be less than 256 KB. */
export const MAX_ENTRIES_PER_CALL = 10;
export const MAX_CALL_BYTES = 256 * 1024;

/** A PutEvents request entry in the API's own shape (structurally the SDK's PutEventsRequestEntry). */
export interface ApiEntry {
  Source?: string | undefined;
  DetailType?: string | undefined;
  Detail?: string | undefined;
  Resources?: string[] | undefined;
  Time?: Date | undefined;
  EventBusName?: string | undefined;
}

export interface ApiResultEntry {
  EventId?: string | undefined;
  ErrorCode?: string | undefined;
  ErrorMessage?: string | undefined;
}

/** The size AWS counts for an entry ("Calculating PutEvents event entry size" in the user guide). */
export function entrySize(entry: ApiEntry): number {
  const bytes = (s: string | undefined) => (s ? Buffer.byteLength(s, 'utf8') : 0);
  const resources = (entry.Resources ?? []).reduce((n, r) => n + bytes(r), 0);
  return (
    (entry.Time ? 14 : 0) + bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail) + resources
  );
}

/** AWS accepts a call whose entries total less than 256 KB. */
export const withinCallLimit = (bytes: number) => bytes < MAX_CALL_BYTES;

/**
 * The code a whole-call failure gives its entries: a named error's code (the local bus), the AWS
 * exception name (the SDK), a system error's code (ECONNREFUSED), else PublishFailed.
 */
export function failureCode(error: unknown): string {
  if (error instanceof EchoError) return error.code;
  const e = error as { name?: unknown; code?: unknown } | null;
  if (typeof e?.name === 'string' && e.name !== 'Error' && e.name !== 'TypeError') return e.name;
  if (typeof e?.code === 'string') return e.code;
  return 'PublishFailed';
}

/**
 * Sends `entries` in as many calls as the limits need (one after another, in order) and returns one
 * result per entry, in the order given. `send` returns the call's result entries or throws; it never
 * makes this function throw. An entry too large on its own goes alone, and the service decides.
 */
export async function publishInBatches(
  entries: readonly BusEntry[],
  eventBusName: string | undefined,
  send: (batch: ApiEntry[]) => Promise<readonly ApiResultEntry[] | undefined>,
): Promise<PutResult[]> {
  const results: PutResult[] = new Array(entries.length);
  const batches: { index: number; entry: ApiEntry }[][] = [];
  let current: { index: number; entry: ApiEntry }[] = [];
  let size = 0;
  entries.forEach((e, index) => {
    let entry: ApiEntry;
    try {
      entry = {
        Source: e.source,
        DetailType: e.detailType,
        Detail: JSON.stringify(e.detail),
        ...(e.resources ? { Resources: [...e.resources] } : {}),
        ...(e.time ? { Time: e.time } : {}),
        ...(eventBusName ? { EventBusName: eventBusName } : {}),
      };
    } catch (error) {
      results[index] = {
        ok: false,
        errorCode: 'SerializationError',
        errorMessage: `detail is not serialisable as JSON: ${String(error)}`,
      };
      return;
    }
    const bytes = entrySize(entry);
    if (current.length === MAX_ENTRIES_PER_CALL || (current.length > 0 && !withinCallLimit(size + bytes))) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push({ index, entry });
    size += bytes;
  });
  if (current.length > 0) batches.push(current);

  for (const batch of batches) {
    let answer: readonly ApiResultEntry[] | undefined;
    let failure: PutResult | undefined;
    try {
      answer = await send(batch.map((b) => b.entry));
    } catch (error) {
      failure = {
        ok: false,
        errorCode: failureCode(error),
        errorMessage: error instanceof Error ? error.message : String(error),
      };
    }
    batch.forEach(({ index }, i) => {
      const r = answer?.[i];
      results[index] =
        failure ??
        (r?.EventId
          ? { ok: true, eventId: r.EventId }
          : r
            ? { ok: false, errorCode: r.ErrorCode ?? 'Unknown', errorMessage: r.ErrorMessage ?? '' }
            : {
                ok: false,
                errorCode: 'MissingResult',
                errorMessage: 'PutEvents returned no result for this entry',
              });
    });
  }
  return results;
}
