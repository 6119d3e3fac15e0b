/**
 * The migration runner: applies the `*.sql` files of a folder in name order, each once, each in
 * one transaction, statement by statement (the Data API runs one statement per call). Applied
 * versions (file names without `.sql`) are kept in `schema_migrations`. Runners that start together
 * take turns on an advisory lock, so each file is applied by exactly one of them.
 * A migration cannot hold statements that refuse a transaction (CREATE INDEX CONCURRENTLY).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitStatements } from './named-params.ts';
import type { SqlClient, SqlExecutor } from './port.ts';

export const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url));

/** The advisory lock key migration runners share (any fixed bigint). */
const LOCK_KEY = 7_431_862_059;

// A void function in FROM: the lock is taken, and the result has no column of type void (which
// the Data API cannot return).
const lock = (tx: SqlExecutor) => tx.query(`SELECT 1 AS locked FROM pg_advisory_xact_lock(${LOCK_KEY})`);

/** Applies what is not applied yet; returns the versions it applied, in order. */
export async function migrate(sql: SqlClient, dir: string = migrationsDir): Promise<string[]> {
  await sql.transaction(async (tx) => {
    await lock(tx);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  });
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const applied: string[] = [];
  for (const file of files) {
    const version = file.slice(0, -'.sql'.length);
    const statements = splitStatements(await readFile(join(dir, file), 'utf8'));
    const done = await sql.transaction(async (tx) => {
      await lock(tx);
      const { rows } = await tx.query('SELECT 1 FROM schema_migrations WHERE version = :version', {
        version,
      });
      if (rows.length) return false;
      for (const statement of statements) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version) VALUES (:version)', { version });
      return true;
    });
    if (done) applied.push(version);
  }
  return applied;
}
