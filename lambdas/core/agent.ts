/**
 * One agent's handling of its deliveries, in three steps. It leases its delivery row (a short
 * statement of its own; the lease is held one term at a time, renewed while it thinks); it thinks with no transaction open (a model may take seconds, and holds no
 * connection or lock meanwhile); then it commits every effect (its messages, decisions, votes,
 * events) with the delivery marked processed and its activity, in one transaction that checks the
 * lease is still its own. A redelivered event finds the delivery processed or leased and changes
 * nothing; a lost lease (run out, or taken over) discards the effects, and the delivery is retried.
 * A failure is recorded on the delivery and rethrown, so the caller's retry policy applies;
 * catch-up takes what is still pending.
 */
import { EchoError } from './errors.ts';
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
  type Logger,
  type PipelineDeps,
  relay,
} from './pipeline.ts';
import type { Role } from './roles.ts';
import type { PendingFanOut, Store, StoreTx } from './store.ts';

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

/** An agent thinking about one message: reads only, no transaction open, a deadline to keep. */
export interface ThinkContext {
  role: Role;
  message: Message;
  /** For reads: nothing written while thinking survives a lost lease, so nothing is written. */
  store: Store;
  now: Date;
  /** When thinking must be done: the lease runs out a little after. */
  deadline: Date;
  logger: Logger;
  governance: Governance;
}

/** An agent acting on one message, inside the transaction that completes its delivery. */
export interface ActContext extends TxContext {
  role: Role;
  message: Message;
  /** What `think` returned (undefined when the behaviour does not think). */
  thought: unknown;
}

/** What an agent does with a message: think (optional, outside any transaction), then act. */
export interface Behaviour {
  think?(ctx: ThinkContext): Promise<unknown>;
  act(ctx: ActContext): Promise<void>;
}

export interface AgentDeps extends PipelineDeps {
  /** The organization's behaviour (lambdas/core/organization.ts); absent: acknowledge requests. */
  behaviour?: Behaviour;
  /** How long an agent may think about one delivery (below its function's timeout). */
  thinkMs?: number;
  /** One term of the delivery's lease, renewed while the agent thinks: a crashed holder's lease runs out within it. */
  leaseTermMs?: number;
  /** How catch-up retries a delivery that keeps failing (default DEFAULT_DELIVERY_RETRY). */
  deliveryRetry?: DeliveryRetry;
}

/**
 * How catch-up retries a delivery that keeps failing: after its n-th failure it waits
 * min(baseDelayMs × 2^(n−1), MAX_RETRY_DELAY_MS); after the `maxAttempts`-th it gives up (the
 * failure is dead-lettered, and a person's retry puts the delivery back). The bus's own retries of
 * an invocation do not wait for catch-up's delay; they count as attempts.
 */
export interface DeliveryRetry {
  maxAttempts: number;
  baseDelayMs: number;
}

export const DEFAULT_DELIVERY_RETRY: DeliveryRetry = { maxAttempts: 10, baseDelayMs: 30_000 };
export const MAX_RETRY_DELAY_MS = 6 * 60 * 60_000;

/** When catch-up may try again: entry i after the (i+1)-th failure, from `now`; none after the last. */
export function retrySchedule(retry: DeliveryRetry, now: Date): string[] {
  return Array.from({ length: Math.max(0, retry.maxAttempts - 1) }, (_, i) =>
    new Date(now.getTime() + Math.min(retry.baseDelayMs * 2 ** i, MAX_RETRY_DELAY_MS)).toISOString(),
  );
}

export const DEFAULT_THINK_MS = 90_000;
export const DEFAULT_LEASE_TERM_MS = 15_000;
/** The lease outlasts the thinking by this much (or by as long again, when thinking is shorter): time to commit. */
export const LEASE_MARGIN_MS = 20_000;

/** The delivery's lease ran out or was taken over while the agent thought: its effects are discarded. */
export class LeaseLostError extends EchoError {
  constructor(role: Role, messageId: string) {
    super(
      'LeaseLost',
      `${role} lost its lease on message ${messageId} while thinking; its effects were discarded and the delivery will be retried`,
    );
  }
}

/** Without an organization: requests get an acknowledgement; nothing else is answered. */
export const acknowledge: Behaviour = {
  act: async ({ role, message, post }) => {
    if (message.type !== 'request') return;
    await post(
      replyCommand(message, role, { content: { role, status: 'received', request: message.subject } }),
    );
  },
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

/** What a processed delivery came to, as its log line says it: the level matches the outcome. */
export interface DeliveryLog {
  level: 'info' | 'warn';
  outcome: 'answered' | 'error' | 'refused' | 'escalated' | 'awaiting_human' | 'verdict' | 'no_reply';
  message: string;
  fields: JsonObject;
}

const errorOf = (content: JsonObject): { message?: string; field?: string; code?: string } => {
  const e = content.error;
  if (typeof e === 'string') return { message: e };
  if (e && typeof e === 'object' && !Array.isArray(e)) {
    const o = e as JsonObject;
    return {
      ...(typeof o.message === 'string' ? { message: o.message } : {}),
      ...(typeof o.field === 'string' ? { field: o.field } : {}),
      ...(typeof o.code === 'string' ? { code: o.code } : {}),
    };
  }
  return {};
};

/**
 * A delivery's outcome from what the agent posted while acting on it: an error reply (warn), a
 * refusal (warn: a tool refused by authority or governance, or a model that declined), an escalation
 * (info; warn when it waits for a human), a participation verdict, an answer, or nothing to answer.
 */
export function deliveryOutcome(
  message: Pick<Message, 'id'>,
  posted: readonly PostMessageCommand[],
): DeliveryLog {
  const replies = posted.filter((p) => p.inReplyTo === message.id);
  const error = replies.find((p) => p.type === 'error');
  if (error) {
    const e = errorOf(error.content);
    const refused = e.code === 'Forbidden';
    return {
      level: 'warn',
      outcome: refused ? 'refused' : 'error',
      message: refused ? 'delivery refused' : 'delivery answered with an error',
      fields: {
        ...(e.message ? { error: e.message } : {}),
        ...(e.field ? { field: e.field } : {}),
        reply: error.subject,
      },
    };
  }
  const declined = replies.find((p) => p.content.refused !== undefined);
  if (declined)
    return {
      level: 'warn',
      outcome: 'refused',
      message: 'delivery refused by the model',
      fields: { reply: declined.subject },
    };
  const human = posted.find((p) => p.type === 'escalation' && p.to === 'human');
  if (human)
    return {
      level: 'warn',
      outcome: 'awaiting_human',
      message: 'delivery awaits a human',
      fields: { escalation: human.subject },
    };
  const escalation = posted.find((p) => p.type === 'escalation');
  if (escalation)
    return {
      level: 'info',
      outcome: 'escalated',
      message: `delivery escalated to ${escalation.to}`,
      fields: { escalation: escalation.subject },
    };
  const verdict = replies.find((p) => p.type === 'participation');
  if (verdict && replies.length === 1)
    return {
      level: 'info',
      outcome: 'verdict',
      message: 'delivery answered with a participation verdict',
      fields: typeof verdict.content.join === 'boolean' ? { join: verdict.content.join } : {},
    };
  if (replies.length)
    return {
      level: 'info',
      outcome: 'answered',
      message: 'delivery answered',
      fields: { reply: replies[0]!.subject },
    };
  return {
    level: 'info',
    outcome: 'no_reply',
    message: 'delivery processed (nothing to answer)',
    fields: {},
  };
}

export async function processDelivery(
  deps: AgentDeps,
  role: Role,
  messageId: string,
): Promise<DeliveryOutcome> {
  const started = deps.clock.now();
  const elapsed = () => deps.clock.now().getTime() - started.getTime();
  const behaviour = deps.behaviour ?? acknowledge;
  const thinkMs = deps.thinkMs ?? DEFAULT_THINK_MS;
  const owner = deps.newId();
  // The lease never outlasts the thinking and its margin; within that it is held one term at a time.
  const lastUntil = started.getTime() + thinkMs + Math.min(LEASE_MARGIN_MS, thinkMs);
  const term = Math.min(deps.leaseTermMs ?? DEFAULT_LEASE_TERM_MS, lastUntil - started.getTime());
  const lease = await deps.store.leaseDelivery(messageId, role, {
    owner,
    now: started,
    until: new Date(started.getTime() + term),
  });
  if (lease.state !== 'leased') {
    // processed already, or another invocation holds it: this one is the duplicate
    deps.logger.info('duplicate delivery ignored', {
      role,
      messageId,
      ...(lease.state === 'busy' ? { leasedUntil: lease.until } : { state: lease.state }),
    });
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
  const { message } = lease;
  const posted: PostMessageCommand[] = [];
  try {
    const thought = behaviour.think
      ? await whileRenewing(deps, { messageId, role, owner, term, lastUntil }, () =>
          behaviour.think!({
            role,
            message,
            store: deps.store,
            now: started,
            deadline: new Date(started.getTime() + thinkMs),
            logger: deps.logger,
            governance: deps.governance ?? DEFAULT_GOVERNANCE,
          }),
        )
      : undefined;
    await actInTransaction(deps, async (ctx) => {
      posted.length = 0; // a retried transaction starts again
      if (!(await ctx.tx.completeDelivery(messageId, role, owner, ctx.now)))
        throw new LeaseLostError(role, messageId);
      const post: TxContext['post'] = async (command) => {
        const m = await ctx.post(command);
        posted.push(command);
        return m;
      };
      await behaviour.act({ ...ctx, post, role, message, thought });
      await ctx.tx.recordActivity(
        { role, messageId, outcome: 'processed', durationMs: elapsed() },
        deps.clock.now(),
      );
    });
  } catch (error) {
    const text = errorText(error);
    deps.logger.error('delivery failed', { role, messageId, error: text });
    deps.metrics?.count(METRICS.deliveries.name, 1, { name: METRICS.deliveries.dimension, value: 'failed' });
    const now = deps.clock.now();
    const retry = deps.deliveryRetry ?? DEFAULT_DELIVERY_RETRY;
    const [failure] = await Promise.allSettled([
      deps.store.recordDeliveryFailure(messageId, role, text, {
        owner,
        now,
        retryAt: retrySchedule(retry, now),
        maxAttempts: retry.maxAttempts,
      }),
      deps.store.recordActivity(
        { role, messageId, outcome: 'failed', error: text, durationMs: elapsed() },
        now,
      ),
    ]);
    if (failure.status === 'fulfilled' && failure.value?.gaveUp)
      await giveUp(deps, role, messageId, failure.value.attempts, text);
    throw error;
  }
  const outcome = deliveryOutcome(message, posted);
  deps.logger[outcome.level](outcome.message, {
    role,
    messageId,
    outcome: outcome.outcome,
    ...outcome.fields,
  });
  deps.metrics?.count(METRICS.deliveries.name, 1, { name: METRICS.deliveries.dimension, value: 'processed' });
  return 'processed';
}

/** A delivery that failed its last allowed attempt: catch-up leaves it; it is logged, counted and dead-lettered. */
async function giveUp(deps: AgentDeps, role: Role, messageId: string, attempts: number, error: string) {
  const reason = `${role} gave up on message ${messageId} after ${attempts} attempts (retry it with echoctl retry ${messageId} ${role}); the last error: ${error}`;
  deps.logger.error('delivery given up', { role, messageId, attempts, error });
  deps.metrics?.count(METRICS.deliveries.name, 1, { name: METRICS.deliveries.dimension, value: 'given_up' });
  await deps.store
    .addDeadLetter(
      { source: 'agent', reason, payload: { messageId, role, attempts, error } },
      { id: deps.newId(), now: deps.clock.now() },
    )
    .catch((e: unknown) =>
      deps.logger.error('dead letter not written', { role, messageId, error: errorText(e) }),
    );
}

/**
 * Runs `think` while renewing the lease every third of its term (never past `lastUntil`). A renewal
 * that fails (the lease ran out or was taken over) stops the renewals; the commit then finds the
 * lease gone and discards the effects.
 */
async function whileRenewing<T>(
  deps: AgentDeps,
  lease: { messageId: string; role: Role; owner: string; term: number; lastUntil: number },
  think: () => Promise<T>,
): Promise<T> {
  let renewing = true;
  const renew = async () => {
    const now = deps.clock.now();
    const until = Math.min(now.getTime() + lease.term, lease.lastUntil);
    if (until <= now.getTime()) {
      renewing = false;
      return;
    }
    const held = await deps.store
      .renewLease(lease.messageId, lease.role, { owner: lease.owner, now, until: new Date(until) })
      .catch((error: unknown) => {
        deps.logger.warn('lease renewal failed; retried at the next beat', {
          role: lease.role,
          messageId: lease.messageId,
          error: errorText(error),
        });
        return true;
      });
    if (!held) renewing = false;
  };
  const timer = setInterval(
    () => {
      if (renewing) void renew();
    },
    Math.max(50, Math.floor(lease.term / 3)),
  );
  timer.unref?.();
  try {
    return await think();
  } finally {
    renewing = false;
    clearInterval(timer);
  }
}

/**
 * Processes the role's own pending deliveries that nobody is working on, the least tried first,
 * leaving those waiting out their retry delay and those given up (DeliveryRetry); a failure stays
 * pending (and goes behind those tried fewer times).
 */
export async function catchUp(
  deps: AgentDeps,
  role: Role,
  limit = 50,
): Promise<{ processed: number; failed: number }> {
  const pending = await deps.store.pendingDeliveries(role, { limit, now: deps.clock.now() });
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
