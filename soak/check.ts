/**
 * The reliability checker: given what producers posted (by idempotency key, with the id of each post
 * that was acknowledged) and, optionally, what the agents' handlers applied as recorded by a wrapper,
 * it reads the database (messages, deliveries, agent activity, replies, the outbox, dead letters) and
 * counts what DESIGN.md §1 forbids:
 *
 *   lost        an acknowledged post that is not committed (or committed under another id); a processed
 *               delivery whose effect is missing (no reply where one is due, no recorded application)
 *   duplicated  a key committed twice; a delivery applied more than once (activity `processed` rows,
 *               replies from that role, or distinct recorded applications above one)
 *   stuck       a delivery still pending, or an outbox row still unpublished, once the system is quiet
 *
 * Pending deliveries, repeated applications and recorded applications are checked for every delivery
 * in the database (the posts and what the agents posted in turn: answers, escalations, votes);
 * acknowledgements and answers for the posts given.
 *
 * All three must be zero. Used by the soak (soak/run.ts) and by the fault tests (test/faults/).
 */
import type { SqlClient } from '../lambdas/adapters/sql/port.ts';
import type { MessageType } from '../lambdas/core/messages.ts';

export interface CheckInput {
  sql: SqlClient;
  /** Every post a producer made, by idempotency key: the acknowledged message id, or undefined if none. */
  posts: ReadonlyMap<string, string | undefined>;
  /**
   * What the handlers applied, as their wrapper recorded it (committed applications only): for
   * `${messageId}/${role}`, the distinct ids of the applications. Absent: not checked. Present: every
   * processed delivery in the database must have exactly one.
   */
  applied?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Whether every recipient must answer a message of this type (default: request and broadcast). */
  replyExpected?: (type: MessageType) => boolean;
}

export interface CheckReport {
  posted: number;
  acknowledged: number;
  committed: number;
  /** Committed but never acknowledged (a producer gave up, or its connection died before the answer). */
  committedUnacknowledged: number;
  lost: number;
  duplicated: number;
  stuck: number;
  /** The posts' deliveries. */
  deliveries: { total: number; processed: number; pending: number; retried: number };
  /** Every delivery in the database (the posts' and those of what the agents posted in turn). */
  allDeliveries: { total: number; processed: number; pending: number };
  replies: number;
  outboxPending: number;
  /** Dead letters by source (bus: a delivery that failed every attempt and was left to catch-up). */
  deadLetters: Record<string, number>;
  /** Deliveries that were dead-lettered and then processed by catch-up. */
  recoveredFromDeadLetter: number;
  /** The first problems found, named (at most 20). */
  problems: string[];
}

const defaultReplyExpected = (type: MessageType) => type === 'request' || type === 'broadcast';

export async function checkReliability(input: CheckInput): Promise<CheckReport> {
  const { sql, posts } = input;
  const replyExpected = input.replyExpected ?? defaultReplyExpected;
  const problems: string[] = [];
  const problem = (text: string) => {
    if (problems.length < 20) problems.push(text);
  };
  let lost = 0;
  let duplicated = 0;
  let stuck = 0;

  const keys = [...posts.keys()];
  const { rows: messages } = await sql.query<{
    id: string;
    idempotency_key: string;
    type: MessageType;
    recipients: string[];
  }>(
    `SELECT id, idempotency_key, type, recipients FROM messages
     WHERE idempotency_key IN (SELECT jsonb_array_elements_text(:keys::jsonb))`,
    { keys: JSON.stringify(keys) },
  );
  const byKey = new Map<string, (typeof messages)[number][]>();
  for (const m of messages) byKey.set(m.idempotency_key, [...(byKey.get(m.idempotency_key) ?? []), m]);

  let acknowledged = 0;
  let committedUnacknowledged = 0;
  for (const [key, ackId] of posts) {
    const found = byKey.get(key) ?? [];
    if (found.length > 1) {
      duplicated += found.length - 1;
      problem(`key ${key}: committed ${found.length} times`);
    }
    if (ackId === undefined) {
      if (found.length) committedUnacknowledged++;
      continue;
    }
    acknowledged++;
    if (!found.some((m) => m.id === ackId)) {
      lost++;
      problem(`key ${key}: acknowledged as ${ackId} but not committed`);
    }
  }

  const ids = JSON.stringify(messages.map((m) => m.id));
  const inIds = (column: string) =>
    `${column} IN (SELECT value::uuid FROM jsonb_array_elements_text(:ids::jsonb))`;
  const checked = new Set(messages.map((m) => m.id));
  const [deliveries, activity, replies, outbox, outboxAll, dead] = await Promise.all([
    sql.query<{ message_id: string; role: string; status: string; attempts: number }>(
      'SELECT message_id, role, status, attempts FROM deliveries',
    ),
    sql.query<{ message_id: string; role: string; n: number }>(
      `SELECT message_id, role, count(*)::int AS n FROM agent_activity
       WHERE outcome = 'processed' GROUP BY message_id, role`,
    ),
    sql.query<{ in_reply_to: string; from_role: string; n: number }>(
      `SELECT in_reply_to, from_role, count(*)::int AS n FROM messages
       WHERE ${inIds('in_reply_to')} GROUP BY in_reply_to, from_role`,
      { ids },
    ),
    sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE ${inIds('message_id')}`, { ids }),
    sql.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox'),
    sql.query<{ source: string; reason: string; message_id: string | null }>(
      `SELECT source, reason, payload->'detail'->>'messageId' AS message_id FROM dead_letters`,
    ),
  ]);

  const activityOf = new Map(activity.rows.map((r) => [`${r.message_id}/${r.role}`, r.n]));
  const repliesOf = new Map(replies.rows.map((r) => [`${r.in_reply_to}/${r.from_role}`, r.n]));
  const typeOf = new Map(messages.map((m) => [m.id, m.type]));
  // a bus dead letter names its rule (`rule agent-senior-developer: ...`), hence the role
  const deadLettered = new Set(
    dead.rows.flatMap((d) => {
      const rule = /^rule agent-([a-z-]+):/.exec(d.reason)?.[1];
      return d.source === 'bus' && d.message_id && rule
        ? [`${d.message_id}/${rule.replaceAll('-', '_')}`]
        : [];
    }),
  );

  const mine = { total: 0, processed: 0, pending: 0, retried: 0 };
  const all = { total: 0, processed: 0, pending: 0 };
  let recoveredFromDeadLetter = 0;
  for (const d of deliveries.rows) {
    const id = `${d.message_id}/${d.role}`;
    const isPost = checked.has(d.message_id);
    all.total++;
    if (isPost) {
      mine.total++;
      if (d.attempts > 1) mine.retried++;
    }
    if (d.status !== 'processed') {
      all.pending++;
      if (isPost) mine.pending++;
      stuck++;
      problem(`delivery ${id}: still pending after ${d.attempts} attempts`);
      continue;
    }
    all.processed++;
    if (isPost) mine.processed++;
    if (deadLettered.has(id)) recoveredFromDeadLetter++;
    const runs = activityOf.get(id) ?? 0;
    if (runs > 1) {
      duplicated += runs - 1;
      problem(`delivery ${id}: processed ${runs} times (agent activity)`);
    } else if (runs === 0) {
      lost++;
      problem(`delivery ${id}: processed but no activity recorded`);
    }
    if (isPost && replyExpected(typeOf.get(d.message_id)!)) {
      const n = repliesOf.get(id) ?? 0;
      if (n > 1) {
        duplicated += n - 1;
        problem(`delivery ${id}: answered ${n} times`);
      } else if (n === 0) {
        lost++;
        problem(`delivery ${id}: processed but never answered`);
      }
    }
    if (input.applied) {
      const applications = input.applied.get(id)?.size ?? 0;
      if (applications > 1) {
        duplicated += applications - 1;
        problem(`delivery ${id}: applied ${applications} times (recorded by the handler wrapper)`);
      } else if (applications === 0) {
        lost++;
        problem(`delivery ${id}: processed but its application was never recorded`);
      }
    }
  }
  const deliveriesOf = new Map<string, number>();
  for (const d of deliveries.rows) deliveriesOf.set(d.message_id, (deliveriesOf.get(d.message_id) ?? 0) + 1);
  for (const m of messages) {
    const n = deliveriesOf.get(m.id) ?? 0;
    if (n !== m.recipients.length) {
      lost += Math.max(0, m.recipients.length - n);
      problem(`message ${m.id}: ${n} deliveries for ${m.recipients.length} recipients`);
    }
  }

  const outboxPending = outboxAll.rows[0]!.n;
  if (outboxPending > 0) {
    stuck += outboxPending;
    problem(`outbox: ${outboxPending} rows still unpublished (${outbox.rows[0]!.n} of the checked messages)`);
  }

  const deadLetters: Record<string, number> = {};
  for (const d of dead.rows) deadLetters[d.source] = (deadLetters[d.source] ?? 0) + 1;

  return {
    posted: posts.size,
    acknowledged,
    committed: byKey.size,
    committedUnacknowledged,
    lost,
    duplicated,
    stuck,
    deliveries: mine,
    allDeliveries: all,
    replies: replies.rows.reduce((n, r) => n + r.n, 0),
    outboxPending,
    deadLetters,
    recoveredFromDeadLetter,
    problems,
  };
}
