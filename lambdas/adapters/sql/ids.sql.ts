/**
 * Ids a person typed: the rows whose id starts or ends with a fragment (hex, dashes ignored), or,
 * for messages, whose seq it is. Newest first; the caller says how many it lists.
 */
import type { IdCandidate, IdKind, IdQuery, IdStore } from '../../core/ids.ts';
import { uuidText } from '../ids.ts';
import type { SqlExecutor } from './port.ts';
import { iso } from './rows.ts';

const TABLES: Record<IdKind, { table: string; label: string; order: string }> = {
  message: { table: 'messages', label: 'subject', order: 'seq DESC' },
  decision: { table: 'decisions', label: 'title', order: 'created_at DESC, id' },
  approval: { table: 'human_approvals', label: 'reason', order: 'created_at DESC, id' },
  'workflow run': { table: 'workflow_runs', label: 'name', order: 'created_at DESC, id' },
  'dead letter': { table: 'dead_letters', label: 'reason', order: 'seq DESC' },
};

/** An id's hex reversed in byte order: the expression of the `*_id_tail` indexes (migration 0009). */
const TAIL = `reverse(replace(id::text, '-', '')) COLLATE "C"`;

export function idQueries(db: SqlExecutor): IdStore {
  return {
    async findIds(kind: IdKind, q: IdQuery): Promise<IdCandidate[]> {
      const t = TABLES[kind];
      const where: string[] = [];
      // Both are ranges an index answers: a prefix, of the primary key; a suffix, of the reversed hex
      // (every hex digit sorts before 'g', so the ids ending in s are those from reverse(s) to reverse(s)+'g').
      if (q.prefix) where.push('id BETWEEN :low::uuid AND :high::uuid');
      if (q.suffix) where.push(`(${TAIL} >= :tail AND ${TAIL} < :tailEnd)`);
      if (q.seq !== undefined && kind === 'message') where.push('seq = :seq');
      if (where.length === 0) return [];
      const tail = q.suffix ? [...q.suffix].reverse().join('') : undefined;
      const { rows } = await db.query(
        `SELECT id::text AS id, ${kind === 'message' ? 'seq' : 'NULL::bigint AS seq'}, ${t.label} AS label, created_at
         FROM ${t.table} WHERE ${where.join(' OR ')} ORDER BY ${t.order} LIMIT :limit`,
        {
          low: q.prefix ? uuidText(q.prefix.padEnd(32, '0')) : undefined,
          high: q.prefix ? uuidText(q.prefix.padEnd(32, 'f')) : undefined,
          tail,
          tailEnd: tail === undefined ? undefined : `${tail}g`,
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
