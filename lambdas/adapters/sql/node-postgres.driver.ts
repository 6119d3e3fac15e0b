/** The SQL port on a real PostgreSQL server through a `pg` pool. */
import pg from 'pg';
import { DatabaseUnavailableError } from '../../core/errors.ts';
import { textParser } from './pg-types.ts';
import type { QueryResult, Row, SqlClient, SqlParams } from './port.ts';
import { bindTyped, type Exec, sessionTransaction, toSqlFailure, typeParams } from './shared.ts';

export interface NodePostgresOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Pool size (default 10). */
  max?: number;
  /** How long to wait for a connection before DatabaseUnavailableError (default 5 s). */
  connectionTimeoutMs?: number;
}

export function openNodePostgres(options: NodePostgresOptions): SqlClient {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    allowExitOnIdle: true,
    options: '-c TimeZone=UTC',
    types: { getTypeParser: (oid: number) => textParser(oid) },
  });
  // An idle connection that dies (server restart, network) is dropped by the pool and the next
  // statement opens a new one; without a listener the 'error' event would crash the process.
  pool.on('error', () => undefined);

  const execOn =
    (target: pg.Pool | pg.PoolClient): Exec =>
    async (sql, params) => {
      const { text, values } = bindTyped(sql, typeParams(params));
      try {
        const r = await target.query<Row>(text, values);
        return { rows: r.rows, rowCount: r.rowCount ?? 0, command: r.command };
      } catch (error) {
        throw toSqlFailure(error);
      }
    };
  const exec = execOn(pool);

  return {
    driver: 'node-postgres',
    async query<R = Row>(sql: string, params?: SqlParams): Promise<QueryResult<R>> {
      const { rows, rowCount } = await exec(sql, params);
      return { rows: rows as R[], rowCount };
    },
    async transaction(fn) {
      const client = await pool.connect().catch((error: unknown) => {
        throw toSqlFailure(error);
      });
      let broken = false;
      const run = execOn(client);
      try {
        return await sessionTransaction(
          (sql, params) =>
            run(sql, params).catch((error: unknown) => {
              broken ||= error instanceof DatabaseUnavailableError;
              throw error;
            }),
          fn,
        );
      } finally {
        client.release(broken);
      }
    },
    async close() {
      await pool.end();
    },
  };
}
