/**
 * The store, written once in portable SQL for every driver (PGlite, node-postgres, RDS Data API).
 * Arrays travel as JSON (the Data API cannot bind SQL arrays); every write that must be atomic is
 * a single statement or runs inside `transaction`.
 */
import { createHash } from 'node:crypto';
import { storableText } from '../../../events/validate.ts';
import { SqlError, ValidationError } from '../../core/errors.ts';
import { fanOut, type OutboxEntry, type PostMessageCommand } from '../../core/messages.ts';
import type { Role } from '../../core/roles.ts';
import {
  type ActivityInput,
  DEAD_LETTER_BODY_BYTES,
  type DeadLetter,
  type DeadLetterInput,
  type Delivery,
  type InsertedMessage,
  type MessageQuery,
  type PendingFanOut,
  type Store,
  type StoreTx,
} from '../../core/store.ts';
import { activityQueries } from './activity.sql.ts';
import { withBatching } from './batching.ts';
import { idQueries } from './ids.sql.ts';
import { orgQueries, orgTxStatements, upsertAgentHealth } from './org.sql.ts';
import type { Row, SqlClient, SqlExecutor } from './port.ts';
import {
  entriesFor,
  insertedMessage,
  iso,
  isoOrNull,
  MESSAGE_COLUMNS,
  type OutboxTarget,
  qualified,
  rowToMessage,
} from './rows.ts';
import { threadQueries } from './thread.sql.ts';
import { traceQueries } from './traces.sql.ts';
import { workflowQueries, workflowTxStatements } from './workflows.sql.ts';

function rowToDelivery(r: Row): Delivery {
  return {
    messageId: r.message_id as string,
    role: r.role as Role,
    status: r.status as Delivery['status'],
    attempts: r.attempts as number,
    lastError: (r.last_error as string | null) ?? null,
    createdAt: iso(r.created_at),
    processedAt: isoOrNull(r.processed_at),
    retryAt: isoOrNull(r.retry_at),
    gaveUpAt: isoOrNull(r.gave_up_at),
  };
}

/** The first `max` bytes of a UTF-8 text, cut before a character that would not fit whole. */
function prefixOf(utf8: Buffer, max: number): string {
  let end = max;
  while (end > 0 && (utf8[end]! & 0xc0) === 0x80) end--; // not inside a multi-byte character
  return utf8.subarray(0, end).toString('utf8');
}

function rowToDeadLetter(r: Row): DeadLetter {
  return {
    id: r.id as string,
    seq: r.seq as number,
    source: r.source as DeadLetter['source'],
    reason: r.reason as string,
    field: (r.field as string | null) ?? null,
    payload: r.payload ?? null,
    raw: (r.raw as string | null) ?? null,
    bytes: r.body_bytes === null || r.body_bytes === undefined ? null : Number(r.body_bytes),
    sha256: (r.body_sha256 as string | null) ?? null,
    truncated: r.body_truncated === true,
    createdAt: iso(r.created_at),
  };
}

/** An outbox row with, for a message's fan-out, the message columns joined as `m_*`. */
/** A leased outbox row as the fan-out it stands for: a message's `both` row is its two entries, one id. */
function rowToFanOut(r: Row): PendingFanOut[] {
  const target = r.target as OutboxTarget;
  const id = Number(r.outbox_id);
  const attempts = r.attempts as number;
  if (r.payload != null) return [{ id, attempts, entry: { target, payload: r.payload } as OutboxEntry }];
  const message = rowToMessage(
    Object.fromEntries(
      Object.entries(r)
        .filter(([k]) => k.startsWith('m_'))
        .map(([k, v]) => [k.slice(2), v]),
    ),
  );
  return entriesFor(fanOut(message), target).map((entry) => ({ id, attempts, entry }));
}

const jsonIds = (ids: readonly (number | string)[]) => JSON.stringify(ids.map(String));

function txStatements(db: SqlExecutor): StoreTx {
  return {
    ...orgTxStatements(db),
    ...workflowTxStatements(db),

    async insertMessage(command: PostMessageCommand, p): Promise<InsertedMessage> {
      const params = {
        id: p.id,
        from: command.from,
        to: command.to,
        type: command.type,
        subject: command.subject,
        content: command.content,
        metadata: p.metadata,
        priority: command.priority,
        recipients: p.recipients,
        inReplyTo: command.inReplyTo ?? null,
        idempotencyKey: command.idempotencyKey ?? null,
        now: p.createdAt,
        leaseUntil: p.leaseUntil,
      };
      let rows: Row[];
      try {
        // Its twin for many messages at once is INSERT_MANY in ./batching.ts: change both together.
        ({ rows } = await db.query(
          `WITH m AS (
             INSERT INTO messages (id, from_role, to_address, type, subject, content, metadata, priority, recipients,
                                   in_reply_to, idempotency_key, created_at)
             VALUES (:id::uuid, :from, :to, :type, :subject, :content::jsonb, :metadata::jsonb, :priority,
                     :recipients::jsonb, :inReplyTo::uuid, :idempotencyKey, :now::timestamptz)
             ON CONFLICT (idempotency_key) DO NOTHING
             RETURNING ${MESSAGE_COLUMNS}
           ), d AS (
             INSERT INTO deliveries (message_id, role, created_at)
             SELECT m.id, r.value, m.created_at FROM m, jsonb_array_elements_text(m.recipients) AS r(value)
           ), o AS (
             INSERT INTO outbox (message_id, target, created_at, available_at)
             SELECT m.id, 'both', m.created_at, :leaseUntil::timestamptz FROM m
             RETURNING id, target
           )
           SELECT m.*, (SELECT coalesce(jsonb_agg(jsonb_build_object('id', o.id, 'target', o.target) ORDER BY o.id), '[]'::jsonb) FROM o) AS outbox
           FROM m`,
          params,
        ));
      } catch (error) {
        if (error instanceof SqlError && error.sqlState === '23503') {
          throw new ValidationError('inReplyTo', `inReplyTo: no message ${command.inReplyTo} to reply to`, {
            cause: error,
          });
        }
        throw error;
      }
      const row = rows[0];
      if (row) return insertedMessage(row);
      const existing = await db.query(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE idempotency_key = :key`,
        {
          key: command.idempotencyKey ?? null,
        },
      );
      if (!existing.rows[0])
        throw new SqlError('insert returned no row and no message holds the idempotency key', undefined);
      return { message: rowToMessage(existing.rows[0]), created: false, fanOut: [] };
    },

    async completeDelivery(messageId, role, owner, now) {
      const { rowCount } = await db.query(
        `UPDATE deliveries SET status = 'processed', processed_at = :now::timestamptz, attempts = attempts + 1,
                lease_owner = NULL, lease_until = NULL
         WHERE message_id = :id::uuid AND role = :role AND status = 'pending'
           AND lease_owner = :owner::uuid AND lease_until > :now::timestamptz`,
        { id: messageId, role, owner, now },
      );
      return rowCount === 1;
    },

    async getMessage(id) {
      const { rows } = await db.query(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = :id::uuid`, { id });
      return rows[0] ? rowToMessage(rows[0]) : undefined;
    },

    async recordActivity(a: ActivityInput, now) {
      await db.query(
        `INSERT INTO agent_activity (role, message_id, outcome, error, duration_ms, at)
         VALUES (:role, :messageId::uuid, :outcome, :error, :durationMs, :now::timestamptz)`,
        {
          role: a.role,
          messageId: a.messageId,
          outcome: a.outcome,
          error: a.error ?? null,
          durationMs: Math.max(0, Math.round(a.durationMs)),
          now,
        },
      );
      await upsertAgentHealth(db, { role: a.role, outcome: a.outcome, error: a.error, now });
    },

    async insertEvent(entry, now, leaseUntil) {
      const { rows } = await db.query(
        `INSERT INTO outbox (target, payload, created_at, available_at)
         VALUES (:target, :payload::jsonb, :now::timestamptz, :leaseUntil::timestamptz) RETURNING id`,
        { target: entry.target, payload: entry.payload, now, leaseUntil },
      );
      return { id: Number(rows[0]!.id), attempts: 0, entry };
    },
  };
}

/**
 * What a page of `listMessages` may hold: the Data API answers at most 1 MiB, and a message takes
 * about ENCODED_MESSAGE_BYTES there (its text columns JSON-escaped, and 400 bytes for the rest).
 */
export const MESSAGE_PAGE_BYTES = 900 * 1024;
const ENCODED_MESSAGE_BYTES = `400 + octet_length(to_json(m.subject)::text) + octet_length(to_json(m.content::text)::text)
  + octet_length(to_json(m.metadata::text)::text) + octet_length(to_json(m.recipients::text)::text)
  + coalesce(octet_length(to_json(m.idempotency_key)::text), 0)`;

export function createSqlStore(sql: SqlClient): Store {
  // Concurrent posts and relays share statements (./batching.ts); a transaction's own do not.
  return withBatching(sql, {
    ...txStatements(sql),
    ...orgQueries(sql),
    ...workflowQueries(sql),
    ...traceQueries(sql),
    ...idQueries(sql),
    ...activityQueries(sql),
    ...threadQueries(sql),

    transaction: (fn) => sql.transaction((tx) => fn(txStatements(tx))),
    snapshot: (fn) =>
      sql.transaction(async (tx) => {
        await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
        return fn({ ...txStatements(tx), ...threadQueries(tx) });
      }),

    async listMessages(q: MessageQuery) {
      const where: string[] = [];
      if (q.to)
        where.push(
          `(m.to_address = :to OR EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.role = :to))`,
        );
      if (q.from) where.push('m.from_role = :from');
      if (q.type) where.push('m.type = :type');
      if (q.inReplyTo) where.push('m.in_reply_to = :inReplyTo::uuid');
      if (q.afterSeq !== undefined) where.push('m.seq > :afterSeq');
      const order = q.afterSeq !== undefined ? 'ASC' : 'DESC';
      // A page is cut by size too: at most MESSAGE_PAGE_BYTES of messages as the Data API encodes
      // them (Aurora refuses an answer over 1 MiB), always at least one message.
      const { rows } = await sql.query(
        `SELECT ${MESSAGE_COLUMNS} FROM (
           SELECT ${qualified('m')}, row_number() OVER w AS n, sum(${ENCODED_MESSAGE_BYTES}) OVER w AS page_bytes
           FROM messages m ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
           WINDOW w AS (ORDER BY m.seq ${order}) ORDER BY m.seq ${order} LIMIT :limit) page
         WHERE n = 1 OR page_bytes <= :pageBytes ORDER BY seq ${order}`,
        {
          to: q.to,
          from: q.from,
          type: q.type,
          inReplyTo: q.inReplyTo,
          afterSeq: q.afterSeq,
          limit: q.limit,
          pageBytes: MESSAGE_PAGE_BYTES,
        },
      );
      return rows.map(rowToMessage);
    },

    async leaseDelivery(messageId, role, lease) {
      const { rows } = await sql.query(
        `WITH taken AS (
           UPDATE deliveries SET lease_owner = :owner::uuid, lease_until = :until::timestamptz
           WHERE message_id = :id::uuid AND role = :role AND status = 'pending'
             AND (lease_until IS NULL OR lease_until <= :now::timestamptz)
           RETURNING message_id
         )
         SELECT d.status, d.lease_until, (SELECT count(*) FROM taken)::int AS taken,
                ${qualified('m')}
         FROM deliveries d JOIN messages m ON m.id = d.message_id
         WHERE d.message_id = :id::uuid AND d.role = :role`,
        { id: messageId, role, owner: lease.owner, until: lease.until, now: lease.now },
      );
      const r = rows[0];
      if (!r) return { state: 'missing' };
      if (r.taken === 1) return { state: 'leased', message: rowToMessage(r) };
      if (r.status === 'processed') return { state: 'processed' };
      return { state: 'busy', until: iso(r.lease_until) };
    },

    async renewLease(messageId, role, lease) {
      const { rows } = await sql.query(
        `UPDATE deliveries SET lease_until = :until::timestamptz
         WHERE message_id = :id::uuid AND role = :role AND status = 'pending'
           AND lease_owner = :owner::uuid AND lease_until > :now::timestamptz
         RETURNING 1 AS renewed`,
        { id: messageId, role, owner: lease.owner, until: lease.until, now: lease.now },
      );
      return rows.length === 1;
    },

    async recordDeliveryFailure(messageId, role, error, { owner, now, retryAt, maxAttempts }) {
      // The failed attempt gives its lease back: a retry need not wait for it to run out. In SET,
      // `attempts` is the count before this failure: the index of its retry time.
      const { rows } = await sql.query<{ attempts: number; gave_up: boolean }>(
        `UPDATE deliveries SET attempts = attempts + 1, last_error = :error,
                retry_at = (:retry_at::jsonb ->> attempts)::timestamptz,
                gave_up_at = COALESCE(gave_up_at, CASE WHEN attempts + 1 >= :max_attempts THEN :now::timestamptz END),
                lease_owner = CASE WHEN lease_owner = :owner::uuid THEN NULL ELSE lease_owner END,
                lease_until = CASE WHEN lease_owner = :owner::uuid THEN NULL ELSE lease_until END
         WHERE message_id = :id::uuid AND role = :role AND status = 'pending'
         RETURNING attempts, gave_up_at = :now::timestamptz AS gave_up`,
        {
          id: messageId,
          role,
          error: error.slice(0, 2000),
          owner: owner ?? null,
          now,
          retry_at: JSON.stringify(retryAt),
          max_attempts: maxAttempts,
        },
      );
      const [row] = rows;
      return row ? { attempts: row.attempts, gaveUp: row.gave_up === true } : undefined;
    },

    async retryDelivery(messageId, role) {
      const { rows } = await sql.query(
        `UPDATE deliveries SET retry_at = NULL, gave_up_at = NULL
         WHERE message_id = :id::uuid AND role = :role AND status = 'pending' RETURNING *`,
        { id: messageId, role },
      );
      return rows[0] ? rowToDelivery(rows[0]) : undefined;
    },

    async pendingDeliveries(role, { limit, now }) {
      const { rows } = await sql.query(
        `SELECT * FROM deliveries
         WHERE role = :role AND status = 'pending' AND gave_up_at IS NULL
           AND (retry_at IS NULL OR retry_at <= :now) AND (lease_until IS NULL OR lease_until <= :now)
         ORDER BY attempts, created_at, message_id LIMIT :limit`,
        { role, limit, now },
      );
      return rows.map(rowToDelivery);
    },

    async getDeliveries(messageId) {
      const { rows } = await sql.query(
        `SELECT * FROM deliveries WHERE message_id = :id::uuid ORDER BY role`,
        {
          id: messageId,
        },
      );
      return rows.map(rowToDelivery);
    },

    async addDeadLetter(input: DeadLetterInput, ctx) {
      // The input as it came may hold what jsonb cannot (U+0000, an unpaired surrogate) or be nested
      // too deep to serialise: it is then kept as its JSON text in `raw` (the escapes intact), or
      // said to be unkept. Text columns get U+FFFD for what PostgreSQL cannot store.
      let json: string | undefined;
      try {
        json = input.payload === undefined ? undefined : JSON.stringify(input.payload);
      } catch {
        json = undefined;
      }
      // Of a body larger than DEAD_LETTER_BODY_BYTES only a prefix is kept, with the whole one's size
      // and sha256 (a refusal must not cost the table what the caller chose to send).
      const body = input.raw ?? json;
      const whole = body === undefined ? undefined : Buffer.from(body, 'utf8');
      const truncated = whole !== undefined && whole.length > DEAD_LETTER_BODY_BYTES;
      const payload = !truncated && json !== undefined && !/\\u0000|\\ud[89a-f]/i.test(json) ? json : null;
      const raw = truncated
        ? prefixOf(whole!, DEAD_LETTER_BODY_BYTES)
        : payload !== null
          ? (input.raw ?? null)
          : (input.raw ??
            json ??
            (input.payload === undefined ? '' : '(not kept: the input is nested too deep to serialise)'));
      const { rows } = await sql.query(
        `INSERT INTO dead_letters (id, source, reason, field, payload, raw, body_bytes, body_sha256, body_truncated, created_at)
         VALUES (:id::uuid, :source, :reason, :field, :payload::jsonb, :raw, :bytes, :sha256, :truncated,
                 :now::timestamptz)
         RETURNING *`,
        {
          id: ctx.id,
          source: input.source,
          reason: storableText(input.reason.slice(0, 2000)),
          field: input.field === undefined ? null : storableText(input.field),
          payload,
          raw: raw === null ? null : storableText(raw),
          bytes: whole === undefined ? null : whole.length,
          sha256: whole === undefined ? null : createHash('sha256').update(whole).digest('hex'),
          truncated,
          now: ctx.now,
        },
      );
      return rowToDeadLetter(rows[0]!);
    },

    async listDeadLetters(limit) {
      const { rows } = await sql.query(`SELECT * FROM dead_letters ORDER BY seq DESC LIMIT :limit`, {
        limit,
      });
      return rows.map(rowToDeadLetter);
    },

    async claimFanOut(now, leaseUntil, limit) {
      const { rows } = await sql.query(
        `WITH c AS (
           UPDATE outbox SET available_at = :leaseUntil::timestamptz, attempts = attempts + 1
           WHERE id IN (SELECT id FROM outbox WHERE available_at <= :now::timestamptz
                        ORDER BY available_at, id LIMIT :limit FOR UPDATE SKIP LOCKED)
           RETURNING id, message_id, target, payload, attempts
         )
         SELECT c.id AS outbox_id, c.target, c.payload, c.attempts,
                ${MESSAGE_COLUMNS.split(',')
                  .map((col) => `m.${col.trim()} AS m_${col.trim()}`)
                  .join(', ')}
         FROM c LEFT JOIN messages m ON m.id = c.message_id ORDER BY c.id`,
        { now, leaseUntil, limit },
      );
      return rows.flatMap(rowToFanOut);
    },

    async completeFanOut(ids) {
      if (ids.length === 0) return;
      // Committed without waiting for the WAL flush (synchronous_commit off for this one transaction):
      // should the server crash before the flush, the rows come back and the sweeper publishes them
      // again, at least once, as invariant 3 allows. `= ANY (ARRAY(...))` finds the rows by the primary
      // key, where `IN (SELECT ...)` scanned the whole table, dead rows included.
      await sql.query(
        `DELETE FROM outbox USING (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit
         WHERE id = ANY (ARRAY(SELECT value::bigint FROM jsonb_array_elements_text(:ids::jsonb)))`,
        { ids: jsonIds(ids) },
      );
    },

    async failFanOut(ids, error, retryAt, remaining) {
      if (ids.length === 0) return;
      // `remaining`: the one target of a message's `both` row still to publish (the other one was)
      await sql.query(
        `UPDATE outbox SET last_error = :error, available_at = :retryAt::timestamptz,
                           target = coalesce(:remaining::text, target)
         WHERE id = ANY (ARRAY(SELECT value::bigint FROM jsonb_array_elements_text(:ids::jsonb)))`,
        { ids: jsonIds(ids), error: error.slice(0, 2000), retryAt, remaining: remaining ?? null },
      );
    },

    async countPendingFanOut() {
      const { rows } = await sql.query(`SELECT count(*)::int AS n FROM outbox`);
      return rows[0]!.n as number;
    },

    async oldestPendingFanOut() {
      // The lowest id is the oldest row (ids are given in insertion order): the primary key's first entry.
      const { rows } = await sql.query(
        `SELECT (extract(epoch FROM created_at) * 1000)::float8 AS ms FROM outbox ORDER BY id LIMIT 1`,
      );
      return rows.length ? new Date(Number(rows[0]!.ms)) : undefined;
    },
  });
}
