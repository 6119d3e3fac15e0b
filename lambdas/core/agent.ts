/**
 * One agent's handling of its deliveries. The claim of the delivery row, the agent's effects (its
 * messages, decisions, votes, events) and its activity record commit together, so a redelivered
 * event is a no-op (exactly-once effects on at-least-once delivery). A failure is recorded on the
 * delivery and rethrown, so the caller's retry policy applies; catch-up takes what is still pending.
 */
import {
  EVENT_SOURCE,
  type JsonObject,
  type Message,
  type OutboxEntry,
  type PostMessageCommand,
} from './messages.ts';
import { METRICS, type Metrics } from './metrics.ts';
import {
  commitMessage,
  DEFAULT_GOVERNANCE,
  DEFAULT_LEASE_MS,
  errorText,
  type Governance,
  type PipelineDeps,
  relay,
} from './pipeline.ts';
import type { Role } from './roles.ts';
import type { PendingFanOut, StoreTx } from './store.ts';

/** What one transaction may do: write through `tx`, post messages and emit events (fanned out after commit). */
export interface TxContext {
  tx: StoreTx;
  now: Date;
  newId: () => string;
  post(command: PostMessageCommand): Promise<Message>;
  /** A lifecycle event: to EventBridge (source `echo`) and to the real-time channel given. */
  emit(detailType: string, detail: JsonObject, channel: string): Promise<void>;
  /** A metric, counted only once the transaction commits. */
  count: Metrics['count'];
  /** The organization's configured rules (the split-budget window). */
  governance: Governance;
}

/** An agent handling one message, inside the transaction that claimed it. */
export interface ActContext extends TxContext {
  role: Role;
  message: Message;
}

export type Behaviour = (ctx: ActContext) => Promise<void>;

export interface AgentDeps extends PipelineDeps {
  /** The organization's behaviour (lambdas/core/organization.ts); absent: acknowledge requests. */
  behaviour?: Behaviour;
}

/** Without an organization: requests get an acknowledgement; nothing else is answered. */
export const acknowledge: Behaviour = async ({ role, message, post }) => {
  if (message.type !== 'request') return;
  await post(
    replyCommand(message, role, { content: { role, status: 'received', request: message.subject } }),
  );
};

/** The reply to a message: addressed to its sender (a human sender reads on `human`), correlated by inReplyTo. */
export function replyCommand(
  to: Pick<Message, 'id' | 'from' | 'subject'>,
  from: Role,
  reply: { type?: PostMessageCommand['type']; content: JsonObject; subject?: string },
): PostMessageCommand {
  return {
    from,
    to: to.from === 'system' ? 'human' : to.from,
    type: reply.type ?? 'response',
    subject: reply.subject ?? `Re: ${to.subject}`,
    content: reply.content,
    priority: 'normal',
    metadata: {},
    inReplyTo: to.id,
  };
}

/** Runs `fn` in one transaction with a TxContext; relays what it wrote after commit. */
export async function actInTransaction<T>(
  deps: PipelineDeps,
  fn: (ctx: TxContext) => Promise<T>,
): Promise<T> {
  const fanOut: PendingFanOut[] = [];
  let counts: Parameters<Metrics['count']>[] = [];
  const result = await deps.store.transaction(async (tx) => {
    counts = [];
    const now = deps.clock.now();
    const leaseUntil = new Date(now.getTime() + (deps.leaseMs ?? DEFAULT_LEASE_MS));
    return fn({
      tx,
      now,
      newId: deps.newId,
      governance: deps.governance ?? DEFAULT_GOVERNANCE,
      post: async (command) => {
        const posted = await commitMessage(deps, tx, command);
        fanOut.push(...posted.fanOut);
        if (posted.created) counts.push([METRICS.messagesPosted.name]);
        return posted.message;
      },
      count: (...args) => void counts.push(args),
      emit: async (detailType, detail, channel) => {
        const entries: OutboxEntry[] = [
          { target: 'eventbridge', payload: { source: EVENT_SOURCE, detailType, detail } },
          { target: 'realtime', payload: { channels: [channel], data: { event: detailType, ...detail } } },
        ];
        for (const entry of entries) fanOut.push(await tx.insertEvent(entry, now, leaseUntil));
      },
    });
  });
  for (const args of counts) deps.metrics?.count(...args);
  await relay(deps, fanOut);
  return result;
}

export type DeliveryOutcome = 'processed' | 'duplicate';

export async function processDelivery(
  deps: AgentDeps,
  role: Role,
  messageId: string,
): Promise<DeliveryOutcome> {
  const started = deps.clock.now();
  const elapsed = () => deps.clock.now().getTime() - started.getTime();
  const behaviour = deps.behaviour ?? acknowledge;
  let claimed: boolean;
  try {
    claimed = await actInTransaction(deps, async (ctx) => {
      const { tx } = ctx;
      if (!(await tx.claimDelivery(messageId, role, started))) return false;
      const message = await tx.getMessage(messageId);
      if (!message) throw new Error(`message ${messageId} vanished after its delivery was claimed`);
      await behaviour({ ...ctx, role, message });
      await tx.recordActivity(
        { role, messageId, outcome: 'processed', durationMs: elapsed() },
        deps.clock.now(),
      );
      return true;
    });
  } catch (error) {
    const text = errorText(error);
    deps.logger.error('delivery failed', { role, messageId, error: text });
    deps.metrics?.count(METRICS.deliveries.name, 1, { name: METRICS.deliveries.dimension, value: 'failed' });
    await Promise.allSettled([
      deps.store.recordDeliveryFailure(messageId, role, text),
      deps.store.recordActivity(
        { role, messageId, outcome: 'failed', error: text, durationMs: elapsed() },
        deps.clock.now(),
      ),
    ]);
    throw error;
  }
  if (!claimed) {
    deps.logger.info('duplicate delivery ignored', { role, messageId });
    deps.metrics?.count(METRICS.deliveries.name, 1, {
      name: METRICS.deliveries.dimension,
      value: 'duplicate',
    });
    await deps.store.recordActivity(
      { role, messageId, outcome: 'duplicate', durationMs: elapsed() },
      deps.clock.now(),
    );
    return 'duplicate';
  }
  deps.logger.info('delivery processed', { role, messageId });
  deps.metrics?.count(METRICS.deliveries.name, 1, { name: METRICS.deliveries.dimension, value: 'processed' });
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
