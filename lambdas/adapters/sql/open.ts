/** Opens the SQL port on the driver a configuration names. */
import type { SqlClient } from './port.ts';

export type SqlConfig =
  | { kind: 'pglite' /** In memory when absent. */; dataDir?: string }
  | { kind: 'node-postgres'; url: string }
  | {
      kind: 'rds-data';
      resourceArn: string;
      secretArn: string;
      database: string;
      region: string;
      endpoint?: string;
    };

export async function openSql(config: SqlConfig): Promise<SqlClient> {
  switch (config.kind) {
    // Each driver is loaded when it is opened: a Lambda on the Data API never evaluates pg or PGlite.
    case 'pglite':
      return (await import('./pglite.driver.ts')).openPglite({ dataDir: config.dataDir });
    case 'node-postgres':
      return (await import('./node-postgres.driver.ts')).openNodePostgres({ url: config.url });
    case 'rds-data':
      return (await import('./rds-data.driver.ts')).openRdsData(config);
  }
}
