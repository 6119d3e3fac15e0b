/**
 * Per-agent log files for the local runtime: every line whose `role` field (given on the call or bound
 * by `child({ role })`) names an agent also goes, as one JSON line, to `<dir>/<role>.log`, which is
 * what `echoctl logs <role>` reads (in AWS the same lines are the agent's own log group). The inner
 * logger (stdout) gets every line as before. Files are append streams, opened on first use: no
 * synchronous write per line; a file that cannot be written is reported once and then left alone.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../core/pipeline.ts';
import { createJsonLogger, type LogLevel } from './json.logger.ts';

type ChildLogger = Logger & { child(fields: Record<string, unknown>): Logger };
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export interface AgentLogFiles {
  /** The inner logger, teeing agent lines to their files. */
  logger: ChildLogger;
  /** Where the files are: `<dir>/<role>.log`. */
  dir: string;
  /** Flushes and closes the files. */
  close(): Promise<void>;
}

/** `<dataDir>/logs`: where the local runtime keeps the agents' files and `echoctl logs` finds them. */
export const agentLogDir = (dataDir: string): string => join(dataDir, 'logs');

export function withAgentLogFiles(
  inner: Logger,
  options: {
    dir: string;
    /** The agents whose lines get a file; any other `role` value stays on the inner logger only. */
    roles: readonly string[];
    level: LogLevel;
    service: string;
    now?: () => Date;
  },
): AgentLogFiles {
  const roles = new Set(options.roles);
  const streams = new Map<string, WriteStream>();
  const files = new Map<string, Logger>();
  const broken = new Set<string>();
  let closed = false;
  let madeDir = false;

  const fileFor = (role: string): Logger | undefined => {
    if (closed || options.level === 'silent' || broken.has(role)) return undefined;
    const existing = files.get(role);
    if (existing) return existing;
    const path = join(options.dir, `${role}.log`);
    try {
      if (!madeDir) mkdirSync(options.dir, { recursive: true });
      madeDir = true;
    } catch (error) {
      broken.add(role);
      inner.warn('cannot create the agent log directory; agent lines stay on stdout only', {
        dir: options.dir,
        error: String(error),
      });
      return undefined;
    }
    const stream = createWriteStream(path, { flags: 'a' });
    stream.on('error', (error) => {
      if (broken.has(role)) return;
      broken.add(role);
      files.delete(role);
      inner.warn('cannot write an agent log file; its lines stay on stdout only', {
        file: path,
        error: String(error),
      });
    });
    const file = createJsonLogger({
      service: options.service,
      level: options.level,
      sink: stream,
      ...(options.now ? { now: options.now } : {}),
    });
    streams.set(role, stream);
    files.set(role, file);
    return file;
  };

  const wrap = (target: Logger, bound: Record<string, unknown>): ChildLogger => {
    const logger = {} as ChildLogger;
    for (const level of LEVELS) {
      logger[level] = (message, fields) => {
        target[level](message, fields);
        const role = fields?.role ?? bound.role;
        if (typeof role !== 'string' || !roles.has(role)) return;
        fileFor(role)?.[level](message, { ...bound, ...fields });
      };
    }
    logger.child = (fields) => {
      const withChild = target as Logger & { child?: (f: Record<string, unknown>) => Logger };
      // An inner logger without child(): the bound fields are added to each of its lines instead.
      const next: Logger = withChild.child ? withChild.child(fields) : bindFields(target, fields);
      return wrap(next, { ...bound, ...fields });
    };
    return logger;
  };

  return {
    logger: wrap(inner, {}),
    dir: options.dir,
    async close() {
      closed = true;
      await Promise.all(
        [...streams.values()].map(
          (stream) =>
            new Promise<void>((resolve) => {
              if (stream.destroyed || stream.closed) return resolve();
              stream.end(() => resolve());
              stream.once('error', () => resolve());
            }),
        ),
      );
      streams.clear();
      files.clear();
    },
  };
}

function bindFields(logger: Logger, bound: Record<string, unknown>): Logger {
  return {
    debug: (m, f) => logger.debug(m, { ...bound, ...f }),
    info: (m, f) => logger.info(m, { ...bound, ...f }),
    warn: (m, f) => logger.warn(m, { ...bound, ...f }),
    error: (m, f) => logger.error(m, { ...bound, ...f }),
  };
}
