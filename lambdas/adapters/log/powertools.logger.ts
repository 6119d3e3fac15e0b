/** Logs in Lambda: Powertools Logger (structured JSON with the cold start and request id), behind the Logger port. */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Logger } from '../../core/pipeline.ts';
import type { LogLevel } from './json.logger.ts';

export function createPowertoolsLogger(options: {
  serviceName: string;
  level: LogLevel;
}): Logger & { child(fields: Record<string, unknown>): Logger } {
  const wrap = (logger: PowertoolsLogger): Logger & { child(fields: Record<string, unknown>): Logger } => ({
    debug: (message, fields) => logger.debug(message, fields ?? {}),
    info: (message, fields) => logger.info(message, fields ?? {}),
    warn: (message, fields) => logger.warn(message, fields ?? {}),
    error: (message, fields) => logger.error(message, fields ?? {}),
    child: (fields) => wrap(logger.createChild({ persistentKeys: fields })),
  });
  return wrap(
    new PowertoolsLogger({
      serviceName: options.serviceName,
      logLevel: options.level === 'silent' ? 'SILENT' : (options.level.toUpperCase() as 'INFO'),
    }),
  );
}
