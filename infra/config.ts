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
  /** Aurora Serverless v2 capacity in ACUs. */
  database: { minCapacity: number; maxCapacity: number };
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
}

/** The default model: small, on-demand, served in the Region itself (no inference profile). */
export const DEFAULT_BEDROCK_MODEL = 'amazon.nova-micro-v1:0';

type Context = (key: string) => unknown;

class ContextError extends Error {
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
    database: { minCapacity, maxCapacity },
    cache: {
      nodeType: str(ctx, 'cacheNodeType', 'cache.t4g.micro'),
      replicas: num(ctx, 'cacheReplicas', production ? 1 : 0, 0, 5),
    },
    bedrockModels: llm === 'rules' ? [] : list(ctx, 'bedrockModels', [DEFAULT_BEDROCK_MODEL]),
    logRetentionDays,
    logLevel,
    catchUpMinutes: num(ctx, 'catchUpMinutes', 5, 1, 1440),
    defaultBusIngest: bool(ctx, 'defaultBusIngest', true),
  };
}

/** `senior_developer` -> `senior-developer`: file names, function and rule names. */
export const dashed = (role: string) => role.replaceAll('_', '-');

export { ROLES };
