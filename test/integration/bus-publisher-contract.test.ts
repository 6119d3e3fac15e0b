/**
 * One contract for both EventPublisher adapters, each in front of a LocalEventBus: the EventBridge
 * adapter through the real SDK and the local AWS endpoint (HTTP, awsJson1_1), and the in-process one.
 * Same batching, same results, same behaviour under partial failure and throttling.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventBridgePublisher } from '../../lambdas/adapters/bus/eventbridge.publisher.ts';
import { createInProcessPublisher } from '../../lambdas/adapters/bus/in-process.publisher.ts';
import type { BusEntry, EventEnvelope, EventPublisher } from '../../lambdas/adapters/bus/port.ts';
import type { Logger } from '../../lambdas/core/pipeline.ts';
import { startLocalAwsEndpoint } from '../../lambdas/local/aws/server.ts';
import { LocalEventBus } from '../../lambdas/local/eventbridge/bus.ts';
import { eventBridgeRoute } from '../../lambdas/local/eventbridge/route.ts';
import { freePort } from '../support/processes.ts';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

type Harness = { publisher: EventPublisher; close(): Promise<void> };
const adapters: Array<[name: string, make: (bus: LocalEventBus) => Promise<Harness>]> = [
  [
    'eventbridge (SDK -> local AWS endpoint)',
    async (bus) => {
      const endpoint = await startLocalAwsEndpoint({ port: 0, routes: [eventBridgeRoute(bus)] });
      // Two attempts per call keep the SDK's throttling backoff short; the behaviour is the same.
      const publisher = createEventBridgePublisher({
        region: 'us-east-1',
        endpoint: endpoint.url,
        credentials,
        eventBusName: 'default',
        maxAttempts: 2,
      });
      return {
        publisher,
        close: async () => {
          publisher.close();
          await endpoint.close();
        },
      };
    },
  ],
  ['in-process', async (bus) => ({ publisher: createInProcessPublisher(bus), close: async () => {} })],
];

const entries = (count: number, extra: Partial<BusEntry> = {}): BusEntry[] =>
  Array.from({ length: count }, (_, n) => ({
    source: 'echo.contract',
    detailType: 'Numbered',
    detail: { n },
    ...extra,
  }));

for (const [name, make] of adapters) {
  describe(`bus publisher contract: ${name}`, () => {
    let bus: LocalEventBus;
    let harness: Harness;
    let received: EventEnvelope[];
    let calls: number;

    beforeEach(async () => {
      bus = new LocalEventBus({ region: 'us-east-1', logger: silent, onDeadLetter: () => {} });
      received = [];
      calls = 0;
      const countCalls = () => {
        calls++;
        return false;
      };
      bus.setFaults({ throttle: countCalls });
      bus.addRule({
        name: 'contract',
        pattern: { source: ['echo.contract'] },
        target: async (e) => void received.push(e),
      });
      harness = await make(bus);
    });
    afterEach(async () => {
      await harness.close();
      await bus.idle();
      bus.close();
    });

    const detailN = (e: EventEnvelope) => (e.detail as { n: number }).n;

    it('25 entries: one result each, in order, and each arrives exactly once with its envelope', async () => {
      const time = new Date('2025-01-02T03:04:05.678Z');
      const results = await harness.publisher.putEvents(
        entries(25).map((e, n) => (n % 5 === 0 ? { ...e, resources: [`urn:echo:${n}`], time } : e)),
      );
      expect(calls).toBe(3);
      expect(results).toHaveLength(25);
      expect(results.every((r) => r.ok)).toBe(true);
      const ids = results.map((r) => (r.ok ? r.eventId : ''));
      expect(new Set(ids).size).toBe(25);

      await bus.idle();
      expect(received).toHaveLength(25);
      const byId = new Map(received.map((e) => [e.id, e]));
      ids.forEach((id, n) => {
        const e = byId.get(id)!;
        expect(e).toEqual({
          version: '0',
          id,
          'detail-type': 'Numbered',
          source: 'echo.contract',
          account: '000000000000',
          time:
            n % 5 === 0 ? '2025-01-02T03:04:05Z' : expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
          region: 'us-east-1',
          resources: n % 5 === 0 ? [`urn:echo:${n}`] : [],
          detail: { n },
        });
      });
    });

    it('batches by size too: calls stay under 256 KB', async () => {
      const big = 'x'.repeat(100 * 1024);
      const results = await harness.publisher.putEvents(entries(5, { detail: { big } }));
      expect(calls).toBe(3); // 2 + 2 + 1
      expect(results.every((r) => r.ok)).toBe(true);
      await bus.idle();
      expect(received).toHaveLength(5);
    });

    it('partial failure: exactly the faulted entries fail, the rest arrive once', async () => {
      bus.setFaults({
        failEntry: (entry) =>
          JSON.parse(entry.Detail!).n % 4 === 0
            ? { code: 'InternalFailure', message: 'injected partial failure' }
            : undefined,
      });
      const results = await harness.publisher.putEvents(entries(25));
      results.forEach((r, n) => {
        if (n % 4 === 0)
          expect(r).toEqual({
            ok: false,
            errorCode: 'InternalFailure',
            errorMessage: 'injected partial failure',
          });
        else expect(r).toEqual({ ok: true, eventId: expect.any(String) });
      });
      await bus.idle();
      expect(received.map(detailN).sort((a, b) => a - b)).toEqual(
        [...Array(25).keys()].filter((n) => n % 4 !== 0),
      );
    });

    it('an entry EventBridge refuses comes back as that entry’s failure (no Detail: InvalidArgument)', async () => {
      const results = await harness.publisher.putEvents([
        ...entries(1),
        { source: 'echo.contract', detailType: 'Numbered', detail: undefined },
      ]);
      expect(results).toEqual([
        { ok: true, eventId: expect.any(String) },
        {
          ok: false,
          errorCode: 'InvalidArgument',
          errorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
        },
      ]);
    });

    it('a call refused as a whole fails only its own entries (an entry over 256 KB goes alone)', async () => {
      const huge = {
        source: 'echo.contract',
        detailType: 'Numbered',
        detail: { n: 1, pad: 'x'.repeat(300 * 1024) },
      };
      const [first, , third] = entries(3);
      const results = await harness.publisher.putEvents([first!, huge, third!]);
      expect(results).toEqual([
        { ok: true, eventId: expect.any(String) },
        {
          ok: false,
          errorCode: 'ValidationException',
          errorMessage: 'Total size of the entries in the request is over the limit.',
        },
        { ok: true, eventId: expect.any(String) },
      ]);
      await bus.idle();
      expect(received.map(detailN)).toEqual([0, 2]);
    });

    it('throttling: every entry fails with ThrottlingException, nothing is delivered, nothing throws', async () => {
      bus.setFaults({ throttle: () => true });
      const results = await harness.publisher.putEvents(entries(25));
      expect(results).toHaveLength(25);
      for (const r of results)
        expect(r).toEqual({ ok: false, errorCode: 'ThrottlingException', errorMessage: 'Rate exceeded' });
      await new Promise((r) => setTimeout(r, 20));
      await bus.idle();
      expect(received).toEqual([]);
    });

    it('a detail that is not serialisable fails that entry only', async () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const results = await harness.publisher.putEvents([
        ...entries(1),
        { source: 'echo.contract', detailType: 'Numbered', detail: cyclic },
      ]);
      expect(results).toEqual([
        { ok: true, eventId: expect.any(String) },
        expect.objectContaining({ ok: false, errorCode: 'SerializationError' }),
      ]);
    });

    it('no entries: no call, no results', async () => {
      expect(await harness.publisher.putEvents([])).toEqual([]);
      expect(calls).toBe(0);
    });
  });
}

describe('eventbridge publisher: the endpoint unreachable', () => {
  it('turns the network failure into failed results, never a throw', async () => {
    const port = await freePort();
    const publisher = createEventBridgePublisher({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      credentials,
      maxAttempts: 1,
    });
    const results = await publisher.putEvents(entries(12));
    publisher.close();
    expect(results).toHaveLength(12);
    for (const r of results)
      expect(r).toMatchObject({
        ok: false,
        errorCode: 'ECONNREFUSED',
        errorMessage: expect.stringContaining('ECONNREFUSED'),
      });
  });
});
