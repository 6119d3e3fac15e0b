/**
 * The project's X-Ray tracer (lambdas/adapters/xray.ts) as Lambda runs it: a sampled trace header,
 * the daemon's address, and a UDP socket standing in for the daemon, which receives the documents.
 * AWS SDK calls are those of the real EventBridge client against the local endpoint.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { DescribeEventBusCommand, EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createXrayTracer,
  MAX_DOCUMENT_BYTES,
  parseDaemonAddress,
  parseTraceHeader,
} from '../../lambdas/adapters/xray.ts';
import type { AwsRoute } from '../../lambdas/local/aws/route.ts';
import { startLocalAwsEndpoint } from '../../lambdas/local/aws/server.ts';
import { LocalEventBus } from '../../lambdas/local/eventbridge/bus.ts';
import { eventBridgeRoute } from '../../lambdas/local/eventbridge/route.ts';
import { eventually } from '../support/eventually.ts';

const ROOT = '1-6752f1a0-0123456789abcdef01234567';
const PARENT = '53995c3f42cd8ad8';
const header = (root = ROOT, sampled = 1) => `Root=${root};Parent=${PARENT};Sampled=${sampled}`;
const LINEAGE = 'Lineage=a87bd80c:1|68fd508a:5';
const newRoot = () => `1-6752f1a0-${randomBytes(12).toString('hex')}`;

type Doc = Record<string, any>;

describe('the trace header and the daemon address', () => {
  it('reads the root and parent of a sampled request, and keeps its other fields as they came', () => {
    expect(parseTraceHeader(header())).toEqual({ root: ROOT, parent: PARENT, rest: '' });
    expect(parseTraceHeader(`${header()};${LINEAGE}`)).toEqual({
      root: ROOT,
      parent: PARENT,
      rest: `;${LINEAGE}`,
    });
    expect(parseTraceHeader(header(ROOT, 0))).toBeUndefined();
    expect(parseTraceHeader(`Root=${ROOT};Sampled=1`)).toBeUndefined();
    expect(parseTraceHeader(undefined)).toBeUndefined();
  });

  it('takes host:port, or the UDP address of a pair', () => {
    expect(parseDaemonAddress('169.254.79.129:2000')).toEqual({ host: '169.254.79.129', port: 2000 });
    expect(parseDaemonAddress('tcp:127.0.0.1:2000 udp:127.0.0.2:2001')).toEqual({
      host: '127.0.0.2',
      port: 2001,
    });
    expect(parseDaemonAddress('[::1]:2000')).toEqual({ host: '::1', port: 2000 });
    expect(parseDaemonAddress('127.0.0.1')).toBeUndefined();
    expect(parseDaemonAddress('127.0.0.1:70000')).toBeUndefined();
    expect(parseDaemonAddress(undefined)).toBeUndefined();
  });
});

describe('X-Ray subsegments at the daemon', () => {
  let daemon: Socket;
  let endpoint: Awaited<ReturnType<typeof startLocalAwsEndpoint>>;
  const bus = new LocalEventBus({ onDeadLetter: () => {} });
  const all: Doc[] = [];
  const traceHeaders: (string | undefined)[] = [];
  // Each test its own trace: a late datagram of one cannot count for the next.
  let root: string;
  let env: NodeJS.ProcessEnv;
  const mine = () => all.filter((d) => d.trace_id === root);

  beforeAll(async () => {
    daemon = createSocket('udp4');
    daemon.on('message', (datagram) => {
      const text = datagram.toString('utf8');
      const newline = text.indexOf('\n');
      expect(JSON.parse(text.slice(0, newline))).toEqual({ format: 'json', version: 1 });
      all.push(JSON.parse(text.slice(newline + 1)));
    });
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    bus.addRule({ name: 'all', pattern: { source: ['echo'] }, target: async () => {} });
    // the trace header each request carried, then on to EventBridge
    const recording: AwsRoute = async (request) => {
      traceHeaders.push(request.headers['x-amzn-trace-id']);
      return undefined;
    };
    endpoint = await startLocalAwsEndpoint({ port: 0, routes: [recording, eventBridgeRoute(bus)] });
  });
  afterAll(async () => {
    daemon?.close();
    await endpoint?.close();
    bus.close();
  });
  beforeEach(() => {
    root = newRoot();
    env = {
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}`,
      // Lambda's header, with the Lineage its recursive-loop detection reads
      _X_AMZN_TRACE_ID: `${header(root)};${LINEAGE}`,
    };
  });

  const client = (url = endpoint.url) =>
    new EventBridgeClient({
      region: 'eu-west-1',
      endpoint: url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
  const put = (eventBusName = 'default') =>
    new PutEventsCommand({
      Entries: [{ Source: 'echo', DetailType: 'MessagePosted', Detail: '{}', EventBusName: eventBusName }],
    });
  const received = (n: number) =>
    eventually(() => (mine().length >= n ? mine() : undefined), 10_000, `${n} documents at the daemon`);
  const named = (name: string) => mine().filter((d) => d.name === name);

  it('an invocation is a `## handler` subsegment of the function segment; its SDK calls are subsegments of it', async () => {
    const tracer = createXrayTracer({ serviceName: 'echo-test', env });
    const eventBridge = tracer.captureClient(client());
    const result = await tracer.invocation(async () => {
      await eventBridge.send(put());
      return 'done';
    });
    expect(result).toBe('done');
    await tracer.flush();
    await received(2);
    const [handler] = named('## handler');
    const [call] = named('EventBridge');
    expect(handler).toMatchObject({
      type: 'subsegment',
      trace_id: root,
      parent_id: PARENT,
      annotations: { ColdStart: true, Service: 'echo-test' },
    });
    expect(handler!.id).toMatch(/^[0-9a-f]{16}$/);
    expect(handler!.end_time).toBeGreaterThanOrEqual(handler!.start_time);
    expect(call).toMatchObject({
      type: 'subsegment',
      trace_id: root,
      parent_id: handler!.id,
      namespace: 'aws',
      aws: { operation: 'PutEvents', region: 'eu-west-1', retries: 0 },
      http: { response: { status: 200 } },
    });
    expect(call!.fault).toBeUndefined();
    expect(call!.error).toBeUndefined();
    expect(call!.start_time).toBeGreaterThanOrEqual(handler!.start_time);
    // the service continues the trace under the call's subsegment, its Lineage passed on
    expect(traceHeaders.at(-1)).toBe(`Root=${root};Parent=${call!.id};Sampled=1;${LINEAGE}`);
    expect(call!.end_time).toBeLessThanOrEqual(handler!.end_time);

    // the second invocation of the process is not a cold start
    await tracer.invocation(async () => {});
    await tracer.flush();
    await received(3);
    expect(named('## handler')[1]!.annotations.ColdStart).toBe(false);
  });

  it("a refused call (4xx) is an error with the service's exception; no answer at all is a fault", async () => {
    const tracer = createXrayTracer({ serviceName: 'echo-test', env });
    const eventBridge = tracer.captureClient(client());
    const closed = createSocket('udp4'); // a port nothing listens on over TCP
    await new Promise<void>((resolve) => closed.bind(0, '127.0.0.1', resolve));
    const nowhere = tracer.captureClient(
      client(`http://127.0.0.1:${(closed.address() as AddressInfo).port}`),
    );
    closed.close();
    await tracer.invocation(async () => {
      await expect(eventBridge.send(new DescribeEventBusCommand({ Name: 'no-such-bus' }))).rejects.toThrow(
        'Event bus no-such-bus does not exist.',
      );
      await expect(nowhere.send(put())).rejects.toThrow();
    });
    await tracer.flush();
    await received(3);
    const [refused, unanswered] = named('EventBridge').sort((a, b) => a.start_time - b.start_time);
    expect(refused).toMatchObject({
      error: true,
      aws: { operation: 'DescribeEventBus' },
      http: { response: { status: 400 } },
      cause: {
        exceptions: [
          {
            remote: true,
            type: 'ResourceNotFoundException',
            message: 'Event bus no-such-bus does not exist.',
          },
        ],
      },
    });
    expect(refused!.fault).toBeUndefined();
    expect(unanswered).toMatchObject({
      aws: { operation: 'PutEvents' },
      fault: true,
      cause: { exceptions: [{ remote: true }] },
    });
    expect(unanswered!.http).toBeUndefined();
  });

  it('a failed invocation is a fault with its error as the cause, and the error reaches the caller', async () => {
    const tracer = createXrayTracer({ serviceName: 'echo-test', env });
    await expect(
      tracer.invocation(async () => {
        throw new RangeError('the delivery is gone');
      }),
    ).rejects.toThrow('the delivery is gone');
    await tracer.flush();
    const [handler] = await received(1);
    expect(handler).toMatchObject({
      name: '## handler',
      fault: true,
      cause: {
        working_directory: process.cwd(),
        exceptions: [{ type: 'RangeError', message: 'the delivery is gone' }],
      },
    });
    expect(handler!.cause.exceptions[0].stack[0]).toMatchObject({
      path: expect.stringContaining('xray.test.ts'),
    });
  });

  it('concurrent invocations in one process keep their own trace and parent', async () => {
    const headers = new AsyncLocalStorage<string>();
    const tracer = createXrayTracer({ serviceName: 'echo-test', env, traceHeader: () => headers.getStore() });
    const eventBridge = tracer.captureClient(client());
    const roots = [newRoot(), newRoot()];
    await Promise.all(
      roots.map((root) =>
        headers.run(header(root), () =>
          tracer.invocation(async () => {
            await eventBridge.send(put());
            const span = tracer.span('chat model')!;
            await new Promise((resolve) => setTimeout(resolve, 20));
            span.close();
          }),
        ),
      ),
    );
    await tracer.flush();
    const of = (r: string) => all.filter((d) => d.trace_id === r);
    await eventually(() => roots.every((r) => of(r).length === 3), 10_000, 'three documents per trace');
    for (const r of roots) {
      const handler = of(r).find((d) => d.name === '## handler')!;
      expect(
        of(r)
          .map((d) => d.name)
          .sort(),
      ).toEqual(['## handler', 'EventBridge', 'chat model']);
      for (const d of of(r).filter((x) => x !== handler)) expect(d.parent_id).toBe(handler.id);
    }
  });

  it('sends nothing, and changes nothing, when the invocation is not traced', async () => {
    for (const off of [
      { ...env, _X_AMZN_TRACE_ID: header(root, 0) },
      { ...env, _X_AMZN_TRACE_ID: undefined },
      { ...env, AWS_XRAY_DAEMON_ADDRESS: undefined },
    ]) {
      const tracer = createXrayTracer({ serviceName: 'echo-test', env: off });
      const eventBridge = tracer.captureClient(client());
      const out = await tracer.invocation(async () => {
        expect(tracer.span('chat model')).toBeUndefined();
        return (await eventBridge.send(put())).FailedEntryCount;
      });
      expect(out).toBe(0);
      await tracer.flush();
    }
    // a traced invocation after them, so that anything they sent would have arrived first
    const tracer = createXrayTracer({ serviceName: 'echo-test', env });
    await tracer.invocation(async () => {});
    await tracer.flush();
    await received(1);
    expect(mine().map((d) => d.name)).toEqual(['## handler']);
  });

  it("keeps a document within X-Ray's 64 KB: metadata over it is dropped, the subsegment still sent", async () => {
    const tracer = createXrayTracer({ serviceName: 'echo-test', env });
    await tracer.invocation(async () => {
      const span = tracer.span('chat <big> model!')!;
      span.annotate('gen_ai.request.model', 'm');
      span.metadata('gen_ai', 'prompt', 'x'.repeat(MAX_DOCUMENT_BYTES));
      span.close();
      span.close(); // a second close sends nothing more
    });
    await tracer.flush();
    await received(2);
    const [big] = mine().filter((d) => d.name !== '## handler');
    expect(big).toMatchObject({
      name: 'chat _big_ model_',
      annotations: { gen_ai_request_model: 'm' },
      metadata: { echo: { truncated: expect.stringMatching(/64 KB/) } },
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(mine()).toHaveLength(2);
  });
});
