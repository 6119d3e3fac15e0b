/**
 * The live feed behind `GET /events`: the real-time channel (Redis pub/sub, or the in-process hub)
 * joined to the record (Postgres) so that a watcher misses nothing committed. Redis is a hint: on
 * resume (a cursor, the last message seq the watcher saw) and after the real-time connection comes
 * back, the feed replays the messages committed after its cursor from the database, then goes on
 * live, without duplicates or gaps at the seam:
 *
 *   subscribe first, buffer what arrives live  →  replay from the database after the cursor
 *   →  flush the buffer, skipping what the replay (or an earlier live event) already sent  →  live
 *
 * Decision and workflow events are lifecycle events, not rows of the messages table: they cannot be
 * replayed, so after a gap the feed sends a `gap` event and the watcher refetches the state it shows.
 */

import type { RealtimeSubscriber, RealtimeSubscription } from '../adapters/realtime/port.ts';
import { globMatcher } from '../adapters/realtime/shared.ts';
import { ValidationError } from '../core/errors.ts';
import type { Message } from '../core/messages.ts';
import type { Logger } from '../core/pipeline.ts';
import type { Store } from '../core/store.ts';

/** The channel families a watcher may ask for (patterns allowed after the prefix). */
export const CHANNEL_PREFIXES = ['messages:', 'decisions:', 'workflow:'] as const;
/** Everything once: every message on `messages:all`, every decision and workflow event. */
export const DEFAULT_CHANNELS: readonly string[] = ['messages:all', 'decisions:*', 'workflow:*'];
/** The event that tells a watcher it may have missed lifecycle events (and should refetch). */
export const GAP_EVENT = 'gap';

export interface FeedEvent {
  /** The channel (`messages:all`, `decisions:created`, ...) or `gap`. */
  channel: string;
  /**
   * A message's seq: the cursor to resume after. Ids only go up: a message that arrives after one with
   * a higher seq (committed or published late) goes out without an id, so the cursor never moves back.
   */
  id?: number;
  data: unknown;
}

export interface FeedDeps {
  store: Pick<Store, 'listMessages'>;
  subscriber: RealtimeSubscriber;
  logger: Logger;
}

export interface FeedOptions {
  channels: readonly string[];
  /** Resume: replay the messages committed after this seq first. Absent: live from now. */
  afterSeq?: number | undefined;
  /** Writes one event; a returned promise is awaited during a replay (backpressure). */
  send(event: FeedEvent): void | Promise<void>;
  /**
   * Moves the watcher's cursor without an event (SSE: an `id:` line alone): after a catch-up that scanned
   * further than it sent, and at the start of a live-only feed, so a reconnect resumes from there.
   */
  sendCursor?(seq: number): void | Promise<void>;
  /** A catch-up after a real-time reconnect failed (the database is down): the caller ends the stream. */
  onError?(error: unknown): void;
  /** Rows per database page during a replay. Default 500. */
  pageSize?: number;
  /**
   * Bytes (of their JSON) of live events the feed may hold while a replay runs (a replay waits for a
   * slow client); past it, `onOverflow` is called with the held bytes and nothing more is held.
   */
  maxHeldBytes?: number;
  onOverflow?(heldBytes: number): void;
}

export interface Feed {
  /** Replays (when resuming) and flushes what arrived meanwhile; rejects when the database fails. */
  start(): Promise<void>;
  /** The highest message seq sent or scanned: where a catch-up starts. */
  cursor(): number;
  close(): Promise<void>;
}

/** At most this many channels (after de-duplication) in one `channels` query. */
export const MAX_CHANNELS = 32;
/** At most this many characters in one channel or pattern. */
export const MAX_CHANNEL_LENGTH = 100;

/**
 * `channels` of the query (comma-separated, the parameter may repeat); none: DEFAULT_CHANNELS.
 * Each must start with one of CHANNEL_PREFIXES; globs (`messages:*`) are allowed after it. At most
 * MAX_CHANNELS of at most MAX_CHANNEL_LENGTH characters each: a glob is matched against every event
 * (linear in both, see globMatcher), so neither is left to the caller.
 */
export function parseChannels(values: readonly string[]): string[] {
  const channels = [
    ...new Set(
      values
        .flatMap((v) => v.split(','))
        .map((c) => c.trim())
        .filter(Boolean),
    ),
  ];
  if (channels.length === 0) return [...DEFAULT_CHANNELS];
  if (channels.length > MAX_CHANNELS)
    throw new ValidationError(
      'channels',
      `channels: at most ${MAX_CHANNELS} channels or patterns, got ${channels.length}`,
    );
  for (const c of channels) {
    if (c.length > MAX_CHANNEL_LENGTH)
      throw new ValidationError(
        'channels',
        `channels: a channel or pattern has at most ${MAX_CHANNEL_LENGTH} characters, got ${c.length} ("${c.slice(0, 40)}...")`,
      );
    const prefix = CHANNEL_PREFIXES.find((p) => c.startsWith(p));
    if (!prefix || c.length === prefix.length)
      throw new ValidationError(
        'channels',
        `channels: "${c}" is not a channel; use messages:<role|all>, decisions:<event> or workflow:<event>, globs allowed (e.g. messages:*,decisions:*)`,
      );
  }
  return channels;
}

/** The resume cursor: the Last-Event-ID header, else `?after=`; a seq, an integer from 0. */
export function parseCursor(lastEventId: string | undefined, after: string | undefined): number | undefined {
  const [field, raw] = lastEventId?.trim() ? ['Last-Event-ID', lastEventId.trim()] : ['after', after?.trim()];
  if (!raw) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n))
    throw new ValidationError(field, `${field}: must be a message seq (an integer from 0), got "${raw}"`);
  return n;
}

/**
 * After the real-time connection comes back, the replay starts this many seqs below the cursor the
 * feed had when the connection was lost: a message committed just before the loss, whose publish was
 * still pending then, may be published (by the sweeper, once Redis is back) before this subscriber
 * has resubscribed, so it is neither live nor after the cursor. What was sent already is skipped.
 */
export const RECONNECT_REPLAY_MARGIN = 1000;

/** Remembers the seqs sent; bounded: past `max` the oldest are folded into a floor. */
class SentSeqs {
  private readonly seqs = new Set<number>();
  private floor = -1;
  constructor(private readonly max = 10_000) {}
  has(seq: number): boolean {
    return seq <= this.floor || this.seqs.has(seq);
  }
  add(seq: number): void {
    this.seqs.add(seq);
    if (this.seqs.size <= this.max) return;
    const oldest = this.seqs.values().next().value as number;
    this.seqs.delete(oldest);
    this.floor = Math.max(this.floor, oldest);
  }
}

const asMessage = (payload: unknown): Message | undefined => {
  if (payload === null || typeof payload !== 'object') return undefined;
  const m = payload as Partial<Message>;
  return typeof m.seq === 'number' && Array.isArray(m.recipients) ? (m as Message) : undefined;
};

export async function openFeed(deps: FeedDeps, options: FeedOptions): Promise<Feed> {
  const pageSize = options.pageSize ?? 500;
  const messagePatterns = options.channels.filter((c) => c.startsWith('messages:'));
  const hasLifecycle = options.channels.some((c) => !c.startsWith('messages:'));
  const matchers = messagePatterns.map(globMatcher);
  const wanted = (channel: string) => matchers.some((m) => m(channel));
  /**
   * A message goes out once, on one channel: `messages:all` when that is asked for, else the first of
   * its recipients' channels that is (live it may arrive on several; the replay knows none).
   */
  const labelOf = (m: Message): string | undefined =>
    wanted('messages:all') ? 'messages:all' : m.recipients.map((r) => `messages:${r}`).find(wanted);

  const sent = new SentSeqs();
  let cursor = options.afterSeq ?? -1;
  /** Where the feed began: a replay never goes below it (a live-only feed starts at the newest seq). */
  let floor = cursor;
  /** The cursor when the real-time connection was lost; the replay after the reconnect starts near it. */
  let lostAt: number | undefined;
  /** The last id the watcher got (its Last-Event-ID). */
  let lastId = options.afterSeq ?? -1;
  let closed = false;
  /** Live events held while a replay runs; undefined when live events go straight out. */
  let buffer: { channel: string; payload: unknown }[] | undefined = [];
  let heldBytes = 0;
  let overflowed = false;
  const hold = (channel: string, payload: unknown) => {
    if (!buffer || overflowed) return;
    if (options.maxHeldBytes !== undefined) {
      heldBytes += (JSON.stringify(payload)?.length ?? 0) + channel.length;
      if (heldBytes > options.maxHeldBytes) {
        overflowed = true;
        buffer = [];
        options.onOverflow?.(heldBytes);
        return;
      }
    }
    buffer.push({ channel, payload });
  };

  const sendMessage = (m: Message): void | Promise<void> => {
    cursor = Math.max(cursor, m.seq);
    if (sent.has(m.seq)) return;
    const channel = labelOf(m);
    if (!channel) return;
    sent.add(m.seq);
    if (m.seq < lastId) return options.send({ channel, data: m });
    lastId = m.seq;
    return options.send({ channel, id: m.seq, data: m });
  };
  /** After a catch-up: the watcher's cursor goes to what was scanned, even if nothing was sent. */
  const moveCursor = async () => {
    if (closed || cursor <= lastId || !options.sendCursor) return;
    lastId = cursor;
    await options.sendCursor(cursor);
  };
  const sendLive = (channel: string, payload: unknown): void => {
    if (closed) return;
    const message = channel.startsWith('messages:') ? asMessage(payload) : undefined;
    if (message) void sendMessage(message);
    else void options.send({ channel, data: payload });
  };

  const replay = async (from = cursor) => {
    let after = from;
    for (;;) {
      const page = await deps.store.listMessages({ afterSeq: after, limit: pageSize });
      for (const m of page) {
        if (closed) return;
        after = Math.max(after, m.seq);
        await sendMessage(m);
      }
      if (page.length === 0) return; // a page may be cut by size (listMessages): only an empty one ends
    }
  };
  const flush = () => {
    const held = buffer ?? [];
    buffer = undefined;
    heldBytes = 0;
    for (const e of held) sendLive(e.channel, e.payload);
  };

  /**
   * Catch-ups run one at a time: live events are held from the first queued to the last done, then
   * flushed (skipping what a replay sent).
   */
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;
  const catchUp = (work: () => Promise<void>): Promise<void> => {
    buffer ??= [];
    pending++;
    const run = queue
      .then(async () => {
        if (!closed) await work();
      })
      .finally(() => {
        if (--pending === 0) flush();
      });
    queue = run.catch(() => {});
    return run;
  };
  const gap = (reason: string) =>
    hasLifecycle && !closed
      ? options.send({ channel: GAP_EVENT, data: { reason, seq: Math.max(cursor, 0) } })
      : undefined;

  let subscription: RealtimeSubscription | undefined = await deps.subscriber.subscribe(
    options.channels,
    (channel, payload) => {
      if (buffer) hold(channel, payload);
      else sendLive(channel, payload);
    },
  );
  // From the loss on, live events are held (the first ones after the resubscription may come before
  // the reconnect's catch-up runs, and must not move the cursor past what the replay has to send).
  const offDisconnect = deps.subscriber.onDisconnect?.(() => {
    lostAt ??= cursor;
    buffer ??= [];
  });
  const offReconnect = deps.subscriber.onReconnect?.(() =>
    catchUp(async () => {
      const from = Math.max(floor, Math.min(lostAt ?? cursor, cursor) - RECONNECT_REPLAY_MARGIN);
      lostAt = undefined;
      await replay(from);
      await moveCursor();
      await gap('the real-time channel reconnected; decision and workflow events in between were not seen');
    }).catch((error: unknown) => {
      deps.logger.warn('live feed: catch-up from the database failed', { error: String(error) });
      options.onError?.(error);
    }),
  );

  return {
    start: () =>
      catchUp(async () => {
        if (options.afterSeq === undefined) {
          // Live from now; the newest seq is where a catch-up after a reconnect will start.
          const [newest] = await deps.store.listMessages({ limit: 1 });
          cursor = Math.max(cursor, newest?.seq ?? 0);
          floor = cursor;
          await moveCursor();
          return;
        }
        const [newest] = await deps.store.listMessages({ limit: 1 });
        const head = newest?.seq ?? 0;
        if (options.afterSeq > head) {
          // A cursor ahead of the log (another database, a forged id): nothing after it would ever be
          // sent. The watcher is told, its cursor goes back to the head, and the stream goes on from there.
          cursor = head;
          floor = head;
          lastId = head;
          if (closed) return;
          await options.send({
            channel: GAP_EVENT,
            data: {
              reason: `Last-Event-ID ${options.afterSeq} is ahead of the log (its newest message is seq ${head}); resuming from the head`,
              seq: head,
            },
          });
          await options.sendCursor?.(head);
          await replay();
          await moveCursor();
          return;
        }
        await replay();
        await moveCursor();
        await gap('resumed; decision and workflow events before now were not replayed');
      }),
    cursor: () => cursor,
    async close() {
      if (closed) return;
      closed = true;
      buffer = undefined;
      offReconnect?.();
      offDisconnect?.();
      await subscription?.close();
      subscription = undefined;
    },
  };
}
