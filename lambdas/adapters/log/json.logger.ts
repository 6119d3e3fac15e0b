/**
 * Structured JSON logs, one object a line, with the fields that make a line findable (role,
 * messageId, correlationId). In Lambda the lines go to CloudWatch Logs through stdout.
 */
import type { Logger } from '../../core/pipeline.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface LogSink {
  write(line: string): unknown;
}

export function createJsonLogger(options: {
  level?: LogLevel;
  service: string;
  fields?: Record<string, unknown>;
  sink?: LogSink;
  now?: () => Date;
}): Logger & { child(fields: Record<string, unknown>): Logger } {
  const level = ORDER[options.level ?? 'info'];
  const sink = options.sink ?? process.stdout;
  const now = options.now ?? (() => new Date());
  const log =
    (name: Exclude<LogLevel, 'silent'>) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (ORDER[name] < level) return;
      sink.write(
        `${JSON.stringify({ level: name.toUpperCase(), timestamp: now().toISOString(), service: options.service, message, ...options.fields, ...fields })}\n`,
      );
    };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (fields) => createJsonLogger({ ...options, fields: { ...options.fields, ...fields } }),
  };
}
