/**
 * The organization's recent activity, for its chart: messages between senders and recipient roles
 * (one per delivery) and escalation hops (from the owner of a decision to the owner of the hop it
 * escalated to, or to the human), counted since a time.
 */
import type { ActivityEdge, OrganizationActivity, OrganizationActivityStore } from '../../core/activity.ts';
import type { SqlExecutor } from './port.ts';

const edges = (rows: Record<string, unknown>[]): ActivityEdge[] =>
  rows.map((r) => ({ from: String(r.from_role), to: String(r.to_role), count: Number(r.n) }));

export function activityQueries(db: SqlExecutor): OrganizationActivityStore {
  return {
    async organizationActivity(since: Date): Promise<OrganizationActivity> {
      const [messages, hops, human] = await Promise.all([
        db.query(
          `SELECT m.from_role::text AS from_role, d.role::text AS to_role, count(*)::int AS n
           FROM messages m JOIN deliveries d ON d.message_id = m.id
           WHERE m.created_at >= :since::timestamptz AND m.from_role::text <> d.role::text
           GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2`,
          { since },
        ),
        db.query(
          `SELECT p.owner::text AS from_role, c.owner::text AS to_role, count(*)::int AS n
           FROM decisions c JOIN decisions p ON p.id = c.parent_id
           WHERE c.created_at >= :since::timestamptz AND p.owner IS NOT NULL AND c.owner IS NOT NULL
           GROUP BY 1, 2 ORDER BY 1, 2`,
          { since },
        ),
        db.query(
          `SELECT owner::text AS from_role, 'human' AS to_role, count(*)::int AS n
           FROM decisions WHERE status = 'awaiting_human' AND owner IS NOT NULL
           GROUP BY 1 ORDER BY 1`,
        ),
      ]);
      return {
        since: since.toISOString(),
        messages: edges(messages.rows),
        escalations: edges([...hops.rows, ...human.rows]),
      };
    },
  };
}
