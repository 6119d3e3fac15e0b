/**
 * The dependencies of a Lambda, built once per container from the environment (parseConfig): the
 * SQL driver of the configuration (RDS Data API in AWS), EventBridge and Redis.
 */
import { randomUUID } from 'node:crypto';
import { createEventBridgePublisher } from '../adapters/bus/eventbridge.publisher.ts';
import { type Config, parseConfig } from '../adapters/config.ts';
import { createJsonLogger } from '../adapters/log/json.logger.ts';
import { createRedisPublisher } from '../adapters/realtime/ioredis.realtime.ts';
import { openSql } from '../adapters/sql/open.ts';
import { createSqlStore } from '../adapters/sql/store.ts';
import type { AgentDeps } from '../core/agent.ts';
import { ConfigError } from '../core/errors.ts';

export const systemClock = { now: () => new Date() };

export async function buildDeps(config: Config): Promise<AgentDeps> {
  if (!config.redisUrl)
    throw new ConfigError('REDIS_URL', 'is required outside the local runtime (the real-time channel)');
  const sql = await openSql(config.database);
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
    logger: createJsonLogger({ service: `echo-${config.stage}`, level: config.logLevel }),
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
