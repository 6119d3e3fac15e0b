/**
 * The local data directory belongs to one runtime at a time. Two runtimes on the same embedded
 * database (PGlite in `$ECHO_DATA_DIR/pgdata`) each see only their own writes, and whichever writes
 * last wins the files: an acknowledged message can be gone after a restart. So the runtime takes
 * `$ECHO_DATA_DIR/echo.lock` before it opens the database, and a second one refuses to start, naming
 * the directory and the process that holds it.
 *
 * The lock is a file holding the holder's pid, host and start time, created whole (written aside,
 * then hard-linked into place, which fails if it exists). A lock whose process is gone (a crash,
 * kill -9, a power cut) is stale and taken over: renamed away, checked to be the stale one that was
 * read (else put back: another runtime took it over first), then replaced. A lock from another host
 * cannot be checked and is never taken over.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { EchoError } from '../core/errors.ts';

export const LOCK_FILE = 'echo.lock';

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
  /** Tells this holder's file from another's with the same pid (a pid reused after a crash). */
  token: string;
}

/** Another live runtime holds the data directory. */
export class DataDirLockedError extends EchoError {
  readonly dir: string;
  readonly holder: LockHolder;
  constructor(dir: string, holder: LockHolder) {
    super(
      'DataDirLocked',
      `the data directory ${dir} is in use by process ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`} (running since ${holder.startedAt}; lock file ${join(dir, LOCK_FILE)}); stop that runtime first, or set ECHO_DATA_DIR to another directory`,
    );
    this.dir = dir;
    this.holder = holder;
  }
}

export interface DataDirLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** Removes the lock file if it is still this runtime's. */
  release(): void;
}

const errno = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;

function readHolder(file: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return undefined;
    return {
      pid: parsed.pid,
      host: parsed.host,
      startedAt: String(parsed.startedAt ?? 'an unknown time'),
      token: String(parsed.token ?? ''),
    };
  } catch (error) {
    if (errno(error) === 'ENOENT') throw error;
    return undefined; // not a lock this code wrote whole: treated as stale
  }
}

/** Whether the holder's process still runs (on this host; another host's is assumed to). */
function alive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  if (holder.pid === process.pid) return false; // our own pid, from a previous life of this process id
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return errno(error) === 'EPERM'; // it exists, under another user
  }
}

export function lockDataDir(dataDir: string): DataDirLock {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  const aside = `${file}.${holder.pid}.${holder.token}`;
  writeFileSync(aside, `${JSON.stringify(holder)}\n`, { mode: 0o644 });
  try {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        linkSync(aside, file);
        const release = () => {
          process.off('exit', release);
          try {
            if (readHolder(file)?.token === holder.token) rmSync(file, { force: true });
          } catch {
            // already gone
          }
        };
        // A process that exits without stopping the runtime (a second Ctrl-C) still leaves no lock.
        process.on('exit', release);
        return { file, holder, release };
      } catch (error) {
        if (errno(error) !== 'EEXIST') throw error;
      }
      let current: LockHolder | undefined;
      try {
        current = readHolder(file);
      } catch {
        continue; // released meanwhile: try again
      }
      if (current && alive(current)) throw new DataDirLockedError(dir, current);
      // Stale: take it away, and make sure what was taken is the stale lock that was read.
      const stale = `${file}.stale.${holder.token}`;
      try {
        renameSync(file, stale);
      } catch (error) {
        if (errno(error) === 'ENOENT') continue; // another runtime took it over first
        throw error;
      }
      const taken = (() => {
        try {
          return readHolder(stale);
        } catch {
          return undefined;
        }
      })();
      if (taken && current && taken.token !== current.token && alive(taken)) {
        // Another runtime replaced the stale lock between our read and our rename: give it back.
        try {
          linkSync(stale, file);
        } catch {
          // a third one got in: its lock stands
        }
        rmSync(stale, { force: true });
        throw new DataDirLockedError(dir, taken);
      }
      rmSync(stale, { force: true });
    }
    let last: LockHolder | undefined;
    try {
      last = readHolder(file);
    } catch {
      // gone again
    }
    throw new DataDirLockedError(dir, last ?? { ...holder, pid: -1, startedAt: 'an unknown time' });
  } finally {
    rmSync(aside, { force: true });
  }
}
