/**
 * Opens the SQL port on a server's driver: node-postgres (`DATABASE_URL`) or the RDS Data API.
 * What a Lambda uses: it names neither PGlite nor anything that imports it, so a Lambda bundle
 * (esbuild follows every import, dynamic ones included) does not carry the embedded database.
 * The local runtime opens PGlite too, through `openSql` (open.ts).
 */
import { ConfigError } from '../../core/errors.ts';
import type { SqlConfig } from './open.ts';
import type { SqlClient } from './port.ts';

export async function openServerSql(config: SqlConfig): Promise<SqlClient> {
  switch (config.kind) {
    case 'pglite':
      throw new ConfigError(
        'ECHO_DB_CLUSTER_ARN',
        'is required outside the local runtime (or DATABASE_URL): the embedded PGlite database is not in a Lambda bundle',
      );
    // Each driver is loaded when it is opened: a Lambda on the Data API never evaluates pg.
    case 'node-postgres':
      return (await import('./node-postgres.driver.ts')).openNodePostgres({ url: config.url });
    case 'rds-data':
      return (await import('./rds-data.driver.ts')).openRdsData(config);
  }
}
