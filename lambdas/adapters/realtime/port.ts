/**
 * The real-time port: Redis pub/sub in AWS and with REDIS_URL, an in-process hub otherwise.
 * Redis is a hint, never the record: subscribers catch up from Postgres by the last id they saw.
 */
export interface RealtimePublisher {
  publish(channel: string, payload: unknown): Promise<void>;
  close(): Promise<void>;
}

export interface RealtimeSubscription {
  close(): Promise<void>;
}

export interface RealtimeSubscriber {
  /**
   * Subscribes to channels or glob patterns (`messages:*`). The handler gets the channel and
   * the parsed payload. Resolves once the subscription is active.
   */
  subscribe(
    patterns: readonly string[],
    handler: (channel: string, payload: unknown) => void,
  ): Promise<RealtimeSubscription>;
  /**
   * Optional: calls `listener` each time a lost connection is back and every subscription is active
   * again (not on the first connect), so a consumer can catch up from the database on what was
   * published in the gap. Returns a function that removes the listener. An adapter that cannot lose
   * its connection (the in-process hub) leaves it out.
   */
  onReconnect?(listener: () => void | Promise<void>): () => void;
  /**
   * Optional: calls `listener` when a live connection is lost (before any reconnect), so a consumer
   * can mark where its gap began: what is published from then until `onReconnect` may be missed.
   */
  onDisconnect?(listener: () => void): () => void;
  close(): Promise<void>;
}
