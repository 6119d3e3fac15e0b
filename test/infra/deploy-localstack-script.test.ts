/**
 * scripts/deploy-localstack.sh as written, in its --dry-run mode (there is no Docker here): the
 * commands it runs, for a deploy and a teardown, and the environment it gives cdklocal, which the real
 * cdklocal (aws-cdk-local) accepts; the script before this took AWS_ENDPOINT_URL without
 * AWS_ENDPOINT_URL_S3, which cdklocal refuses before it does anything. Teardown needs the auth token
 * too: docker compose reads it from the compose file for `down` as for `up`.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { exec, root } from '../support/cli.ts';

const run = promisify(execFile);

const script = (args: string[], env: Record<string, string> = {}) =>
  exec('bash', ['scripts/deploy-localstack.sh', ...args], {
    // none of the caller's own endpoints or Region
    AWS_ENDPOINT_URL: '',
    AWS_ENDPOINT_URL_S3: '',
    AWS_DEFAULT_REGION: '',
    AWS_ENVAR_ALLOWLIST: '',
    STAGE: '',
    ...env,
  });

const commands = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('+ '))
    .map((l) => l.slice(2));

const exported = (stdout: string) =>
  Object.fromEntries(
    stdout
      .split('\n')
      .filter((l) => l.startsWith('export AWS_'))
      .map((l) => l.slice('export '.length).split(/=(.*)/s).slice(0, 2) as [string, string]),
  );

/** The real cdklocal with exactly these AWS_ENDPOINT_URL* variables (none of the caller's). */
async function cdklocal(
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_ENDPOINT_URL')),
  ) as Record<string, string>;
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [join(root, 'node_modules/aws-cdk-local/bin/cdklocal'), '--help'],
      { cwd: root, env: { ...clean, ...env } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('scripts/deploy-localstack.sh --dry-run', () => {
  it('prints the deploy, command by command, and runs none of them', async () => {
    const r = await script(['--dry-run'], { LOCALSTACK_AUTH_TOKEN: 'ls-test-token', STAGE: 'demo' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(commands(r.stdout)).toEqual([
      'docker compose -f docker-compose.localstack.yml up -d --wait',
      'npx cdklocal bootstrap -c localstack=true -c stage=demo aws://000000000000/us-east-1',
      'mkdir -p .echo',
      'npx cdklocal deploy --all -c localstack=true -c stage=demo --require-approval never --outputs-file .echo/localstack-outputs.json',
    ]);
    expect(exported(r.stdout)).toEqual({
      AWS_ENDPOINT_URL: 'http://localhost:4566',
      AWS_ENDPOINT_URL_S3: 'http://s3.localhost.localstack.cloud:4566',
      AWS_ENVAR_ALLOWLIST: 'AWS_REGION,AWS_DEFAULT_REGION',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_REGION: 'us-east-1',
    });
    expect(r.stdout).not.toContain('ls-test-token');
    expect(r.stdout).toContain(
      'aws --endpoint-url http://localhost:4566 logs tail /echo/demo/agents/senior_developer --follow',
    );
  });

  it('gives cdklocal an environment it accepts (the old one, AWS_ENDPOINT_URL alone, it refused)', async () => {
    const r = await script(['--dry-run'], { LOCALSTACK_AUTH_TOKEN: 'ls-test-token' });
    const accepted = await cdklocal(exported(r.stdout));
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stdout).toContain('Usage: cdk');
    const refused = await cdklocal({ AWS_ENDPOINT_URL: 'http://localhost:4566' });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      "If specifying 'AWS_ENDPOINT_URL' then 'AWS_ENDPOINT_URL_S3' must be specified",
    );
  });

  it('--destroy: cdklocal destroy, then compose down', async () => {
    const r = await script(['--dry-run', '--destroy'], { LOCALSTACK_AUTH_TOKEN: 'ls-test-token' });
    expect(r.code).toBe(0);
    expect(commands(r.stdout)).toEqual([
      'npx cdklocal destroy --all -c localstack=true -c stage=dev --force',
      'docker compose -f docker-compose.localstack.yml down',
    ]);
  });

  it('needs the auth token for a teardown as for a deploy (compose reads it for `down` too), and says so', async () => {
    expect(readFileSync(join(root, 'docker-compose.localstack.yml'), 'utf8')).toContain(
      'LOCALSTACK_AUTH_TOKEN: ${LOCALSTACK_AUTH_TOKEN:?',
    );
    for (const args of [['--dry-run'], ['--dry-run', '--destroy'], ['--destroy']]) {
      const r = await script(args, { LOCALSTACK_AUTH_TOKEN: '' });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('set LOCALSTACK_AUTH_TOKEN (from your LocalStack account)');
      expect(commands(r.stdout)).toEqual([]);
    }
  });

  it('refuses an unknown option with its usage', async () => {
    const r = await script(['--deploy-everything']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--deploy-everything'");
    expect(r.stderr).toContain('--dry-run [--destroy]');
  });
});
