/**
 * The path of one message (DESIGN.md §1): commit first, then fan out; whatever fails to fan out
 * stays in the outbox for the sweeper. Ports come in as parameters; nothing here reads a clock,
 * makes an id or touches a driver of its own.
 */
import type { BusEntry, EventPublisher } from '../adapters/bus/port.ts';
import type { RealtimePublisher } from '../adapters/realtime/port.ts';
import { fitSubject, type Message, type PostMessageCommand, planMessage } from './messages.ts';
import { METRICS, type Metrics } from './metrics.ts';
import type { PendingFanOut, Store, StoreTx } from './store.ts';

type OutboxTarget = PendingFanOut['entry']['target'];

export interface Clock {
  now(): Date;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Rules of the organization a deployment may set (typed config, parsed once). */
export interface Governance {
  /** How many days a role's approvals for one purpose add up (a split budget escalates). */
  splitWindowDays: number;
  /** Rounds of discussion before a collaborative vote (0: vote at once). */
  discussionRounds: number;
}

export const DEFAULT_GOVERNANCE: Governance = { splitWindowDays: 30, discussionRounds: 1 };

export interface PipelineDeps {
  store: Store;
  bus: EventPublisher;
  realtime: RealtimePublisher;
  clock: Clock;
  newId: () => string;
  logger: Logger;
  /** How long the relay that wrote a row owns it before the sweeper may take it (ms). */
  leaseMs?: number;
  metrics?: Metrics;
  governance?: Governance;
}

export const DEFAULT_LEASE_MS = 10_000;
const MAX_RETRY_DELAY_MS = 5 * 60_000;

/** Backoff before the n-th retry of a fan-out: 1 s, 2 s, 4 s ... capped at 5 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, 1000 * 2 ** Math.max(0, attempts - 1));
}

export interface PostResult {
  message: Message;
  created: boolean;
  /** Outbox rows not yet published. */
  fanOut: PendingFanOut[];
}

/** Writes message, deliveries and outbox in the caller's transaction (or on its own). */
export async function commitMessage(
  deps: PipelineDeps,
  tx: StoreTx,
  command: PostMessageCommand,
): Promise<PostResult> {
  const now = deps.clock.now();
  const planned = planMessage(command, { id: deps.newId(), now });
  const leaseUntil = new Date(now.getTime() + (deps.leaseMs ?? DEFAULT_LEASE_MS));
  return tx.insertMessage({ ...command, subject: fitSubject(command.subject) }, { ...planned, leaseUntil });
}

/**
 * postMessage: commit, then relay. A database failure throws before anything is fanned out. It
 * returns once the message is committed and published (or, what failed to publish, recorded as such
 * in the outbox); the DELETE of its published outbox row is left running, so the producer does not
 * wait for it and concurrent posts' rows are cleared together (`fanOutSettled` waits for it).
 */
export async function postMessage(deps: PipelineDeps, command: PostMessageCommand): Promise<PostResult> {
  const result = await commitMessage(deps, deps.store, command);
  if (result.created) deps.metrics?.count(METRICS.messagesPosted.name);
  await relay(deps, result.fanOut, { clear: 'background' });
  return result;
}

/** The clearing of published outbox rows still running, by store. */
const clearing = new WeakMap<object, Set<Promise<void>>>();

/**
 * Resolves when every clearing of published outbox rows that postMessage left running on this
 * store has finished (before a process stops, or a test counts the outbox). Never rejects: a
 * clearing that failed left its rows to the sweeper.
 */
export async function fanOutSettled(deps: Pick<PipelineDeps, 'store'>): Promise<void> {
  const running = clearing.get(deps.store);
  while (running && running.size > 0) await Promise.allSettled([...running]);
}

function inBackground(store: object, work: Promise<void>): void {
  const set = clearing.get(store) ?? new Set<Promise<void>>();
  clearing.set(store, set);
  const tracked: Promise<void> = work.finally(() => set.delete(tracked));
  set.add(tracked);
}

/**
 * Publishes outbox rows: EventBridge entries in batches (the adapter splits by 10), real-time
 * payloads per channel. Published rows are deleted; failed rows stay with their error and a retry
 * time. Never throws for a publishing failure: the outbox holds the work.
 */
export async function relay(
  deps: PipelineDeps,
  rows: readonly PendingFanOut[],
  options: {
    /**
     * `background`: the DELETE of the published rows is started, not awaited (postMessage); the
     * failed rows are still recorded before relay returns. Default `await`.
     */
    clear?: 'await' | 'background';
  } = {},
): Promise<{ published: number; failed: number }> {
  if (rows.length === 0) return { published: 0, failed: 0 };
  // A message's outbox row stands for its two entries (one id): it is done when both are published,
  // and narrowed to the one that failed when only one did.
  const published: PendingFanOut[] = [];
  const failures: { row: PendingFanOut; error: string }[] = [];
  const ok = (row: PendingFanOut) => published.push(row);
  const fail = (row: PendingFanOut, error: string) => failures.push({ row, error });

  const busRows = rows.filter((r) => r.entry.target === 'eventbridge');
  const realtimeRows = rows.filter((r) => r.entry.target === 'realtime');

  const busWork = (async () => {
    if (busRows.length === 0) return;
    const entries: BusEntry[] = busRows.map((r) => {
      const p = r.entry.payload as { source: string; detailType: string; detail: unknown };
      return { source: p.source, detailType: p.detailType, detail: p.detail };
    });
    const results = await deps.bus.putEvents(entries).catch((error: unknown) =>
      entries.map(() => ({
        ok: false as const,
        errorCode: 'PublishFailed',
        errorMessage: errorText(error),
      })),
    );
    busRows.forEach((row, i) => {
      const r = results[i];
      if (r?.ok) ok(row);
      else fail(row, r ? `${r.errorCode}: ${r.errorMessage}` : 'no result for entry');
    });
  })();

  const realtimeWork = Promise.all(
    realtimeRows.map(async (row) => {
      const p = row.entry.payload as { channels: string[]; data: unknown };
      try {
        await Promise.all(p.channels.map((channel) => deps.realtime.publish(channel, p.data)));
        ok(row);
      } catch (error) {
        fail(row, errorText(error));
      }
    }),
  );

  await Promise.all([busWork, realtimeWork]);
  const failedIds = new Set(failures.map((f) => f.row.id));
  const publishedIds = new Set(published.map((r) => r.id));
  const done = [...publishedIds].filter((id) => !failedIds.has(id));
  // by error, and by what is left of the row: the failed target alone when the other one went out
  const groups = new Map<
    string,
    { error: string; remaining: OutboxTarget | undefined; rows: PendingFanOut[] }
  >();
  for (const { row, error } of failures) {
    const remaining = publishedIds.has(row.id) ? row.entry.target : undefined;
    const key = `${remaining ?? ''}\n${error}`;
    const group = groups.get(key) ?? { error, remaining, rows: [] };
    groups.set(key, group);
    if (!group.rows.some((r) => r.id === row.id)) group.rows.push(row);
  }
  const notCleared = (error: unknown, count: number) =>
    // The database went away after the commit: the rows stay in the outbox under their lease and the
    // sweeper publishes them again (at least once; effects stay exactly once). What was committed
    // stays committed, so this is no failure of the caller's post.
    deps.logger.warn('outbox not updated after publishing; the sweeper will publish these rows again', {
      rows: count,
      error: errorText(error),
    });
  const cleared =
    done.length === 0
      ? undefined
      : deps.store.completeFanOut(done).catch((error: unknown) => notCleared(error, done.length));
  if (cleared && options.clear === 'background') inBackground(deps.store, cleared);
  else await cleared;
  try {
    const now = deps.clock.now().getTime();
    for (const { error, remaining, rows: group } of groups.values()) {
      const attempts = Math.max(...group.map((r) => r.attempts), 1);
      await deps.store.failFanOut(
        group.map((r) => r.id),
        error,
        new Date(now + retryDelayMs(attempts)),
        remaining,
      );
      deps.logger.warn('fan-out failed; left in the outbox for the sweeper', { rows: group.length, error });
    }
  } catch (error) {
    notCleared(error, failures.length);
  }
  // counted by entry (a target of a message, or an event), as before the rows were shared
  if (published.length) deps.metrics?.count(METRICS.fanOutPublished.name, published.length);
  if (failures.length) deps.metrics?.count(METRICS.fanOutFailed.name, failures.length);
  return { published: published.length, failed: failures.length };
}

/** One sweep: lease what the relay left (or could not publish) and publish it again. */
export async function sweep(deps: PipelineDeps, limit = 100): Promise<{ published: number; failed: number }> {
  const now = deps.clock.now();
  const rows = await deps.store.claimFanOut(
    now,
    new Date(now.getTime() + (deps.leaseMs ?? DEFAULT_LEASE_MS)),
    limit,
  );
  return relay(deps, rows);
}

/**
 * The age of the oldest outbox row still there, in seconds (0 when the outbox is empty), reported as
 * the OutboxOldestAgeSeconds gauge: how far behind the fan-out is. The sweeper reports it after each
 * sweep.
 */
export async function reportOutboxAge(deps: PipelineDeps): Promise<number> {
  const oldest = await deps.store.oldestPendingFanOut();
  const seconds = oldest ? Math.max(0, (deps.clock.now().getTime() - oldest.getTime()) / 1000) : 0;
  deps.metrics?.gauge(METRICS.outboxOldestAge.name, seconds);
  return seconds;
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
