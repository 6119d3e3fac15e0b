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

/**
 * Statements with parameters run as named prepared statements: each connection parses and plans one
 * the first time and then only binds and executes it (planning the message path's insert cost half
 * as much as executing it; BENCHMARKS.md). Names are per statement text, at most MAX_PREPARED of
 * them. After a migration changes what a prepared statement returns, PostgreSQL refuses to run it
 * (SQLSTATE 0A000, before executing anything): the text gets a new name, prepared afresh, and the
 * statement is run again, unless it was inside a transaction, which that refusal has aborted.
 */
const MAX_PREPARED = 1000;
const prepared = new Map<string, string>();
let preparedCount = 0;

function queryConfig(text: string, values: unknown[]): pg.QueryConfig {
  if (values.length === 0) return { text, values };
  let name = prepared.get(text);
  if (name === undefined && prepared.size < MAX_PREPARED) {
    name = `echo_${++preparedCount}`;
    prepared.set(text, name);
  }
  return name === undefined ? { text, values } : { name, text, values };
}

/** True (and the text renamed) when `error` is PostgreSQL refusing a prepared statement gone stale. */
function forgetIfStale(text: string, error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e?.code !== '0A000' || !/cached plan must not change result type/.test(String(e.message))) return false;
  prepared.set(text, `echo_${++preparedCount}`);
  return true;
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
  // And every connection keeps a listener of its own for life: pg-pool's listener on a client that a
  // query has out is a `once`, so a dying connection's second error (the server's 57P01 after the
  // socket's) would still be uncaught. The pool and the query have been told by then.
  pool.on('connect', (client) => client.on('error', () => undefined));

  const execOn =
    (target: pg.Pool | pg.PoolClient): Exec =>
    async (sql, params) => {
      const { text, values } = bindTyped(sql, typeParams(params));
      const run = async () => {
        const r = await target.query<Row>(queryConfig(text, values));
        return { rows: r.rows, rowCount: r.rowCount ?? 0, command: r.command };
      };
      try {
        return await run().catch((error: unknown) => {
          if (forgetIfStale(text, error) && target === pool) return run();
          throw error;
        });
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
      // A checked-out client has lost the pool's error listener: a connection that dies under the
      // transaction (a server restart) would otherwise be an uncaught 'error' event that ends the process.
      const onError = () => {
        broken = true;
      };
      client.on('error', onError);
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
        client.off('error', onError);
        client.release(broken);
      }
    },
    async close() {
      await pool.end();
    },
  };
}
