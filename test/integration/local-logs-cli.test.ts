/**
 * Each agent's CloudWatch logs, locally: the real AWS CLI v2 against the local endpoint reads the
 * agents' log files as the log groups they have in AWS (`/echo/local/agents/<role>`):
 * describe-log-groups, filter-log-events (with term and JSON filter patterns), get-log-events, and
 * `aws logs tail`, `--follow` included (which polls FilterLogEvents), while the runtime works.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROLES } from '../../lambdas/core/roles.ts';
import { compileFilterPattern } from '../../lambdas/local/aws/logs.ts';
import { aws, awsCli } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { type Running, spawnCommand } from '../support/long-running.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

// Each case runs the AWS CLI (a Python process) several times: generous on a busy machine.
vi.setConfig({ testTimeout: 180_000 });

describe('aws logs against the local endpoint', () => {
  let rt: TestRuntime;
  let dataDir: string;
  let tail: Running | undefined;
  const logs = async (...args: string[]) => {
    const r = await aws(['logs', ...args], rt.awsUrl);
    return { ...r, json: r.code === 0 && r.stdout.trim().startsWith('{') ? JSON.parse(r.stdout) : undefined };
  };
  const ctoFile = () => join(dataDir, 'logs', 'cto.log');
  /** Posts a request to the CTO and waits until its log file has a line about it. */
  const askCto = async (subject: string) => {
    const res = await rt.post({ to: 'cto', subject, content: { budget_usd: 1000 } });
    expect(res.status).toBe(201);
    const id = res.body.message.id as string;
    await eventually(
      () => (existsSync(ctoFile()) && readFileSync(ctoFile(), 'utf8').includes(id) ? true : undefined),
      30_000,
      `a line about ${id} in cto.log`,
    );
    return id;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'echo-logs-'));
    rt = await startTestRuntime({
      database: 'pglite',
      env: { ECHO_DATA_DIR: dataDir, ECHO_LOG_FILE_LEVEL: 'info' },
    });
  }, 180_000);
  afterAll(async () => {
    await tail?.stop('SIGKILL');
    await rt?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('describe-log-groups lists one group per agent, named as in AWS', async () => {
    const out = await logs('describe-log-groups', '--log-group-name-prefix', '/echo/local/agents/');
    expect(out.stderr).toBe('');
    expect(out.json.logGroups.map((g: any) => g.logGroupName)).toEqual(
      ROLES.map((r) => `/echo/local/agents/${r}`).sort(),
    );
    expect(out.json.logGroups[0]).toMatchObject({
      arn: expect.stringMatching(
        /^arn:aws:logs:us-east-1:000000000000:log-group:\/echo\/local\/agents\/\w+:\*$/,
      ),
      creationTime: expect.any(Number),
    });
  });

  it('aws logs tail, filter-log-events and get-log-events read the agent file', async () => {
    const id = await askCto('Adopt PostgreSQL');
    const short = await logs('tail', '/echo/local/agents/cto', '--since', '10m', '--format', 'short');
    expect(short.stderr).toBe('');
    const line = short.stdout.split('\n').find((l) => l.includes(id));
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d \{"level":"INFO",/);
    expect(JSON.parse(line!.slice(line!.indexOf('{')))).toMatchObject({ role: 'cto', messageId: id });

    const filtered = await logs(
      'filter-log-events',
      '--log-group-name',
      '/echo/local/agents/cto',
      '--filter-pattern',
      `"${id}"`,
    );
    expect(filtered.json.events.length).toBeGreaterThan(0);
    for (const e of filtered.json.events) {
      expect(e.message).toContain(id);
      expect(e).toMatchObject({
        logStreamName: 'cto.log',
        timestamp: expect.any(Number),
        eventId: expect.any(String),
      });
    }
    const json = await logs(
      'filter-log-events',
      '--log-group-name',
      '/echo/local/agents/cto',
      '--filter-pattern',
      `{ $.messageId = "${id}" && $.level = "INFO" }`,
    );
    expect(json.json.events.map((e: any) => e.eventId)).toEqual(
      filtered.json.events
        .filter((e: any) => JSON.parse(e.message).level === 'INFO')
        .map((e: any) => e.eventId),
    );

    const head = await logs(
      'get-log-events',
      '--log-group-name',
      '/echo/local/agents/cto',
      '--log-stream-name',
      'cto.log',
      '--start-from-head',
      '--limit',
      '1',
    );
    expect(head.json.events).toHaveLength(1);
    expect(head.json.nextForwardToken).toMatch(/^f\//);

    const missing = await logs('tail', '/echo/local/agents/janitor');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('(ResourceNotFoundException)');
  });

  it('aws logs tail --follow prints what the agent logs next', async () => {
    await askCto('Warm up');
    tail = spawnCommand(
      awsCli,
      ['--endpoint-url', rt.awsUrl, 'logs', 'tail', '/echo/local/agents/cto', '--follow'],
      {
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_PAGER: '',
      },
    );
    // Its first FilterLogEvents has answered (the lines so far) before the agent logs more.
    await eventually(
      () => (tail!.lines().length > 0 ? true : undefined),
      60_000,
      'the first lines of the tail',
    );
    const before = tail.lines().length;
    const id = await askCto('Move the build to arm64');
    // The CLI polls every 5 seconds: a generous bound for a busy machine.
    const line = await eventually(
      () => tail!.lines().find((l) => l.includes(id)),
      60_000,
      `aws logs tail --follow to print a line about ${id} (stderr: ${tail!.stderr()})`,
    );
    expect(line).toContain(' cto.log {"level":"INFO"');
    expect(tail.lines().indexOf(line!)).toBeGreaterThanOrEqual(before);
    await tail.stop('SIGINT');
    tail = undefined;
  });
});

describe('filter patterns', () => {
  const line = JSON.stringify({ level: 'WARN', message: 'llm failed; the rules answer', role: 'cto', n: 3 });
  it.each([
    ['', true],
    ['llm', true],
    ['llm cto', true],
    ['"rules answer"', true],
    ['"answer rules"', false],
    ['?nothing ?WARN', true],
    ['llm -WARN', false],
    ['{ $.level = "WARN" }', true],
    ['{ $.level = "W*" && $.n >= 3 }', true],
    ['{ $.n > 3 }', false],
    ['{ $.role != "cto" }', false],
  ])('%s -> %s', (pattern, expected) => {
    expect(compileFilterPattern(pattern)(line)).toBe(expected);
  });
  it('refuses what it does not support, naming what it does', () => {
    expect(() => compileFilterPattern('[ip, user]')).toThrow(/supports terms/);
    expect(() => compileFilterPattern('{ ($.a = 1) || ($.b = 2) }')).toThrow(/supports terms/);
  });
});
