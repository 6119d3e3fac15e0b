/**
 * Watching and reading logs against the real local runtime (PostgreSQL, and a private Redis this test
 * may kill): `GET /events` resumes by Last-Event-ID with neither duplicates nor gaps at the seam;
 * `echoctl watch` sees what is posted, catches up from Postgres on what was committed while Redis was
 * down, and after the runtime itself restarts resumes with Last-Event-ID; `echoctl logs` reads each
 * agent's log file (`--json`, `--since`, `--follow`).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseSse } from '../../cli/sse.ts';
import { type Config, parseConfig } from '../../lambdas/adapters/config.ts';
import type { Message } from '../../lambdas/core/messages.ts';
import { type LocalRuntime, startLocalRuntime } from '../../lambdas/local/runtime.ts';
import { echoctl } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { type Running, spawnEchoctl } from '../support/long-running.ts';
import { freePort, kill, startRedis } from '../support/processes.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { createTestDatabase, requireService } from '../support/services.ts';

const hasPostgres = requireService('DATABASE_URL');

/** An SSE connection read in the background: its events as they come, with the id each carried. */
function openEvents(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const events: { event: string; id: number | undefined; data: any }[] = [];
  let status = 0;
  const state = { lastEventId: undefined as string | undefined };
  const done = (async () => {
    const response = await fetch(url, { headers, signal: controller.signal });
    status = response.status;
    if (!response.ok || !response.body) return;
    for await (const e of parseSse(response.body, state))
      events.push({
        event: e.event,
        id: e.hasId ? Number(e.lastEventId) : undefined,
        data: JSON.parse(e.data),
      });
  })().catch((error: unknown) => {
    if (!controller.signal.aborted) throw error;
  });
  return {
    events,
    status: () => status,
    lastEventId: () => state.lastEventId,
    messages: () => events.filter((e) => e.event.startsWith('messages:')).map((e) => e.data as Message),
    close: async () => {
      controller.abort();
      await done;
    },
  };
}

const post = async (rt: { apiUrl: string }, body: Record<string, unknown>): Promise<Message> => {
  const res = await fetch(`${rt.apiUrl}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST /messages: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { message: Message }).message;
};
/** A note for the humans watching: no agent acts on it, so the timeline holds only what the test posts. */
const note = (rt: { apiUrl: string }, subject: string) =>
  post(rt, { to: 'human', type: 'notification', subject });

/** The JSON lines of `echoctl watch --json` so far. */
const watched = (w: Running) =>
  w.lines().map((l) => JSON.parse(l) as { channel: string; id?: number; data: any });
const watchedMessage = (w: Running, id: string) =>
  watched(w).filter((e) => e.channel.startsWith('messages:') && e.data.id === id);

describe.skipIf(!hasPostgres)('watching the organization: GET /events and echoctl watch', () => {
  let redisPort: number;
  let redis: ChildProcess;
  let rt: TestRuntime;
  let dataDir: string;
  const running: Running[] = [];
  const start = (args: string[], env: Record<string, string> = {}) => {
    const w = spawnEchoctl(args, rt.apiUrl, env);
    running.push(w);
    return w;
  };

  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    dataDir = mkdtempSync(join(tmpdir(), 'echo-watch-'));
    rt = await startTestRuntime({
      database: 'postgres',
      redisUrl: `redis://127.0.0.1:${redisPort}`,
      env: { ECHO_DATA_DIR: dataDir },
    });
  });

  afterEach(async () => {
    for (const w of running.splice(0)) await w.stop('SIGKILL');
  });

  afterAll(async () => {
    await rt?.close();
    if (redis) await kill(redis);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes by Last-Event-ID: the messages committed after it, then live, each once, none missing', async () => {
    const first = await note(rt, 'before the watcher');
    // Notifications to the CTO: published on messages:cto and messages:all, both matching messages:*.
    // Posts keep coming while the watcher connects: some land in the replay, some arrive live, some both.
    const posted: Message[] = [];
    const posting = (async () => {
      for (let i = 0; i < 40; i++)
        posted.push(await post(rt, { to: 'cto', type: 'notification', subject: `busy ${i}` }));
    })();
    await eventually(() => posted.length >= 10, 10_000, 'posting to be under way');
    const sse = openEvents(`${rt.apiUrl}/events?channels=messages:*`, { 'Last-Event-ID': String(first.seq) });
    await posting;
    const last = await note(rt, 'after the rush');

    const committed = await eventually(
      async () => {
        const all = await rt.deps.store.listMessages({ afterSeq: first.seq, limit: 1000 });
        const seen = sse.messages().map((m) => m.seq);
        return seen.includes(last.seq) && seen.length >= all.length ? all.map((m) => m.seq) : undefined;
      },
      10_000,
      'every committed message on the stream',
    );
    expect(committed).toEqual(expect.arrayContaining([...posted, last].map((m) => m.seq)));
    const seqs = sse.messages().map((m) => m.seq);
    expect(new Set(seqs).size).toBe(seqs.length); // no duplicates, at the seam or across two channels
    expect([...seqs].sort((a, b) => a - b)).toEqual(committed); // no gap
    expect(sse.events.every((e) => e.event === 'messages:all')).toBe(true);
    // Ids only go up, and each is the seq of its message when it has one.
    const ids = sse.events.map((e) => e.id).filter((id) => id !== undefined);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    for (const e of sse.events) if (e.id !== undefined) expect(e.id).toBe(e.data.seq);
    await sse.close();
  });

  it('answers channels, a resume and mistakes: messages of one role, a gap note, 400 naming the field', async () => {
    const toCto = await post(rt, { to: 'cto', type: 'notification', subject: 'for the cto' });
    const toChro = await post(rt, { to: 'chro', type: 'notification', subject: 'for the chro' });
    const sse = openEvents(`${rt.apiUrl}/events?channels=messages:cto,decisions:*&after=${toCto.seq - 1}`);
    await eventually(() => sse.events.some((e) => e.event === 'gap'), 10_000, 'the gap note');
    expect(sse.events[0]).toMatchObject({ event: 'messages:cto', id: toCto.seq, data: { id: toCto.id } });
    expect(sse.messages().map((m) => m.id)).not.toContain(toChro.id);
    // Decisions are not replayed: the resume says so, and where.
    expect(sse.events.find((e) => e.event === 'gap')!.data).toMatchObject({
      reason: expect.stringContaining('resumed'),
    });
    await sse.close();

    for (const [query, field] of [
      ['channels=janitor', 'channels'],
      ['after=yesterday', 'after'],
    ] as const) {
      const res = await fetch(`${rt.apiUrl}/events?${query}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error).toMatchObject({ code: 'ValidationError', field });
    }
    const bad = await fetch(`${rt.apiUrl}/events`, { headers: { 'last-event-id': 'x' } });
    expect(((await bad.json()) as any).error).toMatchObject({ field: 'Last-Event-ID' });
    expect((await fetch(`${rt.apiUrl}/events`, { method: 'POST' })).status).toBe(405);
    const refused = await echoctl(['watch', 'janitor'], rt.apiUrl);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('"janitor" is not a channel');
  });

  it('echoctl watch --json sees what is posted, and what was committed while Redis was down', async () => {
    const watch = start(['watch', '--json']);
    await eventually(() => watch.stderr().includes('watching'), 20_000, 'echoctl watch to connect');
    const live = await note(rt, 'live');
    await eventually(() => watchedMessage(watch, live.id).length === 1, 10_000, 'the live message');
    expect(watchedMessage(watch, live.id)[0]).toMatchObject({ channel: 'messages:all', id: live.seq });

    await kill(redis);
    // Committed while the real-time channel is down: the relay leaves it in the outbox.
    const during = await note(rt, 'while redis is down');
    redis = await startRedis(redisPort);
    // The runtime's subscriber reconnects, and the feed replays from Postgres what it did not see.
    await eventually(() => watchedMessage(watch, during.id).length === 1, 20_000, 'the catch-up');
    await eventually(() => watched(watch).some((e) => e.channel === 'gap'), 10_000, 'the gap note');

    // The sweeper now publishes the outbox row too: the watcher still sees the message once.
    await rt.tick();
    const after = await note(rt, 'after the outage');
    await eventually(() => watchedMessage(watch, after.id).length === 1, 10_000, 'the next live message');
    expect(watchedMessage(watch, during.id)).toHaveLength(1);
    expect(watchedMessage(watch, live.id)).toHaveLength(1);
    const ids = watched(watch).flatMap((e) => (e.id === undefined ? [] : [e.id]));
    expect(new Set(ids).size).toBe(ids.length);

    expect(await watch.stop('SIGINT')).toBe(0); // Ctrl-C exits cleanly
  });

  it('echoctl watch prints readable lines', async () => {
    const watch = start(['watch', 'messages:all', 'decisions:*']);
    await eventually(() => watch.stderr().includes('watching messages:all, decisions:*'), 20_000, 'connect');
    await post(rt, { to: 'human', type: 'notification', subject: 'Readable line' });
    const line = await eventually(
      () => watch.lines().find((l) => l.includes('Readable line')),
      10_000,
      'the line',
    );
    expect(line).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} {2}messages:all\s+#\d+ {2}human → human {2}notification {2}Readable line$/,
    );
    expect(await watch.stop('SIGINT')).toBe(0);
  });
});

describe.skipIf(!hasPostgres)('echoctl watch across a restart of the runtime', () => {
  const stops: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('reconnects with backoff and resumes with Last-Event-ID: nothing committed while it was away is missed', async () => {
    const db = await createTestDatabase();
    stops.push(db.drop);
    const dataDir = mkdtempSync(join(tmpdir(), 'echo-restart-'));
    stops.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const config = (p: number): Config =>
      parseConfig({
        DATABASE_URL: db.url,
        ECHO_DATA_DIR: dataDir,
        ECHO_PORT: String(p),
        ECHO_AWS_PORT: '0',
        ECHO_LOG_LEVEL: 'silent',
        ECHO_LOG_FILE_LEVEL: 'silent',
        ECHO_SWEEP_INTERVAL_MS: '3600000',
        ECHO_CATCHUP_INTERVAL_MS: '3600000',
      });
    let a: LocalRuntime | undefined = await startLocalRuntime(config(port));
    stops.push(async () => a?.stop());
    const watch = spawnEchoctl(['watch', 'messages:all', '--json'], a.apiUrl);
    stops.push(() => watch.stop('SIGKILL'));
    await eventually(() => watch.stderr().includes('watching'), 20_000, 'echoctl watch to connect');
    const before = await note(a, 'before the restart');
    await eventually(() => watchedMessage(watch, before.id).length === 1, 10_000, 'the first message');

    await a.stop();
    a = undefined;
    await eventually(() => watch.stderr().includes('connection lost'), 20_000, 'the watcher to notice');
    // Another runtime on the same database commits while the watcher's server is away.
    const other = await startLocalRuntime(config(0));
    stops.push(() => other.stop());
    const away = await note(other, 'while the watcher was away');
    a = await startLocalRuntime(config(port));
    await eventually(() => watchedMessage(watch, away.id).length === 1, 30_000, 'the catch-up');
    expect(watch.stderr()).toContain(`resuming after seq ${before.seq}`);
    expect(watch.stderr()).toContain('reconnected');
    const back = await note(a, 'after the restart');
    await eventually(() => watchedMessage(watch, back.id).length === 1, 10_000, 'live again');
    expect(watchedMessage(watch, before.id)).toHaveLength(1);
    expect(watchedMessage(watch, away.id)).toHaveLength(1);
    expect(await watch.stop('SIGINT')).toBe(0);
  });
});

describe.skipIf(!hasPostgres)('echoctl logs <role>: the local runtime writes one log file per agent', () => {
  let rt: TestRuntime;
  let dataDir: string;
  const running: Running[] = [];
  const logs = (args: string[]) =>
    echoctl(['logs', ...args], rt.apiUrl, { ECHO_DATA_DIR: dataDir, ECHO_STAGE: '' });
  const jsonLines = (stdout: string) =>
    stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, any>);
  /** Posts a request to the CTO and waits for its reply (the CTO's lines are written by then). */
  const askCto = async (subject: string) => {
    const request = await post(rt, { to: 'cto', subject });
    await eventually(
      async () => {
        const { body } = await rt.get(`/messages?inReplyTo=${request.id}`);
        return body.messages.length > 0 ? true : undefined;
      },
      20_000,
      'the CTO to reply',
    );
    return request;
  };
  const ctoLinesFor = async (messageId: string, args: string[] = []) =>
    eventually(
      async () => {
        const r = await logs(['cto', '--json', ...args]);
        const lines = jsonLines(r.stdout);
        return lines.some((l) => l.messageId === messageId) ? lines : undefined;
      },
      20_000,
      `the CTO's lines about ${messageId}`,
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'echo-logs-'));
    rt = await startTestRuntime({
      database: 'postgres',
      env: { ECHO_DATA_DIR: dataDir, ECHO_LOG_FILE_LEVEL: 'info' },
    });
  });
  afterEach(async () => {
    for (const w of running.splice(0)) await w.stop('SIGKILL');
  });
  afterAll(async () => {
    await rt?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('--json shows the CTO lines after a request to the CTO; --since filters; pretty by default', async () => {
    const first = await askCto('What is our stack?');
    const lines = await ctoLinesFor(first.id);
    expect(lines.every((l) => l.role === 'cto')).toBe(true);
    expect(lines.find((l) => l.messageId === first.id)).toMatchObject({
      level: 'INFO',
      message: 'delivery answered',
      outcome: 'answered',
      service: 'echo-local',
      timestamp: expect.any(String),
    });
    // The CHRO was not asked: its file has nothing about this request.
    const chro = await logs(['chro', '--json']);
    expect(chro.code).toBe(0);
    expect(jsonLines(chro.stdout).some((l) => l.messageId === first.id)).toBe(false);

    const cut = new Date(Math.max(...lines.map((l) => Date.parse(l.timestamp))) + 1).toISOString();
    const second = await askCto('And the roadmap?');
    const since = await ctoLinesFor(second.id, ['--since', cut]);
    expect(since.some((l) => l.messageId === first.id)).toBe(false);
    expect(since.every((l) => Date.parse(l.timestamp) >= Date.parse(cut))).toBe(true);
    const hour = jsonLines((await logs(['cto', '--json', '--since', '1h'])).stdout);
    expect(hour.map((l) => l.messageId)).toEqual(expect.arrayContaining([first.id, second.id]));

    const pretty = await logs(['cto']);
    expect(pretty.stdout).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}  INFO   delivery answered  messageId=${second.id} outcome=answered`,
        'm',
      ),
    );
  });

  it('--follow prints a new line as it is written; Ctrl-C stops it', async () => {
    const first = await askCto('Follow me');
    await ctoLinesFor(first.id);
    const follow = spawnEchoctl(['logs', 'cto', '--follow', '--json'], rt.apiUrl, {
      ECHO_DATA_DIR: dataDir,
      ECHO_STAGE: '',
    });
    running.push(follow);
    await eventually(() => follow.stdout().includes(first.id), 20_000, 'the existing lines');
    const next = await askCto('A new line please');
    await eventually(() => follow.stdout().includes(next.id), 20_000, 'the new line');
    const lines = follow.lines().map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.messageId === next.id && l.message === 'delivery answered')).toHaveLength(1);
    expect(await follow.stop('SIGINT')).toBe(0);
  });

  it('names an unknown role and lists the valid ones; says what a bad --since should look like', async () => {
    const unknown = await logs(['janitor']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown role "janitor"');
    expect(unknown.stderr).toContain('ceo, cto, chro, operations_head');
    const since = await logs(['cto', '--since', 'last tuesday']);
    expect(since.code).toBe(1);
    expect(since.stderr).toContain('30s, 10m, 2h, 1d');
    const nowhere = await echoctl(['logs', 'cto'], rt.apiUrl, {
      ECHO_DATA_DIR: join(dataDir, 'nope'),
      ECHO_STAGE: '',
    });
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain('npm start');
  });
});
