/**
 * The SQL port on PGlite (PostgreSQL in WebAssembly, in-process). PGlite is one session: every
 * statement and every transaction goes through one queue, so a statement from outside waits until
 * an open transaction ends instead of running inside it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { PGlite, types } from '@electric-sql/pglite';
import { SqlError } from '../../core/errors.ts';
import { pgTypes, textParser } from './pg-types.ts';
import {
  ACTIVE_SQL_TRANSACTION,
  type QueryResult,
  type Row,
  type SqlClient,
  type SqlParams,
} from './port.ts';
import { bindTyped, type Exec, serialQueue, sessionTransaction, toSqlFailure, typeParams } from './shared.ts';

export interface PgliteOptions {
  /** A directory to keep the database in; in memory when absent. */
  dataDir?: string;
}

/** The port on PGlite, and a way onto its one session for the local RDS Data API. */
export interface PgliteClient extends SqlClient {
  readonly driver: 'pglite';
  /**
   * Runs `fn` on the session, queued like a transaction: no statement of the port's interleaves with
   * it. The session must be left as found (no transaction open, no setting changed).
   */
  exclusive<T>(fn: (db: PGlite) => Promise<T>): Promise<T>;
}

// Every type PGlite would parse itself, and every type of the port's table, parsed the port's way.
const oids = new Set([
  ...Object.keys(types.parsers).map(Number).filter(Number.isInteger),
  ...pgTypes.flatMap((t) => [t.oid, t.arrayOid]),
]);
const parsers = Object.fromEntries([...oids].map((oid) => [oid, textParser(oid)]));

export function openPglite(options: PgliteOptions = {}): PgliteClient {
  const db = new PGlite({ dataDir: options.dataDir, parsers });
  const ready = db.waitReady.then(() => db.exec("SET TIME ZONE 'UTC'"));
  ready.catch(() => undefined); // reported by the first statement
  const queue = serialQueue();
  const inTransaction = new AsyncLocalStorage<{ open: boolean }>();

  const exec: Exec = async (sql, params) => {
    const { text, values } = bindTyped(sql, typeParams(params));
    try {
      await ready;
      const r = await db.query<Row>(text, values, { parsers });
      return { rows: r.rows, rowCount: r.rowCount ?? r.affectedRows ?? r.rows.length, command: r.command };
    } catch (error) {
      throw toSqlFailure(error);
    }
  };
  // A statement sent through the client from inside a transaction would wait for the
  // transaction forever: refuse it (SQLSTATE 25001, active_sql_transaction).
  const outside = () => {
    if (inTransaction.getStore()?.open) {
      throw new SqlError(
        'inside transaction(), run statements through its tx executor, not the client',
        ACTIVE_SQL_TRANSACTION,
      );
    }
  };

  return {
    driver: 'pglite',
    async query<R = Row>(sql: string, params?: SqlParams): Promise<QueryResult<R>> {
      outside();
      const { rows, rowCount } = await queue(() => exec(sql, params));
      return { rows: rows as R[], rowCount };
    },
    async transaction(fn) {
      outside();
      return queue(() => {
        const scope = { open: true };
        return inTransaction.run(scope, () =>
          sessionTransaction(exec, fn).finally(() => (scope.open = false)),
        );
      });
    },
    async exclusive(fn) {
      outside();
      return queue(async () => {
        await ready;
        return fn(db);
      });
    },
    async close() {
      await queue(() => db.close());
    },
  };
}
