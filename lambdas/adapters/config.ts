/**
 * Configuration, parsed once from the environment, typed, failing with the variable's name.
 * The README's configuration table lists the same variables.
 */
import { DEFAULT_DELIVERY_RETRY, type DeliveryRetry } from '../core/agent.ts';
import { ConfigError } from '../core/errors.ts';
import type { Governance } from '../core/pipeline.ts';
import { LLM_TRACE_MODES, type LlmTraceMode } from '../core/traces.ts';
import type { LlmConfig } from './llm/open.ts';
import type { LogLevel } from './log/json.logger.ts';
import type { SqlConfig } from './sql/open.ts';

export type DatabaseConfig = SqlConfig;

export interface Config {
  stage: string;
  region: string;
  logLevel: LogLevel;
  /** The local runtime's per-agent log files (`$ECHO_DATA_DIR/logs/<role>.log`); silent: none. */
  logFileLevel: LogLevel;
  database: DatabaseConfig;
  /** Redis for the real-time channel; absent: the in-process hub (local only). */
  redisUrl: string | undefined;
  /** Put before every real-time channel name on Redis: runtimes sharing one Redis stay apart. */
  redisPrefix: string;
  /** An AWS endpoint override for the SDK clients (LocalStack, or the local runtime's endpoint). */
  awsEndpoint: string | undefined;
  eventBusName: string;
  dataDir: string;
  host: string;
  port: number;
  awsPort: number;
  /**
   * The local AWS endpoint verifies every request's SigV4 signature against these; absent: any
   * credentials sign (the signature's presence is still required).
   */
  localAwsCredentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  sweepIntervalMs: number;
  catchUpIntervalMs: number;
  /** First retry delay of the local bus's async invoke (Lambda's own is about a minute). */
  retryBaseMs: number;
  llm: LlmConfig;
  /** A model failure fails the delivery (retried, then caught up) instead of falling back to the rules. */
  llmFailureFatal: boolean;
  /** Tokens the model may spend on one decision (its votes and self-selection) before the rules answer. */
  decisionTokenBudget: number;
  /** How model calls keep their request in `llm_calls`: in full, or only its sha256. */
  llmTrace: LlmTraceMode;
  /** The local human's token for approvals; absent: generated into `$ECHO_DATA_DIR/human-token`. */
  humanToken: string | undefined;
  /** How often the local scheduler closes collaborative decisions past their deadline. */
  deadlineIntervalMs: number;
  /** Locally, Lambda's timeout: an agent handler running longer is abandoned and its transaction rolled back. */
  handlerTimeoutMs: number;
  /**
   * Bytes one `GET /events` stream may hold for a client that does not read fast enough; a client
   * past it is disconnected (it resumes with Last-Event-ID) and counted (SseSlowClientDisconnects).
   */
  sseMaxBufferBytes: number;
  /** The organization's configurable rules: how long a role's approvals for one purpose add up. */
  governance: Governance;
  /** How long an agent may think about one delivery (below its function's timeout); its lease outlasts it a little. */
  thinkMs: number;
  /** One term of an agent's lease on a delivery, renewed while it thinks: how soon a crashed holder's delivery is taken up again. */
  leaseTermMs: number;
  /** The agent loop's bounds per delivery. */
  loop: { maxTurns: number; maxTokens: number };
  /** How catch-up retries a delivery that keeps failing, and when it gives up. */
  deliveryRetry: DeliveryRetry;
}

const PROVIDERS = ['rules', 'ollama', 'openai', 'bedrock'] as const;

function llmConfig(env: Env, region: string): LlmConfig {
  const provider = (env.ECHO_LLM_PROVIDER || 'rules') as (typeof PROVIDERS)[number];
  if (!PROVIDERS.includes(provider))
    throw new ConfigError('ECHO_LLM_PROVIDER', `must be one of ${PROVIDERS.join(', ')}`);
  const resilience = {
    timeoutMs: int(env, 'ECHO_LLM_TIMEOUT_MS', 30_000, 100, 600_000),
    maxRetries: int(env, 'ECHO_LLM_MAX_RETRIES', 2, 0, 10),
  };
  const model = env.ECHO_LLM_MODEL || undefined;
  const baseUrl = url(env, 'ECHO_LLM_BASE_URL', ['http', 'https']);
  const stream = !bool(env, 'ECHO_LLM_STREAM', 'off', 'on');
  switch (provider) {
    case 'rules':
      return { provider };
    case 'ollama':
      return {
        provider,
        baseUrl: baseUrl ?? 'http://127.0.0.1:11434',
        ...(model ? { model } : {}),
        stream,
        resilience,
      };
    case 'openai':
      if (!baseUrl)
        throw new ConfigError(
          'ECHO_LLM_BASE_URL',
          'is required with ECHO_LLM_PROVIDER=openai (e.g. https://api.openai.com/v1)',
        );
      return {
        provider,
        baseUrl,
        ...(env.ECHO_LLM_API_KEY ? { apiKey: env.ECHO_LLM_API_KEY } : {}),
        ...(model ? { model } : {}),
        stream,
        resilience,
      };
    case 'bedrock':
      return {
        provider,
        region,
        ...(baseUrl ? { endpoint: baseUrl } : {}),
        ...(model ? { model } : {}),
        stream,
        resilience,
      };
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function channelPrefix(env: Env): string {
  const prefix = env.ECHO_REDIS_PREFIX ?? '';
  if (prefix.length > 100) throw new ConfigError('ECHO_REDIS_PREFIX', 'must be at most 100 characters');
  if (/[*?[\]\\\s]/.test(prefix))
    throw new ConfigError('ECHO_REDIS_PREFIX', 'must not hold glob characters (* ? [ ] \\) or spaces');
  return prefix;
}

function url(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be a URL (${protocols.join(' or ')}), got "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol.replace(/:$/, ''))) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return raw;
}

/** ECHO_AWS_ACCESS_KEY_ID and ECHO_AWS_SECRET_ACCESS_KEY: both or neither. */
function localAwsCredentials(env: Env): Config['localAwsCredentials'] {
  const accessKeyId = env.ECHO_AWS_ACCESS_KEY_ID || undefined;
  const secretAccessKey = env.ECHO_AWS_SECRET_ACCESS_KEY || undefined;
  if (!accessKeyId && !secretAccessKey) return undefined;
  if (!accessKeyId)
    throw new ConfigError('ECHO_AWS_ACCESS_KEY_ID', 'is required with ECHO_AWS_SECRET_ACCESS_KEY');
  if (!secretAccessKey)
    throw new ConfigError('ECHO_AWS_SECRET_ACCESS_KEY', 'is required with ECHO_AWS_ACCESS_KEY_ID');
  if (!/^[\x21-\x7e]{1,128}$/.test(accessKeyId))
    throw new ConfigError('ECHO_AWS_ACCESS_KEY_ID', 'must be 1 to 128 printable characters without spaces');
  return { accessKeyId, secretAccessKey };
}

/** A two-valued setting: true for `yes`, false for `no` (the default). */
function bool(env: Env, name: string, yes: string, no: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === no) return false;
  if (raw === yes) return true;
  throw new ConfigError(name, `must be ${no} (the default) or ${yes}, got "${raw}"`);
}

function llmTraceMode(env: Env): LlmTraceMode {
  const raw = env.ECHO_LLM_TRACE || 'full';
  if (!LLM_TRACE_MODES.includes(raw as LlmTraceMode)) {
    throw new ConfigError(
      'ECHO_LLM_TRACE',
      `must be full (the default: each model call's request is stored) or hash (only its sha256), got "${raw}"`,
    );
  }
  return raw as LlmTraceMode;
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

export function parseConfig(env: Env = process.env): Config {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const dataDir = env.ECHO_DATA_DIR || '.echo';
  const logLevel = (env.ECHO_LOG_LEVEL || 'info') as LogLevel;
  if (!LEVELS.includes(logLevel))
    throw new ConfigError('ECHO_LOG_LEVEL', `must be one of ${LEVELS.join(', ')}`);
  const logFileLevel = (env.ECHO_LOG_FILE_LEVEL || 'info') as LogLevel;
  if (!LEVELS.includes(logFileLevel))
    throw new ConfigError('ECHO_LOG_FILE_LEVEL', `must be one of ${LEVELS.join(', ')}`);
  const stage = env.ECHO_STAGE || 'local';
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage)) {
    throw new ConfigError(
      'ECHO_STAGE',
      'must be lower-case letters, digits and dashes, at most 20, starting with a letter',
    );
  }

  const databaseUrl = url(env, 'DATABASE_URL', ['postgres', 'postgresql']);
  const awsEndpoint = url(env, 'ECHO_AWS_ENDPOINT', ['http', 'https']);
  let database: DatabaseConfig;
  if (env.ECHO_DB_CLUSTER_ARN) {
    if (!env.ECHO_DB_SECRET_ARN)
      throw new ConfigError('ECHO_DB_SECRET_ARN', 'is required with ECHO_DB_CLUSTER_ARN');
    database = {
      kind: 'rds-data',
      resourceArn: env.ECHO_DB_CLUSTER_ARN,
      secretArn: env.ECHO_DB_SECRET_ARN,
      database: env.ECHO_DB_NAME || 'echo',
      region,
      ...(awsEndpoint ? { endpoint: awsEndpoint } : {}),
    };
  } else if (databaseUrl) database = { kind: 'node-postgres', url: databaseUrl };
  else database = { kind: 'pglite', dataDir: `${dataDir}/pgdata` };

  return {
    stage,
    region,
    logLevel,
    logFileLevel,
    database,
    redisUrl: url(env, 'REDIS_URL', ['redis', 'rediss']),
    redisPrefix: channelPrefix(env),
    awsEndpoint,
    eventBusName: env.ECHO_EVENT_BUS_NAME || 'default',
    dataDir,
    host: env.ECHO_HOST || '127.0.0.1',
    port: int(env, 'ECHO_PORT', 4000, 0, 65535),
    awsPort: int(env, 'ECHO_AWS_PORT', 4566, 0, 65535),
    localAwsCredentials: localAwsCredentials(env),
    sweepIntervalMs: int(env, 'ECHO_SWEEP_INTERVAL_MS', 1000, 10, 3_600_000),
    catchUpIntervalMs: int(env, 'ECHO_CATCHUP_INTERVAL_MS', 30_000, 10, 3_600_000),
    retryBaseMs: int(env, 'ECHO_RETRY_BASE_MS', 1000, 1, 600_000),
    llm: llmConfig(env, region),
    llmFailureFatal: bool(env, 'ECHO_LLM_FAILURE', 'fatal', 'fallback'),
    decisionTokenBudget: int(env, 'ECHO_LLM_DECISION_TOKEN_BUDGET', 50_000, 100, 10_000_000),
    llmTrace: llmTraceMode(env),
    humanToken: env.ECHO_HUMAN_TOKEN || undefined,
    deadlineIntervalMs: int(env, 'ECHO_DEADLINE_INTERVAL_MS', 5000, 10, 3_600_000),
    handlerTimeoutMs: int(env, 'ECHO_HANDLER_TIMEOUT_MS', 120_000, 10, 900_000),
    sseMaxBufferBytes: int(env, 'ECHO_SSE_MAX_BUFFER_BYTES', 4 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
    governance: {
      splitWindowDays: int(env, 'ECHO_SPLIT_BUDGET_WINDOW_DAYS', 30, 1, 3650),
      discussionRounds: int(env, 'ECHO_DISCUSSION_ROUNDS', 1, 0, 5),
    },
    thinkMs: int(env, 'ECHO_AGENT_THINK_MS', 90_000, 100, 840_000),
    leaseTermMs: int(env, 'ECHO_AGENT_LEASE_MS', 15_000, 300, 900_000),
    loop: {
      maxTurns: int(env, 'ECHO_LOOP_TURNS', 6, 1, 50),
      maxTokens: int(env, 'ECHO_LOOP_TOKENS', 20_000, 100, 10_000_000),
    },
    deliveryRetry: {
      maxAttempts: int(env, 'ECHO_DELIVERY_MAX_ATTEMPTS', DEFAULT_DELIVERY_RETRY.maxAttempts, 1, 1000),
      baseDelayMs: int(env, 'ECHO_DELIVERY_RETRY_BASE_MS', DEFAULT_DELIVERY_RETRY.baseDelayMs, 0, 3_600_000),
    },
  };
}
