/**
 * One agent's handling of its deliveries. The claim of the delivery row, the agent's effects and
 * its activity record commit together, so a redelivered event is a no-op (exactly-once effects on
 * at-least-once delivery). A failure is recorded on the delivery and rethrown, so the caller's
 * retry policy (Lambda async invoke, the local bus) applies; catch-up takes what is still pending.
 */
import { commitMessage, errorText, type PipelineDeps, type PostResult, relay } from './pipeline.ts';
import { acknowledgeRequests, type Responder } from './responder.ts';
import type { Role } from './roles.ts';

export interface AgentDeps extends PipelineDeps {
  responder?: Responder;
}

export type DeliveryOutcome = 'processed' | 'duplicate';

export async function processDelivery(
  deps: AgentDeps,
  role: Role,
  messageId: string,
): Promise<DeliveryOutcome> {
  const started = deps.clock.now();
  const elapsed = () => deps.clock.now().getTime() - started.getTime();
  const respond = deps.responder ?? acknowledgeRequests;
  let reply: PostResult | null | undefined;
  try {
    reply = await deps.store.transaction(async (tx) => {
      if (!(await tx.claimDelivery(messageId, role, started))) return undefined;
      const message = await tx.getMessage(messageId);
      if (!message) throw new Error(`message ${messageId} vanished after its delivery was claimed`);
      const answer = await respond(role, message);
      const posted = answer ? await commitMessage(deps, tx, answer) : null;
      await tx.recordActivity(
        { role, messageId, outcome: 'processed', durationMs: elapsed() },
        deps.clock.now(),
      );
      return posted;
    });
  } catch (error) {
    const text = errorText(error);
    deps.logger.error('delivery failed', { role, messageId, error: text });
    await Promise.allSettled([
      deps.store.recordDeliveryFailure(messageId, role, text),
      deps.store.recordActivity(
        { role, messageId, outcome: 'failed', error: text, durationMs: elapsed() },
        deps.clock.now(),
      ),
    ]);
    throw error;
  }
  if (reply === undefined) {
    deps.logger.info('duplicate delivery ignored', { role, messageId });
    await deps.store.recordActivity(
      { role, messageId, outcome: 'duplicate', durationMs: elapsed() },
      deps.clock.now(),
    );
    return 'duplicate';
  }
  deps.logger.info('delivery processed', { role, messageId, replyId: reply?.message.id });
  if (reply) await relay(deps, reply.fanOut);
  return 'processed';
}

/** Processes the role's own pending deliveries, oldest first; a failure stays pending. */
export async function catchUp(
  deps: AgentDeps,
  role: Role,
  limit = 50,
): Promise<{ processed: number; failed: number }> {
  const pending = await deps.store.pendingDeliveries(role, limit);
  let processed = 0;
  let failed = 0;
  for (const d of pending) {
    try {
      if ((await processDelivery(deps, role, d.messageId)) === 'processed') processed++;
    } catch {
      failed++;
    }
  }
  return { processed, failed };
}
