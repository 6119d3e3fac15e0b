import { fanOut, type JsonObject, type Message, type OutboxEntry } from '../../core/messages.ts';
import type { Role } from '../../core/roles.ts';
import type { InsertedMessage } from '../../core/store.ts';
import type { Row } from './port.ts';

/** Column values as the domain shows them: timestamps as ISO strings, NULL as null. */
export const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));
export const isoOrNull = (v: unknown): string | null => (v == null ? null : iso(v));
export const numOrNull = (v: unknown): number | null => (v == null ? null : Number(v));

export const MESSAGE_COLUMNS = `id, seq, from_role, to_address, type, subject, content, metadata, priority, recipients,
  idempotency_key, created_at`;
export const qualified = (alias: string) =>
  MESSAGE_COLUMNS.split(',')
    .map((c) => `${alias}.${c.trim()}`)
    .join(', ');

export function rowToMessage(r: Row): Message {
  return {
    id: r.id as string,
    seq: r.seq as number,
    from: r.from_role as Message['from'],
    to: r.to_address as Message['to'],
    type: r.type as Message['type'],
    subject: r.subject as string,
    content: r.content as JsonObject,
    priority: r.priority as Message['priority'],
    metadata: r.metadata as Message['metadata'],
    recipients: r.recipients as Role[],
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    createdAt: iso(r.created_at),
  };
}

/** A message just inserted, with the outbox rows the same statement wrote (`outbox`: their ids and targets). */
/** An outbox row's target: one of a fan-out's, or `both` for a message's row that stands for all of them. */
export type OutboxTarget = OutboxEntry['target'] | 'both';

/** The entries of a message's fan-out that an outbox row of `target` stands for. */
export function entriesFor(entries: OutboxEntry[], target: OutboxTarget): OutboxEntry[] {
  return target === 'both' ? entries : entries.filter((e) => e.target === target);
}

export function insertedMessage(row: Row): InsertedMessage {
  const message = rowToMessage(row);
  const entries = fanOut(message);
  const outbox = row.outbox as { id: number; target: OutboxTarget }[];
  return {
    message,
    created: true,
    fanOut: outbox.flatMap((o) =>
      entriesFor(entries, o.target).map((entry) => ({ id: Number(o.id), attempts: 0, entry })),
    ),
  };
}
