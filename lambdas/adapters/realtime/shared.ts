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

type GlobToken =
  | { kind: 'star' }
  | { kind: 'one' }
  | { kind: 'char'; char: string }
  | { kind: 'class'; negated: boolean; singles: string; ranges: [string, string][] };

/** A glob as tokens; a run of `*` is one token (it matches what one `*` matches). */
function tokenize(glob: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?') tokens.push({ kind: 'one' });
    else if (c === '\\' && i + 1 < glob.length) tokens.push({ kind: 'char', char: glob[++i]! });
    else if (c !== '[') tokens.push({ kind: 'char', char: c });
    else {
      const token: Extract<GlobToken, { kind: 'class' }> = {
        kind: 'class',
        negated: false,
        singles: '',
        ranges: [],
      };
      if (glob[i + 1] === '^') {
        token.negated = true;
        i++;
      }
      for (i++; i < glob.length && glob[i] !== ']'; i++) {
        const from = glob[i]!;
        if (from === '\\' && i + 1 < glob.length) token.singles += glob[++i]!;
        else if (glob[i + 1] === '-' && i + 2 < glob.length) {
          const to = glob[i + 2]!;
          i += 2;
          token.ranges.push(from <= to ? [from, to] : [to, from]);
        } else token.singles += from;
      }
      tokens.push(token);
    }
  }
  return tokens;
}

const matchesOne = (token: GlobToken, c: string): boolean => {
  switch (token.kind) {
    case 'star':
      return false;
    case 'one':
      return true;
    case 'char':
      return token.char === c;
    case 'class':
      return (
        (token.singles.includes(c) || token.ranges.some(([from, to]) => from <= c && c <= to)) !==
        token.negated
      );
  }
};

/**
 * A matcher for a glob with Redis semantics (`stringmatchlen`): `*` any run, `?` one character,
 * `[abc]`, `[^a-z]`, `\x` a literal x. `[]` matches nothing, `[^]` any character, an unclosed `[`
 * runs to the pattern's end, and as in Redis a range may end in `]` (`[a-]`) and an escaped character
 * never starts a range. Redis compares bytes, this compares UTF-16 units: the two differ only for
 * `?` and classes on non-ASCII.
 *
 * No regular expression is built from the glob (a backtracking engine takes exponential time on
 * `*x*x*x...`): two pointers walk the text and the pattern, and on a mismatch the last `*` takes one
 * more character. Each character of the text is compared with at most every token of the pattern,
 * so the time is bounded by their product (both bounded: see parseChannels), never exponential.
 */
export function globMatcher(glob: string): (text: string) => boolean {
  if (!isGlob(glob)) return (text) => text === glob;
  const tokens = tokenize(glob);
  return (text) => {
    let t = 0;
    let s = 0;
    let starAt = -1; // the token after the last `*` seen
    let starText = 0; // where in the text that `*` stopped
    while (s < text.length) {
      const token = tokens[t];
      if (token?.kind === 'star') {
        starAt = ++t;
        starText = s;
      } else if (token && matchesOne(token, text[s]!)) {
        t++;
        s++;
      } else if (starAt >= 0) {
        t = starAt;
        s = ++starText;
      } else return false;
    }
    while (tokens[t]?.kind === 'star') t++;
    return t === tokens.length;
  };
}
