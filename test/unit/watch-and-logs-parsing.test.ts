/**
 * The pure parts of watching and reading logs: the SSE wire format both ways, the channels and cursor
 * of `GET /events`, `--since`, and where `echoctl logs` looks.
 */
import { describe, expect, it } from 'vitest';
import { logsTarget, parseSince } from '../../cli/logs.ts';
import { parseSse, type SseEvent } from '../../cli/sse.ts';
import { formatWatchLine } from '../../cli/watch.ts';
import { ValidationError } from '../../lambdas/core/errors.ts';
import { formatSseEvent } from '../../lambdas/local/events-route.ts';
import { DEFAULT_CHANNELS, parseChannels, parseCursor } from '../../lambdas/local/live-feed.ts';

async function parseChunks(
  chunks: string[],
  state: { lastEventId: string | undefined } = { lastEventId: undefined },
) {
  const encoder = new TextEncoder();
  async function* body() {
    for (const c of chunks) yield encoder.encode(c);
  }
  const events: SseEvent[] = [];
  for await (const e of parseSse(body(), state)) events.push(e);
  return { events, state };
}

describe('the SSE wire format', () => {
  it('parses what formatSseEvent writes, whatever the chunking', async () => {
    const text =
      ': subscribed\n\nretry: 1000\n\n' +
      formatSseEvent({ channel: 'messages:all', id: 7, data: { seq: 7, subject: 'a: b\nc' } }) +
      formatSseEvent({ channel: 'decisions:created', data: { event: 'DecisionCreated' } });
    for (const size of [1, 2, 3, 7, text.length]) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      const { events, state } = await parseChunks(chunks);
      expect(events).toEqual([
        { event: 'messages:all', data: '{"seq":7,"subject":"a: b\\nc"}', lastEventId: '7', hasId: true },
        { event: 'decisions:created', data: '{"event":"DecisionCreated"}', lastEventId: '7', hasId: false },
      ]);
      expect(state.lastEventId).toBe('7');
    }
  });

  it('CRLF and CR line ends, multi-line data, a default event name, an id alone moves the cursor', async () => {
    const { events, state } = await parseChunks([
      'data: one\r',
      '\ndata: two\r\r',
      'id: 41\n\nid: 42\r\n\r\n',
      'data:x\n\n',
    ]);
    expect(events).toEqual([
      { event: 'message', data: 'one\ntwo', lastEventId: undefined, hasId: false },
      { event: 'message', data: 'x', lastEventId: '42', hasId: false },
    ]);
    expect(state.lastEventId).toBe('42');
  });
});

describe('GET /events parameters', () => {
  it('channels: comma-separated, repeatable, deduplicated; none means the default', () => {
    expect(parseChannels([])).toEqual(DEFAULT_CHANNELS);
    expect(parseChannels(['messages:*, decisions:*', 'messages:*', 'workflow:started'])).toEqual([
      'messages:*',
      'decisions:*',
      'workflow:started',
    ]);
  });

  it('a channel outside messages:, decisions:, workflow: is refused, naming the field', () => {
    for (const bad of ['*', 'messages:', 'janitor', 'outbox:all']) {
      expect(() => parseChannels([bad])).toThrow(ValidationError);
      try {
        parseChannels([bad]);
      } catch (error) {
        expect((error as ValidationError).field).toBe('channels');
        expect((error as Error).message).toContain('messages:<role|all>');
      }
    }
  });

  it('the cursor: Last-Event-ID first, else ?after=; a seq or a ValidationError naming which', () => {
    expect(parseCursor(undefined, undefined)).toBeUndefined();
    expect(parseCursor('12', '3')).toBe(12);
    expect(parseCursor('', '3')).toBe(3);
    expect(() => parseCursor('-1', undefined)).toThrow(/Last-Event-ID: must be a message seq/);
    expect(() => parseCursor(undefined, '1.5')).toThrow(/after: must be a message seq/);
  });
});

describe('echoctl watch lines', () => {
  it('a message: time, channel, seq, from → to, type, subject; a decision: event and key fields; a gap', () => {
    // UUIDv7s made in the same minute share their first characters: a line shows an id's last 8, as listings do.
    const message = {
      id: '0f7e1d2c-0000-4000-8000-000000000000',
      seq: 42,
      from: 'cto',
      to: 'human',
      type: 'response',
      subject: 'Re: stack',
      metadata: { inReplyTo: '01a24b60-e5b2-7970-9a87-4aacabcdef12' },
      recipients: [],
      createdAt: '2026-01-15T10:00:00.123Z',
    };
    expect(formatWatchLine('messages:all', message, 42)).toBe(
      `10:00:00.123  messages:all           #42  cto → human  response  Re: stack ↩ abcdef12`,
    );
    const decision = formatWatchLine(
      'decisions:escalated',
      {
        event: 'DecisionEscalated',
        decisionId: '01a24b60-e5c5-76fc-a175-1ea812345678',
        title: 'Real-time dashboard',
        status: 'escalated',
        owner: 'cto',
        budgetUsd: 2000000,
        to: 'ceo',
      },
      undefined,
    );
    expect(decision).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} {2}decisions:escalated {4}DecisionEscalated {2}decisionId=12345678 title="Real-time dashboard" status=escalated owner=cto to=ceo budgetUsd=2000000$/,
    );
    expect(formatWatchLine('gap', { reason: 'the real-time channel reconnected' }, undefined)).toContain(
      '── gap: the real-time channel reconnected',
    );
  });
});

describe('echoctl logs options', () => {
  const now = new Date('2026-01-15T10:00:00.000Z');
  it('--since: 30s, 10m, 2h, 1d back from now, or an ISO time; anything else says what to write', () => {
    expect(parseSince('30s', now)).toBe(now.getTime() - 30_000);
    expect(parseSince('10m', now)).toBe(now.getTime() - 600_000);
    expect(parseSince('2h', now)).toBe(now.getTime() - 7_200_000);
    expect(parseSince('1d', now)).toBe(now.getTime() - 86_400_000);
    expect(parseSince('2026-01-14T09:00:00Z', now)).toBe(Date.parse('2026-01-14T09:00:00Z'));
    for (const bad of ['10', '5w', 'yesterday', '2026-13-45'])
      expect(() => parseSince(bad, now)).toThrow(/duration \(30s, 10m, 2h, 1d\) nor an ISO time/);
  });

  it('local files unless asked for AWS, or ECHO_STAGE names a deployed stage and a Region is set', () => {
    expect(logsTarget({}, {})).toEqual({ kind: 'local', dataDir: '.echo' });
    expect(logsTarget({}, { ECHO_DATA_DIR: '/d', ECHO_STAGE: 'local', AWS_REGION: 'us-east-1' })).toEqual({
      kind: 'local',
      dataDir: '/d',
    });
    expect(logsTarget({}, { ECHO_STAGE: 'dev' })).toMatchObject({ kind: 'local' });
    expect(logsTarget({}, { ECHO_STAGE: 'prod', AWS_DEFAULT_REGION: 'eu-west-1' })).toEqual({
      kind: 'aws',
      stage: 'prod',
      region: 'eu-west-1',
      endpoint: undefined,
    });
    expect(logsTarget({ local: true }, { ECHO_STAGE: 'prod', AWS_REGION: 'eu-west-1' })).toMatchObject({
      kind: 'local',
    });
    expect(logsTarget({ aws: true }, { AWS_REGION: 'us-east-1' })).toMatchObject({ stage: 'dev' });
    expect(logsTarget({ aws: true }, { ECHO_STAGE: 'local', AWS_REGION: 'us-east-1' })).toMatchObject({
      stage: 'dev',
    });
    // A stage given on the command line is the one read, `local` too (the local endpoint's log groups).
    expect(
      logsTarget(
        { aws: true, stage: 'local' },
        { AWS_REGION: 'us-east-1', ECHO_AWS_ENDPOINT: 'http://127.0.0.1:4566' },
      ),
    ).toEqual({ kind: 'aws', stage: 'local', region: 'us-east-1', endpoint: 'http://127.0.0.1:4566' });
    expect(logsTarget({ stage: 'local' }, { AWS_REGION: 'us-east-1' })).toMatchObject({ kind: 'local' });
    expect(() => logsTarget({ aws: true }, {})).toThrow(/set AWS_REGION/);
  });
});
