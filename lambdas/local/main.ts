/** `npm start`: the local runtime until SIGINT or SIGTERM. */
import { type Config, parseConfig } from '../adapters/config.ts';
import { ConfigError } from '../core/errors.ts';
import { startBanner } from './banner.ts';
import { startLocalRuntime } from './runtime.ts';

let config: Config;
try {
  config = parseConfig();
} catch (error) {
  // A bad variable is the user's to fix: one line naming it, not a stack trace.
  if (!(error instanceof ConfigError)) throw error;
  console.error(`echo: could not start: ${error.message}`);
  process.exit(1);
}
const runtime = await startLocalRuntime(config).catch((error: unknown) => {
  console.error(`echo: could not start: ${error instanceof Error ? error.message : String(error)}`);
  if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
    console.error(
      'echo: a port is taken; if another ECHO runtime holds it, use that one (or stop it); else set ECHO_PORT and ECHO_AWS_PORT to free ones (a second runtime needs its own ECHO_DATA_DIR too)',
    );
  }
  process.exit(1);
});
process.stderr.write(
  startBanner({
    apiUrl: runtime.apiUrl,
    awsUrl: runtime.awsUrl,
    database:
      config.database.kind === 'pglite'
        ? `${runtime.sql.driver} (${config.database.dataDir})`
        : runtime.sql.driver,
    dataDir: config.dataDir,
    tokenFromEnv: config.humanToken !== undefined,
    llm: config.llm,
  }),
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    runtime.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
