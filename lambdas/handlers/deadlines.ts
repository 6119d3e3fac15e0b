/** The deadline Lambda, on an EventBridge Scheduler schedule: closes collaborative decisions past their deadline. */
import { closeDueDecisions } from '../core/deadlines.ts';
import { lambdaDeps, lambdaEntry } from './deps.ts';

export const handler = lambdaEntry(async (): Promise<{ closed: number }> => {
  const deps = await lambdaDeps();
  const closed = await closeDueDecisions(deps);
  deps.logger.info('deadlines checked', { closed });
  return { closed };
});
