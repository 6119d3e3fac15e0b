import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/adapters/config.ts';
import { ConfigError } from '../../lambdas/core/errors.ts';

describe('configuration', () => {
  it('defaults to the embedded runtime', () => {
    const c = parseConfig({});
    expect(c.database).toEqual({ kind: 'pglite', dataDir: '.echo/pgdata' });
    expect(c).toMatchObject({
      port: 4000,
      awsPort: 4566,
      host: '127.0.0.1',
      redisUrl: undefined,
      stage: 'local',
    });
  });

  it('traces model calls with their request in full, or only its sha256 with ECHO_LLM_TRACE=hash', () => {
    expect(parseConfig({}).llmTrace).toBe('full');
    expect(parseConfig({ ECHO_LLM_TRACE: 'hash' }).llmTrace).toBe('hash');
  });

  it('bounds what a GET /events stream holds for a slow client: ECHO_SSE_MAX_BUFFER_BYTES', () => {
    expect(parseConfig({}).sseMaxBufferBytes).toBe(4 * 1024 * 1024);
    expect(parseConfig({ ECHO_SSE_MAX_BUFFER_BYTES: '262144' }).sseMaxBufferBytes).toBe(262_144);
    expect(() => parseConfig({ ECHO_SSE_MAX_BUFFER_BYTES: '1000' })).toThrow(
      'ECHO_SSE_MAX_BUFFER_BYTES: must be an integer from 65536 to 1073741824, got "1000"',
    );
  });

  it('takes Postgres and Redis from DATABASE_URL and REDIS_URL', () => {
    const c = parseConfig({ DATABASE_URL: 'postgres://u@h:5432/d', REDIS_URL: 'redis://h:6379' });
    expect(c.database).toEqual({ kind: 'node-postgres', url: 'postgres://u@h:5432/d' });
    expect(c.redisUrl).toBe('redis://h:6379');
  });

  it('takes the local AWS endpoint credentials as a pair', () => {
    expect(parseConfig({}).localAwsCredentials).toBeUndefined();
    expect(
      parseConfig({ ECHO_AWS_ACCESS_KEY_ID: 'AKIDLOCAL', ECHO_AWS_SECRET_ACCESS_KEY: 'secret' })
        .localAwsCredentials,
    ).toEqual({ accessKeyId: 'AKIDLOCAL', secretAccessKey: 'secret' });
  });

  it('uses the RDS Data API when a cluster ARN is set', () => {
    const c = parseConfig({
      ECHO_DB_CLUSTER_ARN: 'arn:c',
      ECHO_DB_SECRET_ARN: 'arn:s',
      AWS_REGION: 'eu-west-1',
    });
    expect(c.database).toEqual({
      kind: 'rds-data',
      resourceArn: 'arn:c',
      secretArn: 'arn:s',
      database: 'echo',
      region: 'eu-west-1',
    });
  });

  it('streams model answers unless ECHO_LLM_STREAM=off', () => {
    const openai = { ECHO_LLM_PROVIDER: 'openai', ECHO_LLM_BASE_URL: 'http://127.0.0.1:8000/v1' };
    expect(parseConfig(openai).llm).toMatchObject({ provider: 'openai', stream: true });
    expect(parseConfig({ ...openai, ECHO_LLM_STREAM: 'on' }).llm).toMatchObject({ stream: true });
    expect(parseConfig({ ...openai, ECHO_LLM_STREAM: 'off' }).llm).toMatchObject({ stream: false });
    expect(parseConfig({ ECHO_LLM_PROVIDER: 'ollama', ECHO_LLM_STREAM: 'off' }).llm).toMatchObject({
      stream: false,
    });
    expect(parseConfig({ ECHO_LLM_PROVIDER: 'bedrock' }).llm).toMatchObject({ stream: true });
  });

  it.each([
    [{ ECHO_LLM_STREAM: 'yes' }, 'ECHO_LLM_STREAM: must be on (the default) or off, got "yes"'],
    [{ ECHO_PORT: 'abc' }, 'ECHO_PORT: must be an integer from 0 to 65535, got "abc"'],
    [{ ECHO_AWS_PORT: '70000' }, 'ECHO_AWS_PORT: must be an integer from 0 to 65535, got "70000"'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL: must use postgres or postgresql, got "mysql:"'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL: must be a URL (redis or rediss), got "not a url"'],
    [{ ECHO_DB_CLUSTER_ARN: 'arn:c' }, 'ECHO_DB_SECRET_ARN: is required with ECHO_DB_CLUSTER_ARN'],
    [{ ECHO_LOG_LEVEL: 'loud' }, 'ECHO_LOG_LEVEL: must be one of debug, info, warn, error, silent'],
    [{ ECHO_REDIS_PREFIX: 'dev:*' }, 'ECHO_REDIS_PREFIX: must not hold glob characters'],
    [{ ECHO_REDIS_PREFIX: 'x'.repeat(101) }, 'ECHO_REDIS_PREFIX: must be at most 100 characters'],
    [
      { ECHO_AWS_ACCESS_KEY_ID: 'AKID' },
      'ECHO_AWS_SECRET_ACCESS_KEY: is required with ECHO_AWS_ACCESS_KEY_ID',
    ],
    [
      { ECHO_AWS_SECRET_ACCESS_KEY: 's' },
      'ECHO_AWS_ACCESS_KEY_ID: is required with ECHO_AWS_SECRET_ACCESS_KEY',
    ],
    [
      { ECHO_AWS_ACCESS_KEY_ID: 'AK ID', ECHO_AWS_SECRET_ACCESS_KEY: 's' },
      'ECHO_AWS_ACCESS_KEY_ID: must be 1 to 128 printable characters without spaces',
    ],
    [
      { ECHO_LLM_TRACE: 'none' },
      'ECHO_LLM_TRACE: must be full (the default: each model call\'s request is stored) or hash (only its sha256), got "none"',
    ],
  ])('names the variable: %o', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
  });
});
