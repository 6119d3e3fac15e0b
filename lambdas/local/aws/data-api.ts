/**
 * The RDS Data API on the local AWS endpoint, over a real PostgreSQL: the SDK's RDSDataClient
 * (REST-JSON: POST /Execute, /BatchExecute, /BeginTransaction, /CommitTransaction,
 * /RollbackTransaction) works against it unchanged. It answers as Aurora PostgreSQL does:
 *  - parameters are typed as AWS types them (a stringValue is a varchar unless a typeHint says
 *    otherwise, a longValue a bigint...), so SQL that needs a cast on AWS needs it here;
 *  - records are Fields typed per PostgreSQL type (int -> longValue, numeric and timestamps ->
 *    stringValue, timestamps in UTC without a zone, arrays -> arrayValue...), columnMetadata with
 *    PgJDBC's type names and JDBC type codes;
 *  - one statement per call; a transaction is one pooled connection under a generated id, rolled
 *    back after `transactionTimeoutMs` without a call (AWS: 3 minutes) and ended by a failed
 *    statement (later calls: "Transaction <id> is not found");
 *  - errors: a failed statement is HTTP 400 DatabaseErrorException with the message
 *    "ERROR: <message>[\n  Detail: ...][\n  Hint: ...][\n  Position: n]; SQLState: <code>";
 *    a request error is 400 BadRequestException; an unreachable database 504
 *    DatabaseUnavailableException.
 * resourceArn and secretArn are required and otherwise ignored; `database` and `schema` are
 * ignored (the connection string names the database).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { splitStatements } from '../../adapters/sql/named-params.ts';
import { jdbcType, type Kind, parseArray, typeOfOid } from '../../adapters/sql/pg-types.ts';
import { bindTyped, isUnavailable, type TypedParam } from '../../adapters/sql/shared.ts';
import { EchoError } from '../../core/errors.ts';
import type { AwsResponse, AwsRoute } from './route.ts';

export interface DataApiRouteOptions {
  connectionString: string;
  /** A transaction without a call for this long is rolled back (default 3 minutes, as AWS). */
  transactionTimeoutMs?: number;
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
  ) {
    super(message);
  }
}
const badRequest = (message: string) => new ApiError('BadRequestException', 400, message);
const notFound = (id: string) => badRequest(`Transaction ${id} is not found`);

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
  const pgError = error as Partial<pg.DatabaseError>;
  if (error instanceof ApiError) ({ type, status } = error);
  else if (isUnavailable(error)) {
    [type, status] = ['DatabaseUnavailableException', 504];
    message = `The database is unavailable: ${message}`;
  } else if (error instanceof EchoError) [type, status] = ['BadRequestException', 400];
  else if (typeof pgError.code === 'string' && pgError.severity) {
    [type, status] = ['DatabaseErrorException', 400];
    const extra = [
      pgError.detail && `\n  Detail: ${pgError.detail}`,
      pgError.hint && `\n  Hint: ${pgError.hint}`,
      pgError.position && `\n  Position: ${pgError.position}`,
    ];
    message = `${pgError.severity}: ${message}${extra.filter(Boolean).join('')}; SQLState: ${pgError.code}`;
  }
  return respond(status, { message }, { 'x-amzn-errortype': type });
}

function respond(status: number, body: Json, headers: Record<string, string> = {}): AwsResponse {
  const base = { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() };
  return { status, headers: { ...base, ...headers }, body: JSON.stringify(body) };
}

interface Transaction {
  client: pg.PoolClient;
  timer: NodeJS.Timeout | undefined;
  busy: boolean;
}

export function createDataApiRoute(options: DataApiRouteOptions): {
  route: AwsRoute;
  close(): Promise<void>;
} {
  const timeoutMs = options.transactionTimeoutMs ?? 180_000;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 5_000,
    options: '-c TimeZone=UTC',
    types: { getTypeParser: () => (text: string) => text },
  });
  pool.on('error', () => undefined); // an idle connection died: the pool replaces it
  const transactions = new Map<string, Transaction>();
  /** Type names PostgreSQL knows and the table does not (enums...), by OID. */
  const typeNames = new Map<number, { name: string; array: boolean }>();

  const take = (id: string): Transaction => {
    const tx = transactions.get(id);
    if (!tx) throw notFound(id);
    transactions.delete(id);
    clearTimeout(tx.timer);
    return tx;
  };
  const end = async (id: string, command: 'COMMIT' | 'ROLLBACK') => {
    const { client } = take(id);
    let broken = false;
    try {
      await client.query(command);
    } catch (error) {
      broken = true;
      throw error;
    } finally {
      client.release(broken);
    }
  };
  const expireLater = (id: string, tx: Transaction) => {
    tx.timer = setTimeout(() => end(id, 'ROLLBACK').catch(() => undefined), timeoutMs).unref();
  };
  const begin = async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
    } catch (error) {
      client.release(true);
      throw error;
    }
    const id = randomBytes(48).toString('base64');
    // The connection died under the transaction: drop both.
    client.on('error', () => transactions.get(id)?.client === client && take(id).client.release(true));
    const tx: Transaction = { client, busy: false, timer: undefined };
    transactions.set(id, tx);
    expireLater(id, tx);
    return id;
  };
  const inTransaction = async <T>(id: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const tx = transactions.get(id);
    if (!tx) throw notFound(id);
    if (tx.busy) throw new ApiError('DatabaseErrorException', 400, 'Transaction is still running a query');
    tx.busy = true;
    clearTimeout(tx.timer);
    try {
      return await fn(tx.client);
    } catch (error) {
      // As on AWS, a failed statement ends its transaction.
      await end(id, 'ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      tx.busy = false;
      if (transactions.get(id) === tx) expireLater(id, tx);
    }
  };
  const withSession = <T>(transactionId: unknown, fn: (client: pg.PoolClient | pg.Pool) => Promise<T>) =>
    typeof transactionId === 'string' ? inTransaction(transactionId, fn) : fn(pool);

  const typeName = async (client: pg.PoolClient | pg.Pool, oid: number) => {
    const { type, array } = typeOfOid(oid);
    if (type) return { name: array ? `_${type.name}` : type.name, array };
    if (!typeNames.has(oid)) {
      const { rows } = await client.query('SELECT typname, typcategory FROM pg_type WHERE oid = $1', [oid]);
      if (rows[0]) typeNames.set(oid, { name: rows[0].typname, array: rows[0].typcategory === 'A' });
    }
    return typeNames.get(oid) ?? { name: 'unknown', array: false };
  };

  const run = async (client: pg.PoolClient | pg.Pool, body: Json, parameters: unknown) => {
    const params = Object.fromEntries(
      ((parameters ?? []) as Json[]).map((p) => [String(p.name), fromField(p)]),
    );
    const { text, values } = bindTyped(body.sql as string, params);
    return client.query<unknown[]>({ text, values, rowMode: 'array' });
  };

  const execute = async (body: Json) => {
    const sql = required(body, 'sql');
    if (splitStatements(sql).length > 1) throw badRequest("Multistatements aren't supported.");
    return withSession(body.transactionId, async (client) => {
      const r = await run(client, body, body.parameters);
      const updated = ['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(r.command) ? (r.rowCount ?? 0) : 0;
      const out: Json = { numberOfRecordsUpdated: updated, generatedFields: [] };
      if (!r.fields.length) return out;
      const o = (body.resultSetOptions ?? {}) as ResultOptions;
      const columns = await Promise.all(r.fields.map((f) => typeName(client, f.dataTypeID)));
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
        return { ...out, formattedRecords: JSON.stringify(objects) };
      }
      out.records = records;
      if (body.includeResultMetadata) {
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
            nullable: f.tableID ? 1 : 2, // columnNullable / columnNullableUnknown (NOT NULL is not looked up)
            precision: numericTypmod >> 16,
            scale: numericTypmod & 0xffff,
            schemaName: '',
            tableName: '',
            arrayBaseColumnType: 0,
          };
        });
      }
      return out;
    });
  };

  const batchExecute = async (body: Json) => {
    required(body, 'sql');
    const sets = (body.parameterSets as unknown[] | undefined)?.length
      ? (body.parameterSets as unknown[])
      : [[]];
    const all = async (client: pg.PoolClient | pg.Pool) => {
      for (const set of sets) await run(client, body, set);
      return { updateResults: sets.map(() => ({ generatedFields: [] })) };
    };
    if (typeof body.transactionId === 'string') return inTransaction(body.transactionId, all);
    const id = await begin();
    const result = await inTransaction(id, all);
    await end(id, 'COMMIT');
    return result;
  };

  const operations: Record<string, (body: Json) => Promise<Json>> = {
    '/Execute': execute,
    '/BatchExecute': batchExecute,
    '/BeginTransaction': async () => ({ transactionId: await begin() }),
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
      await pool.end();
    },
  };
}

function required(body: Json, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw badRequest(`Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}
