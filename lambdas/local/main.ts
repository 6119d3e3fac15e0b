/** `npm start`: the local runtime until SIGINT or SIGTERM. */
import { parseConfig } from '../adapters/config.ts';
import { startLocalRuntime } from './runtime.ts';

const config = parseConfig();
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
  `ECHO is running\n  dashboard  ${runtime.apiUrl}/\n  API        ${runtime.apiUrl}  (npx echoctl messages)\n  AWS        ${runtime.awsUrl}  (aws --endpoint-url ${runtime.awsUrl} events put-events --entries file://events/samples/post-message.json)\n  database   ${runtime.sql.driver}\n`,
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
