/**
 * A local runtime for tests: the real one (real Postgres or PGlite, real Redis or the in-process
 * hub), on ephemeral ports, with timers slow enough that the test drives sweeps and catch-up.
 */
import { randomUUID } from 'node:crypto';
import { parseConfig } from '../../lambdas/adapters/config.ts';
import type { Behaviour } from '../../lambdas/core/agent.ts';
import type { Clock } from '../../lambdas/core/pipeline.ts';
import type { Catalog } from '../../lambdas/core/workflows/engine.ts';
import { type LocalRuntime, startLocalRuntime } from '../../lambdas/local/runtime.ts';
import { createTestDatabase } from './services.ts';

/** A clock that runs with real time and can be moved forward. */
export function adjustableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    advance: (ms) => {
      offset += ms;
    },
  };
}

export interface TestRuntime extends LocalRuntime {
  post(body: unknown): Promise<{ status: number; body: any }>;
  get(path: string): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function startTestRuntime(options: {
  database: 'postgres' | 'pglite';
  /** With database 'postgres': this database (e.g. on a private server) instead of a fresh one on DATABASE_URL. */
  databaseUrl?: string;
  redisUrl?: string | undefined;
  behaviour?: Behaviour;
  clock?: Clock;
  workflows?: Catalog;
  env?: Record<string, string>;
}): Promise<TestRuntime> {
  const db = options.database === 'postgres' && !options.databaseUrl ? await createTestDatabase() : undefined;
  const config = parseConfig({
    ECHO_PORT: '0',
    ECHO_AWS_PORT: '0',
    ECHO_LOG_LEVEL: 'silent',
    ECHO_LOG_FILE_LEVEL: 'silent', // no agent log files under .echo/ unless a test asks (with its ECHO_DATA_DIR)
    ECHO_SWEEP_INTERVAL_MS: '3600000',
    ECHO_CATCHUP_INTERVAL_MS: '3600000',
    ECHO_RETRY_BASE_MS: '5',
    // catch-up tries a failed delivery again at once (test/faults/delivery-retry.test.ts has the delays)
    ECHO_DELIVERY_RETRY_BASE_MS: '0',
    ...(db ? { DATABASE_URL: db.url } : {}),
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    // each test runtime has channels of its own on a shared Redis: no test hears another's events
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl, ECHO_REDIS_PREFIX: `test-${randomUUID()}:` } : {}),
    ...options.env,
  });
  if (options.database === 'pglite') config.database = { kind: 'pglite' };
  const runtime = await startLocalRuntime(config, {
    ...(options.behaviour ? { behaviour: options.behaviour } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.workflows ? { workflows: options.workflows } : {}),
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${runtime.apiUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  return {
    ...runtime,
    post: (body) => call('POST', '/messages', body),
    get: (path) => call('GET', path),
    close: async () => {
      await runtime.stop();
      await db?.drop();
    },
  };
}
