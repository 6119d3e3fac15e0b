/**
 * The SQL port. Every driver (PGlite, node-postgres, RDS Data API) implements it and passes the
 * one contract suite in test/integration/sql-contract.test.ts.
 *
 * Statements use named parameters, `:name`, as the RDS Data API does; the pg drivers translate
 * them to `$1..$n`. Casts (`::jsonb`) are not parameters. Parameter values:
 *   string | number | boolean | null  as they are (an integer is a bigint-compatible long,
 *                                     other numbers are doubles)
 *   Date                              a timestamp (UTC)
 *   object or array                   JSON text (cast it in SQL: `:content::jsonb`)
 * Arrays are never bound as SQL arrays (the Data API cannot): pass JSON and unnest in SQL with
 * `jsonb_array_elements_text(:roles::jsonb)`.
 *
 * Result rows are plain objects keyed by column name, with values normalised the same way on
 * every driver:
 *   smallint, integer, bigint, numeric, real, double  -> number
 *   boolean -> boolean;  json, jsonb -> parsed value;  timestamp, timestamptz -> Date
 *   text, varchar, uuid and everything else -> string;  SQL NULL -> null
 *
 * Failures are named: DatabaseUnavailableError when the server cannot be reached,
 * SqlError (with the SQLSTATE, e.g. '23505' for a unique violation) when a statement fails.
 */
/**
 * SQLSTATE 25001 (active_sql_transaction): a one-session driver (PGlite) refuses a statement sent
 * through the client while its transaction is open, rather than wait for it forever.
 */
export const ACTIVE_SQL_TRANSACTION = '25001';

export type SqlParam =
  | string
  | number
  | boolean
  | null
  | Date
  | readonly unknown[]
  | { readonly [k: string]: unknown };
export type SqlParams = Readonly<Record<string, SqlParam | undefined>>;
export type Row = Record<string, unknown>;

export interface QueryResult<R = Row> {
  rows: R[];
  /** Rows inserted, updated or deleted (or returned, for a SELECT). */
  rowCount: number;
}

export interface SqlExecutor {
  query<R = Row>(sql: string, params?: SqlParams): Promise<QueryResult<R>>;
}

export interface SqlClient extends SqlExecutor {
  readonly driver: 'pglite' | 'node-postgres' | 'rds-data';
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws
   * (and the error is rethrown). Statements inside must use the `tx` executor.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
