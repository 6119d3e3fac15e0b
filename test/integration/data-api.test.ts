/**
 * The local RDS Data API as the SDK sees it: wire shapes, types, errors and transactions, checked
 * with the real RDSDataClient (and raw HTTP where the SDK would not send the request).
 */
import {
  BatchExecuteStatementCommand,
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
} from '@aws-sdk/client-rds-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toDataApiFailure } from '../../lambdas/adapters/sql/rds-data.driver.ts';
import { SqlError } from '../../lambdas/core/errors.ts';
import { type DataApiServer, startDataApiServer } from '../support/data-api-server.ts';
import { createTestDatabase, requireService } from '../support/services.ts';

const hasPostgres = requireService('DATABASE_URL');
const target = {
  resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:echo-local',
  secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:echo-local',
  database: 'echo',
};

describe.runIf(hasPostgres)('local RDS Data API', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: DataApiServer;
  let client: RDSDataClient;
  const execute = (
    sql: string,
    extra: Partial<ConstructorParameters<typeof ExecuteStatementCommand>[0]> = {},
  ) => client.send(new ExecuteStatementCommand({ ...target, sql, ...extra }));
  const failure = (p: Promise<unknown>) => p.then(() => undefined).catch((e: unknown) => e as Error);
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${server.endpoint}${path}`, { method: 'POST', body: JSON.stringify(body) });
    return {
      status: res.status,
      type: res.headers.get('x-amzn-errortype'),
      body: (await res.json()) as { message: string },
    };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startDataApiServer({ connectionString: db.url, transactionTimeoutMs: 200 });
    client = new RDSDataClient({
      region: 'us-east-1',
      endpoint: server.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    await execute('CREATE TABLE t (id uuid PRIMARY KEY, n integer UNIQUE, at timestamptz)');
  });
  afterAll(async () => {
    client?.destroy();
    await server?.close();
    await db?.drop();
  });

  it('returns Fields typed as AWS types them, with PgJDBC column metadata', async () => {
    const out = await execute(
      `SELECT 1::integer AS i, 2::bigint AS l, 12.50::numeric(6, 2) AS num, 1.5::float8 AS d, true AS b,
              'x' AS s, TIMESTAMPTZ '2024-01-02 03:04:05.678+02' AS ts, '{"a": 1}'::jsonb AS j,
              ARRAY[1, 2]::integer[] AS ints, NULL::text AS nothing`,
      { includeResultMetadata: true },
    );
    expect(out.records).toEqual([
      [
        { longValue: 1 },
        { longValue: 2 },
        { stringValue: '12.50' },
        { doubleValue: 1.5 },
        { booleanValue: true },
        { stringValue: 'x' },
        { stringValue: '2024-01-02 01:04:05.678' },
        { stringValue: '{"a": 1}' },
        { arrayValue: { longValues: [1, 2] } },
        { isNull: true },
      ],
    ]);
    const meta = out.columnMetadata?.map((c) => [c.name, c.typeName, c.type]);
    expect(meta).toEqual([
      ['i', 'int4', 4],
      ['l', 'int8', -5],
      ['num', 'numeric', 2],
      ['d', 'float8', 8],
      ['b', 'bool', -7],
      ['s', 'text', 12],
      ['ts', 'timestamptz', 93],
      ['j', 'jsonb', 1111],
      ['ints', '_int4', 2003],
      ['nothing', 'text', 12],
    ]);
    expect(out.columnMetadata?.[2]).toMatchObject({ precision: 6, scale: 2, label: 'num' });
    expect(out.numberOfRecordsUpdated).toBe(0);
  });

  it('honours resultSetOptions and formatRecordsAs JSON', async () => {
    const options = await execute('SELECT 2.5::numeric AS d, 3::numeric AS l, 4::bigint AS s', {
      resultSetOptions: { decimalReturnType: 'DOUBLE_OR_LONG', longReturnType: 'STRING' },
    });
    expect(options.records).toEqual([[{ doubleValue: 2.5 }, { longValue: 3 }, { stringValue: '4' }]]);
    const json = await execute('SELECT 1 AS a, NULL::text AS b, ARRAY[true] AS c', {
      formatRecordsAs: 'JSON',
    });
    expect(JSON.parse(json.formattedRecords ?? '')).toEqual([{ a: 1, b: null, c: [true] }]);
    expect(json.records).toBeUndefined();
  });

  it('types a stringValue as varchar unless a typeHint says otherwise, as AWS does', async () => {
    const id = '5b4f3c7e-56e7-4bc8-9d0f-3f3a3b0f0a11';
    const untyped = await failure(
      execute('INSERT INTO t (id) VALUES (:id)', {
        parameters: [{ name: 'id', value: { stringValue: id } }],
      }),
    );
    expect(untyped).toMatchObject({ name: 'DatabaseErrorException' });
    expect(untyped?.message).toMatch(
      /^ERROR: column "id" is of type uuid but expression is of type character varying/,
    );
    const hinted = await execute('INSERT INTO t (id, at) VALUES (:id, :at)', {
      parameters: [
        { name: 'id', value: { stringValue: id }, typeHint: 'UUID' },
        { name: 'at', value: { stringValue: '2024-05-06 07:08:09.123' }, typeHint: 'TIMESTAMP' },
      ],
    });
    expect(hinted.numberOfRecordsUpdated).toBe(1);
    const read = await execute('SELECT at FROM t WHERE id = :id::uuid', {
      parameters: [{ name: 'id', value: { stringValue: id } }],
    });
    expect(read.records).toEqual([[{ stringValue: '2024-05-06 07:08:09.123' }]]);
  });

  it('answers a failed statement with DatabaseErrorException "ERROR: ...; SQLState: <code>"', async () => {
    const insert = 'INSERT INTO t (id, n) VALUES (gen_random_uuid(), 1)';
    await execute(insert);
    const error = await failure(execute(insert));
    expect(error).toMatchObject({ name: 'DatabaseErrorException', $metadata: { httpStatusCode: 400 } });
    expect(error?.message).toBe(
      'ERROR: duplicate key value violates unique constraint "t_n_key"\n  Detail: Key (n)=(1) already exists.; SQLState: 23505',
    );
    expect(toDataApiFailure(error)).toMatchObject({
      sqlState: '23505',
      message: 'duplicate key value violates unique constraint "t_n_key"',
    });
    expect(toDataApiFailure(error)).toBeInstanceOf(SqlError);
  });

  it('refuses more than one statement per call', async () => {
    const error = await failure(execute('SELECT 1; SELECT 2'));
    expect(error).toMatchObject({ name: 'BadRequestException', $metadata: { httpStatusCode: 400 } });
  });

  it('runs a transaction on one connection and commits it', async () => {
    const { transactionId } = await client.send(new BeginTransactionCommand(target));
    expect(transactionId).toBeTruthy();
    await execute('INSERT INTO t (id, n) VALUES (gen_random_uuid(), 10)', { transactionId });
    const inside = await execute('SELECT count(*) AS c FROM t WHERE n = 10', { transactionId });
    const outside = await execute('SELECT count(*) AS c FROM t WHERE n = 10');
    expect([inside.records?.[0]?.[0], outside.records?.[0]?.[0]]).toEqual([
      { longValue: 1 },
      { longValue: 0 },
    ]);
    const done = await client.send(new CommitTransactionCommand({ ...target, transactionId }));
    expect(done.transactionStatus).toBe('Transaction Committed');
    expect((await execute('SELECT count(*) FROM t WHERE n = 10')).records).toEqual([[{ longValue: 1 }]]);
  });

  it('ends a transaction on a failed statement, on rollback and after the idle timeout', async () => {
    const notFound = { name: 'BadRequestException', $metadata: { httpStatusCode: 400 } };
    const failed = (await client.send(new BeginTransactionCommand(target))).transactionId;
    await failure(execute('SELEKT', { transactionId: failed }));
    const after = await failure(execute('SELECT 1', { transactionId: failed }));
    expect(after).toMatchObject(notFound);
    expect(after?.message).toBe(`Transaction ${failed} is not found`);

    const rolledBack = (await client.send(new BeginTransactionCommand(target))).transactionId;
    const status = await client.send(
      new RollbackTransactionCommand({ ...target, transactionId: rolledBack }),
    );
    expect(status.transactionStatus).toBe('Rollback Complete');
    expect(await failure(execute('SELECT 1', { transactionId: rolledBack }))).toMatchObject(notFound);

    const idle = (await client.send(new BeginTransactionCommand(target))).transactionId;
    await new Promise((resolve) => setTimeout(resolve, 400));
    const expired = await failure(
      client.send(new CommitTransactionCommand({ ...target, transactionId: idle })),
    );
    expect(expired).toMatchObject(notFound);
  });

  it('runs BatchExecute over parameter sets in one transaction', async () => {
    const out = await client.send(
      new BatchExecuteStatementCommand({
        ...target,
        sql: 'INSERT INTO t (id, n) VALUES (gen_random_uuid(), :n)',
        parameterSets: [[{ name: 'n', value: { longValue: 20 } }], [{ name: 'n', value: { longValue: 21 } }]],
      }),
    );
    expect(out.updateResults).toEqual([{ generatedFields: [] }, { generatedFields: [] }]);
    const failed = await failure(
      client.send(
        new BatchExecuteStatementCommand({
          ...target,
          sql: 'INSERT INTO t (id, n) VALUES (gen_random_uuid(), :n)',
          parameterSets: [
            [{ name: 'n', value: { longValue: 22 } }],
            [{ name: 'n', value: { longValue: 20 } }],
          ],
        }),
      ),
    );
    expect(failed).toMatchObject({ name: 'DatabaseErrorException' });
    expect((await execute('SELECT n FROM t WHERE n >= 20 ORDER BY n')).records).toEqual([
      [{ longValue: 20 }],
      [{ longValue: 21 }],
    ]);
  });

  it('requires resourceArn and secretArn, naming the missing one', async () => {
    const missing = await post('/Execute', { resourceArn: target.resourceArn, sql: 'SELECT 1' });
    expect(missing).toMatchObject({ status: 400, type: 'BadRequestException' });
    expect(missing.body.message).toContain("'secretArn'");
    expect(await post('/BeginTransaction', { secretArn: target.secretArn })).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining("'resourceArn'") },
    });
  });
});
