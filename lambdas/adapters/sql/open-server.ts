/**
 * Opens the SQL port on a server's driver: node-postgres (`DATABASE_URL`) or the RDS Data API.
 * What a Lambda uses: it names neither PGlite nor anything that imports it, so a Lambda bundle
 * (esbuild follows every import, dynamic ones included) does not carry the embedded database.
 * The local runtime opens PGlite too, through `openSql` (open.ts).
 */
import { ConfigError } from '../../core/errors.ts';
import type { SqlConfig } from './open.ts';
import type { SqlClient } from './port.ts';

/**
 * Set by the Lambda bundling (infra/bundling.ts) to the one driver the deployment uses: esbuild then
 * leaves the other out of the bundle (the branch that imports it is dead code). Undefined when the
 * code runs unbundled (the local runtime, the tests): both drivers are there.
 */
declare const __ECHO_SQL_DRIVER__: string | undefined;

const notBundled = (variable: string, driver: string) =>
  new ConfigError(
    variable,
    `selects a SQL driver this Lambda bundle does not carry: it was bundled with ${driver} only (infra/bundling.ts, lambdaBundling), for its deployment`,
  );

export async function openServerSql(config: SqlConfig): Promise<SqlClient> {
  switch (config.kind) {
    case 'pglite':
      throw new ConfigError(
        'ECHO_DB_CLUSTER_ARN',
        'is required outside the local runtime (or DATABASE_URL): the embedded PGlite database is not in a Lambda bundle',
      );
    // Each driver is loaded when it is opened: a Lambda on the Data API never evaluates pg. The
    // if/else shape matters: esbuild drops an import only from a branch it can prove dead.
    case 'node-postgres':
      if (typeof __ECHO_SQL_DRIVER__ === 'string' && __ECHO_SQL_DRIVER__ !== 'node-postgres')
        throw notBundled('DATABASE_URL', __ECHO_SQL_DRIVER__);
      else return (await import('./node-postgres.driver.ts')).openNodePostgres({ url: config.url });
    case 'rds-data':
      if (typeof __ECHO_SQL_DRIVER__ === 'string' && __ECHO_SQL_DRIVER__ !== 'rds-data')
        throw notBundled('ECHO_DB_CLUSTER_ARN', __ECHO_SQL_DRIVER__);
      else return (await import('./rds-data.driver.ts')).openRdsData(config);
  }
}
