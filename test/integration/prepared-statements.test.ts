/**
 * The node-postgres driver runs statements with parameters as prepared statements. A migration that
 * changes what one returns must not break it: outside a transaction the statement is prepared afresh
 * and run again; inside one, the refusal fails that transaction (PostgreSQL aborted it) and the next
 * run prepares it afresh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openNodePostgres } from '../../lambdas/adapters/sql/node-postgres.driver.ts';
import type { SqlClient } from '../../lambdas/adapters/sql/port.ts';
import { createTestDatabase, requireService } from '../support/services.ts';

const hasPostgres = requireService('DATABASE_URL');

describe.runIf(hasPostgres)('prepared statements on node-postgres', () => {
  let sql: SqlClient;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    sql = openNodePostgres({ url: db.url, max: 2 });
  });
  afterAll(async () => {
    await sql?.close();
    await drop?.();
  });

  it('keeps answering after a migration changes the result of a prepared statement', async () => {
    await sql.query('CREATE TABLE prepared_t (id int PRIMARY KEY)');
    await sql.query('INSERT INTO prepared_t VALUES (1)');
    const select = () => sql.query('SELECT * FROM prepared_t WHERE id = :id', { id: 1 });
    for (let i = 0; i < 4; i++) expect((await select()).rows).toEqual([{ id: 1 }]);
    await sql.query('ALTER TABLE prepared_t ADD COLUMN note text');
    for (let i = 0; i < 4; i++) expect((await select()).rows).toEqual([{ id: 1, note: null }]);
  });

  it('inside a transaction the refusal fails that transaction only; the next one prepares it afresh', async () => {
    await sql.query('CREATE TABLE prepared_u (id int PRIMARY KEY)');
    await sql.query('INSERT INTO prepared_u VALUES (1)');
    const select = (db: Pick<SqlClient, 'query'>) =>
      db.query('SELECT * FROM prepared_u WHERE id = :id', { id: 1 });
    // Prepared on both connections of the pool.
    await Promise.all([sql.transaction(select), sql.transaction(select)]);
    await sql.query('ALTER TABLE prepared_u ADD COLUMN note text');
    await expect(sql.transaction(select)).rejects.toMatchObject({ sqlState: '0A000' });
    for (let i = 0; i < 3; i++) expect((await sql.transaction(select)).rows).toEqual([{ id: 1, note: null }]);
  });
});
