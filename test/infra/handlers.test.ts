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
import { openPglite } from '../../lambdas/adapters/sql/pglite.driver.ts';
import type { SqlClient } from '../../lambdas/adapters/sql/port.ts';
import { createSqlStore } from '../../lambdas/adapters/sql/store.ts';
import { ConfigError } from '../../lambdas/core/errors.ts';
import { ROLES } from '../../lambdas/core/roles.ts';
import { createApiHandler, sqlHealth, toApiRequest } from '../../lambdas/handlers/api.ts';
import { createMigrateHandler } from '../../lambdas/handlers/migrate.ts';
import { LocalEventBus } from '../../lambdas/local/eventbridge/bus.ts';
import { apiGatewayEvent } from '../support/api-gateway.ts';

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
  }, 120_000);
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
  }, 120_000);
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
