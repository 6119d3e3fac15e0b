/** What the fault tests (test/faults/) share: a mix of messages to post, and "the system is quiet". */
import type { Clock } from '../../lambdas/core/pipeline.ts';
import { ROLES } from '../../lambdas/core/roles.ts';
import type { LocalRuntime } from '../../lambdas/local/runtime.ts';

/**
 * Message i of a mixed load: mostly requests to one role (each answered once), some notifications
 * to the leadership (four recipients, no answer) and broadcasts to all (nine, each answering with its
 * participation verdict).
 */
export function mixedMessage(i: number): Record<string, unknown> {
  if (i % 10 === 7) return { to: 'leadership', type: 'notification', subject: `Status note ${i}` };
  if (i % 10 === 9) return { to: 'all', type: 'broadcast', subject: `All hands item ${i}` };
  return {
    to: ROLES[i % ROLES.length],
    type: 'request',
    subject: `Question ${i} for the team`,
    content: { n: i },
  };
}

/**
 * True once nothing is left to do: no pending delivery, no outbox row, no bus invocation in flight.
 * With `clock`, moves the runtime's time a little on each look, so leases and retry delays pass
 * sooner; the runtime's own timers (sweeper, catch-up) still do the work.
 */
export async function quiet(
  rt: LocalRuntime,
  clock?: { advance(ms: number): void } & Clock,
): Promise<true | undefined> {
  clock?.advance(2000);
  const { rows } = await rt.sql.query<{ pending: number; outbox: number }>(
    `SELECT (SELECT count(*)::int FROM deliveries WHERE status = 'pending') AS pending,
            (SELECT count(*)::int FROM outbox) AS outbox`,
  );
  if (rows[0]!.pending > 0 || rows[0]!.outbox > 0) return undefined;
  await rt.bus.idle();
  return true;
}
