/**
 * One contract for both real-time adapters (ioredis against REDIS_URL, and the in-process hub), then
 * what only Redis has: a dead server, malformed bytes on the wire, reconnecting, a clean exit.
 * Negative checks use a sentinel: publish the message that must not arrive, then one that must, and
 * wait for the latter (one publisher, so the former would have landed first).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createInProcessHub } from '../../lambdas/adapters/realtime/in-process.realtime.ts';
import {
  createRedisPublisher,
  createRedisSubscriber,
} from '../../lambdas/adapters/realtime/ioredis.realtime.ts';
import type { RealtimePublisher, RealtimeSubscriber } from '../../lambdas/adapters/realtime/port.ts';
import { createRespPublisher } from '../../lambdas/adapters/realtime/resp.publisher.ts';
import { type RealtimeLog, RealtimeUnavailableError } from '../../lambdas/adapters/realtime/shared.ts';
import { ValidationError } from '../../lambdas/core/errors.ts';
import { freePort, kill, startRedis } from '../support/processes.ts';
import { redisUrl, requireService } from '../support/services.ts';

const hasRedis = requireService('REDIS_URL');
const DEAD = 'redis://127.0.0.1:1';

type Pair = { publisher: RealtimePublisher; subscriber: RealtimeSubscriber };
const adapters: Array<[name: string, enabled: boolean, make: (log: RealtimeLog) => Pair]> = [
  ['in-process', true, (log) => createInProcessHub({ log })],
  [
    'ioredis',
    hasRedis,
    (log) => ({
      publisher: createRedisPublisher(redisUrl!, { log }),
      subscriber: createRedisSubscriber(redisUrl!, { log }),
    }),
  ],
  [
    // The Lambdas' publisher (PUBLISH on the wire protocol), heard by the ioredis subscriber.
    'the RESP publisher',
    hasRedis,
    (log) => ({
      publisher: createRespPublisher(redisUrl!),
      subscriber: createRedisSubscriber(redisUrl!, { log }),
    }),
  ],
  [
    'ioredis with a channel prefix',
    hasRedis,
    (log) => ({
      publisher: createRedisPublisher(redisUrl!, { log, prefix: 'contract-prefix:' }),
      subscriber: createRedisSubscriber(redisUrl!, { log, prefix: 'contract-prefix:' }),
    }),
  ],
];

function inbox() {
  const got: Array<{ channel: string; payload: unknown }> = [];
  return {
    got,
    handler: (channel: string, payload: unknown) => {
      got.push({ channel, payload });
    },
    channels: () => got.map((m) => m.channel),
    payloads: () => got.map((m) => m.payload),
    until: (n: number) => vi.waitFor(() => expect(got.length).toBeGreaterThanOrEqual(n), { timeout: 5000 }),
  };
}

for (const [name, enabled, make] of adapters) {
  describe.skipIf(!enabled)(`realtime contract: ${name}`, () => {
    let publisher: RealtimePublisher;
    let subscriber: RealtimeSubscriber;
    let log: ReturnType<typeof vi.fn<RealtimeLog>>;
    let p: string; // a random channel prefix per test: parallel runs share the Redis server

    beforeEach(() => {
      log = vi.fn<RealtimeLog>();
      ({ publisher, subscriber } = make(log));
      p = `test:${randomBytes(6).toString('hex')}:`;
    });
    afterEach(async () => {
      await Promise.all([publisher.close(), subscriber.close()]);
    });

    it('delivers on a plain channel, and only that channel', async () => {
      const box = inbox();
      await subscriber.subscribe([`${p}a`], box.handler);
      await publisher.publish(`${p}b`, 'wrong channel');
      await publisher.publish(`${p}a`, 'right channel');
      await box.until(1);
      expect(box.got).toEqual([{ channel: `${p}a`, payload: 'right channel' }]);
    });

    it('matches glob patterns like PSUBSCRIBE: *, ? and [...]', async () => {
      const box = inbox();
      await subscriber.subscribe(
        [`${p}messages:*`, `${p}room:?`, `${p}tag:[a-b]`, `${p}x[^0-9]`],
        box.handler,
      );
      const yes = [
        `${p}messages:1`,
        `${p}messages:a:b`,
        `${p}room:7`,
        `${p}tag:b`,
        `${p}xz`,
        `${p}messages:`,
      ];
      const no = [`${p}messages`, `${p}room:12`, `${p}tag:c`, `${p}x5`, `${p}other`];
      for (const channel of [...no, ...yes]) await publisher.publish(channel, channel);
      await box.until(yes.length);
      expect(box.channels()).toEqual(yes);
      expect(box.payloads()).toEqual(yes);
    });

    it('delivers to every subscription, each with its own copy', async () => {
      const mutating = inbox();
      const other = inbox();
      await subscriber.subscribe([`${p}ch`], (channel, payload) => {
        (payload as { n: number }).n = 666;
        mutating.handler(channel, payload);
      });
      await subscriber.subscribe([`${p}*`], other.handler);
      const sent = { n: 1 };
      await publisher.publish(`${p}ch`, sent);
      await mutating.until(1);
      await other.until(1);
      expect(other.payloads()).toEqual([{ n: 1 }]);
      expect(sent).toEqual({ n: 1 });
    });

    it('delivers once per matching pattern, like Redis (a channel and a glob overlap)', async () => {
      const box = inbox();
      await subscriber.subscribe([`${p}ch`, `${p}c*`, `${p}ch`], box.handler);
      await publisher.publish(`${p}ch`, 1);
      await publisher.publish(`${p}cx`, 2);
      await box.until(3);
      expect(box.payloads().sort()).toEqual([1, 1, 2]);
    });

    it('delivers asynchronously, after publish is called', async () => {
      const box = inbox();
      await subscriber.subscribe([`${p}ch`], box.handler);
      const published = publisher.publish(`${p}ch`, 1);
      expect(box.got).toHaveLength(0);
      await published;
      await box.until(1);
    });

    it('stops delivery to a subscription once close() resolves', async () => {
      const closing = inbox();
      const staying = inbox();
      const sub = await subscriber.subscribe([`${p}ch`, `${p}g*`], closing.handler);
      await subscriber.subscribe([`${p}ch`], staying.handler);
      await publisher.publish(`${p}ch`, 1);
      await closing.until(1);
      await staying.until(1);
      await sub.close();
      await sub.close(); // idempotent
      await publisher.publish(`${p}ch`, 2);
      await publisher.publish(`${p}g1`, 3);
      await publisher.publish(`${p}ch`, 4);
      await staying.until(3);
      expect(closing.payloads()).toEqual([1]);
      expect(staying.payloads()).toEqual([1, 2, 4]);
    });

    it('round-trips JSON payloads: nested objects, unicode, primitives', async () => {
      const box = inbox();
      await subscriber.subscribe([`${p}ch`], box.handler);
      const payloads = [
        {
          id: 42,
          text: 'héllo wörld — 你好 — مرحبا — 👩‍💻🚀',
          quotes: 'a "quoted" \\ back\nslash\ttab',
          nested: { list: [1, 'two', { three: [null, true, false] }], empty: {}, none: [] },
          float: -1.5e-7,
        },
        'just a string ✓',
        0,
        null,
        [],
      ];
      for (const payload of payloads) await publisher.publish(`${p}ch`, payload);
      await box.until(payloads.length);
      expect(box.payloads()).toEqual(payloads);
    });

    it('keeps the order of one publisher on one channel', async () => {
      const box = inbox();
      await subscriber.subscribe([`${p}ch`], box.handler);
      const n = 200;
      await Promise.all(Array.from({ length: n }, (_, i) => publisher.publish(`${p}ch`, { i })));
      await box.until(n);
      expect(box.payloads()).toEqual(Array.from({ length: n }, (_, i) => ({ i })));
    });

    it('isolates a throwing handler from the others and from later messages', async () => {
      const box = inbox();
      const thrower = vi.fn(() => {
        throw new Error('boom');
      });
      await subscriber.subscribe([`${p}ch`], thrower);
      await subscriber.subscribe([`${p}*`], box.handler);
      await publisher.publish(`${p}ch`, 1);
      await publisher.publish(`${p}ch`, 2);
      await box.until(2);
      expect(box.payloads()).toEqual([1, 2]);
      await vi.waitFor(() => expect(thrower).toHaveBeenCalledTimes(2));
      expect(log).toHaveBeenCalledWith(
        expect.stringContaining('threw'),
        expect.objectContaining({ message: 'boom' }),
      );
    });

    it('rejects what the contract forbids with named errors', async () => {
      await expect(publisher.publish(`${p}ch`, undefined)).rejects.toBeInstanceOf(ValidationError);
      await expect(publisher.publish(`${p}ch`, { big: 1n })).rejects.toBeInstanceOf(ValidationError);
      await expect(subscriber.subscribe([], () => {})).rejects.toBeInstanceOf(ValidationError);
      await publisher.close();
      await subscriber.close();
      await expect(publisher.publish(`${p}ch`, 1)).rejects.toBeInstanceOf(RealtimeUnavailableError);
      await expect(subscriber.subscribe([`${p}ch`], () => {})).rejects.toBeInstanceOf(
        RealtimeUnavailableError,
      );
    });
  });
}

describe('realtime ioredis: Redis down', () => {
  it('publish and subscribe reject with RealtimeUnavailableError within about a second', async () => {
    const log = vi.fn<RealtimeLog>();
    const publisher = createRedisPublisher(DEAD, { log });
    const subscriber = createRedisSubscriber(DEAD, { log });
    try {
      for (const attempt of [
        () => publisher.publish('ch', 1), // while the first connection attempt is in flight
        () => publisher.publish('ch', 2), // and later, while reconnecting in the background
        () => subscriber.subscribe(['ch', 'ch:*'], () => {}),
      ]) {
        const err = await attempt().then(
          () => expect.unreachable('should reject'),
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(RealtimeUnavailableError);
        expect((err as RealtimeUnavailableError).code).toBe('RealtimeUnavailable');
        expect((err as Error).message).toMatch(/127\.0\.0\.1:1/);
        expect((err as Error).cause).toBeInstanceOf(Error);
      }
    } finally {
      await Promise.all([publisher.close(), subscriber.close()]);
    }
  });
});

describe.skipIf(!hasRedis)('realtime ioredis: Redis specifics', () => {
  it('runtimes with different prefixes on one Redis do not hear each other; the prefix is on the wire only', async () => {
    const p = `test:${randomBytes(6).toString('hex')}:`;
    const [a, b] = ['a:', 'b:'].map((prefix) => ({
      publisher: createRedisPublisher(redisUrl!, { prefix: p + prefix }),
      subscriber: createRedisSubscriber(redisUrl!, { prefix: p + prefix }),
    }));
    const raw = new Redis(redisUrl!);
    const wire: string[] = [];
    try {
      const [boxA, boxB] = [inbox(), inbox()];
      await a!.subscriber.subscribe(['messages:*'], boxA.handler);
      await b!.subscriber.subscribe(['messages:all'], boxB.handler);
      await raw.psubscribe(`${p}*`);
      raw.on('pmessage', (_pattern: string, channel: string) => void wire.push(channel));
      await a!.publisher.publish('messages:all', { from: 'a' });
      await b!.publisher.publish('messages:all', { from: 'b' });
      await boxA.until(1);
      await boxB.until(1);
      await vi.waitFor(() => expect(wire).toHaveLength(2));
      expect(boxA.got).toEqual([{ channel: 'messages:all', payload: { from: 'a' } }]);
      expect(boxB.got).toEqual([{ channel: 'messages:all', payload: { from: 'b' } }]);
      expect(wire.sort()).toEqual([`${p}a:messages:all`, `${p}b:messages:all`]);
    } finally {
      for (const side of [a!, b!]) {
        await side.publisher.close();
        await side.subscriber.close();
      }
      raw.disconnect();
    }
  });

  it('skips a malformed payload on the wire and keeps delivering', async () => {
    const log = vi.fn<RealtimeLog>();
    const subscriber = createRedisSubscriber(redisUrl!, { log });
    const raw = new Redis(redisUrl!);
    const p = `test:${randomBytes(6).toString('hex')}:`;
    try {
      const box = inbox();
      await subscriber.subscribe([`${p}ch`, `${p}g:*`], box.handler);
      await raw.publish(`${p}ch`, 'not json {');
      await raw.publish(`${p}g:1`, '');
      await raw.publish(`${p}ch`, '{"ok":true}');
      await box.until(1);
      expect(box.payloads()).toEqual([{ ok: true }]);
      expect(log).toHaveBeenCalledTimes(2);
      expect(log).toHaveBeenCalledWith(expect.stringContaining('malformed'), expect.any(SyntaxError));
    } finally {
      await subscriber.close();
      raw.disconnect();
    }
  });

  it('unsubscribes on the server when the last subscription to a channel closes', async () => {
    const subscriber = createRedisSubscriber(redisUrl!);
    const raw = new Redis(redisUrl!);
    const ch = `test:${randomBytes(6).toString('hex')}:ch`;
    const numsub = async () => ((await raw.pubsub('NUMSUB', ch)) as [string, number])[1];
    try {
      const a = await subscriber.subscribe([ch], () => {});
      const b = await subscriber.subscribe([ch], () => {});
      expect(await numsub()).toBe(1); // one connection, however many subscriptions
      await a.close();
      expect(await numsub()).toBe(1);
      await b.close();
      expect(await numsub()).toBe(0);
    } finally {
      await subscriber.close();
      raw.disconnect();
    }
  });

  it('works again after Redis restarts: publisher reconnects, subscriber resubscribes, onReconnect fires', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    let server = await startRedis(port);
    const seenAtReconnect: unknown[] = [];
    const onReconnect = vi.fn(async () => {
      // By now every subscription is active again on the new connection.
      const probe = new Redis(url);
      try {
        seenAtReconnect.push(await probe.pubsub('NUMPAT'), await probe.pubsub('NUMSUB', 'plain'));
      } finally {
        probe.disconnect();
      }
    });
    const log = vi.fn<RealtimeLog>();
    const publisher = createRedisPublisher(url, { log });
    const subscriber = createRedisSubscriber(url, { log, onReconnect });
    try {
      const box = inbox();
      await subscriber.subscribe(['events:*', 'plain'], box.handler);
      await publisher.publish('events:1', 'before');
      await box.until(1);

      await kill(server);
      await expect(publisher.publish('events:2', 'lost')).rejects.toBeInstanceOf(RealtimeUnavailableError);
      expect(onReconnect).not.toHaveBeenCalled();

      server = await startRedis(port);
      await vi.waitFor(() => expect(seenAtReconnect).toHaveLength(2), { timeout: 10_000, interval: 50 });
      expect(seenAtReconnect).toEqual([1, ['plain', 1]]);
      expect(onReconnect).toHaveBeenCalledTimes(1);
      await vi.waitFor(() => publisher.publish('events:3', 'after'), { timeout: 10_000, interval: 50 });
      await publisher.publish('plain', 'after, plain');
      await box.until(3);
      expect(box.payloads()).toEqual(['before', 'after', 'after, plain']);
    } finally {
      await Promise.all([publisher.close(), subscriber.close()]);
      await kill(server);
    }
  });

  it('closes cleanly: no socket or retry timer keeps the process alive', async () => {
    const module = fileURLToPath(
      new URL('../../lambdas/adapters/realtime/ioredis.realtime.ts', import.meta.url),
    );
    const script = `
      const { createRedisPublisher, createRedisSubscriber } = await import(${JSON.stringify(module)});
      const quiet = { log: () => {} };
      const live = [createRedisPublisher(process.env.REDIS_URL, quiet), createRedisSubscriber(process.env.REDIS_URL, quiet)];
      const dead = [createRedisPublisher('${DEAD}', quiet), createRedisSubscriber('${DEAD}', quiet)];
      const channel = 'test:' + Math.random().toString(36).slice(2);
      let arrived;
      const got = new Promise((resolve) => { arrived = resolve; });
      await live[1].subscribe([channel], (_c, payload) => arrived(payload));
      await live[0].publish(channel, 'hi');
      console.log(await got);
      await dead[0].publish(channel, 1).catch((e) => console.log(e.name));
      await new Promise((r) => setTimeout(r, 300)); // let the dead ones enter their reconnect loop
      await Promise.all([...live, ...dead].map((c) => c.close()));
      console.log('closed');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    let closedAt = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      if (stdout.includes('closed')) closedAt ||= Date.now();
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const [code] = await once(child, 'exit');
    clearTimeout(killer);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual(['hi', 'RealtimeUnavailableError', 'closed']);
    // it exits on its own once closed; how soon is a matter for the bench, not for a shared machine's test
    expect(closedAt).toBeGreaterThan(0);
  }, 180_000);
});
