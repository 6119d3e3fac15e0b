/**
 * The organization's SQL (decisions, votes, approvals, agents' health, memory, sessions), written
 * once for every driver. Arrays and objects travel as JSON.
 */
import type {
  AgentHealth,
  Decision,
  DecisionPatch,
  HumanApproval,
  LlmSession,
  Memory,
  NewDecision,
  StoredVote,
} from '../../core/decision-types.ts';
import type { JsonObject } from '../../core/messages.ts';
import type { Role } from '../../core/roles.ts';
import { DEGRADED_AFTER, type DecisionQuery } from '../../core/store.ts';
import type { Row, SqlExecutor } from './port.ts';
import { iso, isoOrNull, numOrNull } from './rows.ts';

export function rowToDecision(r: Row): Decision {
  return {
    id: r.id as string,
    parentId: (r.parent_id as string | null) ?? null,
    type: r.type as string,
    category: (r.category as string | null) ?? null,
    domain: (r.domain as string | null) ?? null,
    mode: r.mode as Decision['mode'],
    status: r.status as Decision['status'],
    owner: (r.owner as Role | null) ?? null,
    initiator: r.initiator as Decision['initiator'],
    title: r.title as string,
    budgetUsd: numOrNull(r.budget_usd),
    confidence: numOrNull(r.confidence),
    reason: (r.reason as string | null) ?? null,
    participants: (r.participants as Role[]) ?? [],
    consensusScore: numOrNull(r.consensus_score),
    outcome: (r.outcome as JsonObject | null) ?? null,
    context: (r.context as JsonObject) ?? {},
    messageId: (r.message_id as string | null) ?? null,
    broadcastId: (r.broadcast_id as string | null) ?? null,
    purposeKey: (r.purpose_key as string | null) ?? null,
    vendorKey: (r.vendor_key as string | null) ?? null,
    deadlineAt: isoOrNull(r.deadline_at),
    version: r.version as number,
    createdAt: iso(r.created_at),
    completedAt: isoOrNull(r.completed_at),
  };
}

function rowToApproval(r: Row): HumanApproval {
  return {
    id: r.id as string,
    decisionId: r.decision_id as string,
    status: r.status as HumanApproval['status'],
    reason: r.reason as string,
    principal: (r.principal as string | null) ?? null,
    resolution: (r.resolution as string | null) ?? null,
    createdAt: iso(r.created_at),
    resolvedAt: isoOrNull(r.resolved_at),
  };
}

export function rowToVote(r: Row): StoredVote {
  return {
    voter: r.voter as Role,
    vote: r.vote as StoredVote['vote'],
    confidence: Number(r.confidence),
    rationale: r.rationale as string,
    castAt: iso(r.cast_at),
  };
}

function rowToMemory(r: Row): Memory {
  return {
    key: r.key as string,
    content: r.content as string,
    tags: r.tags as string[],
    author: r.author as Memory['author'],
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

function rowToSession(r: Row): LlmSession {
  return {
    id: r.id as string,
    role: r.role as Role,
    turns: r.turns as LlmSession['turns'],
    tokensUsed: r.tokens_used as number,
    createdAt: iso(r.created_at),
    lastUsedAt: iso(r.last_used_at),
    expiresAt: iso(r.expires_at),
  };
}

const lock = (options?: { lock?: boolean }) => (options?.lock ? ' FOR UPDATE' : '');

export function orgTxStatements(db: SqlExecutor) {
  return {
    async insertDecision(d: NewDecision): Promise<Decision> {
      const { rows } = await db.query(
        `INSERT INTO decisions (id, parent_id, type, category, domain, mode, status, owner, initiator, title, budget_usd,
                                confidence, reason, participants, context, message_id, broadcast_id, purpose_key, vendor_key,
                                deadline_at, created_at, completed_at)
         VALUES (:id::uuid, :parentId::uuid, :type, :category, :domain, :mode, :status, :owner, :initiator, :title,
                 :budgetUsd::numeric, :confidence, :reason, :participants::jsonb, :context::jsonb, :messageId::uuid,
                 :broadcastId::uuid, :purposeKey, :vendorKey, :deadlineAt::timestamptz, :createdAt::timestamptz,
                 CASE WHEN :status IN ('approved', 'rejected', 'expired') THEN :createdAt::timestamptz END)
         RETURNING *`,
        {
          id: d.id,
          parentId: d.parentId ?? null,
          type: d.type,
          category: d.category ?? null,
          domain: d.domain ?? null,
          mode: d.mode,
          status: d.status,
          owner: d.owner ?? null,
          initiator: d.initiator,
          title: d.title,
          budgetUsd: d.budgetUsd ?? null,
          confidence: d.confidence ?? null,
          reason: d.reason ?? null,
          participants: d.participants ?? [],
          context: d.context ?? {},
          messageId: d.messageId ?? null,
          broadcastId: d.broadcastId ?? null,
          purposeKey: d.purposeKey ?? null,
          vendorKey: d.vendorKey ?? null,
          deadlineAt: d.deadlineAt ?? null,
          createdAt: d.createdAt,
        },
      );
      return rowToDecision(rows[0]!);
    },

    async getDecision(id: string, options?: { lock?: boolean }) {
      const { rows } = await db.query(`SELECT * FROM decisions WHERE id = :id::uuid${lock(options)}`, { id });
      return rows[0] ? rowToDecision(rows[0]) : undefined;
    },

    async updateDecision(id: string, expectVersion: number, patch: DecisionPatch) {
      const sets: string[] = ['version = version + 1'];
      const params: Record<string, unknown> = { id, expectVersion };
      const add = (column: string, key: keyof DecisionPatch, cast = '') => {
        if (patch[key] === undefined) return;
        sets.push(`${column} = :${key}${cast}`);
        params[key] = patch[key];
      };
      add('status', 'status');
      add('mode', 'mode');
      add('reason', 'reason');
      add('owner', 'owner');
      add('participants', 'participants', '::jsonb');
      add('consensus_score', 'consensusScore');
      add('outcome', 'outcome', '::jsonb');
      add('context', 'context', '::jsonb');
      add('completed_at', 'completedAt', '::timestamptz');
      const { rows } = await db.query(
        `UPDATE decisions SET ${sets.join(', ')} WHERE id = :id::uuid AND version = :expectVersion RETURNING *`,
        params as never,
      );
      return rows[0] ? rowToDecision(rows[0]) : undefined;
    },

    async decisionChain(id: string) {
      const { rows } = await db.query(
        `WITH RECURSIVE up AS (
           SELECT d.*, 0 AS depth FROM decisions d WHERE d.id = :id::uuid
           UNION ALL SELECT p.*, up.depth - 1 FROM decisions p JOIN up ON p.id = up.parent_id
         ), down AS (
           SELECT d.*, 0 AS depth FROM decisions d WHERE d.id = :id::uuid
           UNION ALL SELECT c.*, down.depth + 1 FROM decisions c JOIN down ON c.parent_id = down.id
         )
         SELECT * FROM (SELECT * FROM up UNION SELECT * FROM down) chain ORDER BY depth, created_at`,
        { id },
      );
      return rows.map(rowToDecision);
    },

    async priorApprovals(q: {
      owner: Role;
      purposeKey: string;
      vendorKey: string | null;
      since: Date;
      excludeId: string;
    }) {
      // One role's budget decisions take turns: two parts of one split budget judged at once would
      // each see the other missing from the sum.
      await db.query(`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext('echo-budget:' || :owner))`, {
        owner: q.owner,
      });
      const { rows } = await db.query(
        `SELECT id, budget_usd FROM decisions
         WHERE owner = :owner AND status = 'approved' AND mode <> 'human' AND budget_usd > 0 AND id <> :excludeId::uuid
           AND COALESCE(completed_at, created_at) >= :since::timestamptz
           AND (purpose_key = :purposeKey OR (:vendorKey::text IS NOT NULL AND vendor_key = :vendorKey::text))
         ORDER BY created_at, id`,
        q,
      );
      return rows.map((r) => ({ id: r.id as string, budgetUsd: Number(r.budget_usd) }));
    },

    async findDecisionByBroadcast(broadcastId: string, options?: { lock?: boolean }) {
      const { rows } = await db.query(
        `SELECT * FROM decisions WHERE broadcast_id = :id::uuid ORDER BY created_at LIMIT 1${lock(options)}`,
        { id: broadcastId },
      );
      return rows[0] ? rowToDecision(rows[0]) : undefined;
    },

    async upsertVote(decisionId: string, v: StoredVote) {
      await db.query(
        `INSERT INTO decision_votes (decision_id, voter, vote, confidence, rationale, cast_at)
         VALUES (:decisionId::uuid, :voter, :vote, :confidence, :rationale, :castAt::timestamptz)
         ON CONFLICT (decision_id, voter) DO UPDATE
           SET vote = EXCLUDED.vote, confidence = EXCLUDED.confidence, rationale = EXCLUDED.rationale, cast_at = EXCLUDED.cast_at`,
        {
          decisionId,
          voter: v.voter,
          vote: v.vote,
          confidence: v.confidence,
          rationale: v.rationale,
          castAt: new Date(v.castAt),
        },
      );
    },

    async listVotes(decisionId: string) {
      const { rows } = await db.query(
        `SELECT * FROM decision_votes WHERE decision_id = :id::uuid ORDER BY cast_at, voter`,
        {
          id: decisionId,
        },
      );
      return rows.map(rowToVote);
    },

    async insertApproval(a: { id: string; decisionId: string; reason: string; now: Date }) {
      const { rows } = await db.query(
        `INSERT INTO human_approvals (id, decision_id, reason, created_at)
         VALUES (:id::uuid, :decisionId::uuid, :reason, :now::timestamptz) RETURNING *`,
        a,
      );
      return rowToApproval(rows[0]!);
    },

    async getApproval(idOrDecisionId: string, options?: { lock?: boolean }) {
      const { rows } = await db.query(
        `SELECT * FROM human_approvals WHERE id = :id::uuid OR decision_id = :id::uuid LIMIT 1${lock(options)}`,
        { id: idOrDecisionId },
      );
      return rows[0] ? rowToApproval(rows[0]) : undefined;
    },

    async resolveApproval(
      id: string,
      r: { status: 'approved' | 'rejected' | 'withdrawn'; principal: string; resolution: string; now: Date },
    ) {
      const { rows } = await db.query(
        `UPDATE human_approvals SET status = :status, principal = :principal, resolution = :resolution,
                resolved_at = :now::timestamptz
         WHERE id = :id::uuid AND status = 'pending' RETURNING *`,
        { id, ...r },
      );
      return rows[0] ? rowToApproval(rows[0]) : undefined;
    },

    async putMemory(m: { key: string; content: string; tags: string[]; author: string; now: Date }) {
      const { rows } = await db.query(
        `INSERT INTO memories (key, content, tags, author, created_at, updated_at)
         VALUES (:key, :content, :tags::jsonb, :author, :now::timestamptz, :now::timestamptz)
         ON CONFLICT (key) DO UPDATE SET content = EXCLUDED.content, tags = EXCLUDED.tags, author = EXCLUDED.author,
                                         updated_at = EXCLUDED.updated_at
         RETURNING *`,
        m,
      );
      return rowToMemory(rows[0]!);
    },

    async findMemories(q: { key?: string; tags?: string[]; limit: number }) {
      const where: string[] = [];
      if (q.key) where.push(`key = :key`);
      if (q.tags?.length) where.push(`tags @> :tags::jsonb`);
      const { rows } = await db.query(
        `SELECT * FROM memories ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY updated_at DESC LIMIT :limit`,
        { key: q.key, tags: q.tags ?? [], limit: q.limit },
      );
      return rows.map(rowToMemory);
    },

    async recall(q: { role: Role; terms: string[]; limit: number }) {
      const terms = q.terms.filter((t) => /^[\p{L}\p{N}]+$/u.test(t));
      if (terms.length === 0) return { memories: [], decisions: [] };
      const query = terms.join(' | ');
      const memories = await db.query(
        `SELECT * FROM memories
         WHERE to_tsvector('english', key || ' ' || content) @@ to_tsquery('english', :query)
         ORDER BY ts_rank(to_tsvector('english', key || ' ' || content), to_tsquery('english', :query)) DESC,
                  updated_at DESC
         LIMIT :limit`,
        { query, limit: q.limit },
      );
      const decisions = await db.query(
        `SELECT * FROM decisions
         WHERE owner = :role AND status IN ('approved', 'rejected')
           AND to_tsvector('english', title || ' ' || coalesce(reason, '')) @@ to_tsquery('english', :query)
         ORDER BY ts_rank(to_tsvector('english', title || ' ' || coalesce(reason, '')), to_tsquery('english', :query)) DESC,
                  created_at DESC
         LIMIT :limit`,
        { role: q.role, query, limit: q.limit },
      );
      return { memories: memories.rows.map(rowToMemory), decisions: decisions.rows.map(rowToDecision) };
    },

    async verdictsOn(broadcastId: string) {
      await db.query(`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext('echo-broadcast:' || :id))`, {
        id: broadcastId,
      });
      const { rows } = await db.query(
        `SELECT from_role, content->>'join' AS joined FROM messages
         WHERE in_reply_to = :id::uuid AND type = 'participation'`,
        { id: broadcastId },
      );
      return rows.map((r) => ({ role: r.from_role as Role, join: r.joined === 'true' }));
    },

    async getSession(id: string) {
      const { rows } = await db.query(`SELECT * FROM llm_sessions WHERE id = :id::uuid`, { id });
      return rows[0] ? rowToSession(rows[0]) : undefined;
    },

    async agentHealth(): Promise<AgentHealth[]> {
      const { rows } = await db.query(`SELECT * FROM agents ORDER BY role`);
      return rows.map((r) => ({
        role: r.role as Role,
        status: r.status as AgentHealth['status'],
        consecutiveFailures: r.consecutive_failures as number,
        runs: Number(r.runs),
        failures: Number(r.failures),
        lastSeenAt: iso(r.last_seen_at),
        lastOutcome: r.last_outcome as AgentHealth['lastOutcome'],
        lastError: (r.last_error as string | null) ?? null,
      }));
    },

    async saveSession(s: LlmSession) {
      await db.query(
        `INSERT INTO llm_sessions (id, role, turns, tokens_used, created_at, last_used_at, expires_at)
         VALUES (:id::uuid, :role, :turns::jsonb, :tokensUsed, :createdAt::timestamptz, :lastUsedAt::timestamptz,
                 :expiresAt::timestamptz)
         ON CONFLICT (id) DO UPDATE SET turns = EXCLUDED.turns, tokens_used = EXCLUDED.tokens_used,
                                        last_used_at = EXCLUDED.last_used_at, expires_at = EXCLUDED.expires_at`,
        {
          id: s.id,
          role: s.role,
          turns: s.turns,
          tokensUsed: s.tokensUsed,
          createdAt: new Date(s.createdAt),
          lastUsedAt: new Date(s.lastUsedAt),
          expiresAt: new Date(s.expiresAt),
        },
      );
    },
  };
}

/** Agent health, in the same transaction as the run it records. */
export async function upsertAgentHealth(
  db: SqlExecutor,
  a: { role: Role; outcome: 'processed' | 'duplicate' | 'failed'; error?: string | undefined; now: Date },
) {
  await db.query(
    `INSERT INTO agents (role, status, consecutive_failures, runs, failures, last_seen_at, last_outcome, last_error)
     VALUES (:role, CASE WHEN :failed AND 1 >= :threshold THEN 'degraded' ELSE 'healthy' END,
             CASE WHEN :failed THEN 1 ELSE 0 END, 1, CASE WHEN :failed THEN 1 ELSE 0 END, :now::timestamptz, :outcome, :error)
     ON CONFLICT (role) DO UPDATE SET
       consecutive_failures = CASE WHEN :failed THEN agents.consecutive_failures + 1 ELSE 0 END,
       status = CASE WHEN :failed AND agents.consecutive_failures + 1 >= :threshold THEN 'degraded'
                     WHEN :failed THEN agents.status ELSE 'healthy' END,
       runs = agents.runs + 1,
       failures = agents.failures + CASE WHEN :failed THEN 1 ELSE 0 END,
       last_seen_at = EXCLUDED.last_seen_at, last_outcome = EXCLUDED.last_outcome, last_error = EXCLUDED.last_error`,
    {
      role: a.role,
      failed: a.outcome === 'failed',
      threshold: DEGRADED_AFTER,
      outcome: a.outcome,
      error: a.error ?? null,
      now: a.now,
    },
  );
}

export function orgQueries(db: SqlExecutor) {
  return {
    async listDecisions(q: DecisionQuery) {
      const where: string[] = [];
      if (q.status) where.push('status = :status');
      if (q.owner) where.push('owner = :owner');
      const { rows } = await db.query(
        `SELECT * FROM decisions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT :limit`,
        { status: q.status, owner: q.owner, limit: q.limit },
      );
      return rows.map(rowToDecision);
    },

    async listApprovals(status: HumanApproval['status'] | undefined, limit: number) {
      const { rows } = await db.query(
        `SELECT * FROM human_approvals ${status ? 'WHERE status = :status' : ''} ORDER BY created_at DESC, id DESC LIMIT :limit`,
        { status, limit },
      );
      return rows.map(rowToApproval);
    },

    async dueDecisions(now: Date, limit: number) {
      const { rows } = await db.query(
        `SELECT * FROM decisions WHERE status = 'voting' AND deadline_at <= :now::timestamptz ORDER BY deadline_at LIMIT :limit`,
        { now, limit },
      );
      return rows.map(rowToDecision);
    },
  };
}
