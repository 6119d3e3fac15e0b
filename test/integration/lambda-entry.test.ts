/**
 * The Lambda entry of an agent as AWS runs it: the handler module, its dependencies built from the
 * environment (node-postgres here instead of the Data API, the real EventBridge SDK client against
 * the local endpoint, real Redis), Powertools logs and metrics (EMF) on stdout.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJsonLogger } from '../../lambdas/adapters/log/json.logger.ts';
import { migrate } from '../../lambdas/adapters/sql/migrate.ts';
import { openSql } from '../../lambdas/adapters/sql/open.ts';
import type { SqlClient } from '../../lambdas/adapters/sql/port.ts';
import { createSqlStore } from '../../lambdas/adapters/sql/store.ts';
import { messagePostedDetail } from '../../lambdas/core/messages.ts';
import { commitMessage } from '../../lambdas/core/pipeline.ts';
import { startLocalAwsEndpoint } from '../../lambdas/local/aws/server.ts';
import { LocalEventBus } from '../../lambdas/local/eventbridge/bus.ts';
import { eventBridgeRoute } from '../../lambdas/local/eventbridge/route.ts';
import { echoEvent } from '../support/events.ts';
import { createTestDatabase, redisUrl, requireService } from '../support/services.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');

describe.runIf(hasServices)('an agent Lambda entry', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let sql: SqlClient;
  let endpoint: Awaited<ReturnType<typeof startLocalAwsEndpoint>>;
  const bus = new LocalEventBus({ onDeadLetter: () => {} });
  const published: unknown[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = await openSql({ kind: 'node-postgres', url: db.url });
    await migrate(sql);
    bus.addRule({ name: 'all', pattern: { source: ['echo'] }, target: async (e) => void published.push(e) });
    endpoint = await startLocalAwsEndpoint({ port: 0, routes: [eventBridgeRoute(bus)] });
    Object.assign(process.env, {
      DATABASE_URL: db.url,
      REDIS_URL: redisUrl,
      ECHO_AWS_ENDPOINT: endpoint.url,
      ECHO_STAGE: 'test',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
  });
  afterAll(async () => {
    await sql?.close();
    await endpoint?.close();
    bus.close();
    await db?.drop();
  });

  it('answers a request, publishes through the EventBridge SDK, and writes Powertools logs and EMF metrics', async () => {
    const store = createSqlStore(sql);
    const deps = {
      store,
      bus: { putEvents: async () => [] },
      realtime: { publish: async () => {}, close: async () => {} },
      clock: { now: () => new Date() },
      newId: randomUUID,
      logger: createJsonLogger({ service: 'test', level: 'silent' }),
    };
    const { message } = await commitMessage(deps, store, {
      from: 'human',
      to: 'senior_developer',
      type: 'request',
      subject: 'what_do_you_do',
      content: {},
      priority: 'normal',
      metadata: {},
    });
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return write(chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
      const { handler } = await import('../../lambdas/handlers/agents/senior-developer.ts');
      await handler(echoEvent('MessagePosted', messagePostedDetail(message)));
    } finally {
      process.stdout.write = write;
    }
    const { rows } = await sql.query<{ from_role: string }>(
      'SELECT from_role FROM messages WHERE in_reply_to = :id::uuid',
      { id: message.id },
    );
    expect(rows).toEqual([{ from_role: 'senior_developer' }]);
    await bus.idle();
    expect(published).toContainEqual(
      expect.objectContaining({
        'detail-type': 'MessagePosted',
        detail: expect.objectContaining({ inReplyTo: message.id }),
      }),
    );
    const json = lines.flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
    expect(json).toContainEqual(
      expect.objectContaining({
        level: 'INFO',
        message: 'delivery answered',
        outcome: 'answered',
        service: 'echo-test',
        role: 'senior_developer',
      }),
    );
    const emf = json.filter((j) => j._aws?.CloudWatchMetrics);
    expect(emf).toContainEqual(
      expect.objectContaining({
        outcome: 'processed',
        Deliveries: 1,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            expect.objectContaining({
              Namespace: 'ECHO',
              Dimensions: [expect.arrayContaining(['service', 'outcome'])],
            }),
          ],
        }),
      }),
    );
    expect(emf.some((j) => j.MessagesPosted === 1)).toBe(true);
  });
});
