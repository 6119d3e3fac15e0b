/**
 * The schema migration, run on deploy as a CloudFormation custom resource (the CDK Provider
 * framework's `onEvent`): Create and Update apply the migrations not applied yet and report them;
 * Delete does nothing (the data outlives the stack that migrated it). A seam only.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { parseConfig } from '../adapters/config.ts';
import { migrate } from '../adapters/sql/migrate.ts';
import { openServerSql } from '../adapters/sql/open-server.ts';
import type { SqlClient } from '../adapters/sql/port.ts';

export interface MigrateResult {
  PhysicalResourceId: string;
  Data: { Applied: string; AppliedCount: number };
}

export function createMigrateHandler(open: () => Promise<SqlClient>, physicalId: string) {
  return async (event: CloudFormationCustomResourceEvent): Promise<MigrateResult> => {
    if (event.RequestType === 'Delete') {
      return { PhysicalResourceId: event.PhysicalResourceId, Data: { Applied: '', AppliedCount: 0 } };
    }
    const sql = await open();
    try {
      const applied = await migrate(sql);
      return {
        // The same id on Update: CloudFormation never sees a replacement, so never a Delete of the old one.
        PhysicalResourceId: event.RequestType === 'Update' ? event.PhysicalResourceId : physicalId,
        Data: { Applied: applied.join(','), AppliedCount: applied.length },
      };
    } finally {
      await sql.close();
    }
  };
}

export const handler = (event: CloudFormationCustomResourceEvent): Promise<MigrateResult> => {
  const config = parseConfig();
  return createMigrateHandler(() => openServerSql(config.database), `echo-${config.stage}-schema`)(event);
};
