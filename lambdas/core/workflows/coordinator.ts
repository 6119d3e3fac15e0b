/**
 * The coordinator: what moves workflow runs. It reacts to the events runs wait on (a reply, a
 * decision's progress) and, on a schedule, catches up: waits whose event was lost, steps past
 * their deadline, runs past theirs. Each run advances in its own transaction; two coordinators
 * racing on one run conflict on its version and the loser retries from the new row.
 */
import { actInTransaction, type TxContext } from '../agent.ts';
import { ConflictError } from '../decisions.ts';
import { errorText, type PipelineDeps } from '../pipeline.ts';
import { type Catalog, expireRun, settleWait, timeOutWait } from './engine.ts';
import type { WaitKind, WorkflowRun } from './types.ts';

const CONFLICT_ATTEMPTS = 5;

/** One transition in a transaction, tried again from a fresh read when the run moved under it. */
export async function advance<T>(deps: PipelineDeps, fn: (ctx: TxContext) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await actInTransaction(deps, fn);
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= CONFLICT_ATTEMPTS) throw error;
      deps.logger.info('workflow transition conflicted; retrying', { attempt, error: error.message });
    }
  }
}

/** An event a run may wait on: the reply to a request, or a decision that moved. */
export async function onWorkflowEvent(
  deps: PipelineDeps,
  catalog: Catalog,
  kind: WaitKind,
  target: string,
): Promise<WorkflowRun | undefined> {
  const run = await advance(deps, (ctx) => settleWait(ctx, catalog, kind, target));
  if (run)
    deps.logger.info('workflow advanced', {
      runId: run.id,
      name: run.name,
      status: run.status,
      kind,
      target,
    });
  return run;
}

export interface TickResult {
  settled: number;
  timedOut: number;
  expired: number;
  failed: number;
}

/** The scheduled catch-up: lost events, step deadlines, run deadlines. One failure does not stop the rest. */
export async function tickWorkflows(deps: PipelineDeps, catalog: Catalog, limit = 100): Promise<TickResult> {
  const result: TickResult = { settled: 0, timedOut: 0, expired: 0, failed: 0 };
  const attempt = async (
    what: keyof TickResult,
    fn: (ctx: TxContext) => Promise<WorkflowRun | undefined>,
  ) => {
    try {
      if (await advance(deps, fn)) result[what]++;
    } catch (error) {
      result.failed++;
      deps.logger.error(`workflow ${what} failed`, { error: errorText(error) });
    }
  };
  for (const w of await deps.store.settledWaits(limit))
    await attempt('settled', (ctx) => settleWait(ctx, catalog, w.kind, w.target));
  for (const w of await deps.store.dueWaits(deps.clock.now(), limit))
    await attempt('timedOut', (ctx) => timeOutWait(ctx, catalog, w.kind, w.target));
  for (const r of await deps.store.dueRuns(deps.clock.now(), limit))
    await attempt('expired', (ctx) => expireRun(ctx, catalog, r.id));
  return result;
}
