/**
 * The deployment's settings, read once from CDK context (`-c key=value` or cdk.json) and typed.
 * A bad value stops the synthesis naming the context key.
 */
import { ROLES } from '../lambdas/core/roles.ts';

export interface EchoInfraConfig {
  /** Lower-case letters, digits and dashes: every name carries it (`echo-<stage>`). */
  stage: string;
  /** Swap Aurora and ElastiCache for the docker-compose sidecars, and API Gateway for a function URL. */
  localstack: boolean;
  /** The sidecars and LocalStack as the functions reach them on the compose network. */
  sidecars: { databaseUrl: string; redisUrl: string; awsEndpoint: string };
  /** Aurora deletion protection (default: on for every stage but `dev`). */
  deletionProtection: boolean;
  /** Keep logs, queues' contents and a snapshot of the database when the stacks are destroyed. */
  retainData: boolean;
  /**
   * Aurora Serverless v2 capacity in ACUs; `reader`: a second instance in another Availability Zone
   * (a failover target that scales with the writer).
   */
  database: { minCapacity: number; maxCapacity: number; reader: boolean };
  /** ElastiCache node type and replicas (0: one node, no Multi-AZ). */
  cache: { nodeType: string; replicas: number };
  /** Bedrock model ids (or ARNs) the agents may invoke; empty: the rules engine only. */
  bedrockModels: string[];
  logRetentionDays: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** How often each agent catches up on its own pending deliveries. */
  catchUpMinutes: number;
  /**
   * A second ingest rule on the account's default bus, so the samples in events/samples (which
   * name no bus) work as they are. Turn off where several stages share an account and region.
   */
  defaultBusIngest: boolean;
  /** Where the stage's alarms are sent (an email subscription each to the alarms topic); may be empty. */
  alarmEmails: string[];
  /** The outbox backlog alarm: the oldest row older than this many minutes. */
  outboxAlarmMinutes: number;
  /**
   * Reserved concurrency of each agent function; undefined: none (the account's unreserved pool).
   * Sized against what the database takes (agentConcurrencyBudget).
   */
  agentConcurrency: number | undefined;
}

/** The default model: small, on-demand, served in the Region itself (no inference profile). */
export const DEFAULT_BEDROCK_MODEL = 'amazon.nova-micro-v1:0';

type Context = (key: string) => unknown;

/** The agents, one function each: what their reserved concurrency is multiplied by. */
export const AGENT_COUNT = ROLES.length;
/** Default reserved concurrency of an agent, when the database takes more. */
export const DEFAULT_AGENT_CONCURRENCY = 20;
/** The share of the database's connections the agents may hold together; the rest is for the other functions, rotation and people. */
export const AGENT_CONNECTION_SHARE = 0.5;

/**
 * max_connections of Aurora Serverless v2 PostgreSQL at a capacity range: set from the memory of the
 * maximum capacity (LEAST(DBInstanceClassMemory/9531392, 5000); 189 at 1 ACU, the documented value,
 * taken per ACU here, which stays under the formula's value at every size), and at most 2,000 when
 * the minimum is 0 or 0.5 ACU (Aurora User Guide, "Performance and scaling for Aurora Serverless v2",
 * Maximum connections). Each concurrent agent invocation holds at most one: the Data API runs one
 * statement, or one transaction, at a time for it.
 */
export function auroraMaxConnections(minCapacity: number, maxCapacity: number): number {
  const byMemory = Math.min(Math.floor(189 * maxCapacity), 5000);
  return minCapacity <= 0.5 ? Math.min(byMemory, 2000) : byMemory;
}

/** The connections the agents may hold together at a capacity range. */
export function agentConcurrencyBudget(minCapacity: number, maxCapacity: number): number {
  return Math.floor(auroraMaxConnections(minCapacity, maxCapacity) * AGENT_CONNECTION_SHARE);
}

export class ContextError extends Error {
  constructor(key: string, problem: string) {
    super(`context ${key}: ${problem}`);
    this.name = 'ContextError';
  }
}

function str(ctx: Context, key: string, fallback: string): string {
  const value = ctx(key);
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
    throw new ContextError(key, `must be a string, got ${JSON.stringify(value)}`);
  return String(value);
}

function bool(ctx: Context, key: string, fallback: boolean): boolean {
  const value = str(ctx, key, String(fallback));
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ContextError(key, `must be true or false, got "${value}"`);
}

function num(ctx: Context, key: string, fallback: number, min: number, max: number): number {
  const raw = str(ctx, key, String(fallback));
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max)
    throw new ContextError(key, `must be a number from ${min} to ${max}, got "${raw}"`);
  return value;
}

function list(ctx: Context, key: string, fallback: string[]): string[] {
  const value = ctx(key);
  if (value === undefined || value === null) return fallback;
  if (Array.isArray(value)) return value.map(String).filter(Boolean);
  return str(ctx, key, '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 3653];

export function readConfig(ctx: Context): EchoInfraConfig {
  const stage = str(ctx, 'stage', 'dev');
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage))
    throw new ContextError(
      'stage',
      'must be lower-case letters, digits and dashes, at most 20, from a letter',
    );
  const localstack = bool(ctx, 'localstack', false);
  const production = stage !== 'dev';
  const logRetentionDays = num(ctx, 'logRetentionDays', production ? 90 : 14, 1, 3653);
  if (!RETENTION_DAYS.includes(logRetentionDays))
    throw new ContextError('logRetentionDays', `must be one of ${RETENTION_DAYS.join(', ')}`);
  const logLevel = str(ctx, 'logLevel', 'info') as EchoInfraConfig['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel))
    throw new ContextError('logLevel', 'must be debug, info, warn or error');
  const llm = str(ctx, 'llm', localstack ? 'rules' : 'bedrock');
  if (llm !== 'bedrock' && llm !== 'rules') throw new ContextError('llm', 'must be bedrock or rules');
  const minCapacity = num(ctx, 'dbMinCapacity', 0.5, 0, 256);
  const maxCapacity = num(ctx, 'dbMaxCapacity', production ? 16 : 4, Math.max(1, minCapacity), 256);
  const alarmEmails = list(ctx, 'alarmEmail', []);
  for (const email of alarmEmails) {
    if (!/^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$/.test(email))
      throw new ContextError(
        'alarmEmail',
        `must be an email address (or several, comma-separated), got "${email}"`,
      );
  }
  return {
    stage,
    localstack,
    sidecars: {
      databaseUrl: str(ctx, 'localstackDatabaseUrl', 'postgres://echo:echo@postgres:5432/echo'),
      redisUrl: str(ctx, 'localstackRedisUrl', 'redis://redis:6379'),
      awsEndpoint: str(ctx, 'localstackEndpoint', 'http://localstack:4566'),
    },
    deletionProtection: bool(ctx, 'deletionProtection', production),
    retainData: bool(ctx, 'retainData', production),
    database: { minCapacity, maxCapacity, reader: bool(ctx, 'dbReader', false) },
    cache: {
      nodeType: str(ctx, 'cacheNodeType', 'cache.t4g.micro'),
      replicas: num(ctx, 'cacheReplicas', production ? 1 : 0, 0, 5),
    },
    bedrockModels: llm === 'rules' ? [] : list(ctx, 'bedrockModels', [DEFAULT_BEDROCK_MODEL]),
    logRetentionDays,
    logLevel,
    catchUpMinutes: num(ctx, 'catchUpMinutes', 5, 1, 1440),
    defaultBusIngest: bool(ctx, 'defaultBusIngest', true),
    alarmEmails,
    outboxAlarmMinutes: num(ctx, 'outboxAlarmMinutes', 5, 1, 1440),
    agentConcurrency: agentConcurrency(ctx, localstack, minCapacity, maxCapacity),
  };
}

/**
 * `-c agentConcurrency=<n>` or `none`. By default each agent reserves the smaller of 20 and its ninth
 * of the agents' connection budget; on LocalStack none (its sidecar PostgreSQL is no Aurora).
 */
function agentConcurrency(
  ctx: Context,
  localstack: boolean,
  minCapacity: number,
  maxCapacity: number,
): number | undefined {
  const raw = str(ctx, 'agentConcurrency', '');
  if (raw === 'none') return undefined;
  const budget = agentConcurrencyBudget(minCapacity, maxCapacity);
  if (raw === '') {
    if (localstack) return undefined;
    return Math.max(1, Math.min(DEFAULT_AGENT_CONCURRENCY, Math.floor(budget / AGENT_COUNT)));
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 1000)
    throw new ContextError(
      'agentConcurrency',
      `must be a whole number from 1 to 1000, or none, got "${raw}"`,
    );
  if (!localstack && value * AGENT_COUNT > budget)
    throw new ContextError(
      'agentConcurrency',
      `${AGENT_COUNT} agents x ${value} = ${value * AGENT_COUNT} concurrent invocations, each holding up to one database connection, is more than the ${budget} the agents may hold (half of the ${auroraMaxConnections(minCapacity, maxCapacity)} connections Aurora takes at dbMinCapacity=${minCapacity}, dbMaxCapacity=${maxCapacity}): lower it to at most ${Math.floor(budget / AGENT_COUNT)}, or raise dbMaxCapacity`,
    );
  return value;
}

/** `senior_developer` -> `senior-developer`: file names, function and rule names. */
export const dashed = (role: string) => role.replaceAll('_', '-');

export { ROLES };
