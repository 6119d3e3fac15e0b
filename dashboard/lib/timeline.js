/**
 * What the live feed brought since the page loaded (and the latest messages before it), newest
 * first, each message once (by seq), kept across pages so the timeline is whole when it is opened.
 */
const LIMIT = 500;
let events = 0;

function entryOf(channel, data, id) {
  if (channel.startsWith('messages:') && data && typeof data.seq === 'number')
    return { key: `m${data.seq}`, kind: 'message', channel, at: data.createdAt, seq: data.seq, data };
  const kind = channel.startsWith('decisions:')
    ? 'decision'
    : channel.startsWith('workflow:')
      ? 'workflow'
      : channel;
  return { key: `e${++events}`, kind, channel, at: new Date().toISOString(), seq: id, data };
}

export function createTimeline() {
  const entries = [];
  const keys = new Set();
  const listeners = new Set();
  const insert = (entry, atEnd) => {
    if (keys.has(entry.key)) return undefined;
    keys.add(entry.key);
    if (atEnd) entries.push(entry);
    else entries.unshift(entry);
    while (entries.length > LIMIT) keys.delete(entries.pop().key);
    return entry;
  };
  return {
    entries: () => entries,
    /** The highest message seq held: where the live feed resumes. */
    lastSeq: () => entries.reduce((max, e) => (e.kind === 'message' && e.seq > max ? e.seq : max), -1),
    /** Messages from before the feed started (newest first); listeners get `undefined`: redraw. */
    preload(messages) {
      for (const m of messages) insert(entryOf('messages:all', m, m.seq), true);
      for (const fn of listeners) fn(undefined);
    },
    /** One live event; returns its entry, or undefined for a message already held or a tick. */
    add({ channel, data, id }) {
      if (channel === 'tick') return undefined;
      const entry = insert(entryOf(channel, data, id), false);
      if (entry) for (const fn of listeners) fn(entry);
      return entry;
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
