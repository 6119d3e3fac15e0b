/**
 * The SQL port on Aurora PostgreSQL through the RDS Data API (ExecuteStatement with the port's
 * named parameters; transactions by BeginTransaction/CommitTransaction/RollbackTransaction).
 */
import {
  type ArrayValue,
  BeginTransactionCommand,
  type ColumnMetadata,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  type Field,
  RDSDataClient,
  type RDSDataClientConfig,
  RollbackTransactionCommand,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import { DatabaseUnavailableError, SqlError } from '../../core/errors.ts';
import { traced } from '../tracing.ts';
import { requireParams } from './named-params.ts';
import { normalise, typeOfName } from './pg-types.ts';
import type { QueryResult, Row, SqlClient, SqlParams } from './port.ts';
import {
  isUnavailable,
  type ParamType,
  runTransaction,
  scopedExecutor,
  serialQueue,
  typeParam,
} from './shared.ts';

export interface RdsDataOptions {
  resourceArn: string;
  secretArn: string;
  database: string;
  region: string;
  /** Another endpoint than AWS's, e.g. the local Data API. */
  endpoint?: string;
  credentials?: RDSDataClientConfig['credentials'];
  /** SDK attempts per call, retries included (SDK default 3). */
  maxAttempts?: number;
}

/** Parameter direction: the typed port value (see shared.ts) -> the Data API's Field and type hint. */
const toField: Record<ParamType, (value: never) => Pick<SqlParameter, 'value' | 'typeHint'>> = {
  varchar: (stringValue: string) => ({ value: { stringValue } }),
  int8: (longValue: number) => ({ value: { longValue } }),
  float8: (doubleValue: number) => ({ value: { doubleValue } }),
  bool: (booleanValue: boolean) => ({ value: { booleanValue } }),
  timestamp: (stringValue: string) => ({ value: { stringValue }, typeHint: 'TIMESTAMP' }),
  json: (stringValue: string) => ({ value: { stringValue }, typeHint: 'JSON' }),
};

function sqlParameter(name: string, param: SqlParams[string]): SqlParameter {
  const { type, value } = typeParam(param);
  return { name, ...(type ? toField[type](value as never) : { value: { isNull: true } }) };
}

/** Result direction: a Field of a column -> the port's value (strings by the column's type name). */
function fromField(field: Field, column: ColumnMetadata | undefined): unknown {
  const scalar = normalise[typeOfName(column?.typeName).type?.kind ?? 'text'];
  const array = (a: ArrayValue | null): unknown[] | null =>
    a === null
      ? null
      : (a.arrayValues?.map(array) ??
        a.stringValues?.map((s) => (s === null ? null : scalar(s))) ??
        a.longValues ??
        a.doubleValues ??
        a.booleanValues ??
        []);
  if (field.isNull) return null;
  if (field.stringValue !== undefined) return scalar(field.stringValue);
  if (field.blobValue !== undefined) return `\\x${Buffer.from(field.blobValue).toString('hex')}`;
  if (field.arrayValue !== undefined) return array(field.arrayValue);
  return field.longValue ?? field.doubleValue ?? field.booleanValue ?? null;
}

const unavailable = new Set([
  'DatabaseResumingException',
  'DatabaseUnavailableException',
  'ServiceUnavailableError',
]);
const statementFailures = new Set([
  'DatabaseErrorException',
  'BadRequestException',
  'TransactionNotFoundException',
]);

/**
 * A Data API failure -> the port's named error. Statement failures carry the SQLSTATE at the end
 * of the message: "ERROR: <message>[\n  Detail: ...]; SQLState: 23505".
 */
export function toDataApiFailure(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (unavailable.has(error.name) || isUnavailable(error)) {
    return new DatabaseUnavailableError(`database unavailable: ${error.name}: ${error.message}`, {
      cause: error,
    });
  }
  if (error.name === 'StatementTimeoutException')
    return new SqlError(error.message, '57014', { cause: error });
  const sqlState = /SQLState: ([0-9A-Z]{5})\s*$/.exec(error.message)?.[1];
  if (!sqlState && !statementFailures.has(error.name)) return error;
  const message = (error.message.replace(/^ERROR:\s*/, '').split('\n')[0] ?? '').replace(
    /; SQLState: \w{5}$/,
    '',
  );
  return new SqlError(message, sqlState, { cause: error });
}

export function openRdsData(options: RdsDataOptions): SqlClient {
  const client = traced(
    new RDSDataClient({
      region: options.region,
      endpoint: options.endpoint,
      credentials: options.credentials,
      maxAttempts: options.maxAttempts,
      requestHandler: { connectionTimeout: 5_000 },
    }),
  );
  const target = { resourceArn: options.resourceArn, secretArn: options.secretArn };
  const call = <T>(request: Promise<T>): Promise<T> =>
    request.catch((error: unknown) => {
      throw toDataApiFailure(error);
    });
  const exec = async (sql: string, params: SqlParams = {}, transactionId?: string) => {
    const parameters = requireParams(sql, params).map((name) => sqlParameter(name, params[name]));
    const input = {
      ...target,
      database: options.database,
      sql,
      parameters,
      includeResultMetadata: true,
      transactionId,
    };
    const out = await call(client.send(new ExecuteStatementCommand(input)));
    const columns = out.columnMetadata ?? [];
    const rows: Row[] = (out.records ?? []).map((record) =>
      Object.fromEntries(
        record.map((field, i) => [columns[i]?.name ?? `?column${i}?`, fromField(field, columns[i])]),
      ),
    );
    return { rows, rowCount: out.numberOfRecordsUpdated || rows.length };
  };

  return {
    driver: 'rds-data',
    async query<R = Row>(sql: string, params?: SqlParams): Promise<QueryResult<R>> {
      return (await exec(sql, params)) as QueryResult<R>;
    },
    async transaction(fn) {
      let id: string | undefined;
      // The Data API refuses a statement while another runs in the same transaction.
      const queue = serialQueue();
      const { tx, close } = scopedExecutor((sql, params) => queue(() => exec(sql, params, id)));
      const begin = async () => {
        const input = { ...target, database: options.database };
        id = (await call(client.send(new BeginTransactionCommand(input)))).transactionId;
      };
      const commit = () =>
        queue(() => call(client.send(new CommitTransactionCommand({ ...target, transactionId: id }))));
      const rollback = () =>
        queue(() => call(client.send(new RollbackTransactionCommand({ ...target, transactionId: id }))));
      try {
        return await runTransaction({ begin, commit, rollback }, () => fn(tx));
      } finally {
        close();
      }
    },
    async close() {
      client.destroy();
    },
  };
}
