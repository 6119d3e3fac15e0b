/** Opens the SQL port on the driver a configuration names. */
import { openNodePostgres } from './node-postgres.driver.ts';
import { openPglite } from './pglite.driver.ts';
import type { SqlClient } from './port.ts';
import { openRdsData } from './rds-data.driver.ts';

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
    case 'pglite':
      return openPglite({ dataDir: config.dataDir });
    case 'node-postgres':
      return openNodePostgres({ url: config.url });
    case 'rds-data':
      return openRdsData(config);
  }
}
