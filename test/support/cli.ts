/** Runs the project's commands as a user would: `npm start` as a process, echoctl and the AWS CLI. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from './eventually.ts';

export const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

/** The AWS CLI: Debian's v2 at /usr/bin/aws when installed (as .ci/run does), else whatever is on PATH. */
export const awsCli = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export async function exec(file: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run(file, args, {
      cwd: root,
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export const echoctl = (args: string[], apiUrl: string, env: Record<string, string> = {}) =>
  exec(resolve(root, 'bin/echoctl.js'), args, { ECHO_API_URL: apiUrl, ...env });

export const aws = (args: string[], endpoint: string) =>
  exec(awsCli, ['--endpoint-url', endpoint, '--output', 'json', ...args], {
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
  });

/** Sends `sig` to a process group; false when no process of it is left. */
function signal(group: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(group, sig);
    return true;
  } catch {
    return false;
  }
}

/** `npm start` in its own process; resolves once GET /health answers 200. */
export async function npmStart(
  env: Record<string, string>,
  port: number,
): Promise<{ child: ChildProcess; output: () => string; stop(): Promise<void>; crash(): Promise<void> }> {
  const child = spawn('npm', ['start'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${output}`))),
  );
  await Promise.race([
    exited,
    eventually(
      async () => ((await fetch(`http://127.0.0.1:${port}/health`)).status === 200 ? true : undefined),
      60_000,
      'npm start to be healthy',
    ),
  ]);
  exited.catch(() => {});
  return {
    child,
    output: () => output,
    /**
     * SIGTERM to the whole process group, then up to 30 s for every process in it (npm may exit
     * before the runtime under it has stopped) to be gone; what is left is killed.
     */
    stop: async () => {
      const group = -child.pid!;
      if (!signal(group, 'SIGTERM')) return;
      const deadline = Date.now() + 30_000;
      while (signal(group, 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      signal(group, 'SIGKILL');
    },
    /** SIGKILL to the whole process group: no shutdown step runs, as in a crash or a power cut. */
    crash: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, 'SIGKILL');
      await gone;
    },
  };
}
