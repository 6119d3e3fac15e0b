/**
 * The three SQL drivers a contract runs on: PGlite, node-postgres on a fresh database of the
 * DATABASE_URL server, and the RDS Data API through the local endpoint over another one. Each opened
 * with what closes it and drops its database.
 */
import { openNodePostgres } from '../../lambdas/adapters/sql/node-postgres.driver.ts';
import { openPglite } from '../../lambdas/adapters/sql/pglite.driver.ts';
import type { SqlClient } from '../../lambdas/adapters/sql/port.ts';
import { openRdsData } from '../../lambdas/adapters/sql/rds-data.driver.ts';
import { startDataApiServer } from './data-api-server.ts';
import { createTestDatabase, requireService } from './services.ts';

export interface SqlDriver {
  name: string;
  available: boolean;
  open(): Promise<{ sql: SqlClient; close(): Promise<void> }>;
}

const hasPostgres = requireService('DATABASE_URL');

export const SQL_DRIVERS: readonly SqlDriver[] = [
  {
    name: 'PGlite',
    available: true,
    async open() {
      const sql = openPglite();
      return { sql, close: () => sql.close() };
    },
  },
  {
    name: 'PostgreSQL',
    available: hasPostgres,
    async open() {
      const db = await createTestDatabase();
      const sql = openNodePostgres({ url: db.url });
      return {
        sql,
        close: async () => {
          await sql.close();
          await db.drop();
        },
      };
    },
  },
  {
    name: 'the RDS Data API',
    available: hasPostgres,
    async open() {
      const db = await createTestDatabase();
      const server = await startDataApiServer({ connectionString: db.url });
      const sql = openRdsData({
        resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:echo-local',
        secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:echo-local',
        database: 'echo',
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        endpoint: server.endpoint,
      });
      return {
        sql,
        close: async () => {
          await sql.close();
          await server.close();
          await db.drop();
        },
      };
    },
  },
];

/** The drivers this machine can run (on CI, all: a missing service fails in `requireService`). */
export const availableSqlDrivers = () => SQL_DRIVERS.filter((d) => d.available);
