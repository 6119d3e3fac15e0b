/**
 * The RDS Data API on the local AWS endpoint, over a real PostgreSQL or over the runtime's embedded
 * PGlite: the SDK's RDSDataClient and `aws rds-data` (REST-JSON: POST /Execute, /BatchExecute,
 * /BeginTransaction, /CommitTransaction, /RollbackTransaction) work against it unchanged. It answers
 * as Aurora PostgreSQL does:
 *  - parameters are typed as AWS types them (a stringValue is a varchar unless a typeHint says
 *    otherwise, a longValue a bigint...), so SQL that needs a cast on AWS needs it here;
 *  - records are Fields typed per PostgreSQL type (int -> longValue, numeric and timestamps ->
 *    stringValue, timestamps in UTC without a zone, arrays -> arrayValue...), columnMetadata with
 *    PgJDBC's type names and JDBC type codes, `nullable` 0 for a NOT NULL column of a table and 1
 *    otherwise (PgJDBC's columnNoNulls / columnNullable);
 *  - AWS's limits: a request of at most 4 MiB, headers included (else BadRequestException); a
 *    response of at most 1 MiB ("Database returned more than the allowed response size limit"); a
 *    statement cancelled after 45 s with StatementTimeoutException (with `continueAfterTimeout` it
 *    runs on and only the call times out); a `database` other than the one served is
 *    DatabaseErrorException `database "x" does not exist` (SQLState 3D000);
 *  - one statement per call; a transaction is one connection under a generated id, rolled back after
 *    `transactionTimeoutMs` without a call (AWS: 3 minutes) and ended by a failed statement (later
 *    calls: "Transaction <id> is not found");
 *  - errors: a failed statement is HTTP 400 DatabaseErrorException with the message
 *    "ERROR: <message>[\n  Detail: ...][\n  Hint: ...][\n  Position: n]; SQLState: <code>";
 *    a request error is 400 BadRequestException; an unreachable database 504
 *    DatabaseUnavailableException.
 * resourceArn and secretArn are required and otherwise ignored; `schema` is ignored (as on Aurora
 * PostgreSQL).
 *
 * On PGlite the database is the runtime's own single session. Each call runs alone on it between the
 * organization's statements and leaves it as it found it (a `BEGIN` is rolled back, settings reset).
 * A transaction across calls would hold that session, and so every agent, between the caller's
 * calls: BeginTransaction is refused with a BadRequestException that says so (BatchExecute, one
 * call, still runs in one transaction). PGlite runs a statement to its end in the process's one
 * thread: the 45 s timeout cannot interrupt it there.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import pg from 'pg';
import { splitStatements } from '../../adapters/sql/named-params.ts';
import { jdbcType, type Kind, parseArray, typeOfOid } from '../../adapters/sql/pg-types.ts';
import type { PgliteClient } from '../../adapters/sql/pglite.driver.ts';
import { bindTyped, isUnavailable, type TypedParam } from '../../adapters/sql/shared.ts';
import { EchoError } from '../../core/errors.ts';
import type { AwsResponse, AwsRoute } from './route.ts';

/** Aurora's limits, as the Data API documents them. */
export const DATA_API_LIMITS = {
  /** The whole HTTP request, headers and JSON included. */
  requestBytes: 4 * 1024 * 1024,
  responseBytes: 1024 * 1024,
  statementTimeoutMs: 45_000,
  transactionIdleMs: 180_000,
} as const;

export interface DataApiRouteOptions {
  /** A PostgreSQL server (its own pool of connections) ... */
  connectionString?: string;
  /** ... or the runtime's embedded database (one session, shared with the organization). */
  pglite?: PgliteClient;
  /**
   * The names `database` may take besides the connection's own (`current_database()`); default
   * `echo`, the deployed database's name (ECHO_DB_NAME), so the commands written for AWS run here.
   */
  databaseNames?: readonly string[];
  /** A transaction without a call for this long is rolled back (default 3 minutes, as AWS). */
  transactionTimeoutMs?: number;
  /** A statement running longer is cancelled, the call answered StatementTimeoutException (45 s). */
  statementTimeoutMs?: number;
  /** Connections to PostgreSQL (default 10); each open transaction holds one. */
  maxConnections?: number;
}

type Json = Record<string, unknown>;
type FieldJson = Json;
interface ResultOptions {
  decimalReturnType?: string;
  longReturnType?: string;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
    readonly extra: Json = {},
  ) {
    super(message);
  }
}
const badRequest = (message: string) => new ApiError('BadRequestException', 400, message);
const notFound = (id: string) => badRequest(`Transaction ${id} is not found`);
const RESPONSE_TOO_LARGE = 'Database returned more than the allowed response size limit';

/** A statement past the timeout: the call's answer (the statement is cancelled unless asked to go on). */
class StatementTimeout extends ApiError {
  constructor(dbConnectionId: number | undefined) {
    super('StatementTimeoutException', 400, 'Request timed out', dbConnectionId ? { dbConnectionId } : {});
  }
}

/** Parameter direction: a Field (and its typeHint) -> the SQL type it is bound as and its value. */
const hintTypes: Record<string, string> = {
  TIMESTAMP: 'timestamp',
  DATE: 'date',
  TIME: 'time',
  DECIMAL: 'numeric',
  UUID: 'uuid',
  JSON: 'json',
};
function fromField(p: Json): TypedParam {
  const v = (p.value ?? { isNull: true }) as Json;
  const hint = p.typeHint as string | undefined;
  if (hint !== undefined && !(hint in hintTypes)) throw badRequest(`Unsupported typeHint ${hint}`);
  if (v.isNull) return { type: undefined, value: null };
  if (typeof v.stringValue === 'string')
    return { type: hint ? hintTypes[hint] : 'varchar', value: v.stringValue };
  if (typeof v.longValue === 'number') return { type: 'int8', value: v.longValue };
  if (typeof v.doubleValue === 'number') return { type: 'float8', value: v.doubleValue };
  if (typeof v.booleanValue === 'boolean') return { type: 'bool', value: v.booleanValue };
  if (typeof v.blobValue === 'string') return { type: 'bytea', value: Buffer.from(v.blobValue, 'base64') };
  throw badRequest(`Parameter ${String(p.name)}: array parameters are not supported`);
}

/** Result direction: PostgreSQL's text output of a kind -> the Field AWS returns for it. */
const utc = (t: string) => t.replace(/[+-]\d\d(:\d\d){0,2}$/, '');
function toField(kind: Kind, text: string, o: ResultOptions): FieldJson {
  switch (kind) {
    case 'int':
      return o.longReturnType === 'STRING' ? { stringValue: text } : { longValue: Number(text) };
    case 'float':
      return { doubleValue: Number(text) };
    case 'numeric': {
      if (o.decimalReturnType !== 'DOUBLE_OR_LONG') return { stringValue: text };
      const n = Number(text);
      return Number.isInteger(n) ? { longValue: n } : { doubleValue: n };
    }
    case 'bool':
      return { booleanValue: text === 't' };
    case 'timestamp':
      return { stringValue: utc(text) };
    case 'bytea':
      return { blobValue: Buffer.from(text.slice(2), 'hex').toString('base64') };
    default:
      return { stringValue: text };
  }
}
function toArrayValue(kind: Kind, list: unknown[]): Json {
  if (list.some(Array.isArray)) return { arrayValues: list.map((x) => toArrayValue(kind, x as unknown[])) };
  const each = <T>(f: (s: string) => T) => list.map((s) => (s === null ? null : f(s as string)));
  if (kind === 'int') return { longValues: each(Number) };
  if (kind === 'float') return { doubleValues: each(Number) };
  if (kind === 'bool') return { booleanValues: each((s) => s === 't') };
  return { stringValues: each(kind === 'timestamp' ? utc : (s) => s) };
}
/** The value `formatRecordsAs: 'JSON'` shows for a Field. */
function plain(field: FieldJson): unknown {
  const [key, value] = Object.entries(field)[0] ?? [];
  if (key === 'isNull') return null;
  if (key === 'arrayValue' || key === 'arrayValues') {
    const inner = value as Json;
    const [k, list] = Object.entries(inner)[0] ?? [];
    return k === 'arrayValues' ? (list as Json[]).map((a) => plain({ arrayValues: a })) : list;
  }
  return value;
}

/** A failure -> the AWS error response. */
function errorResponse(error: unknown): AwsResponse {
  let type = 'InternalServerErrorException';
  let status = 500;
  let message = error instanceof Error ? error.message : String(error);
  let extra: Json = {};
  const pgError = error as Partial<pg.DatabaseError>;
  if (error instanceof ApiError) ({ type, status, extra } = error);
  else if (isUnavailable(error)) {
    [type, status] = ['DatabaseUnavailableException', 504];
    message = `The database is unavailable: ${message}`;
  } else if (error instanceof EchoError) [type, status] = ['BadRequestException', 400];
  else if (typeof pgError.code === 'string' && pgError.severity) {
    [type, status] = ['DatabaseErrorException', 400];
    message = databaseErrorMessage(pgError.severity, message, pgError);
  }
  return respond(status, { message, ...extra }, { 'x-amzn-errortype': type });
}

function databaseErrorMessage(
  severity: string,
  message: string,
  e: { detail?: string | undefined; hint?: string | undefined; position?: string | undefined; code?: string },
): string {
  const extra = [
    e.detail && `\n  Detail: ${e.detail}`,
    e.hint && `\n  Hint: ${e.hint}`,
    e.position && `\n  Position: ${e.position}`,
  ];
  return `${severity}: ${message}${extra.filter(Boolean).join('')}; SQLState: ${e.code}`;
}

function respond(status: number, body: Json, headers: Record<string, string> = {}): AwsResponse {
  const base = { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() };
  return { status, headers: { ...base, ...headers }, body: JSON.stringify(body) };
}

/** What a call runs its SQL on: a pooled PostgreSQL connection, or the PGlite session. */
type Session = pg.ClientBase & { processID?: number | null };

/**
 * Where the SQL runs. `run` lends a session for one call and takes it back when `fn` has settled,
 * even when the caller stopped waiting (a timeout); `hold` lends one for a transaction.
 */
interface Backend {
  run<T>(fn: (session: Session) => Promise<T>): Promise<T>;
  hold(): Promise<{ session: Session; release(broken: boolean): void }>;
  /** Cancels the statement running on a session (pg_cancel_backend), if the backend can. */
  cancel(session: Session): Promise<void>;
  close(): Promise<void>;
}

const textTypes = { getTypeParser: () => (text: string) => text };

function postgresBackend(connectionString: string, maxConnections: number): Backend {
  const pool = new pg.Pool({
    connectionString,
    max: maxConnections,
    connectionTimeoutMillis: 5_000,
    options: '-c TimeZone=UTC',
    types: textTypes,
  });
  pool.on('error', () => undefined); // an idle connection died: the pool replaces it
  pool.on('connect', (client) => client.on('error', () => undefined)); // as in node-postgres.driver.ts
  /**
   * A client out of the pool has lost the pool's error listener: one of its own until it goes back,
   * so a connection that dies under a statement (a server stopped) is the statement's error, never an
   * uncaught 'error' event that ends the process.
   */
  const checkOut = async () => {
    const client = await pool.connect();
    let broken = false;
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    return {
      client,
      release: (failed: boolean) => {
        client.off('error', onError);
        client.release(failed || broken);
      },
    };
  };
  return {
    async run(fn) {
      const { client, release } = await checkOut();
      const work = fn(client);
      work.then(
        () => release(false),
        (error: unknown) => release(isUnavailable(error)),
      );
      return work;
    },
    async hold() {
      const { client, release } = await checkOut();
      return { session: client, release };
    },
    async cancel(session) {
      if (session.processID) await pool.query('SELECT pg_cancel_backend($1)', [session.processID]);
    },
    close: () => pool.end(),
  };
}

function pgliteBackend(pglite: PgliteClient): Backend {
  let client: { db: PGlite; session: pg.Client } | undefined;
  const sessionOn = async (db: PGlite) => {
    if (client?.db !== db) {
      const session = new pg.Client({ ...createPgConfig(db), types: textTypes });
      await session.connect();
      client = { db, session };
    }
    return client.session;
  };
  return {
    run: (fn) =>
      pglite.exclusive(async (db) => {
        const session = await sessionOn(db);
        try {
          return await fn(session);
        } finally {
          // Leave the organization's session as it was: no transaction open, no setting changed.
          await session.query('ROLLBACK').catch(() => undefined);
          await session.query("RESET ALL; SET TIME ZONE 'UTC'");
        }
      }),
    hold: async () => {
      throw badRequest(
        'Transactions across calls are not available on the embedded database (PGlite): it is one session, shared with every agent, and a transaction open between your calls would stall them all. Use batch-execute-statement (one call, one transaction), or start the runtime with DATABASE_URL for a PostgreSQL server.',
      );
    },
    async cancel() {
      // PGlite runs a statement to its end in the process's own thread: nothing can interrupt it.
    },
    async close() {
      await client?.session.end().catch(() => undefined);
    },
  };
}

interface Transaction {
  session: Session;
  release(broken: boolean): void;
  timer: NodeJS.Timeout | undefined;
  busy: boolean;
}

export function createDataApiRoute(options: DataApiRouteOptions): {
  route: AwsRoute;
  close(): Promise<void>;
} {
  const idleMs = options.transactionTimeoutMs ?? DATA_API_LIMITS.transactionIdleMs;
  const statementMs = options.statementTimeoutMs ?? DATA_API_LIMITS.statementTimeoutMs;
  const backend = options.pglite
    ? pgliteBackend(options.pglite)
    : options.connectionString
      ? postgresBackend(options.connectionString, options.maxConnections ?? 10)
      : undefined;
  if (!backend) throw new Error('createDataApiRoute: give connectionString or pglite');
  const aliases = new Set(options.databaseNames ?? ['echo']);
  const transactions = new Map<string, Transaction>();
  /** Type names PostgreSQL knows and the table does not (enums...), by OID. */
  const typeNames = new Map<number, { name: string; array: boolean }>();
  let ownDatabase: Promise<string> | undefined;

  /** `database`, when given, must name the database served: as on Aurora, another one does not exist. */
  const checkDatabase = async (body: Json) => {
    const name = body.database;
    if (name === undefined || name === null || name === '' || aliases.has(name as string)) return;
    ownDatabase ??= backend
      .run(async (s) => (await s.query<{ name: string }>('SELECT current_database() AS name')).rows[0]!.name)
      .catch((error: unknown) => {
        ownDatabase = undefined;
        throw error;
      });
    const own = await ownDatabase;
    if (name === own) return;
    throw new ApiError(
      'DatabaseErrorException',
      400,
      databaseErrorMessage('ERROR', `database "${String(name)}" does not exist`, {
        hint: `the local endpoint serves one database: pass --database ${[...aliases][0] ?? own} (or ${own}), or leave it out`,
        code: '3D000',
      }),
    );
  };

  const take = (id: string): Transaction => {
    const tx = transactions.get(id);
    if (!tx) throw notFound(id);
    transactions.delete(id);
    clearTimeout(tx.timer);
    return tx;
  };
  const end = async (id: string, command: 'COMMIT' | 'ROLLBACK') => {
    const { session, release } = take(id);
    let broken = false;
    try {
      await session.query(command);
    } catch (error) {
      broken = true;
      throw error;
    } finally {
      release(broken);
    }
  };
  const expireLater = (id: string, tx: Transaction) => {
    tx.timer = setTimeout(() => end(id, 'ROLLBACK').catch(() => undefined), idleMs).unref();
  };
  const begin = async () => {
    const { session, release } = await backend.hold();
    try {
      await session.query('BEGIN');
    } catch (error) {
      release(true);
      throw error;
    }
    const id = randomBytes(48).toString('base64');
    // The connection died under the transaction: drop both.
    session.on('error', () => {
      if (transactions.get(id)?.session === session) take(id).release(true);
    });
    const tx: Transaction = { session, release, busy: false, timer: undefined };
    transactions.set(id, tx);
    expireLater(id, tx);
    return id;
  };

  /**
   * Runs `work` with the statement timeout: past it the call is answered StatementTimeoutException
   * and the statement cancelled, unless `continueAfterTimeout` (it then runs on to its end).
   */
  const timed = async <T>(session: Session, work: Promise<T>, continueAfterTimeout: boolean): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StatementTimeout(session.processID ?? undefined)), statementMs);
    });
    try {
      return await Promise.race([work, timeout]);
    } catch (error) {
      if (error instanceof StatementTimeout) {
        work.catch(() => undefined);
        if (!continueAfterTimeout) await backend.cancel(session).catch(() => undefined);
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };

  const inTransaction = async <T>(
    id: string,
    fn: (session: Session) => Promise<T>,
    continueAfterTimeout = false,
  ): Promise<T> => {
    const tx = transactions.get(id);
    if (!tx) throw notFound(id);
    if (tx.busy) throw new ApiError('DatabaseErrorException', 400, 'Transaction is still running a query');
    tx.busy = true;
    clearTimeout(tx.timer);
    const work = fn(tx.session);
    const settle = () => {
      tx.busy = false;
      if (transactions.get(id) === tx) expireLater(id, tx);
    };
    try {
      const result = await timed(tx.session, work, continueAfterTimeout);
      settle();
      return result;
    } catch (error) {
      if (error instanceof StatementTimeout && continueAfterTimeout) {
        // The statement runs on in the transaction, which stays open (and busy) until it ends.
        work.then(settle, () => end(id, 'ROLLBACK').catch(() => undefined));
      } else {
        // As on AWS, a failed statement (a cancelled one, a response too large) ends its transaction.
        settle();
        await work.catch(() => undefined);
        await end(id, 'ROLLBACK').catch(() => undefined);
      }
      throw error;
    }
  };
  const withSession = <T>(body: Json, fn: (session: Session) => Promise<T>) => {
    const continueAfterTimeout = body.continueAfterTimeout === true;
    if (typeof body.transactionId === 'string')
      return inTransaction(body.transactionId, fn, continueAfterTimeout);
    return backend.run((session) => timed(session, fn(session), continueAfterTimeout));
  };

  const typeName = async (session: Session, oid: number) => {
    const { type, array } = typeOfOid(oid);
    if (type) return { name: array ? `_${type.name}` : type.name, array };
    if (!typeNames.has(oid)) {
      const { rows } = await session.query('SELECT typname, typcategory FROM pg_type WHERE oid = $1', [oid]);
      if (rows[0]) typeNames.set(oid, { name: rows[0].typname, array: rows[0].typcategory === 'A' });
    }
    return typeNames.get(oid) ?? { name: 'unknown', array: false };
  };
  /** The NOT NULL columns among the result's table columns, as `table:column`. */
  const notNullColumns = async (session: Session, fields: readonly pg.FieldDef[]) => {
    const columns = fields.filter((f) => f.tableID > 0 && f.columnID > 0);
    if (!columns.length) return new Set<string>();
    const { rows } = await session.query<{ key: string }>(
      `SELECT attrelid || ':' || attnum AS key FROM pg_attribute
       WHERE attnotnull AND (attrelid, attnum) IN (SELECT * FROM unnest($1::oid[], $2::int2[]))`,
      [columns.map((f) => f.tableID), columns.map((f) => f.columnID)],
    );
    return new Set(rows.map((r) => r.key));
  };

  const run = async (session: Session, body: Json, parameters: unknown) => {
    const params = Object.fromEntries(
      ((parameters ?? []) as Json[]).map((p) => [String(p.name), fromField(p)]),
    );
    const { text, values } = bindTyped(body.sql as string, params);
    const result = await session.query<unknown[]>({ text, values, rowMode: 'array' });
    if (
      typeof body.transactionId !== 'string' &&
      (result.command === 'BEGIN' || result.command === 'START')
    ) {
      await session.query('ROLLBACK');
      throw badRequest(
        'A transaction cannot be started by a statement: call BeginTransaction (aws rds-data begin-transaction) and pass its transactionId, or use BatchExecuteStatement',
      );
    }
    return result;
  };

  const execute = async (body: Json) => {
    const sql = required(body, 'sql');
    if (splitStatements(sql).length > 1) throw badRequest("Multistatements aren't supported.");
    await checkDatabase(body);
    return withSession(body, async (session) => {
      const r = await run(session, body, body.parameters);
      const updated = ['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(r.command) ? (r.rowCount ?? 0) : 0;
      const out: Json = { numberOfRecordsUpdated: updated, generatedFields: [] };
      if (!r.fields.length) return out;
      // Every Field is at least its text: past the limit already, whatever the JSON around it.
      let textBytes = 0;
      for (const row of r.rows) for (const v of row) textBytes += typeof v === 'string' ? v.length : 0;
      if (textBytes > DATA_API_LIMITS.responseBytes) throw badRequest(RESPONSE_TOO_LARGE);
      const o = (body.resultSetOptions ?? {}) as ResultOptions;
      const columns = await Promise.all(r.fields.map((f) => typeName(session, f.dataTypeID)));
      const records = r.rows.map((row) =>
        row.map((text, i): FieldJson => {
          const kind = typeOfOid(r.fields[i]?.dataTypeID ?? 0).type?.kind ?? 'text';
          if (text === null) return { isNull: true };
          if (!columns[i]?.array) return toField(kind, text as string, o);
          return { arrayValue: toArrayValue(kind, parseArray(text as string, (s) => s) as unknown[]) };
        }),
      );
      if (body.formatRecordsAs === 'JSON') {
        const objects = records.map((rec) =>
          Object.fromEntries(rec.map((f, i) => [r.fields[i]?.name, plain(f)])),
        );
        return withinResponseLimit({ ...out, formattedRecords: JSON.stringify(objects) });
      }
      out.records = records;
      if (body.includeResultMetadata) {
        const notNull = await notNullColumns(session, r.fields);
        out.columnMetadata = r.fields.map((f, i) => {
          const kind = typeOfOid(f.dataTypeID).type?.kind;
          const numericTypmod = kind === 'numeric' && f.dataTypeModifier > 0 ? f.dataTypeModifier - 4 : 0;
          return {
            name: f.name,
            label: f.name,
            typeName: columns[i]?.name,
            type: jdbcType(f.dataTypeID),
            isSigned: kind === 'int' || kind === 'float' || kind === 'numeric',
            isCaseSensitive: kind === 'text' || kind === 'json',
            isCurrency: false,
            isAutoIncrement: false,
            // PgJDBC: columnNoNulls (0) for a NOT NULL column of a table, else columnNullable (1).
            nullable: notNull.has(`${f.tableID}:${f.columnID}`) ? 0 : 1,
            precision: numericTypmod >> 16,
            scale: numericTypmod & 0xffff,
            schemaName: '',
            tableName: '',
            arrayBaseColumnType: 0,
          };
        });
      }
      return withinResponseLimit(out);
    });
  };

  const batchExecute = async (body: Json) => {
    required(body, 'sql');
    await checkDatabase(body);
    const sets = (body.parameterSets as unknown[] | undefined)?.length
      ? (body.parameterSets as unknown[])
      : [[]];
    const all = async (session: Session) => {
      for (const set of sets) await run(session, body, set);
      return { updateResults: sets.map(() => ({ generatedFields: [] })) };
    };
    if (typeof body.transactionId === 'string') return inTransaction(body.transactionId, all);
    // One call, one transaction, on a session of its own for the call.
    return backend.run(async (session) => {
      await session.query('BEGIN');
      try {
        const result = await timed(session, all(session), false);
        await session.query('COMMIT');
        return result;
      } catch (error) {
        await session.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  };

  const operations: Record<string, (body: Json) => Promise<Json>> = {
    '/Execute': execute,
    '/BatchExecute': batchExecute,
    '/BeginTransaction': async (body) => {
      await checkDatabase(body);
      return { transactionId: await begin() };
    },
    '/CommitTransaction': async (body) => {
      await end(required(body, 'transactionId'), 'COMMIT');
      return { transactionStatus: 'Transaction Committed' };
    },
    '/RollbackTransaction': async (body) => {
      await end(required(body, 'transactionId'), 'ROLLBACK');
      return { transactionStatus: 'Rollback Complete' };
    },
  };

  const route: AwsRoute = async (request) => {
    const operation = operations[request.path];
    if (request.method !== 'POST' || !operation) return undefined;
    try {
      const size =
        Buffer.byteLength(request.body) +
        Object.entries(request.headers).reduce((n, [k, v]) => n + k.length + (v?.length ?? 0) + 4, 0);
      if (size > DATA_API_LIMITS.requestBytes)
        throw badRequest(
          `The request is ${size} bytes, headers and JSON included: the Data API takes at most 4 MiB (${DATA_API_LIMITS.requestBytes} bytes). Send fewer parameter sets per call.`,
        );
      let body: Json;
      try {
        body = JSON.parse(request.body || '{}');
      } catch {
        throw badRequest('The request body is not valid JSON');
      }
      required(body, 'resourceArn');
      required(body, 'secretArn');
      return respond(200, await operation(body));
    } catch (error) {
      return errorResponse(error);
    }
  };

  return {
    route,
    async close() {
      await Promise.all([...transactions.keys()].map((id) => end(id, 'ROLLBACK').catch(() => undefined)));
      await backend.close();
    },
  };
}

/**
 * The result, or the error AWS answers when it is over 1 MiB; thrown inside the call, so that, as on
 * AWS, the transaction it was part of ends with it.
 */
function withinResponseLimit(result: Json): Json {
  if (Buffer.byteLength(JSON.stringify(result)) > DATA_API_LIMITS.responseBytes)
    throw badRequest(RESPONSE_TOO_LARGE);
  return result;
}

function required(body: Json, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw badRequest(`Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}
