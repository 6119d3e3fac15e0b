/**
 * The local runtime (`npm start`): one process hosting the nine agents, the ingest function, the
 * relay sweeper and catch-up timers, the HTTP API, and on loopback an endpoint that speaks the AWS
 * wire protocols (EventBridge; the RDS Data API when the database is a Postgres server). The
 * handlers are the Lambda handlers themselves, invoked by the local bus with async-invoke semantics.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInProcessPublisher } from '../adapters/bus/in-process.publisher.ts';
import type { EventEnvelope } from '../adapters/bus/port.ts';
import type { Config } from '../adapters/config.ts';
import type { Health } from '../adapters/http/api.ts';
import { uuidv7 } from '../adapters/ids.ts';
import { agentLogDir, withAgentLogFiles } from '../adapters/log/agent-files.logger.ts';
import { createJsonLogger } from '../adapters/log/json.logger.ts';
import { createInProcessHub } from '../adapters/realtime/in-process.realtime.ts';
import { createRedisPublisher, createRedisSubscriber } from '../adapters/realtime/ioredis.realtime.ts';
import type { RealtimePublisher, RealtimeSubscriber } from '../adapters/realtime/port.ts';
import { migrate } from '../adapters/sql/migrate.ts';
import { openSql } from '../adapters/sql/open.ts';
import type { PgliteClient } from '../adapters/sql/pglite.driver.ts';
import type { SqlClient } from '../adapters/sql/port.ts';
import { createSqlStore } from '../adapters/sql/store.ts';
import { type AgentDeps, type Behaviour, catchUp } from '../core/agent.ts';
import { closeDueDecisions } from '../core/deadlines.ts';
import { createInMemoryMetrics } from '../core/metrics.ts';
import { organization } from '../core/organization.ts';
import { type Clock, errorText, fanOutSettled, type Logger, sweep } from '../core/pipeline.ts';
import { ROLES } from '../core/roles.ts';
import { agentRule, INGEST_RULE, WORKFLOW_RULES } from '../core/rules.ts';
import { WORKFLOWS } from '../core/workflows/builtin/index.ts';
import { tickWorkflows } from '../core/workflows/coordinator.ts';
import type { Catalog } from '../core/workflows/engine.ts';
import { createAgentHandler } from '../handlers/agent.ts';
import { buildMind, systemClock } from '../handlers/deps.ts';
import { createIngestHandler } from '../handlers/ingest.ts';
import { createWorkflowHandler } from '../handlers/workflows.ts';
import { createDataApiRoute } from './aws/data-api.ts';
import { cloudWatchLogsRoute } from './aws/logs.ts';
import type { AwsRoute } from './aws/route.ts';
import { startLocalAwsEndpoint } from './aws/server.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { LocalEventBus } from './eventbridge/bus.ts';
import { deployedBuses } from './eventbridge/catalog.ts';
import { eventBridgeRoute } from './eventbridge/route.ts';
import { createEventsRoute } from './events-route.ts';
import { withHandlerTimeout } from './handler-timeout.ts';
import { startHttpServer } from './http-server.ts';

export interface LocalRuntime {
  apiUrl: string;
  awsUrl: string;
  deps: AgentDeps;
  bus: LocalEventBus;
  sql: SqlClient;
  subscriber: RealtimeSubscriber;
  logger: Logger;
  /** Runs one sweep and one catch-up round now (tests; the timers do it on their own). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  behaviour?: Behaviour;
  logger?: Logger;
  clock?: Clock;
  /** The workflows the coordinator and the API know; default the built-in ones. */
  workflows?: Catalog;
}

export async function startLocalRuntime(config: Config, options: RuntimeOptions = {}): Promise<LocalRuntime> {
  // Every line with an agent's `role` also goes to $ECHO_DATA_DIR/logs/<role>.log (echoctl logs <role>).
  const agentLogs = withAgentLogFiles(
    options.logger ?? createJsonLogger({ service: 'echo-local', level: config.logLevel }),
    { dir: agentLogDir(config.dataDir), roles: ROLES, level: config.logFileLevel, service: 'echo-local' },
  );
  const logger = agentLogs.logger;
  const clock = options.clock ?? systemClock;
  const cleanup: (() => Promise<unknown>)[] = [() => agentLogs.close()];
  const stopAll = async () => {
    for (const fn of cleanup.reverse())
      await fn().catch((e) => logger.warn('shutdown step failed', { error: errorText(e) }));
  };
  try {
    if (config.database.kind === 'pglite' && config.database.dataDir) {
      // The embedded database lives in the data directory: one runtime at a time (data-dir-lock.ts).
      const lock = lockDataDir(config.dataDir);
      cleanup.push(async () => lock.release());
      mkdirSync(config.database.dataDir, { recursive: true });
    }
    const sql = await openSql(config.database);
    cleanup.push(() => sql.close());
    const applied = await migrate(sql);
    if (applied.length) logger.info('schema migrated', { applied });
    const store = createSqlStore(sql);
    // before the database closes: the clearing of published outbox rows postMessage left running
    cleanup.push(() => fanOutSettled({ store }));

    let realtime: RealtimePublisher;
    let subscriber: RealtimeSubscriber;
    if (config.redisUrl) {
      realtime = createRedisPublisher(config.redisUrl, { prefix: config.redisPrefix });
      subscriber = createRedisSubscriber(config.redisUrl, { prefix: config.redisPrefix });
    } else {
      ({ publisher: realtime, subscriber } = createInProcessHub());
    }
    cleanup.push(
      () => realtime.close(),
      () => subscriber.close(),
    );

    const newId = uuidv7;
    const bus = new LocalEventBus({
      region: config.region,
      logger,
      retry: { maxAttempts: 3, baseDelayMs: config.retryBaseMs, maxDelayMs: config.retryBaseMs * 8 },
      onDeadLetter: async ({ rule, envelope, error, attempts }) => {
        logger.error('target failed after retries; dead-lettered', {
          rule,
          eventId: envelope.id,
          attempts,
          error: errorText(error),
        });
        await store.addDeadLetter(
          {
            source: 'bus',
            reason: `rule ${rule}: target failed after ${attempts} attempts: ${errorText(error)}`,
            payload: envelope,
          },
          { id: newId(), now: clock.now() },
        );
      },
    });
    cleanup.push(async () => {
      await bus.idle();
      bus.close();
    });

    const metrics = createInMemoryMetrics();
    const deps: AgentDeps = {
      metrics,
      governance: config.governance,
      thinkMs: config.thinkMs,
      leaseTermMs: config.leaseTermMs,
      deliveryRetry: config.deliveryRetry,
      store,
      bus: createInProcessPublisher(bus),
      realtime,
      clock,
      newId,
      logger,
      behaviour: withHandlerTimeout(
        options.behaviour ??
          organization({ mind: buildMind(config, logger, { store, clock, newId }), loop: config.loop }),
        config.handlerTimeoutMs,
      ),
    };
    const getDeps = async () => deps;

    const registered: string[] = [];
    const ingest = createIngestHandler(getDeps);
    bus.addRule({
      name: INGEST_RULE.name,
      pattern: INGEST_RULE.pattern,
      target: async (e: EventEnvelope) => void (await ingest(e)),
    });
    for (const role of ROLES) {
      const rule = agentRule(role);
      const handler = createAgentHandler(role, async () => ({
        ...deps,
        logger: childLogger(logger, { role }),
      }));
      bus.addRule({ name: rule.name, pattern: rule.pattern, target: handler });
      registered.push(role);
    }

    const workflows = options.workflows ?? WORKFLOWS;
    const coordinator = createWorkflowHandler(
      async () => ({ ...deps, logger: childLogger(logger, { component: 'workflows' }) }),
      workflows,
    );
    for (const rule of WORKFLOW_RULES)
      bus.addRule({ name: rule.name, pattern: rule.pattern, target: coordinator });

    const routes: AwsRoute[] = [
      eventBridgeRoute(bus, { buses: deployedBuses(config.stage) }),
      // CloudWatch Logs over the agents' files: `aws logs tail /echo/<stage>/agents/<role> --follow`
      cloudWatchLogsRoute({ dir: agentLogs.dir, stage: config.stage, roles: ROLES, region: config.region }),
    ];
    // The RDS Data API over the runtime's own database: a PostgreSQL server, or the embedded PGlite.
    const dataApi =
      config.database.kind === 'node-postgres'
        ? createDataApiRoute({ connectionString: config.database.url })
        : sql.driver === 'pglite'
          ? createDataApiRoute({ pglite: sql as PgliteClient })
          : undefined;
    if (dataApi) {
      routes.push(dataApi.route);
      cleanup.push(() => dataApi.close());
    }
    const aws = await startLocalAwsEndpoint({
      host: config.host,
      port: config.awsPort,
      routes,
      credentials: config.localAwsCredentials,
    });
    cleanup.push(() => aws.close());

    const health = async (): Promise<Health> => {
      const pending = await store.countPendingFanOut();
      return {
        ok: registered.length === ROLES.length,
        agents: registered,
        detail: { outboxPending: pending, database: sql.driver, metrics: metrics.snapshot() },
      };
    };
    const humanToken = config.humanToken ?? localHumanToken(config.dataDir);
    const api = await startHttpServer(
      { ...deps, health, workflows },
      {
        host: config.host,
        port: config.port,
        humanToken,
        events: createEventsRoute({
          store,
          subscriber,
          logger,
          metrics,
          maxBufferBytes: config.sseMaxBufferBytes,
        }),
      },
    );
    cleanup.push(() => api.close());

    const tick = async () => {
      await sweep(deps);
      await closeDueDecisions(deps);
      await tickWorkflows(deps, workflows);
      for (const role of ROLES) await catchUp({ ...deps, logger: childLogger(logger, { role }) }, role);
    };
    const sweeper = every(config.sweepIntervalMs, () => sweep(deps), logger, 'sweep');
    const catcher = every(
      config.catchUpIntervalMs,
      async () => {
        for (const role of ROLES) await catchUp({ ...deps, logger: childLogger(logger, { role }) }, role);
      },
      logger,
      'catch-up',
    );
    const deadlines = every(
      config.deadlineIntervalMs,
      async () => {
        await closeDueDecisions(deps);
        await tickWorkflows(deps, workflows);
      },
      logger,
      'deadlines',
    );
    cleanup.push(
      async () => sweeper.stop(),
      async () => catcher.stop(),
      async () => deadlines.stop(),
    );

    logger.info('local runtime ready', {
      api: api.url,
      aws: aws.url,
      database: sql.driver,
      realtime: config.redisUrl ? 'redis' : 'in-process',
    });
    return { apiUrl: api.url, awsUrl: aws.url, deps, bus, sql, subscriber, logger, tick, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The local human's token: kept in `$ECHO_DATA_DIR/human-token` (created on first start, mode 600). */
function localHumanToken(dataDir: string): string {
  const file = join(dataDir, 'human-token');
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token) return token;
  } catch {
    // first start: make one
  }
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

function childLogger(logger: Logger, fields: Record<string, unknown>): Logger {
  const withChild = logger as Logger & { child?: (f: Record<string, unknown>) => Logger };
  return withChild.child ? withChild.child(fields) : logger;
}

/** A timer that never overlaps itself and logs, rather than throws, what fails. */
function every(ms: number, fn: () => Promise<unknown>, logger: Logger, name: string) {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = fn()
      .catch((error) => logger.warn(`${name} failed`, { error: errorText(error) }))
      .finally(() => {
        running = undefined;
      });
  }, ms);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
