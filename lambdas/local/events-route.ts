/**
 * `GET /events`: server-sent events on the local runtime's HTTP server, fed by the live feed
 * (lambdas/local/live-feed.ts). One SSE event per real-time event:
 *
 *   event: messages:all          event: decisions:created      event: gap
 *   id: 42                       data: {"event":"DecisionCreated",...}   data: {"reason":...,"seq":42}
 *   data: {"id":...,"seq":42,...}
 *
 * `?channels=messages:*,decisions:*` picks the channels (default: messages:all, decisions:*, workflow:*);
 * `Last-Event-ID` (what EventSource sends when it reconnects) or `?after=<seq>` resumes after a message
 * seq. An `id: <seq>` line alone moves the client's cursor without an event (at the start of a live
 * stream, and after a catch-up that scanned past what it sent). A comment line every `heartbeatMs`
 * keeps proxies and idle timers from closing the stream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody } from '../adapters/http/http.ts';
import type { RealtimeSubscriber } from '../adapters/realtime/port.ts';
import { RealtimeUnavailableError } from '../adapters/realtime/shared.ts';
import { ValidationError } from '../core/errors.ts';
import { METRICS, type Metrics } from '../core/metrics.ts';
import type { Logger } from '../core/pipeline.ts';
import type { Store } from '../core/store.ts';
import { type Feed, type FeedEvent, openFeed, parseChannels, parseCursor } from './live-feed.ts';

export const EVENTS_PATH = '/events';

export interface EventsRouteDeps {
  store: Pick<Store, 'listMessages'>;
  subscriber: RealtimeSubscriber;
  logger: Logger;
  /** Between heartbeat comments. Default 15 s. */
  heartbeatMs?: number;
  /** The reconnection delay suggested to EventSource clients (`retry:`). Default 1 s. */
  retryMs?: number;
  /**
   * Bytes a stream may hold for its client (written but not yet read, and live events held during a
   * replay). A client past it is disconnected and counted; it resumes with its Last-Event-ID. One event
   * into an empty buffer always goes, however large. Default DEFAULT_SSE_MAX_BUFFER_BYTES.
   */
  maxBufferBytes?: number;
  /** Where a slow client's disconnect is counted (SseSlowClientDisconnects). */
  metrics?: Pick<Metrics, 'count'>;
}

export const DEFAULT_SSE_MAX_BUFFER_BYTES = 4 * 1024 * 1024;

export type EventsRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

/** One event in the SSE wire format (the data is JSON: one line, no newline to escape). */
export function formatSseEvent(event: FeedEvent): string {
  const id = event.id === undefined ? '' : `id: ${event.id}\n`;
  return `event: ${event.channel}\n${id}data: ${JSON.stringify(event.data)}\n\n`;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function createEventsRoute(deps: EventsRouteDeps): EventsRoute {
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const retryMs = deps.retryMs ?? 1000;
  const maxBufferBytes = deps.maxBufferBytes ?? DEFAULT_SSE_MAX_BUFFER_BYTES;
  return async (req, res, url) => {
    if (req.method !== 'GET') {
      res.setHeader('allow', 'GET');
      return sendJson(res, 405, {
        error: { code: 'MethodNotAllowed', message: `${req.method} ${EVENTS_PATH}: allowed GET` },
      });
    }
    req.resume(); // a GET has no body worth reading; let the request end
    let channels: string[];
    let afterSeq: number | undefined;
    try {
      channels = parseChannels(url.searchParams.getAll('channels'));
      const lastEventId = req.headers['last-event-id'];
      afterSeq = parseCursor(
        Array.isArray(lastEventId) ? lastEventId[0] : lastEventId,
        url.searchParams.get('after') ?? undefined,
      );
    } catch (error) {
      if (error instanceof ValidationError) return sendJson(res, 400, errorBody(error));
      throw error;
    }

    let open = true;
    let feed: Feed | undefined;
    let heartbeat: NodeJS.Timeout | undefined;
    const end = () => {
      if (!open) return;
      open = false;
      clearInterval(heartbeat);
      void feed
        ?.close()
        .catch((error: unknown) =>
          deps.logger.warn('events: closing a subscription failed', { error: String(error) }),
        );
      if (!res.writableEnded) res.end();
    };
    /** Past its buffer: the client is cut off (it resumes with Last-Event-ID), and that is counted. */
    const tooSlow = (held: number) => {
      if (!open) return;
      deps.metrics?.count(METRICS.sseSlowClientDisconnects.name);
      deps.logger.warn(
        'events: a client read too slowly and was disconnected; it resumes with Last-Event-ID',
        {
          held,
          maxBufferBytes,
          channels: channels.join(','),
        },
      );
      end();
      res.destroy();
    };
    const write = (text: string): void | Promise<void> => {
      if (!open || res.writableEnded) return;
      const held = res.writableLength; // what the response and its socket hold, not yet taken by the kernel
      if (held > 0 && held + Buffer.byteLength(text) > maxBufferBytes) return tooSlow(held);
      if (res.write(text)) return;
      return new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done).off('close', done);
          resolve();
        };
        res.once('drain', done).once('close', done);
      });
    };
    res.once('close', end);

    try {
      // Subscribed (and holding what arrives) before the client sees 200: nothing posted after is missed.
      feed = await openFeed(deps, {
        channels,
        afterSeq,
        send: (event) => write(formatSseEvent(event)),
        sendCursor: (seq) => write(`id: ${seq}\n\n`),
        onError: end, // the database failed a catch-up: the client reconnects with its Last-Event-ID
        maxHeldBytes: maxBufferBytes,
        onOverflow: tooSlow,
      });
    } catch (error) {
      if (!(error instanceof RealtimeUnavailableError)) throw error;
      return sendJson(
        res,
        503,
        errorBody(error, {
          hint: 'the real-time channel (Redis) is unreachable; retry shortly (echoctl watch retries by itself)',
        }),
      );
    }
    if (!open) return void (await feed.close());

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    void write(
      `retry: ${retryMs}\n: subscribed to ${channels.join(',')}${afterSeq === undefined ? '' : ` after seq ${afterSeq}`}\n\n`,
    );
    heartbeat = setInterval(() => void write(': heartbeat\n\n'), heartbeatMs);
    heartbeat.unref();
    try {
      await feed.start();
    } catch (error) {
      deps.logger.warn('events: replay from the database failed; closing the stream', {
        error: String(error),
      });
      end();
    }
  };
}
