/** What both real-time adapters share: the named error, payload encoding, glob patterns, safe delivery. */
import { EchoError, ValidationError } from '../../core/errors.ts';

/** Redis could not be reached (or the adapter is closed); nothing was published or subscribed. */
export class RealtimeUnavailableError extends EchoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RealtimeUnavailable', message, options);
  }
}

/** Where the adapters report what they skip: malformed payloads, throwing handlers, lost connections. */
export type RealtimeLog = (message: string, error?: unknown) => void;
export const defaultLog: RealtimeLog = (message, error) => console.warn(`[realtime] ${message}`, error ?? '');

export type Handler = (channel: string, payload: unknown) => void;

/** JSON-encodes a payload; `undefined`, functions, cycles and BigInts are a ValidationError. */
export function encodePayload(payload: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch (cause) {
    throw new ValidationError('payload', 'payload is not JSON-serialisable', { cause });
  }
  if (json === undefined) throw new ValidationError('payload', 'payload is not JSON-serialisable');
  return json;
}

/** Calls a handler so that neither a throw nor a rejected promise escapes to the caller. */
export function deliver(handler: Handler, channel: string, payload: unknown, log: RealtimeLog): void {
  try {
    const result: unknown = handler(channel, payload);
    if (result instanceof Promise)
      result.catch((err: unknown) => log(`handler for ${channel} rejected`, err));
  } catch (err) {
    log(`handler for ${channel} threw`, err);
  }
}

export function requirePatterns(patterns: readonly string[]): void {
  if (patterns.length === 0)
    throw new ValidationError('patterns', 'subscribe needs at least one channel or pattern');
}

/** A name with `*`, `?` or `[` is a glob (PSUBSCRIBE); anything else is a plain channel (SUBSCRIBE). */
export const isGlob = (pattern: string): boolean => /[*?[]/.test(pattern);

const escapeRe = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/**
 * Redis glob semantics (`stringmatchlen`): `*` any run, `?` one character, `[abc]`, `[^a-z]`, `\x` a
 * literal x. `[]` matches nothing, `[^]` any character, an unclosed `[` runs to the pattern's end, and
 * as in Redis a range may end in `]` (`[a-]`) and an escaped character never starts a range.
 * Redis compares bytes, this compares UTF-16 units: the two differ only for `?` and classes on non-ASCII.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[^]*';
    else if (c === '?') re += '[^]';
    else if (c === '\\' && i + 1 < glob.length) re += escapeRe(glob[++i]!);
    else if (c !== '[') re += escapeRe(c);
    else {
      let cls = '';
      if (glob[i + 1] === '^') {
        cls = '^';
        i++;
      }
      for (i++; i < glob.length && glob[i] !== ']'; i++) {
        const from = glob[i]!;
        if (from === '\\' && i + 1 < glob.length) cls += escapeRe(glob[++i]!);
        else if (glob[i + 1] === '-' && i + 2 < glob.length) {
          const to = glob[i + 2]!;
          i += 2;
          cls += from <= to ? `${escapeRe(from)}-${escapeRe(to)}` : `${escapeRe(to)}-${escapeRe(from)}`;
        } else cls += escapeRe(from);
      }
      re += `[${cls}]`;
    }
  }
  return new RegExp(`^${re}$`);
}
