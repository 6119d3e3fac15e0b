/**
 * The Lambda bundles as a deployment builds them (infra/bundling.ts), without the CDK: what each one
 * carries and what it must not, that the bundled code runs on the deployed path (the Data API,
 * EventBridge and Redis, with the environment's credentials only), and the bench's account of an
 * agent's bytes and load time. Sizes are asserted as what is in and out, never timings.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_GOALS, measureBundles } from '../../bench/bundles.ts';
import { esbuildOptions, type LambdaLlm, type LambdaSqlDriver } from '../../infra/bundling.ts';
import { migrate } from '../../lambdas/adapters/sql/migrate.ts';
import { openServerSql } from '../../lambdas/adapters/sql/open-server.ts';
import { createSqlStore } from '../../lambdas/adapters/sql/store.ts';
import { createDataApiRoute } from '../../lambdas/local/aws/data-api.ts';
import { startLocalAwsEndpoint } from '../../lambdas/local/aws/server.ts';
import { LocalEventBus } from '../../lambdas/local/eventbridge/bus.ts';
import { eventBridgeRoute } from '../../lambdas/local/eventbridge/route.ts';
import { root } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { createTestDatabase, redisUrl, requireService } from '../support/services.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'echo-bundles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bundle(
  entry: string,
  driver: LambdaSqlDriver,
  llm: LambdaLlm,
): Promise<{ file: string; inputs: string[] }> {
  const file = join(dir, `${driver}-${llm}`, entry.replaceAll('/', '_'), 'index.mjs');
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, entry)],
    outfile: file,
    ...esbuildOptions({ sqlDriver: driver, llm }),
    metafile: true,
    logLevel: 'silent',
  });
  const output = Object.values((result.metafile as Metafile).outputs).find((o) => o.entryPoint)!;
  return { file, inputs: Object.keys(output.inputs) };
}

const has = (inputs: string[], re: RegExp) => inputs.some((i) => re.test(i));

describe('what a Lambda bundle carries', () => {
  let aws: string[];
  let localstack: string[];
  beforeAll(async () => {
    // An agent as the default deployments bundle it: on AWS with Bedrock, on LocalStack with the rules.
    aws = (await bundle('lambdas/handlers/agents/cto.ts', 'rds-data', 'bedrock')).inputs;
    localstack = (await bundle('lambdas/handlers/agents/cto.ts', 'node-postgres', 'rules')).inputs;
  }, 180_000);

  it("no PGlite, no ioredis, no default credential chain, no X-Ray SDK, none of zod's locales but English", () => {
    for (const inputs of [aws, localstack]) {
      expect(has(inputs, /@electric-sql\/pglite/)).toBe(false);
      expect(has(inputs, /node_modules\/ioredis\//)).toBe(false);
      // (@smithy/credential-provider-imds stays: the SDK's defaults mode reads the Region from it.)
      expect(
        has(inputs, /@aws-sdk\/credential-provider-(node|ini|sso|process|web-identity|http|login)\//),
      ).toBe(false);
      // The STS, SSO and sign-in clients of the credential chain; SSO OIDC stays (the Bedrock client's token provider).
      expect(has(inputs, /@aws-sdk\/nested-clients\/dist-es\/submodules\/(sts|sso|signin)\//)).toBe(false);
      expect(inputs.filter((i) => /zod\/v4\/locales\/(?!en\.js|index\.js)/.test(i))).toEqual([]);
      // X-Ray is the project's own (lambdas/adapters/xray.ts), not the X-Ray SDK nor Powertools Tracer.
      expect(has(inputs, /aws-xray-sdk|@aws-lambda-powertools\/tracer|cls-hooked/)).toBe(false);
      expect(has(inputs, /lambdas\/adapters\/xray\.ts$/)).toBe(true);
      // What takes their place.
      expect(has(inputs, /lambdas\/adapters\/aws-credentials\.lambda\.ts$/)).toBe(true);
      expect(has(inputs, /lambdas\/adapters\/realtime\/resp\.publisher\.ts$/)).toBe(true);
    }
  });

  it('one model provider: Bedrock where models are bound, none (the rules) elsewhere; never OpenAI or Ollama', () => {
    const providers = /lambdas\/adapters\/llm\/(openai-compatible|ollama)\.llm\.ts$/;
    expect(has(aws, /lambdas\/adapters\/llm\/bedrock\.llm\.ts$/)).toBe(true);
    expect(has(aws, /@aws-sdk\/client-bedrock-runtime/)).toBe(true);
    expect(has(aws, providers)).toBe(false);
    expect(has(localstack, /lambdas\/adapters\/llm\/bedrock\.llm\.ts$/)).toBe(false);
    expect(has(localstack, /@aws-sdk\/(client-bedrock-runtime|nested-clients)/)).toBe(false);
    expect(has(localstack, providers)).toBe(false);
  });

  it('on AWS the Data API driver and not pg; on LocalStack pg and not the Data API client', () => {
    expect(has(aws, /rds-data\.driver\.ts$/)).toBe(true);
    expect(has(aws, /node_modules\/pg(-[a-z]+)?\//)).toBe(false);
    expect(has(localstack, /node-postgres\.driver\.ts$/)).toBe(true);
    expect(has(localstack, /node_modules\/pg\//)).toBe(true);
    expect(has(localstack, /@aws-sdk\/client-rds-data/)).toBe(false);
  });
});

describe.runIf(requireService('DATABASE_URL') && requireService('REDIS_URL'))(
  'the bundled sweeper, on the deployed path',
  () => {
    let db: Awaited<ReturnType<typeof createTestDatabase>>;
    let endpoint: Awaited<ReturnType<typeof startLocalAwsEndpoint>>;
    let dataApi: ReturnType<typeof createDataApiRoute>;
    let sweeper: string;
    const bus = new LocalEventBus({ onDeadLetter: () => {} });
    const published: unknown[] = [];

    beforeAll(async () => {
      db = await createTestDatabase('echo_bundle');
      const sql = await openServerSql({ kind: 'node-postgres', url: db.url });
      await migrate(sql);
      // A message whose fan-out never happened: its outbox rows wait for the sweeper.
      await createSqlStore(sql).insertEvent(
        {
          target: 'eventbridge',
          payload: { source: 'echo', detailType: 'DecisionCreated', detail: { n: 1 } },
        },
        new Date(Date.now() - 60_000),
        new Date(Date.now() - 60_000),
      );
      await sql.close();
      bus.addRule({
        name: 'all',
        pattern: { source: ['echo'] },
        target: async (e) => void published.push(e),
      });
      dataApi = createDataApiRoute({ connectionString: db.url });
      endpoint = await startLocalAwsEndpoint({ port: 0, routes: [eventBridgeRoute(bus), dataApi.route] });
      sweeper = (await bundle('lambdas/handlers/sweeper.ts', 'rds-data', 'rules')).file;
    }, 180_000);
    afterAll(async () => {
      await endpoint?.close();
      await dataApi?.close();
      bus.close();
      await db?.drop();
    });

    const invoke = (env: Record<string, string>) =>
      run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(sweeper)}); console.log(JSON.stringify(await m.handler({})));`,
        ],
        {
          cwd: tmpdir(),
          env: {
            PATH: process.env.PATH ?? '',
            AWS_REGION: 'us-east-1',
            ECHO_STAGE: 'test',
            ECHO_LOG_LEVEL: 'silent',
            POWERTOOLS_SERVICE_NAME: 'echo-test',
            ECHO_DB_CLUSTER_ARN: 'arn:aws:rds:us-east-1:000000000000:cluster:echo-test',
            ECHO_DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:echo-test',
            ECHO_DB_NAME: new URL(db.url).pathname.slice(1),
            ECHO_AWS_ENDPOINT: endpoint.url,
            REDIS_URL: redisUrl!,
            ECHO_REDIS_PREFIX: `bundle-test-${randomUUID()}:`,
            ...env,
          },
          timeout: 60_000,
        },
      );

    it('with no credentials in the environment, fails naming AWS_ACCESS_KEY_ID', async () => {
      const err = await invoke({}).then(
        () => expect.unreachable('should fail'),
        (e: { stderr: string }) => e,
      );
      expect(err.stderr).toMatch(/AWS_ACCESS_KEY_ID: is not set \(nor AWS_SECRET_ACCESS_KEY\)/);
    });

    it('with the credentials Lambda gives: reads the outbox through the Data API, publishes to EventBridge', async () => {
      const { stdout } = await invoke({ AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
      const result = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(result).toEqual({ published: 1, failed: 0, oldestAgeSeconds: 0 });
      expect(published).toEqual([
        expect.objectContaining({ source: 'echo', 'detail-type': 'DecisionCreated' }),
      ]);
    });

    it('with active tracing: the invocation and its Data API calls reach the X-Ray daemon as subsegments', async () => {
      const daemon = createSocket('udp4');
      const docs: Record<string, any>[] = [];
      daemon.on('message', (d) => docs.push(JSON.parse(d.toString('utf8').split('\n')[1]!)));
      await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
      try {
        const traceRoot = '1-6752f1a0-0123456789abcdef01234567';
        await invoke({
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          _X_AMZN_TRACE_ID: `Root=${traceRoot};Parent=53995c3f42cd8ad8;Sampled=1`,
          AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}`,
        });
        // the handler returns once its documents have left; they arrive on loopback at once
        const handler = await eventually(() => docs.find((d) => d.name === '## handler'));
        expect(handler).toMatchObject({ trace_id: traceRoot, parent_id: '53995c3f42cd8ad8' });
        expect(handler.annotations).toMatchObject({ ColdStart: true, Service: 'echo-test' });
        const calls = docs.filter((d) => d.name === 'RDSData');
        expect(calls.length).toBeGreaterThan(0);
        for (const call of calls)
          expect(call).toMatchObject({
            trace_id: traceRoot,
            parent_id: handler.id,
            namespace: 'aws',
            aws: {
              operation: expect.stringMatching(/^(ExecuteStatement|BeginTransaction|CommitTransaction)$/),
            },
            http: { response: { status: 200 } },
          });
      } finally {
        daemon.close();
      }
    });

    it('refuses a model provider it was not bundled with, naming ECHO_LLM_PROVIDER', async () => {
      const err = await invoke({
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        ECHO_LLM_PROVIDER: 'bedrock',
      }).then(
        () => expect.unreachable('should fail'),
        (e: { stderr: string }) => e,
      );
      expect(err.stderr).toMatch(
        /ECHO_LLM_PROVIDER: bedrock: selects a model provider this Lambda bundle does not carry: it was bundled with rules only/,
      );
    });

    it('refuses DATABASE_URL: the AWS bundle carries the Data API driver only', async () => {
      const err = await invoke({
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        ECHO_DB_CLUSTER_ARN: '',
        DATABASE_URL: db.url,
      }).then(
        () => expect.unreachable('should fail'),
        (e: { stderr: string }) => e,
      );
      expect(err.stderr).toMatch(
        /DATABASE_URL: selects a SQL driver this Lambda bundle does not carry: it was bundled with rds-data only/,
      );
    });
  },
);

describe("npm run bench: what an agent's bytes and load time go to", () => {
  it('bundles as deployed, measures, and accounts for the bytes by package and the load by what ran', async () => {
    const result = await measureBundles({ runs: 1, only: ['agent-cto'] });
    const [cto] = result.entries;
    expect(cto).toMatchObject({ name: 'agent-cto', bytes: expect.any(Number), loadMs: expect.any(Number) });
    expect(result.goal).toEqual(BUNDLE_GOALS);
    expect(typeof result.met).toBe('boolean');
    const b = result.breakdown!;
    // Every byte of the bundle but esbuild's own glue is accounted for.
    const accounted = b.bytes.reduce((n, x) => n + x.bytes, 0);
    expect(accounted).toBeLessThanOrEqual(cto!.bytes);
    expect(accounted).toBeGreaterThan(cto!.bytes * 0.95);
    expect(b.bytes.map((x) => x.what)).toEqual(
      expect.arrayContaining([
        'zod',
        'AWS SDK v3 (EventBridge, RDS Data, Bedrock Runtime clients)',
        'project: lambdas/core',
      ]),
    );
    expect(b.ms.map((x) => x.what)).toEqual(expect.arrayContaining(['V8: compiling the bundle']));
    // The floor: the AWS SDK alone, bundled and loaded the same way.
    expect(result.floor).toMatchObject({ name: 'aws-sdk-floor', loadMs: expect.any(Number) });
    expect(result.floor.bytes).toBeGreaterThan(100 * 1024);
    expect(result.floor.bytes).toBeLessThan(cto!.bytes);
    expect(b.ms.reduce((n, x) => n + x.share, 0)).toBeCloseTo(1, 1);
  }, 300_000);
});

describe('the floor of the bench (bench/sdk-floor.ts)', () => {
  it('exports every value the Lambdas import from the AWS SDK', async () => {
    const floor = await import('../../bench/sdk-floor.ts');
    const imported = new Set<string>();
    const files = readdirSync(join(root, 'lambdas'), { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts') && !f.startsWith('local'),
    );
    for (const file of files) {
      const text = readFileSync(join(root, 'lambdas', file), 'utf8');
      for (const [, names] of text.matchAll(/import \{([^}]*)\} from '@aws-sdk\/[^']+'/g))
        for (const name of names!.split(',').map((n) => n.trim()))
          if (name && !name.startsWith('type ')) imported.add(name);
    }
    expect(imported.size).toBeGreaterThan(5);
    expect([...imported].filter((name) => !(name in floor))).toEqual([]);
  });
});
