/**
 * `cdk synth` as a user runs it, offline and with no AWS credentials in the environment: the CLI,
 * cdk.json, the app, esbuild bundling every function, cdk-nag as a validation plugin. Then the
 * bundles themselves: each one loads as an ES module, and the migration's bundle carries the
 * migrations and (with DATABASE_URL) migrates a fresh database through its Lambda handler and the Data API.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../infra/constructs/migration.ts';
import { createDataApiRoute } from '../../lambdas/local/aws/data-api.ts';
import { startLocalAwsEndpoint } from '../../lambdas/local/aws/server.ts';
import { root } from '../support/cli.ts';
import { createTestDatabase, requireService } from '../support/services.ts';

const run = promisify(execFile);

let out: string;
let home: string;
let result: { code: number; output: string };
let stateless: { Resources: Record<string, any> };

/** The environment without a single AWS_* variable, and a HOME without ~/.aws. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  return {
    ...env,
    HOME: home,
    // Not a credential: keeps the SDK's credential chain off the instance metadata endpoint.
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

/** A function of the stateless template, by function name. */
function functionNamed(functionName: string) {
  return Object.values(stateless.Resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === functionName,
  );
}

/** The asset directory of a function of the stateless template, by function name. */
function assetOf(functionName: string): string {
  return join(out, functionNamed(functionName).Metadata['aws:asset:path']);
}

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'echo-cdk-out-'));
  home = mkdtempSync(join(tmpdir(), 'echo-home-'));
  try {
    const { stdout, stderr } = await run(
      join(root, 'node_modules/.bin/cdk'),
      ['synth', '-c', 'stage=dev', '-q', '--no-notices', '-o', out],
      { cwd: root, env: offlineEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 240_000 },
    );
    result = { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    result = { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout}${e.stderr}` };
  }
  if (result.code === 0) {
    stateless = JSON.parse(readFileSync(join(out, 'echo-dev-stateless.template.json'), 'utf8'));
  }
}, 300_000);

afterAll(() => {
  for (const dir of [out, home]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('npx cdk synth -c stage=dev, offline, no credentials', () => {
  it('succeeds, with both stacks and nothing for cdk-nag to report', () => {
    expect(result.code, result.output).toBe(0);
    for (const stack of ['echo-dev-stateful', 'echo-dev-stateless']) {
      expect(existsSync(join(out, `${stack}.template.json`))).toBe(true);
    }
    const report = join(out, 'validation-report.json');
    if (existsSync(report)) {
      const plugins = JSON.parse(readFileSync(report, 'utf8')).pluginReports ?? [];
      for (const p of plugins) expect(p.summary?.status ?? 'success', JSON.stringify(p)).not.toBe('failure');
    }
  });

  it('bundles every function as an ES module that loads', async () => {
    const fns = Object.values(stateless.Resources).filter(
      (r) =>
        r.Type === 'AWS::Lambda::Function' &&
        /^echo-dev-(agent-|ingest|sweeper|deadlines|workflows|api|migrate$)/.test(r.Properties.FunctionName),
    );
    expect(fns).toHaveLength(15);
    for (const fn of fns) {
      const bundle = join(assetOf(fn.Properties.FunctionName), 'index.mjs');
      expect(existsSync(bundle), fn.Properties.FunctionName).toBe(true);
      expect(existsSync(`${bundle}.map`)).toBe(true);
    }
    // Loading does no work (dependencies are built on the first event): the module and its handler.
    for (const name of ['echo-dev-agent-senior-developer', 'echo-dev-workflows']) {
      const { stdout } = await run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(join(assetOf(name), 'index.mjs'))}); console.log(typeof m.handler);`,
        ],
        { env: offlineEnv() },
      );
      expect(stdout.trim(), name).toBe('function');
    }
  });

  it('the Bedrock client is in the bundles of the agents, which have models, and of no other function', () => {
    const bedrock = (name: string) =>
      readFileSync(join(assetOf(name), 'index.mjs'), 'utf8').includes('ConverseStream');
    for (const role of ['ceo', 'senior-developer']) {
      const name = `echo-dev-agent-${role}`;
      expect(functionNamed(name).Properties.Environment.Variables.ECHO_LLM_PROVIDER).toBe('bedrock');
      expect(bedrock(name), name).toBe(true);
    }
    for (const name of ['echo-dev-api', 'echo-dev-ingest', 'echo-dev-sweeper', 'echo-dev-workflows'])
      expect(bedrock(name), name).toBe(false);
  });

  it('the migration bundle carries the migrations', () => {
    const dir = join(assetOf('echo-dev-migrate'), 'migrations');
    const expected = readdirSync(join(root, MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql'));
    expect(expected.length).toBeGreaterThan(0);
    expect(readdirSync(dir).sort()).toEqual(expected.sort());
  });

  it('the API bundle carries the dashboard, and serves its page with no database', async () => {
    const api = assetOf('echo-dev-api');
    expect(readdirSync(join(api, 'dashboard')).sort()).toEqual(readdirSync(join(root, 'dashboard')).sort());
    const script = `const m = await import(${JSON.stringify(join(api, 'index.mjs'))});
      const r = await m.handler({ rawPath: '/dashboard', headers: {}, requestContext: { http: { method: 'GET', path: '/dashboard' } } });
      console.log(JSON.stringify({ status: r.statusCode, type: r.headers['content-type'], html: r.body.includes('<html') }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...offlineEnv(), ECHO_STAGE: 'dev', ECHO_LOG_LEVEL: 'silent' },
    });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({
      status: 200,
      type: expect.stringMatching(/^text\/html/),
      html: true,
    });
  });
});

describe.runIf(requireService('DATABASE_URL'))('the bundled migrate handler, through the Data API', () => {
  it('applies every migration on Create, none on Update, and nothing on Delete', async () => {
    const db = await createTestDatabase('echo_infra');
    // As deployed on AWS: the Data API (the local route, over the test database) and the
    // environment's credentials, which is all the bundle carries.
    const dataApi = createDataApiRoute({ connectionString: db.url });
    const endpoint = await startLocalAwsEndpoint({ port: 0, routes: [dataApi.route] });
    try {
      const invoke = async (event: Record<string, unknown>) => {
        const script = `const m = await import(${JSON.stringify(join(assetOf('echo-dev-migrate'), 'index.mjs'))});
          console.log(JSON.stringify(await m.handler(${JSON.stringify(event)})));`;
        const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
          env: {
            ...offlineEnv(),
            ECHO_DB_CLUSTER_ARN: 'arn:aws:rds:us-east-1:000000000000:cluster:echo-dev',
            ECHO_DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:echo-dev',
            ECHO_DB_NAME: new URL(db.url).pathname.slice(1),
            ECHO_AWS_ENDPOINT: endpoint.url,
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'test',
            AWS_SECRET_ACCESS_KEY: 'test',
            ECHO_STAGE: 'dev',
            ECHO_LOG_LEVEL: 'silent',
          },
        });
        return JSON.parse(stdout.trim().split('\n').pop()!);
      };
      const base = {
        ServiceToken: 'x',
        ResponseURL: 'x',
        StackId: 'x',
        RequestId: 'x',
        LogicalResourceId: 'x',
        ResourceType: 'Custom::EchoSchemaMigration',
        ResourceProperties: { ServiceToken: 'x' },
      };
      const versions = readdirSync(join(root, MIGRATIONS_DIR))
        .filter((f) => f.endsWith('.sql'))
        .sort()
        .map((f) => f.slice(0, -4));
      const created = await invoke({ ...base, RequestType: 'Create' });
      expect(created).toEqual({
        PhysicalResourceId: 'echo-dev-schema',
        Data: { Applied: versions.join(','), AppliedCount: versions.length },
      });
      const updated = await invoke({
        ...base,
        RequestType: 'Update',
        PhysicalResourceId: 'echo-dev-schema',
        OldResourceProperties: {},
      });
      expect(updated).toEqual({
        PhysicalResourceId: 'echo-dev-schema',
        Data: { Applied: '', AppliedCount: 0 },
      });
      const deleted = await invoke({ ...base, RequestType: 'Delete', PhysicalResourceId: 'echo-dev-schema' });
      expect(deleted.Data.AppliedCount).toBe(0);
    } finally {
      await endpoint.close();
      await dataApi.close();
      await db.drop();
    }
  });

  it('a bad -c value stops the synthesis in one line naming it, not with a stack trace', async () => {
    const failed = await run(
      join(root, 'node_modules/.bin/cdk'),
      ['synth', '-c', 'agentConcurrency=bogus', '-q', '--no-notices', '-o', join(out, 'bad')],
      { cwd: root, env: offlineEnv(), timeout: 120_000 },
    ).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(failed?.code).not.toBe(0);
    expect(failed?.stderr).toContain(
      'echo: cannot synthesize: context agentConcurrency: must be a whole number from 1 to 1000, or none, got "bogus"',
    );
    expect(failed?.stderr).not.toMatch(/^\s+at /m);
  }, 180_000);
});
