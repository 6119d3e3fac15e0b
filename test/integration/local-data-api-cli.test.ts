/**
 * The local RDS Data API answers the real AWS CLI as Aurora does, limits included: a response over
 * 1 MiB, a request over 4 MiB, a statement past the timeout (45 s; shortened here), an unknown
 * `--database`, column nullability; and on the embedded PGlite, the one session it shares with the
 * organization is never left inside a transaction or with a setting changed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openPglite, type PgliteClient } from '../../lambdas/adapters/sql/pglite.driver.ts';
import { createDataApiRoute } from '../../lambdas/local/aws/data-api.ts';
import { type LocalAwsEndpoint, startLocalAwsEndpoint } from '../../lambdas/local/aws/server.ts';
import { aws } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { createTestDatabase, requireService } from '../support/services.ts';

// Each case runs the AWS CLI (a Python process) several times: generous on a busy machine.
vi.setConfig({ testTimeout: 180_000 });

const hasPostgres = requireService('DATABASE_URL');
const STATEMENT_TIMEOUT_MS = 2_000;
const ARNS = [
  '--resource-arn',
  'arn:aws:rds:us-east-1:000000000000:cluster:echo-local',
  '--secret-arn',
  'arn:aws:secretsmanager:us-east-1:000000000000:secret:echo-local',
];

interface Served {
  endpoint: LocalAwsEndpoint;
  /** The same database behind an endpoint whose statement timeout is short (PostgreSQL only). */
  impatient?: LocalAwsEndpoint;
  /** A query straight on the database, beside the Data API. */
  direct(sql: string): Promise<Record<string, unknown>[]>;
  ownName: string;
  close(): Promise<void>;
}

async function serve(kind: 'postgres' | 'pglite'): Promise<Served> {
  if (kind === 'postgres') {
    const db = await createTestDatabase();
    const dataApi = createDataApiRoute({ connectionString: db.url });
    const endpoint = await startLocalAwsEndpoint({ port: 0, routes: [dataApi.route] });
    const short = createDataApiRoute({ connectionString: db.url, statementTimeoutMs: STATEMENT_TIMEOUT_MS });
    const impatient = await startLocalAwsEndpoint({ port: 0, routes: [short.route] });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    return {
      endpoint,
      impatient,
      direct: async (sql) => (await client.query(sql)).rows,
      ownName: new URL(db.url).pathname.slice(1),
      async close() {
        await endpoint.close();
        await impatient.close();
        await dataApi.close();
        await short.close();
        await client.end();
        await db.drop();
      },
    };
  }
  const pglite: PgliteClient = openPglite();
  const dataApi = createDataApiRoute({ pglite });
  const endpoint = await startLocalAwsEndpoint({ port: 0, routes: [dataApi.route] });
  return {
    endpoint,
    direct: async (sql) => (await pglite.query(sql)).rows,
    ownName: 'postgres',
    async close() {
      await endpoint.close();
      await dataApi.close();
      await pglite.close();
    },
  };
}

const variants = [
  { name: 'PostgreSQL', kind: 'postgres' as const, enabled: hasPostgres },
  { name: 'embedded PGlite', kind: 'pglite' as const, enabled: true },
];

describe.each(variants.filter((v) => v.enabled))(
  'aws rds-data against the local endpoint ($name)',
  ({ kind }) => {
    let s: Served;
    let files: string;
    const rdsData = (...args: string[]) => aws(['rds-data', ...args], s.endpoint.url);
    const execute = (sql: string, ...more: string[]) =>
      rdsData('execute-statement', ...ARNS, '--sql', sql, ...more);
    const ok = async (p: ReturnType<typeof execute>) => {
      const r = await p;
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout);
    };

    beforeAll(async () => {
      s = await serve(kind);
      files = mkdtempSync(join(tmpdir(), 'echo-data-api-'));
      await s.direct('CREATE TABLE nn (id int NOT NULL, note text, n int)');
    });
    afterAll(async () => {
      await s?.close();
      rmSync(files, { recursive: true, force: true });
    });

    it('reports a NOT NULL column as nullable 0, any other column and an expression as 1', async () => {
      const out = await ok(execute('SELECT id, note, id + 1 AS next FROM nn', '--include-result-metadata'));
      expect(out.columnMetadata.map((c: { name: string; nullable: number }) => [c.name, c.nullable])).toEqual(
        [
          ['id', 0],
          ['note', 1],
          ['next', 1],
        ],
      );
    });

    it('refuses a response over 1 MiB as Aurora does, and takes one just under it', async () => {
      const big = await execute(`SELECT repeat('x', 400000) AS a FROM generate_series(1, 3)`);
      expect(big.code).not.toBe(0);
      expect(big.stderr).toContain(
        'An error occurred (BadRequestException) when calling the ExecuteStatement operation: Database returned more than the allowed response size limit',
      );
      const fits = await ok(execute(`SELECT repeat('x', 300000) AS a FROM generate_series(1, 3)`));
      expect(fits.records).toHaveLength(3);
    });

    it('refuses a request over 4 MiB (headers and JSON included), and takes one of 3 MiB', async () => {
      const sets = (n: number) =>
        Array.from({ length: n }, (_, i) => [
          { name: 'id', value: { longValue: 1000 + i } },
          { name: 'note', value: { stringValue: 'y'.repeat(100_000) } },
        ]);
      const write = (name: string, n: number) => {
        const file = join(files, name);
        writeFileSync(file, JSON.stringify(sets(n)));
        return `file://${file}`;
      };
      const insert = 'INSERT INTO nn (id, note) VALUES (:id, :note)';
      const tooBig = await rdsData(
        'batch-execute-statement',
        ...ARNS,
        '--sql',
        insert,
        '--parameter-sets',
        write('5mib.json', 50),
      );
      expect(tooBig.code).not.toBe(0);
      expect(tooBig.stderr).toContain('(BadRequestException)');
      expect(tooBig.stderr).toContain('the Data API takes at most 4 MiB (4194304 bytes)');
      expect(await s.direct('SELECT count(*)::int AS c FROM nn WHERE id >= 1000')).toEqual([{ c: 0 }]);
      const fits = await rdsData(
        'batch-execute-statement',
        ...ARNS,
        '--sql',
        insert,
        '--parameter-sets',
        write('3mib.json', 30),
      );
      expect(fits.stderr).toBe('');
      expect(JSON.parse(fits.stdout).updateResults).toHaveLength(30);
      expect(await s.direct('SELECT count(*)::int AS c FROM nn WHERE id >= 1000')).toEqual([{ c: 30 }]);
    });

    it('refuses an unknown --database as Aurora does; takes `echo` and the database by its own name', async () => {
      const unknown = await execute('SELECT 1', '--database', 'nope');
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toContain(
        'An error occurred (DatabaseErrorException) when calling the ExecuteStatement operation: ERROR: database "nope" does not exist',
      );
      expect(unknown.stderr).toMatch(/SQLState: 3D000\s*$/);
      expect(unknown.stderr).toContain('pass --database echo');
      for (const name of ['echo', s.ownName])
        expect((await ok(execute('SELECT 1 AS one', '--database', name))).records).toEqual([
          [{ longValue: 1 }],
        ]);
    });

    it('refuses BEGIN as a statement (a transaction is BeginTransaction) and leaves no transaction open', async () => {
      const begun = await execute('BEGIN');
      expect(begun.code).not.toBe(0);
      expect(begun.stderr).toContain('(BadRequestException)');
      expect(begun.stderr).toContain('A transaction cannot be started by a statement: call BeginTransaction');
      // SAVEPOINT works only inside a transaction block: refused, so no block was left open.
      const probe = await execute('SAVEPOINT probe');
      expect(probe.stderr).toContain('SAVEPOINT can only be used in transaction blocks');
      if (kind === 'pglite') await expect(s.direct('SAVEPOINT probe')).rejects.toThrow(/transaction blocks/);
    });

    if (kind === 'pglite') {
      it('runs batch-execute-statement in one transaction, and refuses a transaction across calls, saying why', async () => {
        const insertIds = (...ids: (number | null)[]) =>
          rdsData(
            'batch-execute-statement',
            ...ARNS,
            '--sql',
            'INSERT INTO nn (id) VALUES (:id)',
            '--parameter-sets',
            JSON.stringify(
              ids.map((id) => [{ name: 'id', value: id === null ? { isNull: true } : { longValue: id } }]),
            ),
          );
        expect((await insertIds(1, 2)).stderr).toBe('');
        const failed = await insertIds(3, null);
        expect(failed.stderr).toContain('(DatabaseErrorException)');
        expect(await s.direct('SELECT id FROM nn WHERE id < 1000 ORDER BY id')).toEqual([
          { id: 1 },
          { id: 2 },
        ]);

        const begin = await rdsData('begin-transaction', ...ARNS, '--database', 'echo');
        expect(begin.code).not.toBe(0);
        expect(begin.stderr).toContain('(BadRequestException)');
        expect(begin.stderr).toContain('it is one session, shared with every agent');
      });

      it('a setting changed through the Data API does not stay on the shared session', async () => {
        expect((await execute('SET search_path TO nowhere')).stderr).toBe('');
        expect(await s.direct('SELECT count(*)::int AS c FROM nn WHERE id = 1')).toEqual([{ c: 1 }]);
      });
    }

    if (kind === 'postgres') {
      it('a response over 1 MiB inside a transaction ends the transaction, as on AWS', async () => {
        const { transactionId } = JSON.parse((await rdsData('begin-transaction', ...ARNS)).stdout);
        const big = await execute(
          `SELECT repeat('x', 400000) AS a FROM generate_series(1, 3)`,
          '--transaction-id',
          transactionId,
        );
        expect(big.stderr).toContain('Database returned more than the allowed response size limit');
        const after = await execute('SELECT 1', '--transaction-id', transactionId);
        expect(after.stderr).toContain(`Transaction ${transactionId} is not found`);
      });

      it('cancels a statement past the timeout with StatementTimeoutException; continue-after-timeout lets it finish', async () => {
        const running = (marker: string) =>
          s.direct(
            `SELECT count(*)::int AS c FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%${marker}%' AND pid <> pg_backend_pid()`,
          );
        const impatient = (sql: string, ...more: string[]) =>
          aws(['rds-data', 'execute-statement', ...ARNS, '--sql', sql, ...more], s.impatient!.url);
        const cancelled = await impatient(`INSERT INTO nn (id) SELECT 7001 FROM pg_sleep(30)`);
        expect(cancelled.code).not.toBe(0);
        expect(cancelled.stderr).toContain(
          'An error occurred (StatementTimeoutException) when calling the ExecuteStatement operation: Request timed out',
        );
        await eventually(
          async () => ((await running('7001'))[0]!.c === 0 ? true : undefined),
          20_000,
          'the cancel',
        );
        expect(await s.direct('SELECT count(*)::int AS c FROM nn WHERE id = 7001')).toEqual([{ c: 0 }]);

        const kept = await impatient(
          `INSERT INTO nn (id) SELECT 7002 FROM pg_sleep(${(STATEMENT_TIMEOUT_MS * 2) / 1000})`,
          '--continue-after-timeout',
        );
        expect(kept.stderr).toContain('(StatementTimeoutException)');
        await eventually(
          async () =>
            (await s.direct('SELECT count(*)::int AS c FROM nn WHERE id = 7002'))[0]!.c === 1
              ? true
              : undefined,
          30_000,
          'the statement that went on',
        );
      });
    }
  },
);
