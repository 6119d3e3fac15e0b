/**
 * The SQL port's contract, run against every driver: PGlite (in memory), node-postgres (a fresh
 * database) and the RDS Data API (the real SDK client against the local Data API route over a
 * fresh database).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../lambdas/adapters/sql/migrate.ts';
import { openNodePostgres } from '../../lambdas/adapters/sql/node-postgres.driver.ts';
import { openSql } from '../../lambdas/adapters/sql/open.ts';
import { openPglite } from '../../lambdas/adapters/sql/pglite.driver.ts';
import type { SqlClient } from '../../lambdas/adapters/sql/port.ts';
import { openRdsData } from '../../lambdas/adapters/sql/rds-data.driver.ts';
import { DatabaseUnavailableError, SqlError, ValidationError } from '../../lambdas/core/errors.ts';
import { startDataApiServer } from '../support/data-api-server.ts';
import { createTestDatabase, requireService } from '../support/services.ts';

const hasPostgres = requireService('DATABASE_URL');
const fixtures = fileURLToPath(new URL('./fixtures/migrations/', import.meta.url));

interface Opened {
  sql: SqlClient;
  cleanup(): Promise<void>;
}

const dataApiTarget = {
  resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:echo-local',
  secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:echo-local',
  database: 'echo',
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};

async function openDataApi(connectionString: string, maxAttempts?: number) {
  const server = await startDataApiServer({ connectionString });
  const sql = openRdsData({ ...dataApiTarget, endpoint: server.endpoint, maxAttempts });
  return { sql, server };
}

const drivers: { name: SqlClient['driver']; available: boolean; open(): Promise<Opened> }[] = [
  {
    name: 'pglite',
    available: true,
    async open() {
      const sql = openPglite();
      return { sql, cleanup: () => sql.close() };
    },
  },
  {
    name: 'node-postgres',
    available: hasPostgres,
    async open() {
      const db = await createTestDatabase();
      const sql = openNodePostgres({ url: db.url });
      const cleanup = async () => {
        await sql.close();
        await db.drop();
      };
      return { sql, cleanup };
    },
  },
  {
    name: 'rds-data',
    available: hasPostgres,
    async open() {
      const db = await createTestDatabase();
      const { sql, server } = await openDataApi(db.url);
      const cleanup = async () => {
        await sql.close();
        await server.close();
        await db.drop();
      };
      return { sql, cleanup };
    },
  },
];

describe.each(drivers.filter((d) => d.available))('SQL port contract: $name', (driver) => {
  let sql: SqlClient;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ sql, cleanup } = await driver.open());
    await sql.query('CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL, at timestamptz)');
  });
  afterAll(async () => cleanup?.());

  const names = async () => (await sql.query<{ name: string }>('SELECT name FROM items ORDER BY id')).rows;

  it('names its driver', () => {
    expect(sql.driver).toBe(driver.name);
  });

  it('normalises every result type of the port', async () => {
    const id = randomUUID();
    const { rows, rowCount } = await sql.query(
      `SELECT 42::integer AS int, 9007199254740991::bigint AS big, 7::smallint AS small,
              12.50::numeric(6, 2) AS num, 1.5::float8 AS dbl, 0.25::real AS flt,
              true AS yes, false AS no, 'text' AS txt, 'abc'::varchar(5) AS var, :id::uuid AS id,
              '{"a": {"b": [1, 2]}, "c": null}'::jsonb AS obj, '[1, "two", null]'::jsonb AS arr, '"s"'::json AS js,
              NULL::text AS null_text, NULL::integer AS null_int, NULL::jsonb AS null_json, DATE '2024-02-29' AS day`,
      { id },
    );
    expect(rowCount).toBe(1);
    expect(rows[0]).toStrictEqual({
      int: 42,
      big: 9007199254740991,
      small: 7,
      num: 12.5,
      dbl: 1.5,
      flt: 0.25,
      yes: true,
      no: false,
      txt: 'text',
      var: 'abc',
      id,
      obj: { a: { b: [1, 2] }, c: null },
      arr: [1, 'two', null],
      js: 's',
      null_text: null,
      null_int: null,
      null_json: null,
      day: '2024-02-29',
    });
  });

  it('round-trips timestamptz with milliseconds, and reads a timestamp without zone as UTC', async () => {
    const at = new Date('2024-02-29T23:59:58.789Z');
    await sql.query('INSERT INTO items (id, name, at) VALUES (:id, :name, :at)', { id: 100, name: 'ts', at });
    const { rows } = await sql.query<{ at: Date; echo: Date; naive: Date }>(
      `SELECT at, :at::timestamptz AS echo, TIMESTAMP '2024-01-02 03:04:05.678' AS naive FROM items WHERE id = :id`,
      { id: 100, at },
    );
    expect(rows[0]?.at).toBeInstanceOf(Date);
    expect(rows[0]?.at.toISOString()).toBe(at.toISOString());
    expect(rows[0]?.echo.toISOString()).toBe(at.toISOString());
    expect(rows[0]?.naive.toISOString()).toBe('2024-01-02T03:04:05.678Z');
    await sql.query('DELETE FROM items WHERE id = 100');
  });

  it('binds every parameter type of the port', async () => {
    const { rows } = await sql.query(
      `SELECT :s AS s, :i AS i, :big AS big, :f AS f, :b AS b, :n::text AS n, :u::integer AS u,
              :o::jsonb AS o, :a::jsonb AS a, jsonb_array_length(:a::jsonb) AS len`,
      {
        s: 'hé :x',
        i: 7,
        big: 5_000_000_000,
        f: 2.5,
        b: false,
        n: null,
        u: undefined,
        o: { k: [1] },
        a: [1, 'x'],
      },
    );
    expect(rows[0]).toStrictEqual({
      s: 'hé :x',
      i: 7,
      big: 5_000_000_000,
      f: 2.5,
      b: false,
      n: null,
      u: null,
      o: { k: [1] },
      a: [1, 'x'],
      len: 2,
    });
  });

  it('returns arrays as arrays of normalised values', async () => {
    const { rows } = await sql.query(
      `SELECT ARRAY[1, 2, NULL]::integer[] AS ints, ARRAY['a', 'b c', 'd"e']::text[] AS texts,
              ARRAY[1.5, 2]::numeric[] AS nums, ARRAY[true, false] AS bools, ARRAY[[1, 2], [3, 4]] AS grid`,
    );
    expect(rows[0]).toStrictEqual({
      ints: [1, 2, null],
      texts: ['a', 'b c', 'd"e'],
      nums: [1.5, 2],
      bools: [true, false],
      grid: [
        [1, 2],
        [3, 4],
      ],
    });
  });

  it('uses one value for a parameter named twice', async () => {
    const { rows } = await sql.query(
      'SELECT :x::integer + :x::integer AS twice, :y AS y, :x::integer AS once',
      {
        x: 21,
        y: 'y',
      },
    );
    expect(rows[0]).toEqual({ twice: 42, y: 'y', once: 21 });
  });

  it('fails naming a parameter the statement uses and the call does not give', async () => {
    const failure = sql.query('SELECT :given, :forgotten', { given: 1 });
    await expect(failure).rejects.toBeInstanceOf(ValidationError);
    await expect(failure).rejects.toThrow(/:forgotten/);
  });

  it('counts the rows an insert, update or delete touched, and the rows a select returned', async () => {
    const insert = await sql.query(
      `INSERT INTO items (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three')`,
    );
    expect(insert.rowCount).toBe(3);
    expect(
      (await sql.query(`UPDATE items SET name = name || '!' WHERE id <= :max`, { max: 2 })).rowCount,
    ).toBe(2);
    expect((await sql.query('UPDATE items SET name = name WHERE id = 999')).rowCount).toBe(0);
    expect((await sql.query('DELETE FROM items WHERE id = :id', { id: 3 })).rowCount).toBe(1);
    const select = await sql.query('SELECT * FROM items');
    expect(select.rowCount).toBe(2);
    expect(select.rows).toHaveLength(2);
    const returning = await sql.query('DELETE FROM items RETURNING id');
    expect(returning.rowCount).toBe(2);
    expect(returning.rows.map((r) => r.id).sort()).toEqual([1, 2]);
  });

  it('commits a transaction and returns its result', async () => {
    const result = await sql.transaction(async (tx) => {
      await tx.query(`INSERT INTO items (id, name) VALUES (10, 'ten')`);
      await tx.query('INSERT INTO items (id, name) VALUES (:id, :name)', { id: 11, name: 'eleven' });
      return 'done';
    });
    expect(result).toBe('done');
    expect(await names()).toEqual([{ name: 'ten' }, { name: 'eleven' }]);
    await sql.query('DELETE FROM items');
  });

  it('sees its own writes inside a transaction', async () => {
    const seen = await sql.transaction(async (tx) => {
      await tx.query(`INSERT INTO items (id, name) VALUES (20, 'twenty')`);
      return (await tx.query('SELECT count(*)::integer AS n FROM items WHERE id = 20')).rows[0];
    });
    expect(seen).toEqual({ n: 1 });
    await sql.query('DELETE FROM items');
  });

  it('rolls back when the callback throws and rethrows the same error', async () => {
    const boom = new Error('boom');
    await expect(
      sql.transaction(async (tx) => {
        await tx.query(`INSERT INTO items (id, name) VALUES (30, 'thirty')`);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await names()).toEqual([]);
  });

  it('refuses statements on a transaction executor after the transaction ended', async () => {
    let escaped: Parameters<Parameters<SqlClient['transaction']>[0]>[0] | undefined;
    await sql.transaction(async (tx) => {
      escaped = tx;
    });
    await expect(escaped?.query('SELECT 1')).rejects.toBeInstanceOf(SqlError);
  });

  it('reports a unique violation as SqlError 23505, outside and inside a transaction', async () => {
    await sql.query(`INSERT INTO items (id, name) VALUES (40, 'forty')`);
    const outside = await sql
      .query(`INSERT INTO items (id, name) VALUES (40, 'again')`)
      .catch((e: unknown) => e);
    expect(outside).toBeInstanceOf(SqlError);
    expect(outside).toMatchObject({ sqlState: '23505', isUniqueViolation: true });
    expect((outside as SqlError).message).toMatch(
      /^duplicate key value violates unique constraint "items_pkey"$/,
    );

    const inside = await sql
      .transaction(async (tx) => {
        await tx.query(`INSERT INTO items (id, name) VALUES (41, 'forty-one')`);
        await tx.query(`INSERT INTO items (id, name) VALUES (40, 'again')`);
      })
      .catch((e: unknown) => e);
    expect(inside).toBeInstanceOf(SqlError);
    expect((inside as SqlError).sqlState).toBe('23505');
    expect(await names()).toEqual([{ name: 'forty' }]);
    await sql.query('DELETE FROM items');
  });

  it('reports a syntax error as SqlError 42601', async () => {
    const error = await sql.query('SELEKT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqlError);
    expect((error as SqlError).sqlState).toBe('42601');
  });

  it('fails a commit of a transaction a failed statement aborted', async () => {
    const error = await sql
      .transaction(async (tx) => {
        await tx.query(`INSERT INTO items (id, name) VALUES (50, 'fifty')`);
        await tx.query('SELEKT 1').catch(() => undefined); // swallowed: the transaction is still lost
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SqlError);
    expect(await names()).toEqual([]);
  });

  it('applies a migration folder once, even with two runners at the same time', async () => {
    const [a, b] = await Promise.all([migrate(sql, fixtures), migrate(sql, fixtures)]);
    expect([...(a ?? []), ...(b ?? [])].sort()).toEqual(['0001_tables', '0002_function']);
    expect(await migrate(sql, fixtures)).toEqual([]);
    const { rows } = await sql.query('SELECT id, name FROM fixture_items');
    expect(rows).toEqual([{ id: 3, name: 'a;b' }]);
    const versions = await sql.query('SELECT version, applied_at FROM schema_migrations ORDER BY version');
    expect(versions.rows.map((r) => r.version)).toEqual(['0001_tables', '0002_function']);
    expect(versions.rows[0]?.applied_at).toBeInstanceOf(Date);
  });

  // PGlite is single-connection: only it serialises transactions (registered for it alone).
  if (driver.name === 'pglite')
    it('runs transactions one at a time and holds other statements back', async () => {
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      await sql.query('CREATE TABLE steps (seq serial PRIMARY KEY, tx text NOT NULL)');
      const run = (name: string) =>
        sql.transaction(async (tx) => {
          for (let i = 0; i < 3; i++) {
            await tx.query('INSERT INTO steps (tx) VALUES (:name)', { name });
            await sleep(5);
          }
        });
      const first = run('a');
      const outside = sql.query<{ n: number }>('SELECT count(*)::integer AS n FROM steps');
      const second = run('b');
      await Promise.all([first, second]);
      expect((await outside).rows[0]?.n).toBe(3); // ran after the first transaction, before the second
      const { rows } = await sql.query<{ tx: string }>('SELECT tx FROM steps ORDER BY seq');
      expect(rows.map((r) => r.tx).join('')).toBe('aaabbb');
    });

  if (driver.name === 'pglite')
    it('refuses a client statement inside a transaction instead of deadlocking', async () => {
      await expect(sql.transaction(() => sql.query('SELECT 1'))).rejects.toThrow(/tx executor/);
      // SQLSTATE 25001 (active_sql_transaction): a caller may write it once the transaction ends
      await expect(sql.transaction(() => sql.query('SELECT 1'))).rejects.toMatchObject({
        code: 'SqlError',
        sqlState: '25001',
      });
    });
});

describe('SQL port: PGlite with a data directory', () => {
  it('keeps its data across a close and a reopen', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'echo-pglite-'));
    try {
      const first = await openSql({ kind: 'pglite', dataDir });
      expect(first.driver).toBe('pglite');
      await first.query('CREATE TABLE kept (v text)');
      await first.query('INSERT INTO kept VALUES (:v)', { v: 'still here' });
      await first.close();
      const second = await openSql({ kind: 'pglite', dataDir });
      expect((await second.query('SELECT v FROM kept')).rows).toEqual([{ v: 'still here' }]);
      await second.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe.runIf(hasPostgres)('SQL port: an unreachable database', () => {
  const down = 'postgres://postgres@127.0.0.1:1/x';

  it('node-postgres fails fast with DatabaseUnavailableError', async () => {
    const sql = openNodePostgres({ url: down });
    await expect(sql.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await expect(sql.transaction(async (tx) => tx.query('SELECT 1'))).rejects.toBeInstanceOf(
      DatabaseUnavailableError,
    );
    await sql.close();
  });

  it('rds-data gives DatabaseUnavailableError when the Data API cannot reach the database', async () => {
    const { sql, server } = await openDataApi(down, 1);
    const error = await sql.query('SELECT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).cause).toMatchObject({ name: 'DatabaseUnavailableException' });
    await expect(sql.transaction(async (tx) => tx.query('SELECT 1'))).rejects.toBeInstanceOf(
      DatabaseUnavailableError,
    );
    await sql.close();
    await server.close();
  });

  it('rds-data gives DatabaseUnavailableError when the Data API endpoint cannot be reached', async () => {
    const sql = openRdsData({ ...dataApiTarget, endpoint: 'http://127.0.0.1:1', maxAttempts: 1 });
    await expect(sql.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await sql.close();
  });
});
