/**
 * The local event bus: EventBridge's PutEvents (validation, envelope, rule matching), Lambda's async
 * invoke (returns first, retries with backoff, then the dead letter), injected faults, idle and close.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventEnvelope } from '../../lambdas/adapters/bus/port.ts';
import { InvalidEventPatternError } from '../../lambdas/core/errors.ts';
import type { Logger } from '../../lambdas/core/pipeline.ts';
import {
  type DeadLetter,
  EventBridgeRequestError,
  LocalEventBus,
  type LocalEventBusOptions,
  type PutEventsEntry,
} from '../../lambdas/local/eventbridge/bus.ts';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const NOW = new Date('2025-03-04T05:06:07.890Z');

function setup(options: Partial<LocalEventBusOptions> = {}) {
  const deadLetters: DeadLetter[] = [];
  let n = 0;
  const bus = new LocalEventBus({
    ids: () => `id-${++n}`,
    now: () => NOW,
    logger: silent,
    onDeadLetter: (record) => void deadLetters.push(record),
    ...options,
  });
  const inbox = (name: string, pattern: unknown = { source: ['echo'] }) => {
    const got: EventEnvelope[] = [];
    bus.addRule({ name, pattern, target: async (e) => void got.push(e) });
    return got;
  };
  return { bus, deadLetters, inbox };
}

const entry = (detail: unknown = { n: 1 }, extra: Partial<PutEventsEntry> = {}): PutEventsEntry => ({
  Source: 'echo',
  DetailType: 'MessagePosted',
  Detail: JSON.stringify(detail),
  ...extra,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('PutEvents', () => {
  it('builds the EventBridge envelope', async () => {
    const { bus, inbox } = setup({ account: '123456789012', region: 'eu-west-1' });
    const got = inbox('all');
    const out = await bus.putEvents([
      entry({ a: { b: [1, 'x'] } }),
      entry({ n: 2 }, { Resources: ['arn:aws:s3:::bucket'], Time: new Date('2024-12-31T23:59:58.999Z') }),
    ]);
    expect(out).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: 'id-1' }, { EventId: 'id-2' }] });
    await bus.idle();
    expect(got).toEqual([
      {
        version: '0',
        id: 'id-1',
        'detail-type': 'MessagePosted',
        source: 'echo',
        account: '123456789012',
        time: '2025-03-04T05:06:07Z',
        region: 'eu-west-1',
        resources: [],
        detail: { a: { b: [1, 'x'] } },
      },
      expect.objectContaining({
        id: 'id-2',
        time: '2024-12-31T23:59:58Z',
        resources: ['arn:aws:s3:::bucket'],
        detail: { n: 2 },
      }),
    ]);
  });

  it('defaults to account 000000000000, us-east-1 and a uuid per event', async () => {
    const bus = new LocalEventBus({ onDeadLetter: () => {}, logger: silent });
    const got: EventEnvelope[] = [];
    bus.addRule({ name: 'all', pattern: { source: ['echo'] }, target: async (e) => void got.push(e) });
    const { Entries } = await bus.putEvents([entry(), entry()]);
    await bus.idle();
    expect(got.map((e) => [e.account, e.region])).toEqual([
      ['000000000000', 'us-east-1'],
      ['000000000000', 'us-east-1'],
    ]);
    expect(got[0]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(got[0]!.id).not.toBe(got[1]!.id);
    expect(got[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Entries.map((e) => ('EventId' in e ? e.EventId : undefined))).toEqual(got.map((e) => e.id));
  });

  it('delivers to every matching rule once, and to no other', async () => {
    const { bus, inbox } = setup();
    const agents = inbox('agents', { source: ['echo'], detail: { recipients: ['cto'] } });
    const everything = inbox('everything', { source: [{ prefix: '' }] });
    const other = inbox('other', { source: ['elsewhere'] });
    await bus.putEvents([
      entry({ recipients: ['cto', 'cfo'] }),
      entry({ recipients: ['cfo'] }),
      entry({}, { Source: 'x' }),
    ]);
    await bus.idle();
    expect(agents.map((e) => e.id)).toEqual(['id-1']);
    expect(everything.map((e) => e.id)).toEqual(['id-1', 'id-2', 'id-3']);
    expect(other).toEqual([]);
  });

  it('an event no rule matches is accepted and goes nowhere; removed rules get nothing', async () => {
    const { bus, inbox } = setup();
    const got = inbox('r');
    expect(bus.removeRule('r')).toBe(true);
    expect(await bus.putEvents([entry()])).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: 'id-1' }] });
    await bus.idle();
    expect(got).toEqual([]);
  });

  it('a rule added again under its name replaces the first (as PutRule)', async () => {
    const { bus, inbox } = setup();
    const first = inbox('r');
    const second = inbox('r');
    await bus.putEvents([entry()]);
    await bus.idle();
    expect([first.length, second.length]).toEqual([0, 1]);
  });

  it('rejects an invalid pattern when the rule is added', () => {
    const { bus } = setup();
    expect(() => bus.addRule({ name: 'bad', pattern: { source: 'echo' }, target: async () => {} })).toThrow(
      InvalidEventPatternError,
    );
    expect(() =>
      bus.addRule({ name: 'bad', pattern: { source: [{ bogus: 1 }] }, target: async () => {} }),
    ).toThrow(InvalidEventPatternError);
  });

  it('reports per-entry validation errors as AWS does, and delivers the valid entries', async () => {
    const { bus, inbox } = setup();
    const got = inbox('all');
    const out = await bus.putEvents([
      { DetailType: 't', Detail: '{}' },
      { Source: 'echo', Detail: '{}' },
      { Source: 'echo', DetailType: 't' },
      entry(),
      { ...entry(), Detail: '{"a":' },
      { ...entry(), Detail: '[1,2]' },
      { ...entry(), Detail: '"text"' },
      { ...entry(), EventBusName: 'other-bus' },
      { ...entry(), EventBusName: 'arn:aws:events:us-east-1:000000000000:event-bus/default' },
    ]);
    const required = (name: string) => ({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${name} is not valid. Reason: ${name} is a required argument.`,
    });
    const malformed = { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    expect(out).toEqual({
      FailedEntryCount: 7,
      Entries: [
        required('Source'),
        required('DetailType'),
        required('Detail'),
        { EventId: 'id-1' },
        malformed,
        malformed,
        malformed,
        { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus other-bus does not exist.' },
        { EventId: 'id-2' },
      ],
    });
    await bus.idle();
    expect(got.map((e) => e.id)).toEqual(['id-1', 'id-2']);
  });

  it('refuses more than 10 entries, or none, as a whole with ValidationException', async () => {
    const { bus, inbox } = setup();
    const got = inbox('all');
    const tooMany = bus.putEvents(Array.from({ length: 11 }, () => entry()));
    await expect(tooMany).rejects.toBeInstanceOf(EventBridgeRequestError);
    await expect(tooMany).rejects.toMatchObject({
      code: 'ValidationException',
      message: expect.stringContaining('less than or equal to 10'),
    });
    await expect(bus.putEvents([])).rejects.toMatchObject({ code: 'ValidationException' });
    expect((await bus.putEvents(Array.from({ length: 10 }, () => entry()))).FailedEntryCount).toBe(0);
    await bus.idle();
    expect(got).toHaveLength(10);
  });

  it('refuses a call whose entries total 256 KB or more, counting as AWS does', async () => {
    const { bus, inbox } = setup();
    const got = inbox('all');
    // Source (4) + DetailType (13) + Detail + Time (14) + resources (3): just under the limit, then at it.
    const sized = (total: number) =>
      entry(undefined, {
        Detail: `{"x":"${'é'.repeat((total - 4 - 13 - 14 - 3 - 8) / 2)}"}`,
        Time: NOW,
        Resources: ['r:1'],
      });
    expect((await bus.putEvents([sized(256 * 1024 - 2)])).FailedEntryCount).toBe(0);
    await expect(bus.putEvents([sized(256 * 1024)])).rejects.toMatchObject({
      code: 'ValidationException',
      message: 'Total size of the entries in the request is over the limit.',
    });
    const half = sized(128 * 1024);
    await expect(bus.putEvents([half, half])).rejects.toMatchObject({ code: 'ValidationException' });
    await bus.idle();
    expect(got).toHaveLength(1);
  });

  it('refuses new PutEvents once closed', async () => {
    const { bus } = setup();
    bus.close();
    await expect(bus.putEvents([entry()])).rejects.toMatchObject({ code: 'EventBusClosed' });
  });
});

describe('fault injection', () => {
  it('failEntry fails exactly the entries it names: reported, not delivered', async () => {
    const { bus, inbox } = setup();
    const got = inbox('all');
    const seen: number[] = [];
    bus.setFaults({
      failEntry: (e, index) => {
        seen.push(index);
        return JSON.parse(e.Detail!).n % 2 === 0
          ? { code: 'InternalFailure', message: 'injected' }
          : undefined;
      },
    });
    const out = await bus.putEvents([0, 1, 2, 3].map((n) => entry({ n })));
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(out).toEqual({
      FailedEntryCount: 2,
      Entries: [
        { ErrorCode: 'InternalFailure', ErrorMessage: 'injected' },
        { EventId: 'id-1' },
        { ErrorCode: 'InternalFailure', ErrorMessage: 'injected' },
        { EventId: 'id-2' },
      ],
    });
    await bus.idle();
    expect(got.map((e) => e.detail)).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it('throttle rejects the whole call with ThrottlingException and delivers nothing; {} turns faults off', async () => {
    const { bus, inbox } = setup({ faults: { throttle: () => true } });
    const got = inbox('all');
    await expect(bus.putEvents([entry(), entry()])).rejects.toMatchObject({
      code: 'ThrottlingException',
      message: 'Rate exceeded',
    });
    bus.setFaults({});
    expect((await bus.putEvents([entry()])).FailedEntryCount).toBe(0);
    await bus.idle();
    expect(got).toHaveLength(1);
  });
});

describe('async invoke', () => {
  it('returns before any target runs; the target then runs on its own', async () => {
    const { bus } = setup();
    let release!: () => void;
    const started: string[] = [];
    let finished = false;
    bus.addRule({
      name: 'slow',
      pattern: { source: ['echo'] },
      target: async (e) => {
        started.push(e.id);
        await new Promise<void>((r) => (release = r));
        finished = true;
      },
    });
    const out = await bus.putEvents([entry()]);
    expect(out.FailedEntryCount).toBe(0);
    expect(started).toEqual([]);
    await vi.waitFor(() => expect(started).toEqual(['id-1']));
    let idle = false;
    const waiting = bus.idle().then(() => (idle = true));
    await new Promise((r) => setTimeout(r, 20));
    expect([finished, idle]).toEqual([false, false]);
    release();
    await waiting;
    expect(finished).toBe(true);
  });

  it('retries a failing target with exponential backoff, then dead-letters it with the error and attempts', async () => {
    vi.useFakeTimers({ now: 0 });
    const { bus, deadLetters } = setup({ retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 250 } });
    const attempts: number[] = [];
    const boom = new Error('LLM endpoint unreachable');
    bus.addRule({
      name: 'failing',
      pattern: { source: ['echo'] },
      target: async () => {
        attempts.push(Date.now());
        throw boom;
      },
    });
    await bus.putEvents([entry({ n: 7 })]);
    const idle = bus.idle();
    await vi.advanceTimersByTimeAsync(10_000);
    await idle;
    expect(attempts).toEqual([0, 100, 300, 550]); // delays 100, 200, then capped at 250
    expect(deadLetters).toEqual([
      {
        rule: 'failing',
        envelope: expect.objectContaining({ id: 'id-1', detail: { n: 7 } }),
        error: boom,
        attempts: 4,
      },
    ]);
  });

  it('defaults to 3 attempts (the first try and two retries, as Lambda)', async () => {
    vi.useFakeTimers({ now: 0 });
    const { bus, deadLetters } = setup({ retry: { baseDelayMs: 10, maxDelayMs: 1000 } });
    let calls = 0;
    bus.addRule({
      name: 'r',
      pattern: { source: ['echo'] },
      target: () => Promise.reject(new Error(`fail ${++calls}`)),
    });
    await bus.putEvents([entry()]);
    const idle = bus.idle();
    await vi.advanceTimersByTimeAsync(1000);
    await idle;
    expect(calls).toBe(3);
    expect(deadLetters.map((d) => [d.attempts, (d.error as Error).message])).toEqual([[3, 'fail 3']]);
  });

  it('a target that succeeds on the second try is not dead-lettered', async () => {
    const { bus, deadLetters } = setup({ retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 5 } });
    const ids: string[] = [];
    bus.addRule({
      name: 'flaky',
      pattern: { source: ['echo'] },
      target: async (e) => {
        ids.push(e.id);
        if (ids.length === 1) throw new Error('transient');
      },
    });
    await bus.putEvents([entry()]);
    await bus.idle();
    expect(ids).toEqual(['id-1', 'id-1']);
    expect(deadLetters).toEqual([]);
  });

  it('one failing rule does not hold back the others; each invocation gets its own copy', async () => {
    const { bus, deadLetters, inbox } = setup({ retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
    bus.addRule({
      name: 'mutating',
      pattern: { source: ['echo'] },
      target: async (e) => {
        (e.detail as { n: number }).n = 99;
        throw new Error('no');
      },
    });
    const got = inbox('fine');
    await bus.putEvents([entry({ n: 1 })]);
    await bus.idle();
    expect(got.map((e) => e.detail)).toEqual([{ n: 1 }]);
    expect(deadLetters.map((d) => [d.rule, d.envelope.detail])).toEqual([['mutating', { n: 1 }]]);
  });

  it('idle() waits for events that targets publish in turn', async () => {
    const { bus, inbox } = setup();
    bus.addRule({
      name: 'relay',
      pattern: { source: ['echo'], 'detail-type': ['first'] },
      target: async () => void (await bus.putEvents([entry({}, { DetailType: 'second' })])),
    });
    const second = inbox('second', { 'detail-type': ['second'] });
    await bus.putEvents([entry({}, { DetailType: 'first' })]);
    await bus.idle();
    expect(second).toHaveLength(1);
  });

  it('a failing onDeadLetter is logged, not thrown', async () => {
    const errors: unknown[] = [];
    const logger: Logger = {
      ...silent,
      error: (message, fields) => void errors.push({ message, ...fields }),
    };
    const { bus } = setup({
      logger,
      retry: { maxAttempts: 1 },
      onDeadLetter: () => {
        throw new Error('dead-letter store down');
      },
    });
    bus.addRule({
      name: 'r',
      pattern: { source: ['echo'] },
      target: () => Promise.reject(new Error('target down')),
    });
    await bus.putEvents([entry()]);
    await bus.idle();
    expect(errors).toEqual([
      expect.objectContaining({
        rule: 'r',
        eventId: 'id-1',
        error: 'Error: dead-letter store down',
        targetError: 'Error: target down',
      }),
    ]);
  });

  it('close() abandons retries still waiting, so idle() resolves without waiting them out', async () => {
    const warnings: string[] = [];
    const { bus, deadLetters } = setup({
      logger: { ...silent, warn: (message) => void warnings.push(message) },
      retry: { maxAttempts: 3, baseDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    let calls = 0;
    bus.addRule({
      name: 'r',
      pattern: { source: ['echo'] },
      target: () => Promise.reject(new Error(`fail ${++calls}`)),
    });
    await bus.putEvents([entry()]);
    await vi.waitFor(() => expect(calls).toBe(1));
    bus.close();
    await bus.idle();
    expect([calls, deadLetters.length]).toEqual([1, 0]);
    expect(warnings).toEqual(['target failed; retrying', 'bus closed; retry abandoned']);
  });
});
