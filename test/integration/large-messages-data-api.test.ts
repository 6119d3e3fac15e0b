/**
 * The project's own reads fit the Data API's 1 MiB answer: the runtime on the RDS Data API driver
 * (the SDK client against the local Data API over a fresh PostgreSQL database, as the deployed
 * functions run on Aurora), with messages of 200 KB each. `GET /messages` pages by size as well as by
 * count: every page is answered, a page of fewer than `limit` is not the end, and paging with `after`
 * reaches every message exactly once; the live feed's replay (`GET /events?after=`) does too.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseSse } from '../../cli/sse.ts';
import type { Message } from '../../lambdas/core/messages.ts';
import { createDataApiRoute } from '../../lambdas/local/aws/data-api.ts';
import { type LocalAwsEndpoint, startLocalAwsEndpoint } from '../../lambdas/local/aws/server.ts';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { createTestDatabase, requireService } from '../support/services.ts';

// Each case moves megabytes through the Data API's HTTP and JSON: generous on a busy machine.
vi.setConfig({ testTimeout: 180_000 });

const hasPostgres = requireService('DATABASE_URL');
const LARGE = 8;

describe.runIf(hasPostgres)('large messages through the RDS Data API driver', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataApi: ReturnType<typeof createDataApiRoute>;
  let endpoint: LocalAwsEndpoint;
  let rt: TestRuntime;
  const posted: Message[] = [];

  beforeAll(async () => {
    // The SDK's default credential chain signs the driver's calls to the endpoint.
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
    db = await createTestDatabase();
    dataApi = createDataApiRoute({ connectionString: db.url });
    endpoint = await startLocalAwsEndpoint({ port: 0, routes: [dataApi.route] });
    rt = await startTestRuntime({
      database: 'postgres',
      databaseUrl: db.url,
      env: {
        ECHO_DB_CLUSTER_ARN: 'arn:aws:rds:us-east-1:000000000000:cluster:echo-local',
        ECHO_DB_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:echo-local',
        ECHO_AWS_ENDPOINT: endpoint.url,
      },
    });
    expect(rt.sql.driver).toBe('rds-data');
    for (let i = 0; i < LARGE; i++) {
      const res = await rt.post({
        to: 'human',
        type: 'notification',
        subject: `large ${i}`,
        content: { i, blob: `${i}`.repeat(200_000) },
      });
      expect(res.status).toBe(201);
      posted.push(res.body.message);
    }
  }, 180_000);
  afterAll(async () => {
    await rt?.close();
    await endpoint?.close();
    await dataApi?.close();
    await db?.drop();
  });

  it('GET /messages answers with a page cut by size, newest first', async () => {
    const res = await rt.get('/messages?limit=100');
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
    const page = res.body.messages as Message[];
    expect(page.length).toBeGreaterThan(0);
    expect(page.length).toBeLessThan(LARGE);
    expect(page[0]!.id).toBe(posted.at(-1)!.id);
    expect(page.map((m) => m.seq)).toEqual([...page.map((m) => m.seq)].sort((a, b) => b - a));
    expect(page[0]!.content).toEqual(posted.at(-1)!.content);
  });

  it('paging with `after` until a page is empty reaches every message once', async () => {
    const seen: Message[] = [];
    let after = 0;
    for (let pages = 0; pages < 50; pages++) {
      const res = await rt.get(`/messages?after=${after}&limit=100`);
      expect(res.status).toBe(200);
      const page = res.body.messages as Message[];
      if (page.length === 0) break;
      seen.push(...page);
      after = page.at(-1)!.seq;
    }
    expect(seen.map((m) => m.id)).toEqual(posted.map((m) => m.id));
  });

  it('the live feed replays every one of them from `after=0`, across pages cut by size', async () => {
    const controller = new AbortController();
    const response = await fetch(`${rt.apiUrl}/events?channels=messages:all&after=0`, {
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const ids: string[] = [];
    const reading = (async () => {
      for await (const e of parseSse(response.body!, { lastEventId: undefined }))
        if (e.event === 'messages:all') ids.push((JSON.parse(e.data) as Message).id);
    })().catch((error: unknown) => {
      if (!controller.signal.aborted) throw error;
    });
    await eventually(() => (ids.length >= LARGE ? true : undefined), 30_000, 'the replay of every message');
    controller.abort();
    await reading;
    expect(ids).toEqual(posted.map((m) => m.id));
  });
});
