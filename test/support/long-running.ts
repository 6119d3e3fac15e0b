/** A long-running echoctl (watch, logs --follow), or any command, as a user runs it: its output as it comes, and Ctrl-C. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { root } from './cli.ts';

export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Complete stdout lines so far. */
  lines(): string[];
  /** Sends a signal (SIGINT: Ctrl-C) and resolves with the exit code, or the signal it died of. */
  stop(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals>;
}

export function spawnEchoctl(args: string[], apiUrl: string, env: Record<string, string> = {}): Running {
  return spawnCommand(process.execPath, [resolve(root, 'bin/echoctl.js'), ...args], {
    ECHO_API_URL: apiUrl,
    ...env,
  });
}

/** Any long-running command (`aws logs tail --follow`...), from the repository's root. */
export function spawnCommand(file: string, args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(file, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    lines: () => stdout.split('\n').slice(0, -1),
    async stop(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code, killedBy] = await exited;
      return code ?? killedBy ?? -1;
    },
  };
}
