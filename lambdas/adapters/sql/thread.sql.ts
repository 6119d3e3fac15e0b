/**
 * The records of a conversation (core/thread.ts arranges them): the messages of the reply tree the
 * message belongs to, the decisions its messages opened with their escalations and votes, the
 * messages about those decisions with their own replies, and the model calls made for any of them.
 * Id lists travel as JSON (the Data API binds no arrays).
 */
import type { ThreadDecision, ThreadRecords, ThreadStore } from '../../core/thread.ts';
import { rowToDecision, rowToVote } from './org.sql.ts';
import type { SqlExecutor } from './port.ts';
import { qualified, rowToMessage } from './rows.ts';
import { rowToLlmCall } from './traces.sql.ts';

const idsIn = (param: string) => `ARRAY(SELECT value::uuid FROM jsonb_array_elements_text(:${param}::jsonb))`;
const textsIn = (param: string) => `ARRAY(SELECT jsonb_array_elements_text(:${param}::jsonb))`;
/** How deep a reply chain is followed: far more than any conversation, a stop for a corrupt one. */
const MAX_DEPTH = 1000;

export function threadQueries(db: SqlExecutor): ThreadStore {
  /** The messages answering any of `ids`, at any depth, with them; oldest first. */
  const replyTrees = async (ids: string[], limit: number) => {
    const { rows } = await db.query(
      `WITH RECURSIVE t AS (
         SELECT m.id, 0 AS depth FROM messages m WHERE m.id = ANY (${idsIn('ids')})
         UNION ALL
         SELECT c.id, t.depth + 1 FROM messages c JOIN t ON c.in_reply_to = t.id WHERE t.depth < ${MAX_DEPTH}
       )
       SELECT ${qualified('m')} FROM messages m WHERE m.id IN (SELECT id FROM t) ORDER BY m.seq LIMIT :limit`,
      { ids: JSON.stringify(ids), limit },
    );
    return rows.map(rowToMessage);
  };

  return {
    async threadRecords(messageId: string, limit: number): Promise<ThreadRecords | undefined> {
      const up = await db.query(
        `WITH RECURSIVE up AS (
           SELECT id, in_reply_to, 0 AS depth FROM messages WHERE id = :id::uuid
           UNION ALL
           SELECT m.id, m.in_reply_to, up.depth + 1 FROM messages m JOIN up ON m.id = up.in_reply_to
           WHERE up.depth < ${MAX_DEPTH}
         )
         SELECT id::text AS id FROM up ORDER BY depth DESC LIMIT 1`,
        { id: messageId },
      );
      const rootId = up.rows[0]?.id as string | undefined;
      if (!rootId) return undefined;
      const messages = await replyTrees([rootId], limit);
      let truncated = messages.length >= limit;

      const opened = await db.query(
        `WITH RECURSIVE d AS (
           SELECT * FROM decisions
           WHERE message_id = ANY (${idsIn('ids')}) OR broadcast_id = ANY (${idsIn('ids')})
           UNION ALL
           SELECT c.* FROM decisions c JOIN d ON c.parent_id = d.id
         )
         SELECT DISTINCT ON (id) * FROM d ORDER BY id LIMIT :limit`,
        { ids: JSON.stringify(messages.map((m) => m.id)), limit },
      );
      const decisions = opened.rows.map(rowToDecision);
      if (decisions.length >= limit) truncated = true;
      const decisionIds = JSON.stringify(decisions.map((d) => d.id));

      if (decisions.length > 0 && messages.length < limit) {
        // the messages about those decisions (votes asked and cast, escalations, outcomes), and their replies
        const about = await db.query(
          // Each side as its partial index (migration 0009) is written, so that the index answers it;
          // found first, then ordered (with the limit beside it, the planner would walk every message
          // in seq order, hoping to meet them early).
          `WITH about AS MATERIALIZED (
             SELECT id, seq FROM messages
             WHERE ((metadata->>'decisionId') IS NOT NULL AND (metadata->>'decisionId') = ANY (${textsIn('decisionIds')}))
                OR ((content->>'decisionId') IS NOT NULL AND (content->>'decisionId') = ANY (${textsIn('decisionIds')}))
           )
           SELECT id::text AS id FROM about ORDER BY seq LIMIT :limit`,
          { decisionIds, limit },
        );
        const known = new Set(messages.map((m) => m.id));
        const fresh = about.rows.map((r) => r.id as string).filter((id) => !known.has(id));
        if (fresh.length) {
          for (const m of await replyTrees(fresh, limit - messages.length))
            if (!known.has(m.id)) {
              known.add(m.id);
              messages.push(m);
            }
          if (messages.length >= limit) truncated = true;
        }
      }

      const votes = decisions.length
        ? await db.query(
            `SELECT * FROM decision_votes WHERE decision_id = ANY (${idsIn('decisionIds')}) ORDER BY cast_at, voter`,
            { decisionIds },
          )
        : { rows: [] };
      const withVotes: ThreadDecision[] = decisions.map((d) => ({
        ...d,
        votes: votes.rows.filter((v) => v.decision_id === d.id).map(rowToVote),
      }));

      const calls = await db.query(
        `SELECT * FROM llm_calls
         WHERE message_id = ANY (${idsIn('messageIds')}) OR decision_id = ANY (${idsIn('decisionIds')})
         ORDER BY at, id LIMIT :limit`,
        { messageIds: JSON.stringify(messages.map((m) => m.id)), decisionIds, limit },
      );
      if (calls.rows.length >= limit) truncated = true;
      return {
        rootId,
        messages,
        decisions: withVotes,
        calls: calls.rows.map(rowToLlmCall),
        truncated,
      };
    },
  };
}
