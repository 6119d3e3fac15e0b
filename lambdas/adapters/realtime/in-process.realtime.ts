/**
 * The in-process stand-in for Redis pub/sub: one hub, a publisher and a subscriber sharing it. It keeps
 * the Redis semantics a consumer could notice: PSUBSCRIBE globs, delivery after `publish` returns, a
 * fresh JSON copy per handler, one delivery per matching pattern, order per publisher and channel.
 */
import type { RealtimePublisher, RealtimeSubscriber, RealtimeSubscription } from './port.ts';
import {
  defaultLog,
  deliver,
  encodePayload,
  globMatcher,
  type Handler,
  type RealtimeLog,
  RealtimeUnavailableError,
  requirePatterns,
} from './shared.ts';

interface Entry {
  matchers: ((channel: string) => boolean)[];
  handler: Handler;
  active: boolean;
}

export interface InProcessHub {
  publisher: RealtimePublisher;
  subscriber: RealtimeSubscriber;
}

export function createInProcessHub(options: { log?: RealtimeLog } = {}): InProcessHub {
  const log = options.log ?? defaultLog;
  const entries = new Set<Entry>();
  let publisherClosed = false;
  let subscriberClosed = false;

  const publisher: RealtimePublisher = {
    async publish(channel, payload) {
      if (publisherClosed) throw new RealtimeUnavailableError('in-process publisher is closed');
      const json = encodePayload(payload);
      for (const entry of entries) {
        for (const matches of entry.matchers) {
          if (!matches(channel)) continue;
          // Like a message already on the wire, it is dropped if the subscription closes before it lands.
          queueMicrotask(() => {
            if (entry.active) deliver(entry.handler, channel, JSON.parse(json), log);
          });
        }
      }
    },
    async close() {
      publisherClosed = true;
    },
  };

  const subscriber: RealtimeSubscriber = {
    async subscribe(patterns, handler) {
      if (subscriberClosed) throw new RealtimeUnavailableError('in-process subscriber is closed');
      requirePatterns(patterns);
      const matchers = [...new Set(patterns)].map(globMatcher);
      const entry: Entry = { matchers, handler, active: true };
      entries.add(entry);
      const subscription: RealtimeSubscription = {
        async close() {
          entry.active = false;
          entries.delete(entry);
        },
      };
      return subscription;
    },
    async close() {
      subscriberClosed = true;
      for (const entry of entries) entry.active = false;
      entries.clear();
    },
  };

  return { publisher, subscriber };
}
