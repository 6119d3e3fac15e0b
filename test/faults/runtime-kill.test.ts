/**
 * The runtime killed during a burst of posts: `npm start` (a real process on real PostgreSQL and
 * Redis) gets SIGKILL while producers post, and is started again. Producers resend what was not
 * acknowledged with the same idempotency key. Nothing acknowledged (201/200) is lost, no key is
 * committed twice, no delivery is applied twice, and the new process finishes what the old one left
 * (the outbox, pending deliveries) by itself. Workflows killed between steps: test/system/workflow-crash.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSql } from '../../lambdas/adapters/sql/open.ts';
import type { SqlClient } from '../../lambdas/adapters/sql/port.ts';
import { checkReliability } from '../../soak/check.ts';
import { newProducerLog, runProducers } from '../../soak/producers.ts';
import { npmStart } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { mixedMessage } from '../support/faults.ts';
import { freePort } from '../support/processes.ts';
import { createTestDatabase, redisUrl, requireService } from '../support/services.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');

describe.runIf(hasServices)('npm start killed during a burst of posts', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let sql: SqlClient;
  let dataDir: string;
  let env: Record<string, string>;
  let port: number;
  const apps: Awaited<ReturnType<typeof npmStart>>[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'echo-kill-'));
    port = await freePort();
    env = {
      ECHO_PORT: String(port),
      ECHO_AWS_PORT: String(await freePort()),
      ECHO_DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl!,
      ECHO_LOG_LEVEL: 'warn',
      ECHO_SWEEP_INTERVAL_MS: '100',
      ECHO_CATCHUP_INTERVAL_MS: '300',
      ECHO_RETRY_BASE_MS: '5',
    };
    sql = await openSql({ kind: 'node-postgres', url: db.url });
  }, 180_000);
  afterAll(async () => {
    for (const app of apps) await app.stop();
    await sql?.close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('nothing acknowledged is lost, nothing applied twice, and the new process finishes the work', async () => {
    apps.push(await npmStart(env, port));
    const log = newProducerLog();
    let acknowledged = 0;
    const producing = runProducers({
      apiUrl: () => `http://127.0.0.1:${port}`,
      count: 80,
      producers: 4,
      keyOf: (i) => `kill-${i}`,
      make: mixedMessage,
      log,
      onAcknowledged: () => acknowledged++,
    });
    await eventually(() => acknowledged >= 20 || undefined, 30_000, 'twenty posts before the kill');
    await apps[0]!.crash();
    const atKill = acknowledged;
    await eventually(
      () => ((log.statuses.network ?? 0) >= 4 ? true : undefined),
      20_000,
      'producers to hit the dead runtime',
    );

    apps.push(await npmStart(env, port));
    await producing;
    expect(acknowledged).toBe(80);
    expect(atKill).toBeLessThan(80);

    await eventually(
      async () => {
        const { rows } = await sql.query<{ pending: number; outbox: number }>(
          `SELECT (SELECT count(*)::int FROM deliveries WHERE status = 'pending') AS pending,
                  (SELECT count(*)::int FROM outbox) AS outbox`,
        );
        return rows[0]!.pending === 0 && rows[0]!.outbox === 0 ? true : undefined;
      },
      60_000,
      'the restarted runtime to finish the outbox and the pending deliveries',
    );
    const report = await checkReliability({ sql, posts: log.posts });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({
      posted: 80,
      acknowledged: 80,
      committed: 80,
      lost: 0,
      duplicated: 0,
      stuck: 0,
    });
  }, 180_000);
});
