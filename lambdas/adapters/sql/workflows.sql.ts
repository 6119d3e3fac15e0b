/** The workflows' SQL (runs and their waits), written once for every driver. */
import type {
  RunQuery,
  WaitKind,
  WorkflowRun,
  WorkflowStore,
  WorkflowStoreTx,
  WorkflowWait,
} from '../../core/workflows/types.ts';
import { rowToDecision } from './org.sql.ts';
import type { Row, SqlExecutor } from './port.ts';
import { iso, isoOrNull, MESSAGE_COLUMNS, rowToMessage } from './rows.ts';

function rowToRun(r: Row): WorkflowRun {
  return {
    id: r.id as string,
    name: r.name as string,
    status: r.status as WorkflowRun['status'],
    steps: r.steps as WorkflowRun['steps'],
    context: r.context as WorkflowRun['context'],
    version: r.version as number,
    deadlineAt: isoOrNull(r.deadline_at),
    error: (r.error as string | null) ?? null,
    idempotencyKey: (r.idempotency_key as string | null) ?? null,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    completedAt: isoOrNull(r.completed_at),
  };
}

function rowToWait(r: Row): WorkflowWait {
  return {
    kind: r.kind as WaitKind,
    target: r.target as string,
    runId: r.run_id as string,
    step: r.step as string,
    human: r.human as boolean,
    deadlineAt: isoOrNull(r.deadline_at),
    createdAt: iso(r.created_at),
  };
}

export function workflowTxStatements(db: SqlExecutor): WorkflowStoreTx {
  return {
    async insertRun(run) {
      const { rows } = await db.query(
        `INSERT INTO workflow_runs (id, name, status, steps, context, deadline_at, idempotency_key, created_at, updated_at)
         VALUES (:id::uuid, :name, 'running', '{}'::jsonb, :context::jsonb, :deadlineAt::timestamptz, :idempotencyKey,
                 :now::timestamptz, :now::timestamptz)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`,
        run,
      );
      if (rows[0]) return { run: rowToRun(rows[0]), created: true };
      const existing = await db.query('SELECT * FROM workflow_runs WHERE idempotency_key = :key', {
        key: run.idempotencyKey,
      });
      return { run: rowToRun(existing.rows[0]!), created: false };
    },

    async getRun(id) {
      const { rows } = await db.query('SELECT * FROM workflow_runs WHERE id = :id::uuid', { id });
      return rows[0] ? rowToRun(rows[0]) : undefined;
    },

    async updateRun(id, expectVersion, p) {
      const { rows } = await db.query(
        `UPDATE workflow_runs SET status = :status, steps = :steps::jsonb, context = :context::jsonb, error = :error,
                updated_at = :updatedAt::timestamptz, completed_at = :completedAt::timestamptz, version = version + 1
         WHERE id = :id::uuid AND version = :expectVersion RETURNING *`,
        { id, expectVersion, ...p },
      );
      return rows[0] ? rowToRun(rows[0]) : undefined;
    },

    async addWait(w) {
      await db.query(
        `INSERT INTO workflow_waits (kind, target, run_id, step, human, deadline_at, created_at)
         VALUES (:kind, :target::uuid, :runId::uuid, :step, :human, :deadlineAt::timestamptz, :now::timestamptz)`,
        w,
      );
    },

    async getWait(kind, target, options) {
      const { rows } = await db.query(
        `SELECT * FROM workflow_waits WHERE kind = :kind AND target = :target::uuid${options?.lock ? ' FOR UPDATE' : ''}`,
        { kind, target },
      );
      return rows[0] ? rowToWait(rows[0]) : undefined;
    },

    async deleteWait(kind, target) {
      const { rowCount } = await db.query(
        'DELETE FROM workflow_waits WHERE kind = :kind AND target = :target::uuid',
        { kind, target },
      );
      return rowCount > 0;
    },

    async deleteRunWaits(runId) {
      await db.query('DELETE FROM workflow_waits WHERE run_id = :runId::uuid', { runId });
    },

    async markWaitHuman(kind, target) {
      await db.query('UPDATE workflow_waits SET human = true WHERE kind = :kind AND target = :target::uuid', {
        kind,
        target,
      });
    },

    async findReply(requestId) {
      const { rows } = await db.query(
        `SELECT ${MESSAGE_COLUMNS} FROM messages
         WHERE in_reply_to = :id::uuid AND type IN ('response', 'error') ORDER BY seq LIMIT 1`,
        { id: requestId },
      );
      return rows[0] ? rowToMessage(rows[0]) : undefined;
    },

    async findChildDecision(parentId) {
      const { rows } = await db.query(
        'SELECT * FROM decisions WHERE parent_id = :id::uuid ORDER BY created_at DESC, id LIMIT 1',
        { id: parentId },
      );
      return rows[0] ? rowToDecision(rows[0]) : undefined;
    },
  };
}

export function workflowQueries(db: SqlExecutor): WorkflowStore {
  return {
    async listRuns(q: RunQuery) {
      const where: string[] = [];
      if (q.status) where.push('status = :status');
      if (q.name) where.push('name = :name');
      const { rows } = await db.query(
        `SELECT * FROM workflow_runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY created_at DESC, id DESC LIMIT :limit`,
        { status: q.status, name: q.name, limit: q.limit },
      );
      return rows.map(rowToRun);
    },

    async dueWaits(now, limit) {
      const { rows } = await db.query(
        `SELECT * FROM workflow_waits WHERE deadline_at <= :now::timestamptz ORDER BY deadline_at LIMIT :limit`,
        { now, limit },
      );
      return rows.map(rowToWait);
    },

    async dueRuns(now, limit) {
      const { rows } = await db.query(
        `SELECT * FROM workflow_runs WHERE status IN ('running', 'paused') AND deadline_at <= :now::timestamptz
         ORDER BY deadline_at LIMIT :limit`,
        { now, limit },
      );
      return rows.map(rowToRun);
    },

    async settledWaits(limit) {
      const { rows } = await db.query(
        `SELECT w.* FROM workflow_waits w
         WHERE (w.kind = 'reply' AND EXISTS (
                  SELECT 1 FROM messages m WHERE m.in_reply_to = w.target AND m.type IN ('response', 'error')))
            OR (w.kind = 'decision' AND EXISTS (
                  SELECT 1 FROM decisions d WHERE d.id = w.target
                     AND (d.completed_at IS NOT NULL OR d.status = 'escalated'
                          OR (d.status = 'awaiting_human' AND NOT w.human))))
         ORDER BY w.created_at LIMIT :limit`,
        { limit },
      );
      return rows.map(rowToWait);
    },
  };
}
