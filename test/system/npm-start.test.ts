/**
 * The newcomer's path, end to end: `npm start`, the real AWS CLI's put-events of the sample in
 * events/, then `npx echoctl messages --json` shows the message and the recipient's reply.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../lambdas/core/messages.ts';
import { aws, awsCli, echoctl, exec, npmStart } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { freePort } from '../support/processes.ts';
import { createTestDatabase, redisUrl, requireService } from '../support/services.ts';

const hasPostgres = requireService('DATABASE_URL');
const hasRedis = requireService('REDIS_URL');

const variants = [
  { name: 'embedded (PGlite, in-process)', postgres: false, enabled: true },
  { name: 'PostgreSQL and Redis', postgres: true, enabled: hasPostgres && hasRedis },
];

describe.each(variants.filter((v) => v.enabled))('npm start, $name', ({ postgres }) => {
  let app: Awaited<ReturnType<typeof npmStart>>;
  let api: string;
  let endpoint: string;
  let dataDir: string;
  let db: Awaited<ReturnType<typeof createTestDatabase>> | undefined;

  beforeAll(async () => {
    const [port, awsPort] = [await freePort(), await freePort()];
    dataDir = mkdtempSync(join(tmpdir(), 'echo-system-'));
    db = postgres ? await createTestDatabase() : undefined;
    const env: Record<string, string> = {
      ECHO_PORT: String(port),
      ECHO_AWS_PORT: String(awsPort),
      ECHO_DATA_DIR: dataDir,
      DATABASE_URL: '',
      REDIS_URL: '',
    };
    if (db) Object.assign(env, { DATABASE_URL: db.url, REDIS_URL: redisUrl! });
    app = await npmStart(env, port);
    api = `http://127.0.0.1:${port}`;
    endpoint = `http://127.0.0.1:${awsPort}`;
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('aws events put-events of the sample reaches the senior developer, who replies', async () => {
    const put = await aws(
      ['events', 'put-events', '--entries', 'file://events/samples/post-message.json'],
      endpoint,
    );
    expect(put.stderr).toBe('');
    expect(JSON.parse(put.stdout)).toMatchObject({
      FailedEntryCount: 0,
      Entries: [{ EventId: expect.any(String) }],
    });

    const messages = await eventually(
      async () => {
        const r = await echoctl(['messages', '--json'], api);
        const list = JSON.parse(r.stdout) as Message[];
        return list.some((m) => m.type === 'response') ? list : undefined;
      },
      20_000,
      'the reply in echoctl messages',
    );
    const request = messages.find((m) => m.subject === 'what_do_you_do')!;
    expect(request).toMatchObject({
      from: 'human',
      to: 'senior_developer',
      type: 'request',
      content: { question: 'What do you work on?' },
    });
    for (const key of ['id', 'from', 'to', 'type', 'subject', 'content', 'metadata', 'createdAt'])
      expect(request).toHaveProperty(key);
    const reply = messages.find((m) => m.metadata.inReplyTo === request.id);
    expect(reply).toMatchObject({ from: 'senior_developer', to: 'human', type: 'response' });
  });

  it('echoctl send, broadcast, messages filters, dlq, and clear errors', async () => {
    const sent = await echoctl(
      [
        'send',
        '--to',
        'cto',
        '--subject',
        'Migrate to Aurora',
        '--content',
        '{"budget_usd": 1000}',
        '--idempotency-key',
        'k1',
        '--json',
      ],
      api,
    );
    expect(sent.code).toBe(0);
    const message = JSON.parse(sent.stdout) as Message;
    expect(message).toMatchObject({
      to: 'cto',
      from: 'human',
      content: { budget_usd: 1000 },
      recipients: ['cto'],
    });
    const again = await echoctl(
      [
        'send',
        '--to',
        'cto',
        '--subject',
        'Migrate to Aurora',
        '--content',
        '{"budget_usd": 1000}',
        '--idempotency-key',
        'k1',
      ],
      api,
    );
    expect(again.stdout).toContain(`already sent (same idempotency key): #${message.seq} ${message.id}`);

    const broadcast = await echoctl(['broadcast', '--subject', 'All hands', '--json'], api);
    expect(JSON.parse(broadcast.stdout)).toMatchObject({
      to: 'all',
      type: 'broadcast',
      recipients: expect.arrayContaining(['ceo', 'test_lead']),
    });

    const toCto = JSON.parse((await echoctl(['messages', '--to', 'cto', '--json'], api)).stdout) as Message[];
    expect(toCto.map((m) => m.id)).toContain(message.id);
    const human = await echoctl(['messages', '--to', 'cto'], api);
    expect(human.stdout).toContain('Migrate to Aurora');

    const bad = await echoctl(['send', '--to', 'janitor', '--subject', 'x'], api);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown role "janitor"');
    expect(bad.stderr).toContain('(field: to)');
    const dlq = JSON.parse((await echoctl(['dlq', '--json'], api)).stdout);
    expect(dlq[0]).toMatchObject({ source: 'api', field: 'to' });

    const badJson = await echoctl(['send', '--to', 'cto', '--subject', 'x', '--content', '{nope'], api);
    expect(badJson.code).toBe(1);
    expect(badJson.stderr).toContain('must be JSON');

    const down = await echoctl(['messages'], 'http://127.0.0.1:1');
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('npm start');
  });

  it('echoctl send --wait of cast_vote returns with the vote, the reply a cast_vote request gets', async () => {
    const opened = await fetch(`${api}/decisions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        initiator: 'cto',
        title: 'Adopt Kafka for the event store',
        participants: ['senior_architect'],
        budget_usd: 40_000,
        requestVotes: false,
      }),
    });
    expect(opened.status).toBe(201);
    const decisionId = ((await opened.json()) as { decision: { id: string } }).decision.id;
    const content = JSON.stringify({ decisionId, note: 'we need durability' });
    const r = await echoctl(
      [
        'send',
        '--to',
        'senior_architect',
        '--subject',
        'cast_vote',
        '--content',
        content,
        '--wait',
        '--json',
      ],
      api,
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { complete: boolean; replies: Message[] };
    expect(out.complete).toBe(true);
    expect(out.replies).toMatchObject([{ from: 'senior_architect', type: 'vote' }]);
  }, 120_000);

  it('echoctl agents, scenario and approve/reject against the running process', async () => {
    const agents = await echoctl(['agents', '--json'], api);
    expect(JSON.parse(agents.stdout)).toHaveLength(9);
    // the table's columns line up, the longest title ("Chief Human Resources Officer") included
    const table = (await echoctl(['agents'], api)).stdout.trimEnd().split('\n');
    expect(table).toHaveLength(9);
    expect(new Set(table.map((line) => line.indexOf(' reports to ')))).toHaveProperty('size', 1);
    for (const name of ['direct-request', 'enterprise-expansion']) {
      const run = await echoctl(['scenario', name], api, { ECHO_DATA_DIR: dataDir });
      expect(run.stdout, run.stderr).toContain(`PASS ${name}`);
      expect(run.code).toBe(0);
    }
    const list = JSON.parse((await echoctl(['decisions', '--status', 'rejected', '--json'], api)).stdout);
    expect(list[0]).toMatchObject({ status: 'rejected', title: 'Enterprise Expansion' });
    const shown = JSON.parse((await echoctl(['decision', list[0].id, '--json'], api)).stdout);
    expect(shown.approval).toMatchObject({ status: 'rejected', principal: 'human:scenario' });
    const noToken = await echoctl(['approve', list[0].id, '--reason', 'x'], api, {
      ECHO_DATA_DIR: '/nonexistent',
    });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('no human token');
    const unknown = await echoctl(['scenario', 'nope'], api);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown scenario "nope"');
  });

  // The README's commands, as written there (but for the port), on either database.
  const ARNS = [
    '--resource-arn',
    'arn:aws:rds:us-east-1:000000000000:cluster:echo-local',
    '--secret-arn',
    'arn:aws:secretsmanager:us-east-1:000000000000:secret:echo-local',
    '--database',
    'echo',
  ];
  it('the RDS Data API on the local endpoint answers the AWS CLI over the same database', async () => {
    const r = await aws(
      [
        'rds-data',
        'execute-statement',
        ...ARNS,
        '--sql',
        "SELECT count(*) AS n FROM messages WHERE content->>'question' = 'What do you work on?'",
        '--include-result-metadata',
      ],
      endpoint,
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).records).toEqual([[{ longValue: 1 }]]);
    const count = await aws(
      ['rds-data', 'execute-statement', ...ARNS, '--sql', 'select count(*) from messages'],
      endpoint,
    );
    expect(count.stderr).toBe('');
    expect(JSON.parse(count.stdout).records[0][0].longValue).toBeGreaterThan(1);

    const batch = await aws(
      [
        'rds-data',
        'batch-execute-statement',
        ...ARNS,
        '--sql',
        'SELECT count(*) FROM messages WHERE seq > :after',
        '--parameter-sets',
        '[[{"name": "after", "value": {"longValue": 0}}], [{"name": "after", "value": {"longValue": 1}}]]',
      ],
      endpoint,
    );
    expect(batch.stderr).toBe('');
    expect(JSON.parse(batch.stdout).updateResults).toHaveLength(2);

    const begin = await aws(['rds-data', 'begin-transaction', ...ARNS], endpoint);
    if (postgres) {
      const { transactionId } = JSON.parse(begin.stdout);
      const done = await aws(
        ['rds-data', 'rollback-transaction', ...ARNS.slice(0, 4), '--transaction-id', transactionId],
        endpoint,
      );
      expect(JSON.parse(done.stdout)).toEqual({ transactionStatus: 'Rollback Complete' });
    } else {
      expect(begin.stderr).toContain('(BadRequestException)');
      expect(begin.stderr).toContain('Transactions across calls are not available on the embedded database');
    }
  }, 180_000); // five runs of the AWS CLI (a Python process each): generous on a busy machine

  it('ends its start-up saying where everything is, and three commands to try that work as printed', async () => {
    const banner = await eventually(
      () => (app.output().includes('try:\n') ? app.output() : undefined),
      20_000,
      'the start-up banner',
    );
    expect(banner).toContain(`  dashboard    ${api}/\n`);
    expect(banner).toContain(`  API          ${api}\n`);
    expect(banner).toContain(
      `  AWS          ${endpoint}  (EventBridge, the RDS Data API and CloudWatch Logs: aws`,
    );
    expect(banner).toContain(`  human token  ${join(dataDir, 'human-token')}  (`);
    expect(banner).toContain('  model        rules engine (no model: ECHO_LLM_PROVIDER chooses one)\n');
    const tries = banner
      .slice(banner.indexOf('try:\n') + 5)
      .split('\n')
      .slice(0, 3)
      .map((l) => l.trim());
    expect(tries).toHaveLength(3);
    for (const line of tries) {
      // as a user pastes it (the AWS CLI as the other tests run it, with local credentials)
      const r = await exec('bash', ['-c', line.replace(/^aws /, `${awsCli} `)], {
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_PAGER: '',
      });
      expect(r.code, `${line}\n${r.stderr}`).toBe(0);
    }
  }, 180_000);
});

describe('npm start with a bad variable', () => {
  it('refuses in one line naming the variable and what it takes, with no stack trace', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'echo-config-'));
    try {
      for (const [env, expected] of [
        [
          { ECHO_PORT: 'abc' },
          'echo: could not start: ECHO_PORT: must be an integer from 0 to 65535, got "abc"',
        ],
        [
          { ECHO_LLM_PROVIDER: 'openai', ECHO_LLM_BASE_URL: '' },
          'echo: could not start: ECHO_LLM_BASE_URL: is required with ECHO_LLM_PROVIDER=openai',
        ],
      ] as const) {
        const r = await exec('npm', ['start', '--silent'], {
          ECHO_DATA_DIR: dataDir,
          DATABASE_URL: '',
          REDIS_URL: '',
          ...env,
        });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(expected);
        expect(r.stderr).not.toMatch(/\n\s+at |ConfigError|node:internal/);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('echoctl send --wait for what nothing answers', () => {
  it('a notification, or a message to the human, is refused before anything is posted', async () => {
    // no API listens at port 9: a refusal that posted first would fail to connect instead
    for (const args of [
      ['--to', 'cto', '--type', 'notification'],
      ['--to', 'human'],
    ]) {
      const r = await echoctl(['send', ...args, '--subject', 'hello', '--wait'], 'http://127.0.0.1:9');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^echoctl: --wait: (a notification|a message to the human) gets no reply/);
      expect(r.stderr).not.toMatch(/ECONNREFUSED|cannot reach|fetch failed/i);
    }
  }, 60_000);
});
