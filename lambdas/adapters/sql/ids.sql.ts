/**
 * Ids a person typed: the rows whose id starts or ends with a fragment (hex, dashes ignored), or,
 * for messages, whose seq it is. Newest first; the caller says how many it lists.
 */
import type { IdCandidate, IdKind, IdQuery, IdStore } from '../../core/ids.ts';
import type { SqlExecutor } from './port.ts';
import { iso } from './rows.ts';

const TABLES: Record<IdKind, { table: string; label: string; order: string }> = {
  message: { table: 'messages', label: 'subject', order: 'seq DESC' },
  decision: { table: 'decisions', label: 'title', order: 'created_at DESC, id' },
  approval: { table: 'human_approvals', label: 'reason', order: 'created_at DESC, id' },
  'workflow run': { table: 'workflow_runs', label: 'name', order: 'created_at DESC, id' },
  'dead letter': { table: 'dead_letters', label: 'reason', order: 'seq DESC' },
};

export function idQueries(db: SqlExecutor): IdStore {
  return {
    async findIds(kind: IdKind, q: IdQuery): Promise<IdCandidate[]> {
      const t = TABLES[kind];
      const where: string[] = [];
      if (q.prefix) where.push(`replace(id::text, '-', '') LIKE :prefix`);
      if (q.suffix) where.push(`replace(id::text, '-', '') LIKE :suffix`);
      if (q.seq !== undefined && kind === 'message') where.push('seq = :seq');
      if (where.length === 0) return [];
      const { rows } = await db.query(
        `SELECT id::text AS id, ${kind === 'message' ? 'seq' : 'NULL::bigint AS seq'}, ${t.label} AS label, created_at
         FROM ${t.table} WHERE ${where.join(' OR ')} ORDER BY ${t.order} LIMIT :limit`,
        {
          prefix: q.prefix ? `${q.prefix}%` : undefined,
          suffix: q.suffix ? `%${q.suffix}` : undefined,
          seq: q.seq,
          limit: q.limit,
        },
      );
      return rows.map((r) => ({
        id: r.id as string,
        ...(r.seq == null ? {} : { seq: Number(r.seq) }),
        label: String(r.label ?? '').slice(0, 80),
        createdAt: iso(r.created_at),
      }));
    },
  };
}
