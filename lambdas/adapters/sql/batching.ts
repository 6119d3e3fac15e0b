/**
 * Group commit for the message path: concurrent posts share one statement, concurrent relays share
 * one DELETE. The first call runs at once, alone; calls made while a statement is in flight wait and
 * then go together in the next one, so a lone producer waits for nothing and a busy system makes one
 * round trip and one commit for many messages. Each message keeps everything that made it atomic:
 * its row, its deliveries and its outbox rows are in the same statement, committed before anything
 * is fanned out. Only statements outside a transaction are batched; a transaction's own statements
 * (an agent's replies) stay in it.
 */
import { DatabaseUnavailableError } from '../../core/errors.ts';
import type { InsertedMessage, Store, StoreTx } from '../../core/store.ts';
import type { Row, SqlClient } from './port.ts';
import { insertedMessage, MESSAGE_COLUMNS } from './rows.ts';

/** At most this many messages in one statement. */
export const MAX_BATCH = 32;

/**
 * Runs `run` on the items of every call made while the previous run was in flight, `max` at a time.
 * Each call settles with the run that carried its item.
 */
export function batched<I, O>(run: (items: I[]) => Promise<O[]>, max: number): (item: I) => Promise<O> {
  let queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  let running = false;
  const next = () => {
    if (running || queue.length === 0) return;
    const batch = queue.slice(0, max);
    queue = queue.slice(max);
    running = true;
    let outcome: Promise<O[]>;
    try {
      outcome = run(batch.map((b) => b.item));
    } catch (error) {
      outcome = Promise.reject(error);
    }
    outcome
      .then(
        (results) => {
          batch.forEach((b, i) => {
            b.resolve(results[i]!);
          });
        },
        (error: unknown) => {
          for (const b of batch) b.reject(error);
        },
      )
      .finally(() => {
        running = false;
        next();
      });
  };
  return (item) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      next();
    });
}

type Post = {
  command: Parameters<StoreTx['insertMessage']>[0];
  planned: Parameters<StoreTx['insertMessage']>[1];
};

/** The single-message statement of store.ts, for many: one JSON array in, one row per message created. */
const INSERT_MANY = `WITH input AS (
  SELECT * FROM jsonb_to_recordset(:batch::jsonb) AS i(ord int, id uuid, from_role text, to_address text, type text,
    subject text, content jsonb, metadata jsonb, priority text, recipients jsonb, in_reply_to uuid,
    idempotency_key text, created_at timestamptz, lease_until timestamptz)
), m AS (
  INSERT INTO messages (id, from_role, to_address, type, subject, content, metadata, priority, recipients,
                        in_reply_to, idempotency_key, created_at)
  SELECT id, from_role, to_address, type, subject, content, metadata, priority, recipients,
         in_reply_to, idempotency_key, created_at
  FROM input ORDER BY ord
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING ${MESSAGE_COLUMNS}
), d AS (
  INSERT INTO deliveries (message_id, role, created_at)
  SELECT m.id, r.value, m.created_at FROM m, jsonb_array_elements_text(m.recipients) AS r(value)
), o AS (
  INSERT INTO outbox (message_id, target, created_at, available_at)
  SELECT m.id, 'both', m.created_at, i.lease_until
  FROM m JOIN input i ON i.id = m.id
  RETURNING id, message_id, target
)
SELECT m.*, (SELECT coalesce(jsonb_agg(jsonb_build_object('id', o.id, 'target', o.target) ORDER BY o.id), '[]'::jsonb)
             FROM o WHERE o.message_id = m.id) AS outbox
FROM m`;

/**
 * insertMessage and completeFanOut of `store`, batched across concurrent callers. A post alone runs
 * the store's own statement. A batch that fails (a constraint of one of its messages) is retried
 * message by message, so each producer gets its own answer; a database that is down fails them all.
 * A message whose idempotency key was seen (in the table, or earlier in the same batch) takes the
 * store's own path, which returns the first message.
 */
export function withBatching(sql: SqlClient, store: Store): Store {
  const single = (p: Post) => store.insertMessage(p.command, p.planned);
  const insertMany = async (posts: Post[]): Promise<PromiseSettledResult<InsertedMessage>[]> => {
    if (posts.length === 1) return Promise.allSettled([single(posts[0]!)]);
    let rows: Row[];
    try {
      ({ rows } = await sql.query(INSERT_MANY, {
        batch: posts.map(({ command: c, planned: p }, ord) => ({
          ord,
          id: p.id,
          from_role: c.from,
          to_address: c.to,
          type: c.type,
          subject: c.subject,
          content: c.content,
          metadata: p.metadata,
          priority: c.priority,
          recipients: p.recipients,
          in_reply_to: c.inReplyTo ?? null,
          idempotency_key: c.idempotencyKey ?? null,
          created_at: p.createdAt,
          lease_until: p.leaseUntil,
        })),
      }));
    } catch (error) {
      if (error instanceof DatabaseUnavailableError) throw error;
      return Promise.allSettled(posts.map(single));
    }
    const byId = new Map(rows.map((r) => [r.id as string, r]));
    return Promise.allSettled(
      posts.map(async (p) => {
        const row = byId.get(p.planned.id);
        return row ? insertedMessage(row) : single(p);
      }),
    );
  };
  const insert = batched(insertMany, MAX_BATCH);
  const complete = batched(async (calls: (readonly number[])[]) => {
    await store.completeFanOut(calls.flat());
    return calls.map(() => undefined);
  }, 1_000);
  return {
    ...store,
    async insertMessage(command, planned) {
      const result = await insert({ command, planned });
      if (result.status === 'rejected') throw result.reason;
      return result.value;
    },
    completeFanOut: async (ids) => {
      if (ids.length > 0) await complete(ids);
    },
  };
}
