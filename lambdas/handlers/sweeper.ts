/**
 * The relay sweeper Lambda, on a schedule: republishes whatever the outbox still holds, then reports
 * the age of the oldest row left (OutboxOldestAgeSeconds, which the stage's backlog alarm watches).
 */
import { type PipelineDeps, reportOutboxAge, sweep } from '../core/pipeline.ts';
import { lambdaDeps, lambdaEntry } from './deps.ts';

export interface SweepResult {
  published: number;
  failed: number;
  /** Age in seconds of the oldest outbox row after the sweep; 0 when none is left. */
  oldestAgeSeconds: number;
}

export function createSweeperHandler(deps: () => Promise<PipelineDeps>) {
  return async (): Promise<SweepResult> => {
    const d = await deps();
    const result = { ...(await sweep(d, 500)), oldestAgeSeconds: await reportOutboxAge(d) };
    d.logger.info('sweep done', { ...result });
    return result;
  };
}

export const handler = lambdaEntry(createSweeperHandler(lambdaDeps));
