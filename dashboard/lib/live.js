/**
 * The live feed: `GET /events` (server-sent events) read with fetch, so every channel's events come
 * through one reader and a lost connection resumes with `Last-Event-ID`, the last message seq seen:
 * the server replays what was committed meanwhile, then goes on live (and says `gap` for decision
 * and workflow events it cannot replay: the pages refetch; on the first connection, when the pages
 * have just fetched, that is a `tick` rather than a `gap`). Where there is no stream (the API on
 * API Gateway answers 403/404 to /events), it polls `GET /messages?after=<seq>` instead, and ticks
 * now and then so pages refetch what polling cannot see.
 */
import { get } from './api.js';

const POLL_MS = 3000;
const TICK_MS = 15_000;
const MAX_BACKOFF_MS = 15_000;

/** Parses SSE text as it arrives: call `push(chunk)`, get back the complete events so far. */
export function sseParser(onId) {
  let pending = '';
  let event = { name: '', data: [], id: undefined };
  return (chunk) => {
    pending += chunk;
    const lines = pending.split(/\r\n|\r|\n/);
    pending = lines.pop() ?? '';
    const out = [];
    for (const line of lines) {
      if (line === '') {
        if (event.data.length)
          out.push({ channel: event.name || 'message', id: event.id, data: event.data.join('\n') });
        event = { name: '', data: [], id: undefined };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const name = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (name === 'event') event.name = value;
      else if (name === 'data') event.data.push(value);
      else if (name === 'id') {
        event.id = value;
        onId(value);
      }
    }
    return out;
  };
}

/**
 * Starts following. `onEvent({ channel, id, data })` for each event; `onStatus(text, mode)` when the
 * connection changes (mode: 'live', 'connecting', 'polling'). `after`: the seq to resume after.
 */
export function follow({ after, onEvent, onStatus }) {
  let lastId = after === undefined ? undefined : String(after);
  let stopped = false;
  let controller;
  let backoff = 1000;
  let connected = false;

  const emit = (channel, data, id) => {
    try {
      onEvent({ channel, id, data });
    } catch (error) {
      console.error('live event handler failed', error);
    }
  };

  async function stream() {
    while (!stopped) {
      controller = new AbortController();
      onStatus(lastId === undefined ? 'connecting…' : `reconnecting after #${lastId}…`, 'connecting');
      let response;
      try {
        response = await fetch('/events', {
          headers: {
            accept: 'text/event-stream',
            ...(lastId === undefined ? {} : { 'last-event-id': lastId }),
          },
          signal: controller.signal,
        });
      } catch {
        if (stopped) return;
        await pause();
        continue;
      }
      const type = response.headers.get('content-type') ?? '';
      if (
        [401, 403, 404, 405].includes(response.status) ||
        (response.ok && !type.startsWith('text/event-stream'))
      ) {
        response.body?.cancel();
        return poll();
      }
      if (!response.ok || !response.body) {
        await pause(); // 503: the real-time channel is down for now
        continue;
      }
      backoff = 1000;
      onStatus('live', 'live');
      const first = !connected;
      connected = true;
      const parse = sseParser((id) => {
        lastId = id;
      });
      const decoder = new TextDecoder();
      try {
        const reader = response.body.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const e of parse(decoder.decode(value, { stream: true }))) {
            let data;
            try {
              data = JSON.parse(e.data);
            } catch {
              data = e.data;
            }
            const channel = first && e.channel === 'gap' ? 'tick' : e.channel;
            emit(channel, data, e.id === undefined ? undefined : Number(e.id));
          }
        }
      } catch {
        // the connection dropped: resume below
      }
      if (!stopped) await pause();
    }
  }

  function pause() {
    const ms = backoff;
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    onStatus(`connection lost; retrying in ${ms / 1000} s`, 'connecting');
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  async function poll() {
    let cursor = lastId === undefined ? undefined : Number(lastId);
    let lastTick = Date.now();
    onStatus(`polling every ${POLL_MS / 1000} s`, 'polling');
    while (!stopped) {
      try {
        if (cursor === undefined) {
          const { messages } = await get('/messages?limit=1');
          cursor = messages[0]?.seq ?? 0;
        }
        for (;;) {
          const { messages } = await get(`/messages?after=${cursor}&limit=100`);
          for (const m of messages) {
            cursor = Math.max(cursor, m.seq);
            emit('messages:all', m, m.seq);
          }
          if (messages.length < 100) break;
        }
        if (Date.now() - lastTick >= TICK_MS) {
          lastTick = Date.now();
          emit('tick', {});
        }
        onStatus(`polling every ${POLL_MS / 1000} s`, 'polling');
      } catch (error) {
        onStatus(`polling failed: ${error.message}`, 'connecting');
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  void stream();
  return {
    stop() {
      stopped = true;
      controller?.abort();
    },
  };
}
