/**
 * The local AWS endpoint as AWS's own clients see it: the real AWS CLI (every distinct one installed:
 * Debian's v2 at /usr/bin/aws, whatever `aws` is on PATH) and the SDK, then the endpoint's own answers
 * (no route, a body too large, a route that fails).
 */
import { request } from 'node:http';
import { EventBridgeClient, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../lambdas/adapters/bus/port.ts';
import type { Logger } from '../../lambdas/core/pipeline.ts';
import type { AwsRoute } from '../../lambdas/local/aws/route.ts';
import {
  type LocalAwsEndpoint,
  MAX_BODY_BYTES,
  startLocalAwsEndpoint,
} from '../../lambdas/local/aws/server.ts';
import { LocalEventBus } from '../../lambdas/local/eventbridge/bus.ts';
import { eventBridgeRoute } from '../../lambdas/local/eventbridge/route.ts';
import { signedFetch } from '../support/aws-signing.ts';
import { exec } from '../support/cli.ts';
import { onCi } from '../support/services.ts';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const ENV = {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_PAGER: '',
};

/** The installed AWS CLIs, one per distinct version. */
async function findClis(): Promise<{ file: string; version: string }[]> {
  const found = new Map<string, string>();
  for (const file of ['/usr/bin/aws', 'aws']) {
    try {
      const r = await exec(file, ['--version'], ENV);
      const version = `${r.stdout}${r.stderr}`.trim().split(' ')[0] ?? '';
      if (r.code === 0 && !found.has(version)) found.set(version, file);
    } catch {
      // not installed there
    }
  }
  return [...found].map(([version, file]) => ({ file, version }));
}

const clis = await findClis();
if (clis.length === 0) {
  if (onCi) throw new Error('the AWS CLI (aws) is not installed: on CI it is required (see .ci/run)');
  console.warn('[tests] the AWS CLI (aws) is not on PATH: skipping the AWS CLI suites');
}

let bus: LocalEventBus;
let endpoint: LocalAwsEndpoint;
let received: EventEnvelope[];
const failingRoute: AwsRoute = async (r) => {
  if (r.path === '/boom') throw new Error('route exploded');
  return undefined;
};

beforeAll(async () => {
  bus = new LocalEventBus({ logger: silent, onDeadLetter: () => {} });
  bus.addRule({
    name: 'cli',
    pattern: { source: ['echo.cli'], detail: { kind: ['wanted'] } },
    target: async (e) => void received.push(e),
  });
  endpoint = await startLocalAwsEndpoint({ port: 0, routes: [failingRoute, eventBridgeRoute(bus)] });
});
afterAll(async () => {
  await endpoint?.close();
  await bus?.idle();
  bus?.close();
});
beforeEach(() => {
  received = [];
});

describe.each(clis)('the AWS CLI $version ($file) against the local endpoint', ({ file }) => {
  const aws = (...args: string[]) =>
    exec(file, ['--endpoint-url', endpoint.url, '--output', 'json', ...args], ENV);
  const event = JSON.stringify({
    id: '1',
    'detail-type': 'Test',
    source: 'echo.cli',
    account: '000000000000',
    time: '2025-01-01T00:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: { kind: 'wanted' },
  });

  it('events put-events delivers to the matching rule and answers as EventBridge', async () => {
    const entries = [
      {
        Source: 'echo.cli',
        DetailType: 'Test',
        Detail: JSON.stringify({ kind: 'wanted', n: 1 }),
        Resources: ['urn:echo:1'],
        Time: '2025-06-07T08:09:10Z',
      },
      { Source: 'echo.cli', DetailType: 'Test', Detail: JSON.stringify({ kind: 'ignored' }) },
      { Source: 'echo.cli', DetailType: 'Test', Detail: 'not json' },
    ];
    const put = await aws('events', 'put-events', '--entries', JSON.stringify(entries));
    expect(put.stderr).toBe('');
    const out = JSON.parse(put.stdout);
    expect(out).toEqual({
      FailedEntryCount: 1,
      Entries: [
        { EventId: expect.any(String) },
        { EventId: expect.any(String) },
        { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      ],
    });
    await bus.idle();
    expect(received).toEqual([
      {
        version: '0',
        id: out.Entries[0].EventId,
        'detail-type': 'Test',
        source: 'echo.cli',
        account: '000000000000',
        time: '2025-06-07T08:09:10Z',
        region: 'us-east-1',
        resources: ['urn:echo:1'],
        detail: { kind: 'wanted', n: 1 },
      },
    ]);
  });

  it('events put-events of more than 10 entries fails with ValidationException', async () => {
    const entries = Array.from({ length: 11 }, () => ({
      Source: 'echo.cli',
      DetailType: 'Test',
      Detail: '{"kind":"wanted"}',
    }));
    const put = await aws('events', 'put-events', '--entries', JSON.stringify(entries));
    expect(put.code).not.toBe(0);
    expect(put.stderr).toContain('ValidationException');
    await bus.idle();
    expect(received).toEqual([]);
  });

  it('events test-event-pattern answers true and false', async () => {
    const yes = await aws(
      'events',
      'test-event-pattern',
      '--event-pattern',
      '{"detail":{"kind":["wanted"]}}',
      '--event',
      event,
    );
    expect([yes.code, JSON.parse(yes.stdout)]).toEqual([0, { Result: true }]);
    const no = await aws(
      'events',
      'test-event-pattern',
      '--event-pattern',
      '{"source":[{"prefix":"aws."}]}',
      '--event',
      event,
    );
    expect([no.code, JSON.parse(no.stdout)]).toEqual([0, { Result: false }]);
  });

  it('events test-event-pattern rejects an invalid pattern with InvalidEventPatternException', async () => {
    const r = await aws(
      'events',
      'test-event-pattern',
      '--event-pattern',
      '{"source":"echo.cli"}',
      '--event',
      event,
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /InvalidEventPatternException.*TestEventPattern operation: Event pattern is not valid/,
    );
  });

  it('events test-event-pattern rejects an event that is not an event', async () => {
    const r = await aws(
      'events',
      'test-event-pattern',
      '--event-pattern',
      '{"source":["echo.cli"]}',
      '--event',
      '{"source":',
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('(ValidationException)');
    expect(r.stderr).toContain('Parameter Event is not valid.');
  });

  it('an operation the endpoint does not offer is UnknownOperationException', async () => {
    const r = await aws('events', 'list-archives');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('UnknownOperationException');
  });
});

describe('the SDK against the local endpoint', () => {
  it('TestEventPattern: Result, and InvalidEventPatternException as a named error', async () => {
    const client = new EventBridgeClient({
      region: 'us-east-1',
      endpoint: endpoint.url,
      credentials: { accessKeyId: 't', secretAccessKey: 't' },
    });
    const Event = JSON.stringify({
      id: '1',
      'detail-type': 'T',
      source: 's',
      account: '1',
      time: '2025-01-01T00:00:00Z',
      region: 'r',
      resources: [],
      detail: {},
    });
    expect(
      (await client.send(new TestEventPatternCommand({ EventPattern: '{"source":["s"]}', Event }))).Result,
    ).toBe(true);
    const error = await client
      .send(new TestEventPatternCommand({ EventPattern: '{"source":[{"numeric":[">"]}]}', Event }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'InvalidEventPatternException',
      $metadata: { httpStatusCode: 400 },
      message: expect.stringContaining('Event pattern is not valid'),
    });
    client.destroy();
  });
});

describe('the endpoint itself', () => {
  const post = (path: string, headers: Record<string, string>, body: string) =>
    signedFetch(`${endpoint.url}${path}`, { method: 'POST', headers, body }).then(async (r) => ({
      status: r.status,
      type: r.headers.get('x-amzn-errortype'),
      body: (await r.json()) as Record<string, unknown>,
    }));

  it('answers 404 with an AWS error when no route takes the request', async () => {
    const r = await post(
      '/nothing',
      { 'x-amz-target': 'Nobody.Op', 'content-type': 'application/x-amz-json-1.1' },
      '{}',
    );
    expect(r).toEqual({
      status: 404,
      type: 'UnknownOperationException',
      body: { __type: 'UnknownOperationException', message: expect.stringContaining('Nobody.Op') },
    });
  });

  it('answers a malformed awsJson body with SerializationException', async () => {
    const r = await post(
      '/',
      { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' },
      '{"Entries": [',
    );
    expect([r.status, r.type, r.body.__type]).toEqual([
      400,
      'SerializationException',
      'SerializationException',
    ]);
  });

  it('answers 500 InternalFailure when a route fails', async () => {
    const r = await post('/boom', {}, '');
    expect(r).toEqual({
      status: 500,
      type: 'InternalFailure',
      body: { __type: 'InternalFailure', message: 'route exploded' },
    });
  });

  it(`refuses a body over ${MAX_BODY_BYTES} bytes with 413, before reading it`, async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${endpoint.url}/`,
        { method: 'POST', headers: { 'content-length': String(MAX_BODY_BYTES + 1) } },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.flushHeaders(); // headers only: the endpoint answers from Content-Length
    });
    expect(status).toBe(413);
    expect(JSON.parse(body)).toMatchObject({ __type: 'RequestEntityTooLargeException' });
  });

  it('refuses a body that grows past the limit without a Content-Length', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${endpoint.url}/`,
        { method: 'POST', headers: { 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', (e) =>
        String(e).includes('EPIPE') || String(e).includes('ECONNRESET') ? undefined : reject(e),
      );
      const chunk = Buffer.alloc(1024 * 1024, 'a');
      const write = (n: number) => {
        if (n === 0) return req.end();
        if (req.destroyed) return;
        req.write(chunk, () => write(n - 1));
      };
      write(12);
    });
    expect(status).toBe(413);
  });
});
