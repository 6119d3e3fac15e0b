/**
 * `echoctl logs <role>` pointed at AWS: the real CloudWatch Logs SDK client, through ECHO_AWS_ENDPOINT,
 * against a loopback server speaking the CloudWatch Logs JSON protocol (FilterLogEvents, paging,
 * ResourceNotFoundException). The log group is the agent's, as infra names it: /echo/<stage>/agents/<role>.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { echoctl } from '../support/cli.ts';
import { type CloudWatchLogsServer, startCloudWatchLogsServer } from '../support/cloudwatch-logs-server.ts';
import { eventually } from '../support/eventually.ts';
import { type Running, spawnEchoctl } from '../support/long-running.ts';

describe('echoctl logs in AWS: CloudWatch Logs FilterLogEvents', () => {
  let cw: CloudWatchLogsServer;
  const running: Running[] = [];
  const base = Date.parse('2026-01-15T10:00:00.000Z');
  const line = (at: number, message: string, fields: Record<string, unknown> = {}) => ({
    timestamp: at,
    message: `${JSON.stringify({ level: 'INFO', message, timestamp: new Date(at).toISOString(), service: 'echo-dev', role: 'cto', cold_start: true, ...fields })}\n`,
  });
  const env = () => ({
    ECHO_AWS_ENDPOINT: cw.endpoint,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
    ECHO_STAGE: 'dev',
    // The SDK warns on Node 20 that its releases after January 2027 need Node 22; not this test's subject.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const lines = (stdout: string) =>
    stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));

  beforeAll(async () => {
    cw = await startCloudWatchLogsServer({ pageSize: 2 });
    cw.put('/echo/dev/agents/cto', [
      { timestamp: base, message: 'START RequestId: 1f2e Version: $LATEST\n' },
      line(base + 1, 'delivery processed', { messageId: 'm-1' }),
      line(base + 2, 'llm call', { provider: 'bedrock', model: 'amazon.nova-micro-v1:0' }),
      line(base + 60_000, 'delivery processed', { messageId: 'm-2' }),
      { timestamp: base + 60_001, message: 'REPORT RequestId: 1f2e Duration: 12.3 ms\n' },
    ]);
  });
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop('SIGKILL');
  });
  afterAll(async () => {
    await cw?.close();
  });

  it('reads the agent’s log group page by page (ECHO_STAGE and a Region select AWS); --json one object a line', async () => {
    cw.requests.length = 0;
    const r = await echoctl(['logs', 'cto', '--json'], 'http://127.0.0.1:1', env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    expect(out.map((l) => l.message)).toEqual([
      'START RequestId: 1f2e Version: $LATEST',
      'delivery processed',
      'llm call',
      'delivery processed',
      'REPORT RequestId: 1f2e Duration: 12.3 ms',
    ]);
    expect(out[0]).toEqual({
      timestamp: new Date(base).toISOString(),
      message: 'START RequestId: 1f2e Version: $LATEST',
    });
    expect(out[1]).toMatchObject({ level: 'INFO', role: 'cto', messageId: 'm-1' });
    expect(cw.requests.length).toBe(3); // five events, two a page
    expect(cw.requests.every((q) => q.target === 'Logs_20140328.FilterLogEvents')).toBe(true);
    expect(cw.requests[0]!.input).toEqual({ logGroupName: '/echo/dev/agents/cto' });
    expect(cw.requests[1]!.input).toMatchObject({ logGroupName: '/echo/dev/agents/cto', nextToken: '2' });
  });

  it('--since sends startTime; pretty lines show time, level, message and the key fields', async () => {
    cw.requests.length = 0;
    const since = new Date(base + 30_000).toISOString();
    const r = await echoctl(['logs', 'cto', '--aws', '--since', since], 'http://127.0.0.1:1', env());
    expect(r.code).toBe(0);
    expect(cw.requests[0]!.input).toMatchObject({ startTime: base + 30_000 });
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      '2026-01-15 10:01:00.000  INFO   delivery processed  messageId=m-2',
      '2026-01-15 10:01:00.001         REPORT RequestId: 1f2e Duration: 12.3 ms',
    ]);
  });

  it('--follow polls and prints each new event once', async () => {
    const follow = spawnEchoctl(
      ['logs', 'cto', '--follow', '--json', '--since', new Date(base).toISOString(), '--interval', '0.1'],
      'http://127.0.0.1:1',
      env(),
    );
    running.push(follow);
    await eventually(() => follow.lines().length === 5, 20_000, 'the existing events');
    cw.put('/echo/dev/agents/cto', [line(base + 120_000, 'delivery processed', { messageId: 'm-3' })]);
    await eventually(() => follow.stdout().includes('m-3'), 20_000, 'the new event');
    // Several polls later, nothing is printed twice.
    const polls = cw.requests.length;
    await eventually(() => cw.requests.length >= polls + 3, 20_000, 'more polls');
    expect(lines(follow.stdout()).map((l) => l.messageId ?? l.message)).toEqual([
      'START RequestId: 1f2e Version: $LATEST',
      'm-1',
      'llm call',
      'm-2',
      'REPORT RequestId: 1f2e Duration: 12.3 ms',
      'm-3',
    ]);
    expect(await follow.stop('SIGINT')).toBe(0);
  });

  it('a log group that does not exist: says which, and what to check', async () => {
    const r = await echoctl(['logs', 'ceo', '--aws', '--stage', 'prod'], 'http://127.0.0.1:1', env());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('log group /echo/prod/agents/ceo not found in eu-west-1');
    expect(r.stderr).toContain('--stage');
  });
});
