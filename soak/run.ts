/**
 * The bounded soak: `npm run soak -- --messages N --faults on`.
 *
 * Runs the local runtime in this process (the real one: the nine agents on the organization's
 * behaviour with a model behind the real OpenAI protocol, the local EventBridge bus, the outbox and
 * its sweeper, catch-up) against a fresh database, and has many producers post N messages through
 * the HTTP API, each with an idempotency key and resent until acknowledged. Meanwhile, with
 * `--faults on`, it injects faults at random (seeded): EventBridge partial failures and throttling,
 * handler failures and handlers hanging past their timeout, duplicated and reordered deliveries, a
 * model answering 429 or not at all, Redis killed and restarted (a private redis-server), PostgreSQL
 * stopped and started (a private server, `--postgres private`). Then it waits for the system to be
 * quiet, and the checker (soak/check.ts) reads the database and what the handlers applied (each
 * handler's wrapper emits a `SoakApplied` event from inside its transaction, so only committed
 * applications are seen) and reports lost, duplicated and stuck messages, all of which must be zero,
 * and the throughput held. A watcher on the live feed (the one behind GET /events) must have seen
 * every committed message.
 *
 * JSON report on stdout (and in --out FILE); progress on stderr; exit code 1 when anything was lost,
 * duplicated, stuck or missed.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { parseConfig } from '../lambdas/adapters/config.ts';
import type { Behaviour } from '../lambdas/core/agent.ts';
import type { Message } from '../lambdas/core/messages.ts';
import { organization } from '../lambdas/core/organization.ts';
import type { Logger } from '../lambdas/core/pipeline.ts';
import { ROLES } from '../lambdas/core/roles.ts';
import { buildMind } from '../lambdas/handlers/deps.ts';
import type { PutEventsEntry } from '../lambdas/local/eventbridge/bus.ts';
import { type Feed, openFeed } from '../lambdas/local/live-feed.ts';
import { type LocalRuntime, startLocalRuntime } from '../lambdas/local/runtime.ts';
import { type PostgresServer, startPostgresServer } from '../test/support/postgres-server.ts';
import { freePort, kill, startRedis } from '../test/support/processes.ts';
import { checkReliability } from './check.ts';
import { startSoakModel } from './model.ts';
import { newProducerLog, runProducers } from './producers.ts';
import { between, pick, seededRandom } from './random.ts';

const USAGE = `usage: npm run soak -- [options]
  --messages N        messages to post (default 2000)
  --producers P       concurrent producers (default 8)
  --faults on|off     inject faults while producing (default on)
  --seed S            the seed of the message mix and the faults (default 1)
  --postgres MODE     url: a fresh database on DATABASE_URL; private: a server of its own (initdb +
                      pg_ctl), which the faults restart; pglite: in memory. Default: url when
                      DATABASE_URL is set, else pglite
  --redis MODE        private: a redis-server of its own, which the faults kill and restart; url:
                      REDIS_URL (not restarted; nothing else may publish on it); none: the in-process
                      hub. Default: private when redis-server is installed, else url when REDIS_URL
                      is set, else none
  --settle-seconds S  how long the system may take to be quiet after the producers (default 180)
  --out FILE          also write the JSON report to FILE`;

const args = (() => {
  try {
    return parseArgs({
      options: {
        messages: { type: 'string', default: '2000' },
        producers: { type: 'string', default: '8' },
        faults: { type: 'string', default: 'on' },
        seed: { type: 'string', default: '1' },
        postgres: { type: 'string' },
        redis: { type: 'string' },
        'settle-seconds': { type: 'string', default: '180' },
        out: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`soak: ${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
})();
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

function fail(message: string): never {
  process.stderr.write(`soak: ${message}\n${USAGE}\n`);
  process.exit(2);
}
const int = (name: string, raw: string, min: number) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer of at least ${min}, got "${raw}"`);
  return n;
};
const messages = int('messages', args.messages!, 1);
const producers = int('producers', args.producers!, 1);
const seed = int('seed', args.seed!, 0);
const settleSeconds = int('settle-seconds', args['settle-seconds']!, 1);
if (args.faults !== 'on' && args.faults !== 'off') fail(`--faults must be on or off, got "${args.faults}"`);
const faultsOn = args.faults === 'on';

const hasRedisServer = await new Promise<boolean>((resolve) =>
  execFile('redis-server', ['--version'], (error) => resolve(!error)),
);
const postgresMode = args.postgres ?? (process.env.DATABASE_URL ? 'url' : 'pglite');
if (!['url', 'private', 'pglite'].includes(postgresMode)) fail(`--postgres must be url, private or pglite`);
if (postgresMode === 'url' && !process.env.DATABASE_URL) fail('--postgres url needs DATABASE_URL');
// A Redis of its own by default: its channels are not namespaced, so whatever else publishes on a
// shared Redis (another runtime, other tests) would mix into the watcher.
const redisMode = args.redis ?? (hasRedisServer ? 'private' : process.env.REDIS_URL ? 'url' : 'none');
if (!['url', 'private', 'none'].includes(redisMode)) fail('--redis must be url, private or none');
if (redisMode === 'url' && !process.env.REDIS_URL) fail('--redis url needs REDIS_URL');
if (redisMode === 'private' && !hasRedisServer) fail('--redis private needs redis-server on the PATH');

const started = Date.now();
const seconds = (ms: number) => Math.round(ms / 100) / 10;
const progress = (text: string) => process.stderr.write(`[soak ${seconds(Date.now() - started)}s] ${text}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Services

const cleanup: (() => Promise<unknown>)[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'echo-soak-'));
cleanup.push(async () => rmSync(dataDir, { recursive: true, force: true }));

let pgServer: PostgresServer | undefined;
let databaseUrl: string | undefined;
let databaseLabel: string;
const dbName = `echo_soak_${seed}_${Date.now().toString(36)}`;
if (postgresMode === 'private') {
  progress('starting a private PostgreSQL (initdb)');
  pgServer = await startPostgresServer();
  const server = pgServer;
  cleanup.push(() => server.remove());
  databaseUrl = server.url;
  databaseLabel = `postgresql: a private server on port ${server.port}${faultsOn ? ' (restarted by the faults)' : ''}`;
} else if (postgresMode === 'url') {
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${dbName}`;
  databaseUrl = url.toString();
  databaseLabel = `postgresql: a fresh database ${dbName} on DATABASE_URL (${url.host})`;
  cleanup.push(async () => {
    const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await c.end();
  });
} else databaseLabel = 'pglite: in memory (set DATABASE_URL for PostgreSQL)';

let redisPort: number | undefined;
let redisProcess: Awaited<ReturnType<typeof startRedis>> | undefined;
let redisUrl: string | undefined;
let realtimeLabel: string;
if (redisMode === 'private') {
  redisPort = await freePort();
  redisProcess = await startRedis(redisPort);
  redisUrl = `redis://127.0.0.1:${redisPort}`;
  realtimeLabel = `redis: a private redis-server on port ${redisPort}${faultsOn ? ' (killed and restarted by the faults)' : ''}`;
  cleanup.push(async () => redisProcess && kill(redisProcess));
} else if (redisMode === 'url') {
  redisUrl = process.env.REDIS_URL;
  realtimeLabel = `redis: REDIS_URL (${new URL(redisUrl!).host}; not restarted)`;
} else realtimeLabel = 'in-process hub (set REDIS_URL or install redis-server for Redis)';

const model = await startSoakModel();
cleanup.push(() => model.close());

// ---------------------------------------------------------------------------------------------
// The runtime, its behaviour wrapped: injected handler faults, and a record of what it applied

/** Counts what the runtime logs at warn and error, by message. */
const logCounts = { warn: {} as Record<string, number>, error: {} as Record<string, number> };
const tally = (counts: Record<string, number>, message: string) => {
  counts[message] = (counts[message] ?? 0) + 1;
};
const logger: Logger = {
  debug() {},
  info() {},
  warn: (message) => tally(logCounts.warn, message),
  error: (message) => tally(logCounts.error, message),
};

const HANDLER_TIMEOUT_MS = 5000;
const config = parseConfig({
  ECHO_PORT: '0',
  ECHO_AWS_PORT: '0',
  ECHO_DATA_DIR: dataDir,
  ECHO_LOG_FILE_LEVEL: 'silent',
  ECHO_SWEEP_INTERVAL_MS: '250',
  ECHO_CATCHUP_INTERVAL_MS: '2000',
  ECHO_RETRY_BASE_MS: '50',
  ECHO_HANDLER_TIMEOUT_MS: String(HANDLER_TIMEOUT_MS),
  ECHO_LLM_PROVIDER: 'openai',
  ECHO_LLM_BASE_URL: model.url,
  ECHO_LLM_TIMEOUT_MS: '400',
  ECHO_LLM_MAX_RETRIES: '1',
  ECHO_LLM_FAILURE: 'fallback',
  ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
});
if (postgresMode === 'pglite') config.database = { kind: 'pglite' };

const faultRandom = seededRandom(seed * 7919 + 1);
const handlerFaults = { throwRate: 0, hangRate: 0 };
const injected = {
  failedEntries: 0,
  throttledCalls: 0,
  handlerThrows: 0,
  handlerHangs: 0,
  duplicatedEvents: 0,
};
const stats = { handlerRuns: 0 };
const organisation = organization({
  // every model call traced in the runtime's store (started below, before any message is handled)
  mind: buildMind(config, logger, {
    store: {
      recordLlmCall: (call) => rt.deps.store.recordLlmCall(call),
      decisionTokensUsed: (id) => rt.deps.store.decisionTokensUsed(id),
    },
    clock: { now: () => new Date() },
    newId: randomUUID,
  }),
  loop: config.loop,
});
const behaviour: Behaviour = {
  ...(organisation.think ? { think: organisation.think } : {}),
  act: async (ctx) => {
    stats.handlerRuns++;
    if (handlerFaults.throwRate && faultRandom() < handlerFaults.throwRate) {
      injected.handlerThrows++;
      throw new Error('soak: injected handler failure');
    }
    if (handlerFaults.hangRate && faultRandom() < handlerFaults.hangRate) {
      injected.handlerHangs++;
      await sleep(HANDLER_TIMEOUT_MS * 1.5); // past its timeout: whatever it does next is not committed
    }
    await organisation.act(ctx);
    // the record of this application: committed with it, or not at all
    await ctx.emit(
      'SoakApplied',
      { messageId: ctx.message.id, role: ctx.role, application: ctx.newId() },
      'soak:applied',
    );
  },
};

progress(`starting the runtime (${databaseLabel}; ${realtimeLabel})`);
const rt: LocalRuntime = await startLocalRuntime(config, { behaviour, logger });
cleanup.unshift(() => rt.stop());

const applied = new Map<string, Set<string>>();
rt.bus.addRule({
  name: 'soak-applied',
  pattern: { source: ['echo'], 'detail-type': ['SoakApplied'] },
  target: async (e) => {
    const d = e.detail as { messageId: string; role: string; application: string };
    const key = `${d.messageId}/${d.role}`;
    if (!applied.has(key)) applied.set(key, new Set());
    applied.get(key)!.add(d.application);
  },
});
/** The latest MessagePosted events, to be put on the bus again (duplicated, in reverse order). */
const recent: PutEventsEntry[] = [];
rt.bus.addRule({
  name: 'soak-capture',
  pattern: { source: ['echo'], 'detail-type': ['MessagePosted'] },
  target: async (e) => {
    recent.push({ Source: e.source, DetailType: e['detail-type'], Detail: JSON.stringify(e.detail) });
    if (recent.length > 200) recent.splice(0, recent.length - 200);
  },
});

/**
 * The watcher: the live feed of GET /events on messages:all, resumed as EventSource does (from the
 * last id it got) when the feed ends because the database failed its catch-up.
 */
const seen = new Map<string, number>();
const watcher = { lastId: undefined as number | undefined, resumes: 0, feed: undefined as Feed | undefined };
const openWatcher = async (): Promise<void> => {
  const feed = await openFeed(
    { store: rt.deps.store, subscriber: rt.subscriber, logger },
    {
      channels: ['messages:all'],
      afterSeq: watcher.lastId,
      send: (e) => {
        const m = e.data as Message;
        seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
        if (e.id !== undefined) watcher.lastId = e.id;
      },
      sendCursor: (seq) => {
        watcher.lastId = seq;
      },
      onError: () => {
        void feed.close().then(async () => {
          for (;;) {
            await sleep(500);
            watcher.resumes++;
            try {
              return await openWatcher();
            } catch {
              // the database or Redis is still away: try again
            }
          }
        });
      },
    },
  );
  watcher.feed = feed;
  await feed.start();
};
await openWatcher();
cleanup.unshift(async () => watcher.feed?.close());

// ---------------------------------------------------------------------------------------------
// Producers

const SUBJECTS = [
  'Quarterly roadmap review',
  'Database migration plan',
  'Hiring for the platform team',
  'Vendor contract renewal',
  'Accessibility audit findings',
  'Release readiness for 2.4',
  'Incident follow-up: checkout latency',
  'Budget for the analytics cluster',
];
function messageBody(i: number): Record<string, unknown> {
  const random = seededRandom(seed * 1_000_003 + i);
  const r = random();
  const subject = `${pick(random, SUBJECTS)} #${i}`;
  if (r < 0.1)
    return {
      to: 'cto',
      subject: 'approve_technical_proposal',
      content: { title: subject, budget_usd: between(random, 10, 900) * 1000 },
    };
  if (r < 0.65) return { to: pick(random, ROLES), type: 'request', subject, content: { n: i } };
  if (r < 0.85) return { to: 'leadership', type: 'notification', subject };
  return { to: 'all', type: 'broadcast', subject };
}

const log = newProducerLog();
let acknowledged = 0;
let producing = true;
const runId = `${seed}-${Date.now().toString(36)}`;

// ---------------------------------------------------------------------------------------------
// Faults

const FAULT_KINDS = [
  'eventbridge-partial-failure',
  'eventbridge-throttling',
  'handler-throws',
  'handler-timeout',
  'duplicate-reordered-delivery',
  'llm-429',
  'llm-timeout',
  ...(redisMode === 'private' ? (['redis-restart'] as const) : []),
  ...(postgresMode === 'private' ? (['postgres-restart'] as const) : []),
] as const;
type FaultKind = (typeof FAULT_KINDS)[number];
const faultsInjected: Record<string, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0]));

async function inject(kind: FaultKind, ms: number): Promise<void> {
  switch (kind) {
    case 'eventbridge-partial-failure':
      rt.bus.setFaults({
        failEntry: () => {
          if (faultRandom() >= 0.3) return undefined;
          injected.failedEntries++;
          return { code: 'InternalFailure', message: 'soak: injected partial failure' };
        },
      });
      await sleep(ms);
      rt.bus.setFaults({});
      return;
    case 'eventbridge-throttling':
      rt.bus.setFaults({
        throttle: () => {
          if (faultRandom() >= 0.5) return false;
          injected.throttledCalls++;
          return true;
        },
      });
      await sleep(ms);
      rt.bus.setFaults({});
      return;
    case 'handler-throws':
      handlerFaults.throwRate = 0.3;
      await sleep(ms);
      handlerFaults.throwRate = 0;
      return;
    case 'handler-timeout':
      handlerFaults.hangRate = 0.03;
      await sleep(ms);
      handlerFaults.hangRate = 0;
      return;
    case 'duplicate-reordered-delivery': {
      const copies = recent.slice(-30).reverse();
      for (let round = 0; round < 2; round++)
        for (let i = 0; i < copies.length; i += 10) {
          const { FailedEntryCount } = await rt.bus.putEvents(copies.slice(i, i + 10)).catch(() => ({
            FailedEntryCount: 10,
          }));
          injected.duplicatedEvents += Math.min(10, copies.length - i) - FailedEntryCount;
        }
      return;
    }
    case 'llm-429':
      model.mode = 'rate-limited';
      await sleep(ms);
      model.mode = 'ok';
      return;
    case 'llm-timeout':
      model.mode = 'hang';
      await sleep(ms);
      model.mode = 'ok';
      return;
    case 'redis-restart':
      await kill(redisProcess!);
      await sleep(ms);
      redisProcess = await startRedis(redisPort!);
      return;
    case 'postgres-restart':
      await pgServer!.stop(faultRandom() < 0.5 ? 'fast' : 'immediate');
      await sleep(ms);
      await pgServer!.start();
      return;
  }
}

/** The kinds in a seeded random order, every kind once per round, so a long enough run sees them all. */
let round: FaultKind[] = [];
async function faultLoop(): Promise<void> {
  while (producing) {
    await sleep(between(faultRandom, 300, 1500));
    if (!producing) return;
    if (round.length === 0) round = [...FAULT_KINDS].sort(() => faultRandom() - 0.5);
    const kind = round.shift()!;
    faultsInjected[kind]!++;
    const ms = between(faultRandom, 300, 2500);
    progress(`fault: ${kind}${kind === 'duplicate-reordered-delivery' ? '' : ` for ${ms} ms`}`);
    await inject(kind, ms);
  }
}

// ---------------------------------------------------------------------------------------------
// Run

const counts = async () => {
  const { rows } = await rt.sql.query<{ pending: number; outbox: number }>(
    `SELECT (SELECT count(*)::int FROM deliveries WHERE status = 'pending') AS pending,
            (SELECT count(*)::int FROM outbox) AS outbox`,
  );
  return rows[0]!;
};
const ticker = setInterval(() => {
  counts().then(
    (c) =>
      progress(
        `${acknowledged}/${messages} acknowledged (503: ${log.statuses['503'] ?? 0}, network: ${log.statuses.network ?? 0}); pending deliveries ${c.pending}, outbox ${c.outbox}`,
      ),
    () => progress(`${acknowledged}/${messages} acknowledged; the database does not answer`),
  );
}, 2000);

let report: Record<string, unknown> = {};
let exitCode = 1;
try {
  progress(
    `posting ${messages} messages with ${producers} producers, faults ${faultsOn ? `on (${FAULT_KINDS.join(', ')})` : 'off'}, seed ${seed}`,
  );
  const producingStarted = Date.now();
  const faults = faultsOn ? faultLoop() : Promise.resolve();
  await runProducers({
    apiUrl: () => rt.apiUrl,
    count: messages,
    producers,
    keyOf: (i) => `soak-${runId}-${i}`,
    make: messageBody,
    log,
    giveUpAfterMs: 600_000,
    onAcknowledged: () => acknowledged++,
  });
  const producingMs = Date.now() - producingStarted;
  producing = false;
  await faults; // the fault in progress ends, and its services are back
  progress(`all posted in ${seconds(producingMs)} s; waiting for the system to be quiet`);

  const settleStarted = Date.now();
  let settled = false;
  while (Date.now() - settleStarted < settleSeconds * 1000) {
    const c = await counts().catch(() => undefined);
    if (c && c.pending === 0 && c.outbox === 0) {
      await rt.bus.idle();
      const again = await counts();
      if (again.pending === 0 && again.outbox === 0) {
        settled = true;
        break;
      }
    }
    await sleep(500);
  }
  const settleMs = Date.now() - settleStarted;
  progress(
    settled ? `quiet after ${seconds(settleMs)} s; checking` : `not quiet after ${settleSeconds} s; checking`,
  );

  const check = await checkReliability({ sql: rt.sql, posts: log.posts, applied });
  const { rows: all } = await rt.sql.query<{ id: string }>('SELECT id FROM messages');
  const watched = {
    seen: seen.size,
    missed: all.filter((m) => !seen.has(m.id)).length,
    duplicates: [...seen.values()].filter((n) => n > 1).length,
    resumes: watcher.resumes,
  };
  const ok = check.lost === 0 && check.duplicated === 0 && check.stuck === 0 && watched.missed === 0;
  exitCode = ok ? 0 : 1;
  report = {
    ok,
    command: ['npm run soak', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    seed,
    messages,
    producers,
    faults: faultsOn ? 'on' : 'off',
    services: {
      database: databaseLabel,
      realtime: realtimeLabel,
      model: `scripted OpenAI-compatible model at ${model.url}`,
    },
    posted: check.posted,
    acknowledged: check.acknowledged,
    committed: check.committed,
    lost: check.lost,
    duplicated: check.duplicated,
    stuck: check.stuck,
    throughputPerSec: Math.round((check.acknowledged / (producingMs / 1000)) * 10) / 10,
    deliveriesPerSec:
      Math.round((check.allDeliveries.processed / ((producingMs + settleMs) / 1000)) * 10) / 10,
    seconds: {
      producing: seconds(producingMs),
      settling: seconds(settleMs),
      total: seconds(Date.now() - started),
    },
    faultsInjected: faultsOn ? { ...faultsInjected, ...injected, llmCalls: model.calls } : {},
    deliveries: check.deliveries,
    allDeliveries: check.allDeliveries,
    replies: check.replies,
    handlerRuns: stats.handlerRuns,
    applicationsRecorded: [...applied.values()].reduce((n, s) => n + s.size, 0),
    committedUnacknowledged: check.committedUnacknowledged,
    outboxPending: check.outboxPending,
    deadLetters: check.deadLetters,
    recoveredFromDeadLetter: check.recoveredFromDeadLetter,
    watcher: watched,
    producerAnswers: log.statuses,
    log: logCounts,
    problems: check.problems,
  };
} catch (error) {
  report = { ok: false, error: error instanceof Error ? error.stack : String(error) };
} finally {
  clearInterval(ticker);
  producing = false;
  for (const step of cleanup) await step().catch((e) => progress(`cleanup: ${String(e)}`));
}
const text = `${JSON.stringify(report, null, 2)}\n`;
process.stdout.write(text);
if (args.out) writeFileSync(args.out, text);
progress(exitCode === 0 ? 'ok: nothing lost, duplicated, stuck or missed' : 'FAILED: see the report');
process.exit(exitCode);
