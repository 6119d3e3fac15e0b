/** The relay sweeper Lambda, on a schedule: republishes whatever the outbox still holds. */
import { sweep } from '../core/pipeline.ts';
import { lambdaDeps, lambdaEntry } from './deps.ts';

export const handler = lambdaEntry(async (): Promise<{ published: number; failed: number }> => {
  const deps = await lambdaDeps();
  const result = await sweep(deps, 500);
  deps.logger.info('sweep done', result);
  return result;
});
