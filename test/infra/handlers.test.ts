/**
 * The two Lambda seams the deployment adds: the API Gateway handler (HTTP API payload 2.0 in, proxy
 * result out, around handleApiRequest) and the migration custom resource. On PGlite, with the
 * in-process bus and hub: real code all the way, no AWS.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInProcessPublisher } from '../../lambdas/adapters/bus/in-process.publisher.ts';
import type { ApiDeps } from '../../lambdas/adapters/http/api.ts';
import { createJsonLogger } from '../../lambdas/adapters/log/json.logger.ts';
import { createInProcessHub } from '../../lambdas/adapters/realtime/in-process.realtime.ts';
import { migrate } from '../../lambdas/adapters/sql/migrate.ts';
import { openServerSql } from '../../lambdas/adapters/sql/open-server.ts';
import { openPglite } from '../../lambdas/adapters/sql/pglite.driver.ts';
import type { SqlClient } from '../../lambdas/adapters/sql/port.ts';
import { createSqlStore } from '../../lambdas/adapters/sql/store.ts';
import { ConfigError } from '../../lambdas/core/errors.ts';
import { createInMemoryMetrics, METRICS } from '../../lambdas/core/metrics.ts';
import { postMessage } from '../../lambdas/core/pipeline.ts';
import { ROLES } from '../../lambdas/core/roles.ts';
import { createApiHandler, sqlHealth, toApiRequest } from '../../lambdas/handlers/api.ts';
import { createMigrateHandler } from '../../lambdas/handlers/migrate.ts';
import { createSweeperHandler } from '../../lambdas/handlers/sweeper.ts';
import { LocalEventBus } from '../../lambdas/local/eventbridge/bus.ts';
import { apiGatewayEvent } from '../support/api-gateway.ts';
import { startDataApiServer } from '../support/data-api-server.ts';
import { createTestDatabase, requireService } from '../support/services.ts';

const event = apiGatewayEvent;

const parse = (r: { body?: string }) => JSON.parse(r.body ?? 'null');

describe('the migration custom resource', () => {
  let sql: SqlClient;
  beforeAll(() => {
    sql = openPglite();
  });
  afterAll(() => sql.close());

  it('migrates on Create, again on Update (nothing left), and leaves the data on Delete', async () => {
    // The handler closes what it opens: hand it a client whose close is a no-op, and close it here.
    const handler = createMigrateHandler(
      async () => ({ ...sql, close: async () => undefined }),
      'echo-t-schema',
    );
    const base = {
      ServiceToken: 't',
      ResponseURL: 't',
      StackId: 't',
      RequestId: 't',
      LogicalResourceId: 'M',
      ResourceType: 'Custom::EchoSchemaMigration',
      ResourceProperties: { ServiceToken: 't' },
    };
    const created = await handler({ ...base, RequestType: 'Create' });
    expect(created.PhysicalResourceId).toBe('echo-t-schema');
    expect(created.Data.AppliedCount).toBeGreaterThan(0);
    expect(created.Data.Applied.split(',')[0]).toBe('0001_init');
    const updated = await handler({
      ...base,
      RequestType: 'Update',
      PhysicalResourceId: 'echo-t-schema',
      OldResourceProperties: { ServiceToken: 't' },
    });
    expect(updated).toEqual({ PhysicalResourceId: 'echo-t-schema', Data: { Applied: '', AppliedCount: 0 } });
    const deleted = await handler({ ...base, RequestType: 'Delete', PhysicalResourceId: 'echo-t-schema' });
    expect(deleted.Data.AppliedCount).toBe(0);
    const { rows } = await sql.query('SELECT count(*)::int AS n FROM schema_migrations');
    expect(rows[0]!.n).toBe(created.Data.AppliedCount);
  }, 180_000);
});

describe('the API Gateway handler', () => {
  let sql: SqlClient;
  let bus: LocalEventBus;
  let handler: ReturnType<typeof createApiHandler>;

  beforeAll(async () => {
    sql = openPglite();
    await createMigrateHandler(
      async () => ({ ...sql, close: async () => undefined }),
      'x',
    )({
      RequestType: 'Create',
    } as never);
    bus = new LocalEventBus({ onDeadLetter: () => undefined });
    const deps: ApiDeps = {
      store: createSqlStore(sql),
      bus: createInProcessPublisher(bus),
      realtime: createInProcessHub().publisher,
      clock: { now: () => new Date() },
      newId: randomUUID,
      logger: createJsonLogger({ service: 'test', level: 'silent' }),
      health: sqlHealth(async () => sql, 'test'),
    } as ApiDeps;
    handler = createApiHandler(async () => deps);
  }, 180_000);
  afterAll(async () => {
    await sql.close();
  });

  it('GET /health: 200 when the database answers SELECT 1, with JSON content type', async () => {
    const res = await handler(event('GET', '/health'));
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['content-type']).toMatch(/^application\/json/);
    expect(parse(res)).toMatchObject({
      status: 'ok',
      ok: true,
      agents: [...ROLES],
      detail: { database: 'pglite' },
    });
  });

  it('POST /messages with a base64 body: 201 with the message; GET /messages lists it', async () => {
    const body = JSON.stringify({ to: 'cto', from: 'human', subject: 'Adopt PostgreSQL', type: 'request' });
    const res = await handler(event('POST', '/messages', { body, base64: true }));
    expect(res.statusCode, res.body).toBe(201);
    const { message } = parse(res);
    expect(message).toMatchObject({ to: 'cto', subject: 'Adopt PostgreSQL' });
    const list = await handler(event('GET', '/messages', { query: { to: 'cto', limit: '5' } }));
    expect(list.statusCode).toBe(200);
    expect(parse(list).messages.map((m: { id: string }) => m.id)).toContain(message.id);
  });

  it('errors come back as the API answers them: 400 naming the field, 404, 405', async () => {
    const bad = await handler(event('POST', '/messages', { body: '{not json' }));
    expect(bad.statusCode).toBe(400);
    expect(parse(bad).error).toMatchObject({ code: 'ValidationError', field: '(body)' });
    expect((await handler(event('GET', '/nowhere'))).statusCode).toBe(404);
    // a repeated parameter, which API Gateway hands over joined ("ceo,cto"), is named as repeated
    const twice = await handler(
      event('GET', '/messages', {
        query: [
          ['to', 'ceo'],
          ['to', 'cto'],
        ],
      }),
    );
    expect(twice.statusCode).toBe(400);
    expect(parse(twice).error).toMatchObject({
      field: 'to',
      message: expect.stringContaining('given 2 times'),
    });
    expect((await handler(event('DELETE', '/messages'))).statusCode).toBe(405);
  });

  it('maps the event: method, raw path, query, decoded body, the IAM caller as the principal', () => {
    const req = toApiRequest(
      event('post', '/decisions/1/approve', {
        query: { a: 'b' },
        body: 'hi',
        base64: true,
        caller: 'arn:aws:iam::1:user/grace',
      }),
    );
    expect(req).toEqual({
      method: 'POST',
      path: '/decisions/1/approve',
      query: { a: 'b' },
      body: 'hi',
      principal: { kind: 'human', id: 'human:arn:aws:iam::1:user/grace' },
    });
  });

  it('503 naming the problem when the dependencies cannot be built', async () => {
    const broken = createApiHandler(async () => {
      throw new ConfigError('REDIS_URL', 'is required outside the local runtime');
    });
    const res = await broken(event('GET', '/health'));
    expect(res.statusCode).toBe(503);
    expect(parse(res).error.message).toContain('REDIS_URL');
  });
});

describe('the sweeper Lambda handler', () => {
  let sql: SqlClient;
  beforeAll(async () => {
    sql = openPglite();
    await createMigrateHandler(
      async () => ({ ...sql, close: async () => undefined }),
      'x',
    )({
      RequestType: 'Create',
    } as never);
  }, 180_000);
  afterAll(() => sql.close());

  it('sweeps, then reports the age of the oldest outbox row left as OutboxOldestAgeSeconds (0 once it is empty)', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    let busUp = false;
    const metrics = createInMemoryMetrics();
    const deps = {
      store: createSqlStore(sql),
      bus: {
        putEvents: async (entries: readonly unknown[]) =>
          entries.map(() =>
            busUp
              ? { ok: true as const, eventId: randomUUID() }
              : { ok: false as const, errorCode: 'InternalFailure', errorMessage: 'down' },
          ),
      },
      realtime: { publish: async () => undefined, close: async () => undefined },
      clock: { now: () => now },
      newId: randomUUID,
      logger: createJsonLogger({ service: 'test', level: 'silent' }),
      metrics,
    };
    const handler = createSweeperHandler(async () => deps);
    await postMessage(deps, {
      to: 'cto',
      from: 'human',
      subject: 'Outbox age',
      type: 'request',
      content: {},
      priority: 'normal',
      metadata: {},
    });

    // EventBridge refused the entry: its row waits, written at the first `now`; 7 minutes later it is still there.
    now = new Date(now.getTime() + 7 * 60_000);
    const stuck = await handler();
    expect(stuck).toMatchObject({ published: 0, failed: 1, oldestAgeSeconds: 420 });
    expect(metrics.snapshot()[METRICS.outboxOldestAge.name]).toBe(420);

    busUp = true;
    now = new Date(now.getTime() + 10 * 60_000);
    const drained = await handler();
    expect(drained).toMatchObject({ published: 1, failed: 0, oldestAgeSeconds: 0 });
    expect(metrics.snapshot()[METRICS.outboxOldestAge.name]).toBe(0);
  });
});

describe('openServerSql, what the Lambdas open', () => {
  it('refuses the embedded database, naming the variables that choose a server', async () => {
    await expect(openServerSql({ kind: 'pglite' })).rejects.toThrow(
      /ECHO_DB_CLUSTER_ARN: is required outside the local runtime \(or DATABASE_URL\)/,
    );
  });
});

describe.runIf(requireService('DATABASE_URL'))('the outbox age the sweeper reports, on every driver', () => {
  it.each(['pglite', 'node-postgres', 'rds-data'] as const)(
    '%s: the time of the oldest row, to the millisecond; none on an empty outbox',
    async (driver) => {
      const db = driver === 'pglite' ? undefined : await createTestDatabase();
      const server =
        driver === 'rds-data' ? await startDataApiServer({ connectionString: db!.url }) : undefined;
      const sql =
        driver === 'pglite'
          ? openPglite()
          : driver === 'node-postgres'
            ? await openServerSql({ kind: 'node-postgres', url: db!.url })
            : (await import('../../lambdas/adapters/sql/rds-data.driver.ts')).openRdsData({
                resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:echo-local',
                secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:echo-local',
                database: 'echo',
                region: 'us-east-1',
                endpoint: server!.endpoint,
                credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
              });
      try {
        await migrate(sql);
        const store = createSqlStore(sql);
        expect(await store.oldestPendingFanOut()).toBeUndefined();
        const first = new Date('2030-01-01T00:00:00.123Z');
        await store.insertEvent(
          { target: 'realtime', payload: { channels: ['decisions:DecisionCreated'], data: { n: 1 } } },
          first,
          first,
        );
        const later = new Date('2030-01-01T00:05:00Z');
        await store.insertEvent(
          { target: 'realtime', payload: { channels: ['decisions:DecisionCreated'], data: { n: 2 } } },
          later,
          later,
        );
        expect((await store.oldestPendingFanOut())?.toISOString()).toBe(first.toISOString());
      } finally {
        await sql.close();
        await server?.close();
        await db?.drop();
      }
    },
    60_000,
  );
});
