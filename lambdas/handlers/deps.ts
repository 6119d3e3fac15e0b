/**
 * The dependencies of a Lambda, built once per container from the environment (parseConfig): the
 * SQL driver of the configuration (RDS Data API in AWS), EventBridge, Redis and the agents' mind.
 */
import { randomUUID } from 'node:crypto';
import { createEventBridgePublisher } from '../adapters/bus/eventbridge.publisher.ts';
import { type Config, parseConfig } from '../adapters/config.ts';
import { openLlm } from '../adapters/llm/open.ts';
import { createJsonLogger } from '../adapters/log/json.logger.ts';
import { createRedisPublisher } from '../adapters/realtime/ioredis.realtime.ts';
import { openSql } from '../adapters/sql/open.ts';
import { createSqlStore } from '../adapters/sql/store.ts';
import type { AgentDeps } from '../core/agent.ts';
import { ConfigError } from '../core/errors.ts';
import { llmMind, type Mind, rulesMind } from '../core/mind.ts';
import { organization } from '../core/organization.ts';
import type { Logger } from '../core/pipeline.ts';

export const systemClock = { now: () => new Date() };

/** The agents' judgement: the rules engine, or the configured model with the rules as fallback. */
export function buildMind(config: Config, logger: Logger): Mind {
  if (config.llm.provider === 'rules') return rulesMind;
  const llm = openLlm(config.llm, {
    onEvent: (event) => logger.debug('llm event', { ...event }),
  });
  return llmMind(llm, {
    logger,
    fatal: config.llmFailureFatal,
    decisionTokenBudget: config.decisionTokenBudget,
  });
}

export async function buildDeps(config: Config): Promise<AgentDeps> {
  if (!config.redisUrl)
    throw new ConfigError('REDIS_URL', 'is required outside the local runtime (the real-time channel)');
  const sql = await openSql(config.database);
  const logger = createJsonLogger({ service: `echo-${config.stage}`, level: config.logLevel });
  return {
    store: createSqlStore(sql),
    bus: createEventBridgePublisher({
      region: config.region,
      eventBusName: config.eventBusName,
      ...(config.awsEndpoint ? { endpoint: config.awsEndpoint } : {}),
    }),
    realtime: createRedisPublisher(config.redisUrl),
    clock: systemClock,
    newId: randomUUID,
    logger,
    behaviour: organization({ mind: buildMind(config, logger) }),
  };
}

let cached: Promise<AgentDeps> | undefined;

/** Lazily: no work at module load, one set of clients per warm container. */
export function lambdaDeps(): Promise<AgentDeps> {
  cached ??= buildDeps(parseConfig()).catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}
