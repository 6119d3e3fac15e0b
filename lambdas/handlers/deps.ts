/**
 * The dependencies of a Lambda, built once per container from the environment (parseConfig): the
 * SQL driver of the configuration (RDS Data API in AWS), EventBridge, Redis and the agents' mind.
 */
import { createEventBridgePublisher } from '../adapters/bus/eventbridge.publisher.ts';
import { type Config, parseConfig } from '../adapters/config.ts';
import { uuidv7 } from '../adapters/ids.ts';
import { openLlm } from '../adapters/llm/open.ts';
import {
  createTracedLlm,
  type LlmCallTracer,
  noteLlmEvent,
  xrayLlmTracer,
} from '../adapters/llm/traced.llm.ts';
import { createPowertoolsLogger } from '../adapters/log/powertools.logger.ts';
import { createPowertoolsMetrics } from '../adapters/metrics/powertools.metrics.ts';
import { createRespPublisher } from '../adapters/realtime/resp.publisher.ts';
import { openServerSql } from '../adapters/sql/open-server.ts';
import { createSqlStore } from '../adapters/sql/store.ts';
import { traceAwsClients } from '../adapters/tracing.ts';
import { createXrayTracer, lambdaTraceHeader } from '../adapters/xray.ts';
import type { AgentDeps } from '../core/agent.ts';
import { ConfigError } from '../core/errors.ts';
import { METRICS_NAMESPACE, serviceName } from '../core/metrics.ts';
import { llmMind, type Mind, rulesMind } from '../core/mind.ts';
import { organization } from '../core/organization.ts';
import { fanOutSettled, type Logger } from '../core/pipeline.ts';
import type { LlmCallStore } from '../core/traces.ts';

export const systemClock = { now: () => new Date() };

/** What recording every model call needs: where (`llm_calls`), time and ids, and X-Ray in AWS. */
export interface MindTracing {
  store: Pick<LlmCallStore, 'recordLlmCall' | 'decisionTokensUsed'>;
  clock: { now(): Date };
  newId: () => string;
  tracer?: LlmCallTracer | undefined;
}

/**
 * The agents' judgement: the rules engine, or the configured model with the rules as fallback,
 * every call of which is recorded in `llm_calls`, logged and (in AWS) traced.
 */
export function buildMind(config: Config, logger: Logger, tracing: MindTracing): Mind {
  if (config.llm.provider === 'rules') return rulesMind;
  const llm = openLlm(config.llm, {
    onEvent: (event) => {
      logger.debug('llm event', { ...event });
      noteLlmEvent(event);
    },
  });
  const traced = createTracedLlm(llm, {
    ...tracing,
    logger,
    mode: config.llmTrace,
    model: config.llm.model,
    fallbackIsFailure: config.llmFailureFatal,
  });
  return llmMind(traced, {
    logger,
    fatal: config.llmFailureFatal,
    decisionTokenBudget: config.decisionTokenBudget,
    tokensUsed: (decisionId) => tracing.store.decisionTokensUsed(decisionId),
  });
}

export type LambdaDeps = AgentDeps & { flushMetrics(): void };

/** X-Ray: active only for a sampled invocation in Lambda with active tracing (lambdas/adapters/xray.ts). */
const tracer = createXrayTracer({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'echo',
  traceHeader: lambdaTraceHeader,
});

export async function buildDeps(config: Config): Promise<LambdaDeps> {
  if (!config.redisUrl)
    throw new ConfigError('REDIS_URL', 'is required outside the local runtime (the real-time channel)');
  traceAwsClients((client) => tracer.captureClient(client));
  const sql = await openServerSql(config.database);
  const logger = createPowertoolsLogger({ serviceName: serviceName(config.stage), level: config.logLevel });
  const metrics = createPowertoolsMetrics({
    namespace: METRICS_NAMESPACE,
    serviceName: serviceName(config.stage),
  });
  const store = createSqlStore(sql);
  const mind = buildMind(config, logger, {
    store,
    clock: systemClock,
    newId: uuidv7,
    tracer: xrayLlmTracer(tracer),
  });
  return {
    metrics,
    governance: config.governance,
    thinkMs: config.thinkMs,
    leaseTermMs: config.leaseTermMs,
    deliveryRetry: config.deliveryRetry,
    flushMetrics: () => metrics.flush(),
    store,
    bus: createEventBridgePublisher({
      region: config.region,
      eventBusName: config.eventBusName,
      ...(config.awsEndpoint ? { endpoint: config.awsEndpoint } : {}),
    }),
    // PUBLISH on the wire protocol itself: ioredis is for the local runtime's subscribers.
    realtime: createRespPublisher(config.redisUrl, { prefix: config.redisPrefix }),
    clock: systemClock,
    newId: uuidv7,
    logger,
    behaviour: organization({ mind, loop: config.loop }),
  };
}

let cached: Promise<LambdaDeps> | undefined;

/** Lazily: no work at module load, one set of clients per warm container. */
export function lambdaDeps(): Promise<LambdaDeps> {
  cached ??= buildDeps(parseConfig()).catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

/**
 * A Lambda entry: the invocation in an X-Ray subsegment (cold start and service annotated, an error
 * recorded), then the invocation's metrics flushed (EMF), whatever happened. It returns once the
 * clearing of the outbox rows it published has finished (Lambda freezes what is still running when a
 * handler returns, and a row left behind would be published again by the sweeper), and once the
 * trace's documents have left.
 */
export function lambdaEntry<E, R>(fn: (event: E) => Promise<R>): (event: E) => Promise<R> {
  return async (event) => {
    try {
      return await tracer.invocation(async () => {
        try {
          return await fn(event);
        } finally {
          const deps = await cached?.catch(() => undefined);
          if (deps) await fanOutSettled(deps);
        }
      });
    } finally {
      (await cached?.catch(() => undefined))?.flushMetrics();
      await tracer.flush();
    }
  };
}
