/**
 * The one SQL lexer of the SQL adapters: finds `:name` parameters and top-level `;` while skipping
 * what PostgreSQL does not read as code: `::casts`, string literals ('..' with '' escapes, E'..'
 * with backslash escapes), quoted identifiers, `--` and nested `/* *\/` comments and dollar-quoted
 * bodies ($$..$$, $tag$..$tag$).
 */
import { ValidationError } from '../../core/errors.ts';

type TokenKind = 'code' | 'space' | 'comment' | 'quoted' | 'param' | 'semicolon';
interface Token {
  kind: TokenKind;
  start: number;
  end: number;
}

const identStart = /[A-Za-z_\u0080-\uffff]/;
const identPart = /[A-Za-z0-9_$\u0080-\uffff]/;
const paramName = /[A-Za-z_][A-Za-z0-9_]*/y;
const dollarTag = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

/** End (exclusive) of a quoted run opened at `start` by `quote`; a doubled quote is an escape. */
function endOfQuoted(sql: string, start: number, quote: string, backslash: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslash && c === '\\') i += 2;
    else if (c === quote && sql[i + 1] === quote) i += 2;
    else if (c === quote) return i + 1;
    else i++;
  }
  return sql.length;
}

function endOfBlockComment(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (sql.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return sql.length;
}

function* tokens(sql: string): Generator<Token> {
  let i = 0;
  while (i < sql.length) {
    const start = i;
    const c = sql[i] as string;
    let kind: TokenKind = 'code';
    if (/\s/.test(c)) {
      while (i < sql.length && /\s/.test(sql[i] as string)) i++;
      kind = 'space';
    } else if (sql.startsWith('--', i)) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl;
      kind = 'comment';
    } else if (sql.startsWith('/*', i)) {
      i = endOfBlockComment(sql, i);
      kind = 'comment';
    } else if (c === "'" || c === '"') {
      i = endOfQuoted(sql, i, c, false);
      kind = 'quoted';
    } else if (identStart.test(c)) {
      while (i < sql.length && identPart.test(sql[i] as string)) i++;
      if (i - start === 1 && (c === 'E' || c === 'e') && sql[i] === "'") {
        i = endOfQuoted(sql, i, "'", true);
        kind = 'quoted';
      }
    } else if (c === '$') {
      dollarTag.lastIndex = i;
      const tag = dollarTag.exec(sql)?.[0];
      if (tag) {
        const close = sql.indexOf(tag, i + tag.length);
        i = close < 0 ? sql.length : close + tag.length;
        kind = 'quoted';
      } else {
        i++;
        while (i < sql.length && /[0-9]/.test(sql[i] as string)) i++;
      }
    } else if (c === ':') {
      paramName.lastIndex = i + 1;
      if (sql[i + 1] === ':') i += 2;
      else if (paramName.test(sql)) {
        i = paramName.lastIndex;
        kind = 'param';
      } else i++;
    } else {
      i++;
      if (c === ';') kind = 'semicolon';
    }
    yield { kind, start, end: i };
  }
}

/**
 * The tokens of a statement, kept per statement text: the same few statements run over and over, and
 * lexing them again on every call was a good part of a query's CPU time on the message path.
 */
const lexed = new Map<string, Token[]>();
const MAX_LEXED = 1000;

function lex(sql: string): readonly Token[] {
  let cached = lexed.get(sql);
  if (!cached) {
    cached = [...tokens(sql)];
    if (lexed.size < MAX_LEXED) lexed.set(sql, cached);
  }
  return cached;
}

/** The distinct `:name` parameters of a statement, in order of first use. */
export function paramNames(sql: string): string[] {
  const names = new Set<string>();
  for (const t of lex(sql)) if (t.kind === 'param') names.add(sql.slice(t.start + 1, t.end));
  return [...names];
}

/** Fails with a ValidationError naming the first parameter the statement uses but `params` lacks. */
export function requireParams(sql: string, params: Readonly<Record<string, unknown>>): string[] {
  const names = paramNames(sql);
  for (const name of names) {
    if (!Object.hasOwn(params, name)) {
      throw new ValidationError(`params.${name}`, `SQL parameter :${name} is missing`);
    }
  }
  return names;
}

/**
 * Rewrites `:name` to `$1..$n` (the same name keeps its index) and lists the values by index.
 * `render` writes each placeholder, e.g. to add a cast. A name missing from `params` is a
 * ValidationError; a name present with the value undefined binds NULL.
 */
export function toPositional<V>(
  sql: string,
  params: Readonly<Record<string, V | undefined>>,
  render: (index: number, value: V | null) => string = (index) => `$${index}`,
): { text: string; values: (V | null)[] } {
  requireParams(sql, params);
  const index = new Map<string, number>();
  const values: (V | null)[] = [];
  let text = '';
  for (const t of lex(sql)) {
    if (t.kind !== 'param') {
      text += sql.slice(t.start, t.end);
      continue;
    }
    const name = sql.slice(t.start + 1, t.end);
    let n = index.get(name);
    if (n === undefined) {
      values.push(params[name] ?? null);
      n = values.length;
      index.set(name, n);
    }
    text += render(n, values[n - 1] ?? null);
  }
  return { text, values };
}

/**
 * Splits a script into its statements at top-level `;` (not inside literals, identifiers,
 * comments or dollar-quoted bodies). Statements are trimmed; empty and comment-only ones dropped.
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let significant = false;
  const flush = (end: number) => {
    if (significant) out.push(sql.slice(start, end).trim());
    significant = false;
  };
  for (const t of tokens(sql)) {
    if (t.kind === 'semicolon') {
      flush(t.start);
      start = t.end;
    } else if (t.kind !== 'space' && t.kind !== 'comment') significant = true;
  }
  flush(sql.length);
  return out;
}
