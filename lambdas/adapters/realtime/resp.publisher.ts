/**
 * A Redis publisher that speaks the wire protocol itself (RESP2, over TCP or TLS): what the Lambdas
 * use to publish. A Lambda only ever sends PUBLISH (and AUTH when the URL carries a password), and
 * ioredis, which the local runtime keeps for its subscribers, would be 150 KB of its bundle and a
 * good part of its load time for that (BENCHMARKS.md). The same contract as the ioredis publisher
 * (test/integration/realtime-contract.test.ts): it fails fast while Redis is down (a publish either
 * goes out on a live connection and gets its reply within `timeoutMs`, or rejects with
 * RealtimeUnavailableError naming the server and the cause), never resends, and connects again on
 * the next publish after a lost connection. Nothing connects before the first publish.
 */
import { type Socket, connect as tcpConnect } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { ConfigError } from '../../core/errors.ts';
import type { RedisRealtimeOptions } from './ioredis.realtime.ts';
import type { RealtimePublisher } from './port.ts';
import { encodePayload, RealtimeUnavailableError } from './shared.ts';

export interface RespPublisherOptions extends Omit<RedisRealtimeOptions, 'log'> {
  /** TLS settings for a `rediss://` URL (a CA of its own, in tests); the system's CAs by default. */
  tls?: ConnectionOptions;
}

interface Target {
  host: string;
  port: number;
  tls: boolean;
  username: string | undefined;
  password: string | undefined;
}

function parseTarget(url: string): Target {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError('REDIS_URL', `must be a redis:// or rediss:// URL, got "${url}"`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new ConfigError('REDIS_URL', `must be a redis:// or rediss:// URL, got "${u.protocol}"`);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 6379,
    tls: u.protocol === 'rediss:',
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
  };
}

/** A command as RESP: an array of bulk strings, lengths in bytes. */
function encode(args: readonly string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) parts.push(`$${Buffer.byteLength(a)}\r\n${a}\r\n`);
  return Buffer.from(parts.join(''));
}

type Reply = { ok: true; value: string } | { ok: false; error: string };

/**
 * Reads the replies PUBLISH and AUTH get: integers (`:`), simple strings (`+`) and errors (`-`).
 * Anything else is a protocol error: the connection is dropped.
 */
class ReplyReader {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Reply[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const replies: Reply[] = [];
    for (let end = this.buffer.indexOf('\r\n'); end >= 0; end = this.buffer.indexOf('\r\n')) {
      const line = this.buffer.subarray(1, end).toString('utf8');
      const type = String.fromCharCode(this.buffer[0]!);
      this.buffer = this.buffer.subarray(end + 2);
      if (type === ':' || type === '+') replies.push({ ok: true, value: line });
      else if (type === '-') replies.push({ ok: false, error: line });
      else throw new Error(`unexpected reply type ${JSON.stringify(type)} from Redis`);
    }
    return replies;
  }
}

interface Pending {
  resolve(value: string): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export function createRespPublisher(url: string, options: RespPublisherOptions = {}): RealtimePublisher {
  const target = parseTarget(url);
  const timeoutMs = options.timeoutMs ?? 1000;
  const prefix = options.prefix ?? '';
  const where = `redis at ${target.host}:${target.port}`;
  let closed = false;
  /** The live connection (authenticated), or the one being made. */
  let connection: Promise<Socket> | undefined;
  let socket: Socket | undefined;
  const pending: Pending[] = [];

  const unavailable = (message: string, cause?: unknown) => {
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    return new RealtimeUnavailableError(`publisher: ${message}${detail}`, cause ? { cause } : undefined);
  };

  /** Drops the connection: every reply still awaited fails with `error`; the next publish connects again. */
  const drop = (s: Socket, error: Error) => {
    if (socket === s) {
      socket = undefined;
      connection = undefined;
    }
    s.destroy();
    for (const p of pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(error);
    }
  };

  /** Sends a command on `s` and resolves with its reply, or rejects after timeoutMs (dropping `s`). */
  const command = (s: Socket, args: readonly string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      if (s.destroyed || !s.writable) {
        reject(unavailable(`lost ${where}`, new Error('connection closed')));
        return;
      }
      const entry: Pending = {
        resolve,
        reject,
        timer: setTimeout(() => {
          drop(s, unavailable(`no reply from ${where} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      pending.push(entry);
      s.write(encode(args));
    });

  const open = (): Promise<Socket> =>
    new Promise<Socket>((resolve, reject) => {
      const s = target.tls
        ? tlsConnect({ host: target.host, port: target.port, servername: target.host, ...options.tls })
        : tcpConnect({ host: target.host, port: target.port });
      s.setNoDelay(true);
      const reader = new ReplyReader();
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        s.destroy();
        reject(error);
      };
      const timer = setTimeout(
        () =>
          fail(unavailable(`no connection to ${where} within ${timeoutMs} ms`, new Error('connect timeout'))),
        timeoutMs,
      );
      s.on('data', (chunk: Buffer) => {
        let replies: Reply[];
        try {
          replies = reader.push(chunk);
        } catch (cause) {
          drop(s, unavailable(`a malformed reply from ${where}`, cause));
          return;
        }
        for (const reply of replies) {
          const p = pending.shift();
          if (!p) continue;
          clearTimeout(p.timer);
          if (reply.ok) p.resolve(reply.value);
          else p.reject(unavailable(`${where} answered an error`, new Error(reply.error)));
        }
      });
      s.on('error', (cause) => {
        if (!settled) fail(unavailable(`${where} is unreachable`, cause));
        else drop(s, unavailable(`lost ${where}`, cause));
      });
      s.on('close', () => drop(s, unavailable(`lost ${where}`, new Error('connection closed'))));
      s.once(target.tls ? 'secureConnect' : 'connect', async () => {
        try {
          if (target.password !== undefined) {
            await command(
              s,
              target.username ? ['AUTH', target.username, target.password] : ['AUTH', target.password],
            );
          }
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(s);
        } catch (cause) {
          fail(
            cause instanceof RealtimeUnavailableError ? cause : unavailable(`AUTH on ${where} failed`, cause),
          );
        }
      });
    });

  const live = (): Promise<Socket> => {
    if (socket && !socket.destroyed) return Promise.resolve(socket);
    connection ??= open().then(
      (s) => {
        if (closed) {
          s.destroy();
          throw unavailable('closed');
        }
        socket = s;
        return s;
      },
      (error: unknown) => {
        connection = undefined;
        throw error;
      },
    );
    return connection;
  };

  return {
    async publish(channel, payload) {
      const json = encodePayload(payload);
      if (closed) throw unavailable('closed');
      const s = await live();
      try {
        await command(s, ['PUBLISH', prefix + channel, json]);
      } catch (cause) {
        throw cause instanceof RealtimeUnavailableError
          ? cause
          : unavailable(`publish to ${channel} failed`, cause);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      const s = socket ?? (await connection?.catch(() => undefined));
      if (!s || s.destroyed) return;
      // Replies still awaited arrive first; then the socket ends. A close never hangs.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          s.destroy();
          resolve();
        }, timeoutMs);
        timer.unref();
        s.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        s.end(encode(['QUIT']));
      });
    },
  };
}
