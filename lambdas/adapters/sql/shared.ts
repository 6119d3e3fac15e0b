/**
 * What the three SQL drivers share: how a port parameter is typed, the failure classification,
 * the transaction skeleton and a queue.
 */
import { DatabaseUnavailableError, EchoError, SqlError } from '../../core/errors.ts';
import { toPositional } from './named-params.ts';
import { formatTimestamp } from './pg-types.ts';
import type { QueryResult, Row, SqlExecutor, SqlParam, SqlParams } from './port.ts';

/**
 * Parameter direction, the one table: a port value -> the SQL type it is bound as and its wire
 * value. The types are those the Data API gives the Field the value becomes (a string is a
 * varchar, an integer a bigint, a Date a UTC timestamp, an object JSON); the pg drivers bind the
 * same types, so a statement that needs a cast needs it on every driver.
 */
export type ParamType = 'varchar' | 'int8' | 'float8' | 'bool' | 'timestamp' | 'json';
export interface TypedParam {
  /** A PostgreSQL type name; undefined leaves the type to the server (NULL). */
  type: string | undefined;
  value: string | number | boolean | Uint8Array | null;
}

export function typeParam(value: SqlParam | null | undefined): TypedParam & { type: ParamType | undefined } {
  if (value === null || value === undefined) return { type: undefined, value: null };
  if (typeof value === 'string') return { type: 'varchar', value };
  if (typeof value === 'boolean') return { type: 'bool', value };
  if (typeof value === 'number') return { type: Number.isSafeInteger(value) ? 'int8' : 'float8', value };
  if (value instanceof Date) return { type: 'timestamp', value: formatTimestamp(value) };
  return { type: 'json', value: JSON.stringify(value) };
}

/** `:name` -> `$n::type` with the values by index, for the pg drivers and the local Data API. */
export function bindTyped(
  sql: string,
  params: Readonly<Record<string, TypedParam | undefined>>,
): { text: string; values: TypedParam['value'][] } {
  const { text, values } = toPositional(sql, params, (i, p) => (p?.type ? `$${i}::${p.type}` : `$${i}`));
  return { text, values: values.map((p) => p?.value ?? null) };
}

export function typeParams(params: SqlParams = {}): Record<string, TypedParam> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeParam(v)]));
}

const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'TimeoutError',
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '08006', // connection_failure
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);
const unavailableMessage =
  /connection terminated|connection ended unexpectedly|timeout exceeded when trying to connect|connection timeout|socket hang up|communications link failure/i;

/** True when `error` (or its cause, or one of an AggregateError's errors) means "cannot reach the database". */
export function isUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 5) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && unavailableCodes.has(code)) return true;
  if (unavailableCodes.has(error.name) || unavailableMessage.test(error.message)) return true;
  const nested = error instanceof AggregateError ? error.errors : [];
  return [error.cause, ...nested].some((e) => isUnavailable(e, depth + 1));
}

/** A pg or PGlite failure -> the port's named error (anything unrecognised passes unchanged). */
export function toSqlFailure(error: unknown): unknown {
  if (error instanceof EchoError) return error;
  if (isUnavailable(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return new DatabaseUnavailableError(`database unavailable: ${message}`, { cause: error });
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Error && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    return new SqlError(error.message, code, { cause: error });
  }
  return error;
}

/**
 * BEGIN, `fn`, COMMIT; on a failure ROLLBACK and rethrow the failure (a failed rollback is
 * secondary to the error that caused it and does not replace it).
 */
export async function runTransaction<T>(
  steps: { begin(): Promise<unknown>; commit(): Promise<unknown>; rollback(): Promise<unknown> },
  fn: () => Promise<T>,
): Promise<T> {
  await steps.begin();
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    await steps.rollback().catch(() => undefined);
    throw error;
  }
  await steps.commit();
  return result;
}

/** Runs the functions given to it one at a time, in call order. */
export function serialQueue(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const run = tail.then(fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

export type Exec = (
  sql: string,
  params?: SqlParams,
) => Promise<QueryResult & { command?: string | undefined }>;

/** A transaction's executor, refusing statements once `close` is called (the transaction ended). */
export function scopedExecutor(exec: Exec): { tx: SqlExecutor; close(): void } {
  let open = true;
  const query = async <R = Row>(sql: string, params?: SqlParams): Promise<QueryResult<R>> => {
    if (!open)
      throw new SqlError('the transaction has ended: use its executor only inside the callback', '25000');
    const { rows, rowCount } = await exec(sql, params);
    return { rows: rows as R[], rowCount };
  };
  return { tx: { query }, close: () => (open = false) };
}

/**
 * A transaction on one session that runs SQL (the pg drivers). COMMIT of a transaction an earlier
 * failed statement aborted reports ROLLBACK instead of failing: that is a failure here.
 */
export async function sessionTransaction<T>(exec: Exec, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
  const { tx, close } = scopedExecutor(exec);
  const commit = async () => {
    if ((await exec('COMMIT')).command === 'ROLLBACK') {
      throw new SqlError(
        'the transaction was aborted by a failed statement and has been rolled back',
        '25P02',
      );
    }
  };
  try {
    return await runTransaction(
      { begin: () => exec('BEGIN'), commit, rollback: () => exec('ROLLBACK') },
      () => fn(tx),
    );
  } finally {
    close();
  }
}
