/**
 * Real services for tests. DATABASE_URL and REDIS_URL point at the machine's PostgreSQL and Redis
 * (.ci/run exports them). On CI (CI=true) a missing variable is a failure, never a skip; off CI the
 * suites that need them say so and are skipped.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const onCi = process.env.CI === 'true' || process.env.CI === '1';
export const databaseUrl = process.env.DATABASE_URL;
export const redisUrl = process.env.REDIS_URL;

export function requireService(name: 'DATABASE_URL' | 'REDIS_URL'): boolean {
  const set = Boolean(process.env[name]);
  if (!set && onCi) throw new Error(`${name} is not set: on CI every service is required (see .ci/run)`);
  if (!set) console.warn(`[tests] ${name} is not set: skipping the suites that need it`);
  return set;
}

/** A fresh database on the DATABASE_URL server, dropped by the returned `drop`. */
export async function createTestDatabase(
  prefix = 'echo_test',
): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!databaseUrl) throw new Error('DATABASE_URL is not set');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
