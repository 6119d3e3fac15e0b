/**
 * Redis pub/sub through ioredis. Both sides fail fast while Redis is down (no offline queue: a command
 * either goes out on a live connection or rejects with RealtimeUnavailableError within `timeoutMs`)
 * and reconnect in the background, forever, until closed. The subscriber resubscribes by itself after
 * a reconnect and then calls `onReconnect` (the option, then every listener added with the port's
 * `onReconnect`), so a consumer can catch up from the database: messages
 * published during the gap are lost, Redis is a hint and never the record.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { RealtimePublisher, RealtimeSubscriber, RealtimeSubscription } from './port.ts';
import {
  defaultLog,
  deliver,
  encodePayload,
  type Handler,
  isGlob,
  type RealtimeLog,
  RealtimeUnavailableError,
  requirePatterns,
} from './shared.ts';

export interface RedisRealtimeOptions {
  /** Bound on waiting for a connection being made and for each reply. Default 1000 ms. */
  timeoutMs?: number;
  /** Lost connections, malformed payloads, throwing handlers. Default: console.warn. */
  log?: RealtimeLog;
  /**
   * Put before every channel and pattern on Redis, and taken off what is delivered: runtimes that
   * share one Redis (a laptop's, a test suite's) do not hear each other. Default none.
   */
  prefix?: string;
}

export interface RedisSubscriberOptions extends RedisRealtimeOptions {
  /**
   * Called after a lost connection is back and every subscription is active again (not on the first
   * connect). Catch up from the database here; a rejection is logged.
   */
  onReconnect?: () => void | Promise<void>;
}

/** Backoff between reconnect attempts: 100 ms, 200 ms, ... capped at 2 s, never giving up. */
const retryDelay = (attempt: number): number => Math.min(attempt * 100, 2000);

/** One ioredis connection with the fail-fast settings, the last connection error and a clean shutdown. */
function connect(url: string, role: 'publisher' | 'subscriber', options: RedisRealtimeOptions) {
  const timeoutMs = options.timeoutMs ?? 1000;
  const log = options.log ?? defaultLog;
  const where = describe(url);
  // `disconnectTimeout` (ioredis' default 2 s, missing from its types) is how long disconnect() waits
  // for a socket to close before destroying it; while reconnecting there is no socket, yet the timer still
  // runs and would hold the process open for those 2 s after close().
  const settings: RedisOptions & { disconnectTimeout: number } = {
    disconnectTimeout: 100,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0, // in-flight commands fail when the connection drops, never resent
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false, // the subscriber resubscribes itself, then calls onReconnect
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    retryStrategy: retryDelay,
  };
  const redis = new Redis(url, settings);
  let lastError: unknown;
  let up = false;
  let closed = false;
  redis.on('error', (err: unknown) => {
    lastError = err;
    if (up) log(`${role} lost ${where}; reconnecting in the background`, err);
    up = false;
  });
  redis.on('ready', () => {
    up = true;
    lastError = undefined;
  });

  const unavailable = (message: string, cause: unknown = lastError) => {
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    return new RealtimeUnavailableError(`${role}: ${message}${detail}`, { cause });
  };

  /** Resolves on a live connection; rejects at once while reconnecting, or after timeoutMs while connecting. */
  const ready = (): Promise<void> => {
    if (closed) return Promise.reject(unavailable('closed', undefined));
    if (redis.status === 'ready') return Promise.resolve();
    if (redis.status !== 'connecting' && redis.status !== 'connect') {
      return Promise.reject(unavailable(`${where} is unreachable`));
    }
    return new Promise((resolve, reject) => {
      const settle = (err?: RealtimeUnavailableError) => {
        clearTimeout(timer);
        redis.off('ready', onReady).off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onReady = () => settle();
      const onClose = () => settle(unavailable(`${where} is unreachable`));
      const timer = setTimeout(
        () => settle(unavailable(`no connection to ${where} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      redis.once('ready', onReady).once('close', onClose);
    });
  };

  /** QUIT on a live connection (pending replies arrive first), else drop the socket and the retry timer. */
  const shutdown = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    if (redis.status === 'end') return;
    // While reconnecting there is no socket and ioredis never emits 'end': disconnect() only stops the timer.
    const live = redis.status === 'ready' || redis.status === 'connect' || redis.status === 'connecting';
    const ended = live
      ? new Promise((resolve) => {
          redis.once('end', resolve);
          setTimeout(resolve, timeoutMs).unref(); // never hang a close()
        })
      : undefined;
    if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
    else redis.disconnect();
    if (ended) await ended;
  };

  return { redis, log, ready, unavailable, shutdown, isClosed: () => closed };
}

/** `redis at host:port`, without credentials. */
function describe(url: string): string {
  try {
    return `redis at ${new URL(url).host}`;
  } catch {
    return 'redis';
  }
}

export function createRedisPublisher(url: string, options: RedisRealtimeOptions = {}): RealtimePublisher {
  const conn = connect(url, 'publisher', options);
  const prefix = options.prefix ?? '';
  return {
    async publish(channel, payload) {
      const json = encodePayload(payload);
      await conn.ready();
      try {
        await conn.redis.publish(prefix + channel, json);
      } catch (cause) {
        throw conn.unavailable(`publish to ${channel} failed`, cause);
      }
    },
    close: conn.shutdown,
  };
}

interface Entry {
  plain: Set<string>;
  globs: Set<string>;
  handler: Handler;
  active: boolean;
}

export function createRedisSubscriber(url: string, options: RedisSubscriberOptions = {}): RealtimeSubscriber {
  const conn = connect(url, 'subscriber', options);
  const { redis, log } = conn;
  const entries = new Set<Entry>();
  /** Every channel or pattern of an active subscription, with how many subscriptions use it. */
  const counts = new Map<string, number>();

  const prefix = options.prefix ?? '';
  const unprefixed = (name: string) => name.slice(prefix.length);
  const send = (subscribe: boolean, names: readonly string[]): Promise<unknown> => {
    const plain = names.filter((n) => !isGlob(n)).map((n) => prefix + n);
    const globs = names.filter(isGlob).map((n) => prefix + n);
    return Promise.all([
      plain.length && (subscribe ? redis.subscribe(...plain) : redis.unsubscribe(...plain)),
      globs.length && (subscribe ? redis.psubscribe(...globs) : redis.punsubscribe(...globs)),
    ]);
  };

  const dispatch = (matches: (entry: Entry) => boolean, channel: string, raw: string) => {
    const targets = [...entries].filter((e) => e.active && matches(e));
    if (targets.length === 0) return;
    let copies: unknown[];
    try {
      copies = targets.map(() => JSON.parse(raw)); // a fresh copy each: one handler can't mutate another's
    } catch (err) {
      log(`skipped a malformed payload on ${channel}`, err);
      return;
    }
    targets.forEach((e, i) => {
      deliver(e.handler, channel, copies[i], log);
    });
  };
  redis.on('message', (channel: string, raw: string) =>
    dispatch((e) => e.plain.has(unprefixed(channel)), unprefixed(channel), raw),
  );
  redis.on('pmessage', (pattern: string, channel: string, raw: string) =>
    dispatch((e) => e.globs.has(unprefixed(pattern)), unprefixed(channel), raw),
  );

  /** Listeners added through onReconnect (per consumer), called after options.onReconnect. */
  const reconnectListeners = new Set<() => void | Promise<void>>();
  /** Listeners added through onDisconnect: told when a live connection is lost. */
  const disconnectListeners = new Set<() => void>();
  let live = false;
  redis.on('close', () => {
    if (!live) return;
    live = false;
    for (const listener of [...disconnectListeners]) {
      try {
        listener();
      } catch (err) {
        log('an onDisconnect listener failed', err);
      }
    }
  });
  let connectedBefore = false;
  redis.on('ready', async () => {
    live = true;
    if (!connectedBefore) {
      connectedBefore = true;
      return;
    }
    try {
      if (counts.size > 0) await send(true, [...counts.keys()]);
    } catch (err) {
      log('resubscribe after reconnect failed; reconnecting to retry', err);
      if (redis.status === 'ready' && !conn.isClosed()) redis.disconnect(true);
      return;
    }
    try {
      await options.onReconnect?.();
    } catch (err) {
      log('onReconnect failed', err);
    }
    for (const listener of [...reconnectListeners]) {
      try {
        await listener();
      } catch (err) {
        log('an onReconnect listener failed', err);
      }
    }
  });

  return {
    async subscribe(patterns, handler) {
      requirePatterns(patterns);
      const names = [...new Set(patterns)];
      const entry: Entry = {
        plain: new Set(names.filter((n) => !isGlob(n))),
        globs: new Set(names.filter(isGlob)),
        handler,
        active: true,
      };
      entries.add(entry);
      for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
      /** Deactivates the entry; returns the names no other subscription uses any more. */
      const release = (): string[] => {
        if (!entry.active) return [];
        entry.active = false;
        entries.delete(entry);
        return names.filter((n) => {
          const left = (counts.get(n) ?? 1) - 1;
          if (left > 0) counts.set(n, left);
          else counts.delete(n);
          return left === 0;
        });
      };
      // UNSUBSCRIBE is best effort: if it fails the connection is gone (and nothing is resubscribed for
      // these names), or a stray message arrives that no entry matches and is dropped.
      const unsubscribe = async (unused: string[]) => {
        if (unused.length > 0 && redis.status === 'ready') await send(false, unused).catch(() => {});
      };
      try {
        await conn.ready();
        await send(true, names);
      } catch (cause) {
        await unsubscribe(release());
        throw cause instanceof RealtimeUnavailableError
          ? cause
          : conn.unavailable(`subscribe to ${names.join(', ')} failed`, cause);
      }
      const subscription: RealtimeSubscription = { close: () => unsubscribe(release()) };
      return subscription;
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => void reconnectListeners.delete(listener);
    },
    onDisconnect(listener) {
      disconnectListeners.add(listener);
      return () => void disconnectListeners.delete(listener);
    },
    async close() {
      for (const entry of entries) entry.active = false;
      entries.clear();
      counts.clear();
      reconnectListeners.clear();
      disconnectListeners.clear();
      await conn.shutdown();
    },
  };
}
