/** The scheduler's work: collaborative decisions past their deadline close (no quorum or a tie escalates). */
import { actInTransaction } from './agent.ts';
import { expireDue } from './decisions.ts';
import type { PipelineDeps } from './pipeline.ts';

export async function closeDueDecisions(deps: PipelineDeps, limit = 100): Promise<number> {
  const due = await deps.store.dueDecisions(deps.clock.now(), limit);
  for (const d of due) await actInTransaction(deps, (ctx) => expireDue(ctx, d.id));
  return due.length;
}
