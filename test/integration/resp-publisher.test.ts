/**
 * What only the RESP publisher (the Lambdas' real-time publisher, lambdas/adapters/realtime/
 * resp.publisher.ts) has to show beyond the realtime contract it passes with the other adapters:
 * Redis down, restarted, behind a password and behind TLS, a prefix on the wire, a clean exit. Each
 * on a redis-server of its own; what it publishes is heard by a plain ioredis subscriber.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createRespPublisher } from '../../lambdas/adapters/realtime/resp.publisher.ts';
import { RealtimeUnavailableError } from '../../lambdas/adapters/realtime/shared.ts';
import { ConfigError } from '../../lambdas/core/errors.ts';
import { eventually } from '../support/eventually.ts';
import { freePort, kill, startRedis } from '../support/processes.ts';
import { redisUrl, requireService } from '../support/services.ts';

const hasRedis = requireService('REDIS_URL');
const quiet = () => {};

/** PING a redis-server by hand (AUTH first when given a password), over TLS when given a CA. */
function ping(port: number, opts: { password?: string; ca?: Buffer } = {}): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = opts.ca
      ? tlsConnect({ host: '127.0.0.1', port, ca: opts.ca })
      : netConnect(port, '127.0.0.1');
    socket.setTimeout(1000, () => socket.destroy(new Error('PING timed out')));
    socket.once('error', reject);
    let reply = '';
    socket.on('data', (data) => {
      reply += data.toString();
      if (!reply.includes('PONG')) return;
      socket.destroy();
      resolve(true);
    });
    socket.write(`${opts.password ? `AUTH ${opts.password}\r\n` : ''}PING\r\n`);
  });
}

async function startRedisWith(args: (port: number) => string[], probe: (port: number) => Promise<unknown>) {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args(port)],
    {
      stdio: 'ignore',
    },
  ) as ChildProcess;
  await eventually(() => probe(port), 10_000, 'redis-server');
  return { port, child };
}

/** A plain ioredis subscriber on `channel` that gives up when the server goes (no reconnect loop). */
function heard(url: string, channel: string) {
  const got: unknown[] = [];
  const redis = new Redis(url, { retryStrategy: () => null, maxRetriesPerRequest: 0 });
  redis.on('error', quiet);
  redis.on('message', (_c: string, raw: string) => got.push(JSON.parse(raw)));
  const ready = redis.subscribe(channel);
  return { got, ready, close: async () => redis.disconnect() };
}

describe('the RESP publisher: Redis down', () => {
  it('rejects with RealtimeUnavailableError naming the server and the cause, fast, every time', async () => {
    const publisher = createRespPublisher('redis://127.0.0.1:1');
    try {
      for (const n of [1, 2]) {
        const err = await publisher.publish('ch', n).then(
          () => expect.unreachable('should reject'),
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(RealtimeUnavailableError);
        expect((err as Error).message).toMatch(/^publisher: redis at 127\.0\.0\.1:1 is unreachable: /);
        expect((err as Error).cause).toBeInstanceOf(Error);
      }
    } finally {
      await publisher.close();
    }
  });

  it('refuses a URL that is not redis:// or rediss://, naming REDIS_URL', () => {
    expect(() => createRespPublisher('http://127.0.0.1:6379')).toThrow(ConfigError);
    expect(() => createRespPublisher('http://127.0.0.1:6379')).toThrow(
      /REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/,
    );
  });
});

describe.skipIf(!hasRedis)('the RESP publisher on Redis', () => {
  it('connects again on the next publish after Redis restarts; in between, publishes fail fast', async () => {
    const port = await freePort();
    let server = await startRedis(port);
    const url = `redis://127.0.0.1:${port}`;
    const publisher = createRespPublisher(url);
    const channel = `test:${randomBytes(6).toString('hex')}`;
    const ear = heard(url, channel);
    try {
      await ear.ready;
      await publisher.publish(channel, 'before');
      await kill(server);
      await expect(publisher.publish(channel, 'while down')).rejects.toBeInstanceOf(RealtimeUnavailableError);
      server = await startRedis(port);
      await ear.close();
      const again = heard(url, channel);
      await again.ready;
      await eventually(
        () => publisher.publish(channel, 'after').then(() => true),
        10_000,
        'publish after the restart',
      );
      await vi.waitFor(() => expect(again.got).toContain('after'), { timeout: 5000 });
      await again.close();
      expect(ear.got).toEqual(['before']);
    } finally {
      await publisher.close();
      await ear.close();
      await kill(server);
    }
  }, 180_000);

  it('puts the prefix before the channel on the wire', async () => {
    const channel = `test:${randomBytes(6).toString('hex')}`;
    const raw = new Redis(redisUrl!);
    raw.on('error', quiet);
    const got: string[] = [];
    await raw.subscribe(`pre:${channel}`);
    raw.on('message', (c: string, m: string) => got.push(`${c} ${m}`));
    const publisher = createRespPublisher(redisUrl!, { prefix: 'pre:' });
    try {
      await publisher.publish(channel, { a: 'é' });
      await vi.waitFor(() => expect(got).toEqual([`pre:${channel} {"a":"é"}`]), { timeout: 5000 });
    } finally {
      await publisher.close();
      raw.disconnect();
    }
  });

  it('authenticates when the URL carries a password; a wrong one is RealtimeUnavailableError', async () => {
    const password = randomBytes(8).toString('hex');
    const { port, child } = await startRedisWith(
      (p) => ['--port', String(p), '--requirepass', password],
      (p) => ping(p, { password }),
    );
    const channel = `test:${randomBytes(6).toString('hex')}`;
    const ear = heard(`redis://:${password}@127.0.0.1:${port}`, channel);
    const good = createRespPublisher(`redis://default:${password}@127.0.0.1:${port}`);
    const bad = createRespPublisher(`redis://:wrong@127.0.0.1:${port}`);
    const none = createRespPublisher(`redis://127.0.0.1:${port}`);
    try {
      await ear.ready;
      await good.publish(channel, 'authenticated');
      await vi.waitFor(() => expect(ear.got).toEqual(['authenticated']), { timeout: 5000 });
      await expect(bad.publish(channel, 'x')).rejects.toThrow(
        /answered an error: WRONGPASS|invalid password/,
      );
      await expect(none.publish(channel, 'x')).rejects.toThrow(/answered an error: NOAUTH/);
    } finally {
      await Promise.all([good.close(), bad.close(), none.close(), ear.close()]);
      await kill(child);
    }
  }, 180_000);
});

describe('the RESP publisher over TLS (rediss://, as ElastiCache requires)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'echo-tls-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('publishes to a TLS-only redis-server with its CA; refuses a server it cannot verify', async () => {
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost,IP:127.0.0.1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
    } catch {
      expect.unreachable('openssl is needed to make the test certificate');
    }
    const ca = readFileSync(join(dir, 'cert.pem'));
    const { port, child } = await startRedisWith(
      (p) => [
        '--port',
        '0',
        '--tls-port',
        String(p),
        '--tls-cert-file',
        join(dir, 'cert.pem'),
        '--tls-key-file',
        join(dir, 'key.pem'),
        '--tls-auth-clients',
        'no',
      ],
      (p) => ping(p, { ca }),
    );
    const channel = `test:${randomBytes(6).toString('hex')}`;
    const raw = new Redis({ host: '127.0.0.1', port, tls: { ca }, retryStrategy: () => null });
    raw.on('error', quiet);
    const got: string[] = [];
    await raw.subscribe(channel);
    raw.on('message', (_c: string, m: string) => got.push(m));
    const trusted = createRespPublisher(`rediss://127.0.0.1:${port}`, { tls: { ca } });
    const untrusted = createRespPublisher(`rediss://127.0.0.1:${port}`);
    try {
      await trusted.publish(channel, 'over tls');
      await vi.waitFor(() => expect(got).toEqual(['"over tls"']), { timeout: 5000 });
      await expect(untrusted.publish(channel, 'x')).rejects.toThrow(
        /is unreachable: self.signed certificate/,
      );
    } finally {
      await Promise.all([trusted.close(), untrusted.close()]);
      raw.disconnect();
      await kill(child);
    }
  }, 180_000);
});

describe.skipIf(!hasRedis)('the RESP publisher: a clean exit', () => {
  it('closes: no socket or timer keeps the process alive', async () => {
    const module = fileURLToPath(
      new URL('../../lambdas/adapters/realtime/resp.publisher.ts', import.meta.url),
    );
    const script = `
      const { createRespPublisher } = await import(${JSON.stringify(module)});
      const live = createRespPublisher(process.env.REDIS_URL);
      const dead = createRespPublisher('redis://127.0.0.1:1');
      await live.publish('test:' + Math.random().toString(36).slice(2), 'hi');
      await dead.publish('ch', 1).catch((e) => console.log(e.name));
      await Promise.all([live.close(), dead.close()]);
      await live.publish('ch', 1).catch((e) => console.log(e.name));
      console.log('closed');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const [code] = await once(child, 'exit');
    clearTimeout(killer);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual([
      'RealtimeUnavailableError',
      'RealtimeUnavailableError',
      'closed',
    ]);
  }, 180_000);
});
