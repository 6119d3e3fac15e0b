/**
 * Two runtimes on one data directory (issue 12, item 10): with the embedded database each saw only its
 * own writes, and after a restart an acknowledged message was gone. The directory is locked now: a
 * second `npm start` refuses to start, naming the directory and the process that holds it; a lock
 * left by a crash (kill -9) is taken over; a released lock is gone. (Whether `npm start` itself gets
 * to release it on SIGTERM is not asserted: tsx SIGKILLs its child when a signal to the whole process
 * group reaches both, and then the next start takes the stale lock over, as after a crash.)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from '../../lambdas/local/data-dir-lock.ts';
import { npmStart, root } from '../support/cli.ts';
import { freePort } from '../support/processes.ts';

/** `npm start` that is expected to refuse: its exit code and everything it wrote. */
async function npmStartRefused(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn('npm', ['start'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const bound = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(bound);
  return { code, output };
}

const pgidOf = (pid: number): number =>
  Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]);

describe('the data directory is locked by the runtime that uses it', () => {
  let dataDir: string;
  const apps: Awaited<ReturnType<typeof npmStart>>[] = [];
  const envFor = async () => ({
    ECHO_PORT: String(await freePort()),
    ECHO_AWS_PORT: String(await freePort()),
    ECHO_DATA_DIR: dataDir,
    DATABASE_URL: '',
    REDIS_URL: '',
    ECHO_LOG_LEVEL: 'warn',
  });

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'echo-lock-'));
  });
  afterAll(async () => {
    for (const app of apps) await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a second npm start on the same directory refuses, naming the directory and the holding pid', async () => {
    const env = await envFor();
    const first = await npmStart(env, Number(env.ECHO_PORT));
    apps.push(first);
    const lock = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as { pid: number };
    expect(pgidOf(lock.pid)).toBe(first.child.pid); // the first runtime's own process

    const posted = await fetch(`http://127.0.0.1:${env.ECHO_PORT}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'cto', subject: 'written by the first runtime', content: {} }),
    });
    expect(posted.status).toBe(201);

    const second = await npmStartRefused(await envFor());
    expect(second.code).not.toBe(0);
    expect(second.output).toContain(`the data directory ${dataDir} is in use by process ${lock.pid}`);
    expect(second.output).toContain('ECHO_DATA_DIR');

    // The first one is untouched: it still answers, and its lock is its own.
    expect((await fetch(`http://127.0.0.1:${env.ECHO_PORT}/health`)).status).toBe(200);
    expect(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: lock.pid });

    // A crash leaves the lock behind; the next start takes it over and finds the acknowledged message.
    await first.crash();
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(true);
    const env2 = await envFor();
    const next = await npmStart(env2, Number(env2.ECHO_PORT));
    apps.push(next);
    const taken = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as { pid: number };
    expect(taken.pid).not.toBe(lock.pid);
    expect(pgidOf(taken.pid)).toBe(next.child.pid);
    const list = (await (await fetch(`http://127.0.0.1:${env2.ECHO_PORT}/messages?limit=100`)).json()) as {
      messages: { subject: string }[];
    };
    expect(list.messages.map((m) => m.subject)).toContain('written by the first runtime');

    await next.stop();
  }, 240_000);

  it('a lock whose process is gone (or unreadable) is stale and taken over', async () => {
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    writeFileSync(
      join(dataDir, LOCK_FILE),
      `${JSON.stringify({ pid: gone.pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z', token: 'x' })}\n`,
    );
    const env = await envFor();
    const app = await npmStart(env, Number(env.ECHO_PORT));
    apps.push(app);
    const taken = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as { pid: number };
    expect(pgidOf(taken.pid)).toBe(app.child.pid);
    await app.stop();
  }, 120_000);

  it('in process: a live holder is refused by name, a released lock is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'echo-lock-unit-'));
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      writeFileSync(
        join(dir, LOCK_FILE),
        `${JSON.stringify({ pid: holder.pid, host: hostname(), startedAt: '2026-12-06T00:00:00.000Z', token: 'y' })}\n`,
      );
      let refused: unknown;
      try {
        lockDataDir(dir);
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(DataDirLockedError);
      expect((refused as Error).message).toContain(
        `the data directory ${dir} is in use by process ${holder.pid}`,
      );
      expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toContain('"token":"y"'); // untouched

      holder.kill('SIGKILL');
      await once(holder, 'exit');
      const lock = lockDataDir(dir); // the holder is gone: stale, taken over
      expect(lock.holder.pid).toBe(process.pid);
      lock.release();
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
      expect(readdirSync(dir)).toEqual([]); // nothing left aside
    } finally {
      holder.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
