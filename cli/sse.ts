/**
 * A server-sent-events client on Node's fetch, for `echoctl watch`: the wire format parser, and a
 * connection that reconnects with backoff and resumes with Last-Event-ID, so nothing committed is
 * missed while it was away.
 */

export interface SseEvent {
  /** The `event:` field; `message` when the server sent none. */
  event: string;
  data: string;
  /** The last event id after this event (an `id:` field sets it; it persists across events). */
  lastEventId: string | undefined;
  /** Whether this event carried its own `id:` field. */
  hasId: boolean;
}

/**
 * Parses an SSE byte stream (https://html.spec.whatwg.org/multipage/server-sent-events.html):
 * lines end in CRLF, LF or CR; `:` starts a comment; a blank line dispatches. An event with no data
 * (an `id:` alone) is not yielded as an event but still moves `lastEventId`, reported to `onId`.
 */
export async function* parseSse(
  body: AsyncIterable<Uint8Array>,
  state: { lastEventId: string | undefined; onId?(id: string): void; onRetry?(ms: number): void },
): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let pending = '';
  let event = '';
  let data: string[] = [];
  let hasId = false;
  let skipLf = false;
  const dispatch = (): SseEvent | undefined => {
    const out =
      data.length > 0
        ? { event: event || 'message', data: data.join('\n'), lastEventId: state.lastEventId, hasId }
        : undefined;
    event = '';
    data = [];
    hasId = false;
    return out;
  };
  const field = (line: string) => {
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'event') event = value;
    else if (name === 'data') data.push(value);
    else if (name === 'id' && !value.includes('\0')) {
      state.lastEventId = value;
      hasId = true;
      state.onId?.(value);
    } else if (name === 'retry' && /^\d+$/.test(value)) state.onRetry?.(Number(value));
  };
  for await (const chunk of body) {
    let text = decoder.decode(chunk, { stream: true });
    if (skipLf && text.startsWith('\n')) text = text.slice(1);
    skipLf = false;
    pending += text;
    for (;;) {
      const end = pending.search(/[\r\n]/);
      if (end === -1) break;
      const line = pending.slice(0, end);
      if (pending[end] === '\r') {
        if (end + 1 < pending.length) pending = pending.slice(end + (pending[end + 1] === '\n' ? 2 : 1));
        else {
          pending = '';
          skipLf = true; // a CR at the end of a chunk: a LF may start the next one
        }
      } else pending = pending.slice(end + 1);
      if (line === '') {
        const out = dispatch();
        if (out) yield out;
      } else field(line);
    }
  }
}

/** The server said no, and retrying will not help (a bad channel): stop, and say why. */
export class WatchRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WatchRefusedError';
  }
}

export interface StreamOptions {
  url: string;
  /** Resume after this id (a message seq) on the first connect too. */
  lastEventId?: string | undefined;
  signal: AbortSignal;
  onEvent(event: SseEvent): void;
  /** Connected (first time: `reconnected` false). */
  onOpen(info: { reconnected: boolean; lastEventId: string | undefined }): void;
  /** The connection was lost (or could not be made); the next attempt is in `delayMs`. */
  onRetry(info: { reason: string; delayMs: number; lastEventId: string | undefined }): void;
  /** First reconnect delay, doubled per failed attempt up to maxDelayMs. Defaults 500 ms, 10 s. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

const reasonOf = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
};

/** Follows an SSE endpoint until `signal` aborts; resolves then. Rejects only with WatchRefusedError. */
export async function followEventStream(options: StreamOptions): Promise<void> {
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 10_000;
  const state: { lastEventId: string | undefined } = { lastEventId: options.lastEventId };
  let attempt = 0;
  let connectedBefore = false;
  while (!options.signal.aborted) {
    let reason: string;
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (state.lastEventId !== undefined) headers['last-event-id'] = state.lastEventId;
      const response = await fetch(options.url, { headers, signal: options.signal });
      if (!response.ok || !response.body) {
        const text = await response.text().catch(() => '');
        let message = text;
        try {
          message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
        } catch {
          // not JSON: the text as it is
        }
        if (response.status >= 400 && response.status < 500 && response.status !== 429)
          throw new WatchRefusedError(`${options.url}: HTTP ${response.status}: ${message}`);
        throw new Error(`HTTP ${response.status}${message ? `: ${message}` : ''}`);
      }
      options.onOpen({ reconnected: connectedBefore, lastEventId: state.lastEventId });
      connectedBefore = true;
      attempt = 0;
      for await (const event of parseSse(response.body, state)) options.onEvent(event);
      reason = 'the server closed the stream';
    } catch (error) {
      if (options.signal.aborted) return;
      if (error instanceof WatchRefusedError) throw error;
      reason = reasonOf(error);
    }
    if (options.signal.aborted) return;
    const delayMs = Math.min(max, base * 2 ** attempt);
    attempt++;
    options.onRetry({ reason, delayMs, lastEventId: state.lastEventId });
    await sleep(delayMs, options.signal);
  }
}
