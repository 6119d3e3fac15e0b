/**
 * Model calls (`llm_calls`, migration 0005) written once for every driver: the record of each call,
 * the calls of a message or a decision with their totals, a decision's tokens for its budget, and
 * the decisions a message opened (what a trace led to).
 */
import { ValidationError } from '../../core/errors.ts';
import type { StopReason, ToolCall } from '../../core/llm.ts';
import type {
  LlmCall,
  LlmCallOutcome,
  LlmCallQuery,
  LlmCallRecord,
  LlmCallTotals,
} from '../../core/traces.ts';
import { rowToDecision } from './org.sql.ts';
import type { Row, SqlExecutor } from './port.ts';
import { iso, numOrNull } from './rows.ts';

export function rowToLlmCall(r: Row): LlmCall {
  return {
    id: r.id as string,
    at: iso(r.at),
    role: (r.role as string | null) ?? null,
    purpose: r.purpose as string,
    messageId: (r.message_id as string | null) ?? null,
    decisionId: (r.decision_id as string | null) ?? null,
    provider: r.provider as string,
    model: r.model as string,
    request: (r.request as Record<string, unknown> | null) ?? null,
    requestHash: (r.request_hash as string | null) ?? null,
    response: (r.response as string | null) ?? null,
    toolCalls: (r.tool_calls as ToolCall[]) ?? [],
    stopReason: (r.stop_reason as StopReason | null) ?? null,
    refusal: (r.refusal as string | null) ?? null,
    tokensIn: r.tokens_in as number,
    tokensOut: r.tokens_out as number,
    latencyMs: r.latency_ms as number,
    attempts: r.attempts as number,
    outcome: r.outcome as LlmCallOutcome,
    errorCode: (r.error_code as string | null) ?? null,
    error: (r.error as string | null) ?? null,
    costUsd: numOrNull(r.cost_usd),
  };
}

/** `message_id = :messageId AND decision_id = :decisionId`, for the ids given (at least one). */
function callFilter(q: Pick<LlmCallQuery, 'messageId' | 'decisionId'>): string {
  const where: string[] = [];
  if (q.messageId) where.push('message_id = :messageId::uuid');
  if (q.decisionId) where.push('decision_id = :decisionId::uuid');
  if (where.length === 0)
    throw new ValidationError('messageId', 'a message id or a decision id is required to read model calls');
  return where.join(' AND ');
}

export function traceQueries(db: SqlExecutor) {
  return {
    async recordLlmCall(c: LlmCallRecord): Promise<void> {
      await db.query(
        `INSERT INTO llm_calls (id, at, role, purpose, message_id, decision_id, provider, model, request, request_hash,
                                response, tool_calls, stop_reason, refusal, tokens_in, tokens_out, latency_ms, attempts,
                                outcome, error_code, error, cost_usd)
         VALUES (:id::uuid, :at::timestamptz, :role, :purpose, :messageId::uuid, :decisionId::uuid, :provider, :model,
                 :request::jsonb, :requestHash, :response, :toolCalls::jsonb, :stopReason, :refusal, :tokensIn, :tokensOut,
                 :latencyMs, :attempts, :outcome, :errorCode, :error, :costUsd::numeric)`,
        {
          id: c.id,
          at: c.at,
          role: c.role,
          purpose: c.purpose,
          messageId: c.messageId,
          decisionId: c.decisionId,
          provider: c.provider,
          model: c.model,
          request: c.request,
          requestHash: c.requestHash,
          response: c.response,
          toolCalls: c.toolCalls,
          stopReason: c.stopReason,
          refusal: c.refusal,
          tokensIn: c.tokensIn,
          tokensOut: c.tokensOut,
          latencyMs: c.latencyMs,
          attempts: c.attempts,
          outcome: c.outcome,
          errorCode: c.errorCode,
          error: c.error,
          // as text: the numeric column keeps exactly the 10 decimals the price table rounds to
          costUsd: c.costUsd === null ? null : c.costUsd.toFixed(10),
        },
      );
    },

    async llmCalls(q: LlmCallQuery): Promise<{ calls: LlmCall[]; totals: LlmCallTotals }> {
      const where = callFilter(q);
      const params = { messageId: q.messageId, decisionId: q.decisionId, limit: q.limit };
      const { rows } = await db.query(
        `SELECT * FROM llm_calls WHERE ${where} ORDER BY at, id LIMIT :limit`,
        params,
      );
      const sums = await db.query(
        `SELECT count(*)::int AS calls, coalesce(sum(tokens_in), 0)::bigint AS tokens_in,
                coalesce(sum(tokens_out), 0)::bigint AS tokens_out, coalesce(sum(cost_usd), 0) AS cost_usd,
                count(*) FILTER (WHERE cost_usd IS NULL)::int AS unpriced,
                count(*) FILTER (WHERE outcome = 'ok')::int AS ok,
                count(*) FILTER (WHERE outcome = 'refusal')::int AS refusal,
                count(*) FILTER (WHERE outcome = 'fallback')::int AS fallback,
                count(*) FILTER (WHERE outcome = 'error')::int AS error
         FROM llm_calls WHERE ${where}`,
        params,
      );
      const s = sums.rows[0]!;
      return {
        calls: rows.map(rowToLlmCall),
        totals: {
          calls: s.calls as number,
          tokensIn: Number(s.tokens_in),
          tokensOut: Number(s.tokens_out),
          costUsd: Number(s.cost_usd),
          unpricedCalls: s.unpriced as number,
          outcomes: {
            ok: s.ok as number,
            refusal: s.refusal as number,
            fallback: s.fallback as number,
            error: s.error as number,
          },
        },
      };
    },

    async decisionTokensUsed(decisionId: string): Promise<number> {
      const { rows } = await db.query(
        `SELECT coalesce(sum(tokens_in + tokens_out), 0)::bigint AS used FROM llm_calls WHERE decision_id = :id::uuid`,
        { id: decisionId },
      );
      return Number(rows[0]!.used);
    },

    async decisionsForMessage(messageId: string, limit: number) {
      const { rows } = await db.query(
        `SELECT * FROM decisions WHERE message_id = :id::uuid OR broadcast_id = :id::uuid
         ORDER BY created_at, id LIMIT :limit`,
        { id: messageId, limit },
      );
      return rows.map(rowToDecision);
    },
  };
}
