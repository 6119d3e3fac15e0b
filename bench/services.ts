/**
 * The services one bench run measures against: a fresh database of its own (created on the
 * DATABASE_URL server and dropped at the end, or an in-memory PGlite), migrated, with a raw twin of
 * the messages table for the baseline; Redis at REDIS_URL (or the in-process hub); and the facts
 * about them that go into the report.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createInProcessHub } from '../lambdas/adapters/realtime/in-process.realtime.ts';
import {
  createRedisPublisher,
  createRedisSubscriber,
} from '../lambdas/adapters/realtime/ioredis.realtime.ts';
import type { RealtimePublisher, RealtimeSubscriber } from '../lambdas/adapters/realtime/port.ts';
import { migrate } from '../lambdas/adapters/sql/migrate.ts';
import { openNodePostgres } from '../lambdas/adapters/sql/node-postgres.driver.ts';
import { openPglite } from '../lambdas/adapters/sql/pglite.driver.ts';
import type { SqlClient } from '../lambdas/adapters/sql/port.ts';

/** The baseline's table: the same shape as `messages` (columns, checks, indexes, identity). */
export const RAW_TABLE = 'bench_raw_messages';

/** One raw INSERT: positional parameters, no driver of the project in between. */
export type RawInsert = (text: string, values: unknown[]) => Promise<void>;

export interface BenchServices {
  database: {
    kind: 'postgresql' | 'pglite';
    /** The server's version, synchronous_commit and the like. */
    facts: Record<string, string>;
    /** The bench database's own URL (PostgreSQL only), for the local runtime of the broadcast run. */
    url: string | undefined;
  };
  realtime: { kind: 'redis' | 'in-process'; facts: Record<string, string>; url: string | undefined };
  /** The project's SQL port on the bench database, with the pool size asked for. */
  sql: SqlClient;
  /** The pool size of every bench database's SQL port and of the baseline's pool. */
  pool: number;
  /** The baseline's INSERT: a plain pg pool of the same size (PGlite: the same session). */
  rawInsert: RawInsert;
  /** The project's real-time adapters (ioredis, or the in-process hub). */
  publisher: RealtimePublisher;
  subscriber: RealtimeSubscriber;
  /** The baseline's PUBLISH of a JSON payload: a plain ioredis client (in-process: the hub's publish). */
  rawPublish(channel: string, payload: unknown): Promise<void>;
  close(): Promise<void>;
}

async function withAdmin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** A fresh, migrated database: on the DATABASE_URL server (dropped by `close`), else an in-memory PGlite. */
export interface BenchDatabase {
  kind: 'postgresql' | 'pglite';
  /** Its URL (PostgreSQL only). */
  url: string | undefined;
  sql: SqlClient;
  close(): Promise<void>;
}

export async function openBenchDatabase(
  env: Readonly<Record<string, string | undefined>>,
  pool: number,
  log: (text: string) => void,
): Promise<BenchDatabase> {
  if (!env.DATABASE_URL) {
    const sql = openPglite();
    try {
      await migrate(sql);
    } catch (error) {
      await sql.close();
      throw error;
    }
    return { kind: 'pglite', url: undefined, sql, close: () => sql.close() };
  }
  const serverUrl = env.DATABASE_URL;
  const name = `echo_bench_${randomBytes(5).toString('hex')}`;
  await withAdmin(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  log(`created the bench database ${name} on ${url.host}`);
  const sql = openNodePostgres({ url: url.toString(), max: pool });
  const close = async () => {
    await sql.close().catch(() => undefined);
    await withAdmin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    log(`dropped the bench database ${name}`);
  };
  try {
    await migrate(sql);
  } catch (error) {
    await close();
    throw error;
  }
  return { kind: 'postgresql', url: url.toString(), sql, close };
}

export async function openServices(
  env: Readonly<Record<string, string | undefined>>,
  pool: number,
  log: (text: string) => void,
): Promise<BenchServices> {
  const cleanup: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const fn of cleanup.reverse()) await fn().catch((e) => log(`cleanup step failed: ${String(e)}`));
    cleanup.length = 0;
  };
  try {
    const db = await openBenchDatabase(env, pool, log);
    cleanup.push(() => db.close());
    const sql = db.sql;
    let rawInsert: RawInsert;
    let database: BenchServices['database'];
    if (db.kind === 'postgresql') {
      const raw = new pg.Pool({ connectionString: db.url, max: pool, options: '-c TimeZone=UTC' });
      raw.on('error', () => undefined);
      cleanup.push(() => raw.end());
      // A named (prepared) statement, as the project's driver runs its own: parsed and planned once per connection.
      const names = new Map<string, string>();
      rawInsert = async (text, values) => {
        let name = names.get(text);
        if (!name) {
          name = `bench_raw_${names.size + 1}`;
          names.set(text, name);
        }
        await raw.query({ name, text, values });
      };
      const { rows } = await sql.query<Record<string, string>>(
        `SELECT current_setting('server_version') AS "serverVersion",
                current_setting('synchronous_commit') AS "synchronousCommit",
                current_setting('fsync') AS fsync,
                current_setting('shared_buffers') AS "sharedBuffers",
                current_setting('max_connections') AS "maxConnections",
                current_database() AS database`,
      );
      database = { kind: 'postgresql', url: db.url, facts: { ...rows[0]!, poolSize: String(pool) } };
    } else {
      rawInsert = async (text, values) => {
        const params = Object.fromEntries(values.map((v, i) => [`p${i + 1}`, v as string]));
        await sql.query(
          text.replace(/\$(\d+)/g, (_, n) => `:p${n}`),
          params,
        );
      };
      const { rows } = await sql.query<Record<string, string>>(
        `SELECT current_setting('server_version') AS "serverVersion",
                current_setting('synchronous_commit') AS "synchronousCommit",
                current_setting('fsync') AS fsync`,
      );
      database = {
        kind: 'pglite',
        url: undefined,
        facts: { ...rows[0]!, storage: 'in memory', sessions: '1 (PGlite is one session)' },
      };
      log('opened an in-memory PGlite database (no DATABASE_URL)');
    }
    await sql.query(`CREATE TABLE ${RAW_TABLE} (LIKE messages INCLUDING ALL)`);

    let realtime: BenchServices['realtime'];
    let publisher: RealtimePublisher;
    let subscriber: RealtimeSubscriber;
    let rawPublish: BenchServices['rawPublish'];
    if (env.REDIS_URL) {
      const url = env.REDIS_URL;
      publisher = createRedisPublisher(url);
      subscriber = createRedisSubscriber(url);
      const raw = new Redis(url, { lazyConnect: true });
      await raw.connect();
      cleanup.push(
        () => publisher.close(),
        () => subscriber.close(),
        () => raw.quit(),
      );
      rawPublish = async (channel, payload) => void (await raw.publish(channel, JSON.stringify(payload)));
      const info = await raw.info('server');
      const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
      realtime = { kind: 'redis', url, facts: { version } };
    } else {
      ({ publisher, subscriber } = createInProcessHub());
      cleanup.push(
        () => publisher.close(),
        () => subscriber.close(),
      );
      rawPublish = (channel, payload) => publisher.publish(channel, payload);
      realtime = { kind: 'in-process', url: undefined, facts: { note: 'no REDIS_URL: the in-process hub' } };
    }
    return { database, realtime, sql, pool, rawInsert, publisher, subscriber, rawPublish, close };
  } catch (error) {
    await close();
    throw error;
  }
}
