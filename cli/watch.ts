/**
 * `echoctl watch [channel...]`: the live events of the organization from `GET /events`, one line each
 * (`--json`: one JSON object a line, `{channel, id?, data}`). It reconnects by itself with backoff and
 * resumes with Last-Event-ID, so no committed message is missed while it was away; a note on stderr
 * says when. Ctrl-C stops it (exit 0).
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { Message } from '../lambdas/core/messages.ts';
import { short as shortId } from './args.ts';
import { followEventStream, type SseEvent } from './sse.ts';

const DEFAULT_CHANNELS = 'messages:all, decisions:*, workflow:*';

function seq(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError('must be a message seq (an integer from 0)');
  return n;
}

const time = (iso: string | undefined): string => {
  const d = iso ? new Date(iso) : new Date();
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().slice(11, 23);
};
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
/** An id as listings show it: its last 8 characters (a UUIDv7's first ones are its time, shared by a minute's ids). */
const short = (v: unknown) =>
  typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f-]{27}$/i.test(v) ? shortId(v) : v;

/** Fields worth a glance on a decision or workflow event, in this order, when present. */
const KEY_FIELDS = [
  'decisionId',
  'runId',
  'name',
  'title',
  'step',
  'status',
  'stepStatus',
  'owner',
  'initiator',
  'voter',
  'vote',
  'to',
  'budgetUsd',
  'reason',
  'error',
];

function value(v: unknown): string {
  if (typeof v === 'string') return /\s/.test(v) ? JSON.stringify(clip(v, 60)) : clip(v, 60);
  return clip(JSON.stringify(v), 60);
}

/** One readable line for an event. */
export function formatWatchLine(channel: string, data: unknown, id: number | undefined): string {
  const record = data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : undefined;
  if (channel === 'gap') {
    const reason = typeof record?.reason === 'string' ? record.reason : 'events may have been missed';
    return `${time(undefined)}  ── gap: ${reason} (refetch: echoctl decisions, echoctl messages)`;
  }
  if (channel.startsWith('messages:') && record && typeof record.seq === 'number') {
    const m = record as unknown as Message;
    const reply = m.metadata?.inReplyTo ? ` ↩ ${short(String(m.metadata.inReplyTo))}` : '';
    return `${time(m.createdAt)}  ${channel.padEnd(22)} #${id ?? m.seq}  ${m.from} → ${m.to}  ${m.type}  ${clip(m.subject, 70)}${reply}`;
  }
  const event = typeof record?.event === 'string' ? record.event : '';
  const fields = record
    ? KEY_FIELDS.filter((k) => record[k] !== undefined && record[k] !== null).map(
        (k) => `${k}=${value(short(record[k]))}`,
      )
    : [value(data)];
  return `${time(undefined)}  ${channel.padEnd(22)} ${event}${event ? '  ' : ''}${fields.join(' ')}`;
}

export function registerWatch(program: Command, base: string): void {
  program
    .command('watch [channel...]')
    .description(
      `follow the live events (default ${DEFAULT_CHANNELS}; e.g. messages:cto, decisions:*); reconnects and catches up by itself`,
    )
    .option('--after <seq>', 'first replay the messages committed after this seq', seq)
    .option('--json', 'one JSON object a line: {"channel", "id" (a message seq), "data"}')
    .action(async (channels: string[], o: { after?: number; json?: boolean }) => {
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop).once('SIGTERM', stop);
      const query = channels.length ? `?channels=${encodeURIComponent(channels.join(','))}` : '';
      const out = (line: string) => void process.stdout.write(`${line}\n`);
      const note = (line: string) => void process.stderr.write(`echoctl watch: ${line}\n`);
      let everConnected = false;
      try {
        await followEventStream({
          url: `${base}/events${query}`,
          lastEventId: o.after === undefined ? undefined : String(o.after),
          signal: controller.signal,
          onOpen: ({ reconnected, lastEventId }) => {
            everConnected = true;
            if (!reconnected)
              note(
                `watching ${channels.length ? channels.join(', ') : DEFAULT_CHANNELS} on ${base} (Ctrl-C to stop)`,
              );
            else
              note(
                `reconnected${lastEventId === undefined ? '' : `; catching up on what was committed after seq ${lastEventId}`}`,
              );
          },
          onRetry: ({ reason, delayMs, lastEventId }) => {
            const resume = lastEventId === undefined ? '' : `, resuming after seq ${lastEventId}`;
            const hint = everConnected
              ? ''
              : ' (is the runtime running? start it with `npm start` or set ECHO_API_URL)';
            note(
              `${everConnected ? 'connection lost' : `cannot connect to ${base}`}: ${reason}; retrying in ${delayMs / 1000}s${resume}${hint}`,
            );
          },
          onEvent: (event: SseEvent) => {
            let data: unknown;
            try {
              data = JSON.parse(event.data);
            } catch {
              data = event.data;
            }
            const id = event.hasId && event.lastEventId !== undefined ? Number(event.lastEventId) : undefined;
            if (o.json)
              out(
                JSON.stringify(
                  id === undefined ? { channel: event.event, data } : { channel: event.event, id, data },
                ),
              );
            else out(formatWatchLine(event.event, data, id));
          },
        });
      } finally {
        process.off('SIGINT', stop).off('SIGTERM', stop);
      }
    });
}
