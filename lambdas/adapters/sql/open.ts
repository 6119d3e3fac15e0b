/**
 * Opens the SQL port on the driver a configuration names: PGlite (the local runtime's embedded
 * database), or a server's driver through `openServerSql` (open-server.ts, what a Lambda uses).
 */
import { openServerSql } from './open-server.ts';
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
  // Loaded when it is opened: nothing that runs on a server evaluates PGlite.
  if (config.kind === 'pglite')
    return (await import('./pglite.driver.ts')).openPglite({ dataDir: config.dataDir });
  return openServerSql(config);
}
