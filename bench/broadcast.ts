/**
 * Broadcast latency: a broadcast from the CEO to `all` through the whole local runtime (the nine agent
 * handlers behind the local EventBridge, the rules engine as their mind, the bench's database and
 * real-time channel) until every one of the eight recipients has processed its delivery, which it
 * shows by its `participation` reply (committed in the transaction that claimed the delivery, then
 * published). The baseline, measured in the same run: a request to one agent until its reply.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../lambdas/adapters/config.ts';
import type { PostMessageCommand } from '../lambdas/core/messages.ts';
import { ROLES } from '../lambdas/core/roles.ts';
import { startLocalRuntime } from '../lambdas/local/runtime.ts';
import { replyClock } from './replies.ts';
import type { BenchServices } from './services.ts';
import { type LatencySummary, progress, summarize, withTicker } from './stats.ts';
import { silentLogger } from './workload.ts';

const TIMEOUT_MS = 30_000;
const SENDER = 'ceo';

export interface BroadcastRun extends LatencySummary {
  recipients: number;
  /** Broadcasts whose recipients did not all answer within 30 s. */
  incomplete: number;
  /** Deliveries of the measured broadcasts left pending in the database at the end (should be 0). */
  pendingDeliveries: number;
  database: string;
  baseline: LatencySummary & { what: string };
}

export async function measureBroadcast(
  services: BenchServices,
  options: { broadcasts: number; warmup: number },
): Promise<BroadcastRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'echo-bench-'));
  const config = parseConfig({
    ECHO_PORT: '0',
    ECHO_AWS_PORT: '0',
    ECHO_LOG_LEVEL: 'silent',
    ECHO_LOG_FILE_LEVEL: 'silent',
    ECHO_DATA_DIR: dataDir,
    ECHO_LLM_PROVIDER: 'rules',
    // The bench drives everything itself: no sweeps or catch-up rounds in the middle of a sample.
    ECHO_SWEEP_INTERVAL_MS: '3600000',
    ECHO_CATCHUP_INTERVAL_MS: '3600000',
    ...(services.database.url ? { DATABASE_URL: services.database.url } : {}),
    ...(services.realtime.url ? { REDIS_URL: services.realtime.url } : {}),
  });
  // PGlite is one session in one process: the runtime gets its own in-memory database, migrated afresh.
  if (!services.database.url) config.database = { kind: 'pglite' };
  progress('broadcast: starting the local runtime (nine agents, rules engine)');
  const runtime = await startLocalRuntime(config, { logger: silentLogger });
  const recipients = ROLES.filter((r) => r !== SENDER);
  const replies = await replyClock(runtime, SENDER, TIMEOUT_MS);
  /** Posts the command and resolves with the ms until `need` replies arrived (undefined on timeout). */
  const sample = async (command: PostMessageCommand, need: number): Promise<number | undefined> =>
    (await replies.untilReplies(command, need)).ms;

  const broadcast = (i: number): PostMessageCommand => ({
    from: SENDER,
    to: 'all',
    type: 'broadcast',
    subject: `Bench broadcast ${i}: plan the Q3 architecture review, hiring and release schedule`,
    content: { text: 'Who should lead the Q3 architecture review and the hiring plan for it?' },
    priority: 'normal',
    metadata: {},
  });
  const request = (i: number): PostMessageCommand => ({
    from: SENDER,
    to: 'cto',
    type: 'request',
    subject: `Bench request ${i}: status of the platform migration`,
    content: { question: 'Where does the platform migration stand?' },
    priority: 'normal',
    metadata: {},
  });

  const broadcastMs: number[] = [];
  const requestMs: number[] = [];
  let incomplete = 0;
  try {
    const total = options.warmup + options.broadcasts;
    let i = 0;
    await withTicker(
      () => `broadcast: ${Math.max(0, i - options.warmup)}/${options.broadcasts} broadcasts`,
      async () => {
        for (; i < total; i++) {
          const measured = i >= options.warmup;
          const b = await sample(broadcast(i), recipients.length);
          const r = await sample(request(i), 1);
          if (!measured) continue;
          if (b === undefined) incomplete++;
          else broadcastMs.push(b);
          if (r !== undefined) requestMs.push(r);
        }
      },
    );
    const { rows } = await runtime.sql.query<{ n: number; pending: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE d.status = 'pending')::int AS pending
       FROM deliveries d JOIN messages m ON m.id = d.message_id
       WHERE m.type = 'broadcast' AND m.subject LIKE 'Bench broadcast %'`,
    );
    const result = summarize(broadcastMs);
    progress(`broadcast: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`);
    return {
      ...result,
      recipients: recipients.length,
      incomplete,
      pendingDeliveries: rows[0]?.pending ?? -1,
      database: services.database.url ? 'the bench database' : "the runtime's own in-memory PGlite",
      baseline: {
        ...summarize(requestMs),
        what: 'a request from the CEO to the CTO through the same runtime, until its reply (one recipient)',
      },
    };
  } finally {
    await replies.close();
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
