/**
 * Reading a free-text request without a model: which of the role's own tools it asks for, and the
 * inputs that tool needs, found in the text ("Approve the Kafka migration for $120k" →
 * approve_technical_proposal { title: "Kafka migration", budget_usd: 120000 }). The tool's zod
 * schema decides what is needed and validates what was read; an input that cannot be found is
 * asked for, never invented. Only decision and reply tools are planned: never an override, an
 * escalation, a collaborative decision, a consultation or a memory. Pure: no clock, no state.
 */
import * as z from 'zod';
import { fieldOf } from '../../../events/validate.ts';
import type { JsonObject } from '../messages.ts';
import type { Role } from '../roles.ts';
import { formatUsd } from './authority.ts';
import { REGISTRY } from './registry.ts';
import { commonTools } from './tools/common.ts';
import { MAX_USD } from './tools/kit.ts';
import type { ToolDefinition } from './tools/types.ts';
import { occurrences, phraseStems, stem, type Word, words } from './words.ts';

/** An input the request still needs, or has wrong: the field and what to send. */
export interface Need {
  field: string;
  message: string;
}

export type ToolPlan =
  /** The request asks for `tool`, and `input` (validated by the tool's schema) is what it said. */
  | { kind: 'call'; tool: string; input: JsonObject; because: string }
  /** It asks for `tool`, but inputs are missing or wrong: `needs` says which, `input` what was read. */
  | { kind: 'incomplete'; tool: string; input: JsonObject; needs: Need[]; because: string }
  /** No tool fits, or two fit equally (`candidates`). */
  | { kind: 'none'; because: string; candidates: string[] };

/** The most text of a request that is read (subject and content together). */
export const MAX_REQUEST_TEXT = 20_000;

/** Tools a free-text request never runs: they override, escalate, broadcast, consult or remember. */
const NEVER = new Set([...commonTools().map((t) => t.name), 'override_decision', 'initiate_decision']);
const plannable = (name: string) => !NEVER.has(name) && !name.startsWith('escalate_to_');

/** Cue words that ask for nothing in particular: a tool is not chosen on these alone. */
const GENERIC = new Set(
  ['approve', 'review', 'decide', 'plan', 'design', 'request', 'manage', 'conduct'].map(stem),
);
/** Words of tool names that are no cue at all. */
const NAME_NOISE = new Set(['request', 'manage', 'conduct', 'of', 'user', 'allocation']);

// ---------------------------------------------------------------------------------------------
// Amounts

export interface AmountMention {
  /** In US dollars; negative when the text says so. */
  value: number;
  /** The words as written ("$120k", "120,000 USD", "budget 300000"). */
  text: string;
  start: number;
  end: number;
  /** `USD`, or the other currency written ("€", "GBP"). */
  currency: string;
  /** Marked as the total ("$150k in total"). */
  total: boolean;
}

export type AmountReading =
  | { kind: 'none' }
  | { kind: 'one'; value: number; mention: AmountMention }
  | { kind: 'problem'; message: string; mentions: AmountMention[] };

const SCALE: Record<string, number> = {
  k: 1e3,
  thousand: 1e3,
  m: 1e6,
  mm: 1e6,
  mn: 1e6,
  million: 1e6,
  b: 1e9,
  bn: 1e9,
  billion: 1e9,
  t: 1e12,
  tn: 1e12,
  trillion: 1e12,
};
/** A number with its separators, taken whole (a lookahead and a back-reference: no backtracking into it). */
const NUM = String.raw`(?<![\d,.])(?=(?<n>\d(?:[\d,.]*\d)?))\k<n>`;
const MULT = String.raw`(?:(k|mm|mn|m|bn|b|tn|t)\b|\s?(thousand|million|billion|trillion)\b)?`;
const MINUS = String.raw`(-|−|\bminus\s{1,3})?`;
const OTHER_CODES = 'EUR|GBP|JPY|CHF|INR|CAD|AUD|NZD|CNY|RMB|SEK|NOK|DKK|PLN|BRL|MXN|ZAR|SGD|HKD|KRW';
const NOT_A_UNIT = String.raw`(?!\s?(?:%|percent\b|months?\b|years?\b|weeks?\b|days?\b|hours?\b|people\b|engineers?\b|users?\b|x\b|€|£|¥))`;

/** Each way an amount is written, most explicit first; a later one never overlaps an earlier one. */
const AMOUNT_FORMS: { re: RegExp; currency: (m: RegExpExecArray) => string }[] = [
  {
    re: new RegExp(
      String.raw`${MINUS}(?:\bUS\s?\$|(?<![\p{L}\p{N}])\$|\bUSD\s?)\s?(-|−)?${NUM}${MULT}`,
      'giu',
    ),
    currency: () => 'USD',
  },
  {
    re: new RegExp(String.raw`${MINUS}${NUM}${MULT}\s?(?:USD|US\s?dollars?|dollars?|bucks)\b`, 'giu'),
    currency: () => 'USD',
  },
  {
    re: new RegExp(String.raw`()(€|£|¥|₹|₩|\b[A-Z]{1,2}\$|\b(?:${OTHER_CODES})\s?)\s?()${NUM}${MULT}`, 'gu'),
    currency: (m) => m[2]!.trim(),
  },
  {
    re: new RegExp(
      String.raw`${MINUS}${NUM}${MULT}\s?(€|£|¥|₹|\b(?:${OTHER_CODES})\b|\beuros?\b|\bpounds?(?: sterling)?\b|\byen\b)`,
      'giu',
    ),
    currency: (m) => m[5]!.trim(),
  },
  {
    re: new RegExp(
      String.raw`\b(?:budget(?:ed)?|costs?|costing|amount|spend(?:ing)?|price|funding|allocation|worth)\b(?:\s{1,3}(?:of|is|at|to|around|about|approximately|up\s{1,3}to)\b|\s{0,3}[:=]){0,3}\s{0,3}${MINUS}${NUM}${MULT}${NOT_A_UNIT}`,
      'giu',
    ),
    currency: () => 'USD',
  },
];

/** A number as written with US separators; undefined when the separators are ambiguous ("120.000", "1,5"). */
function parseNumber(written: string): number | undefined {
  if (/^\d+$/.test(written) || /^\d*\.\d+$/.test(written) || /^\d+\.\d+$/.test(written)) {
    if (/^[1-9]\d{0,2}(\.\d{3})+$/.test(written)) return undefined;
    return Number(written);
  }
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(written)) return Number(written.replaceAll(',', ''));
  return undefined;
}

/** An amount whose separators could be read two ways ("$120.000", "$1,5"): it is asked about, never guessed. */
export class AmbiguousNumber {
  constructor(
    readonly written: string,
    readonly currency: string,
    readonly start: number,
    readonly end: number,
  ) {}
}

/** More amounts than this in one request are not read further (two are already too many to choose from). */
const MAX_MENTIONS = 50;

/** Every amount of money the text names, in order (at most MAX_MENTIONS of each form). */
export function amountMentions(text: string): (AmountMention | AmbiguousNumber)[] {
  const found: { m: RegExpExecArray; currency: string }[] = [];
  const taken: [number, number][] = [];
  for (const form of AMOUNT_FORMS) {
    form.re.lastIndex = 0;
    for (let m = form.re.exec(text), n = 0; m && n < MAX_MENTIONS; m = form.re.exec(text), n++) {
      const [s, e] = [m.index, m.index + m[0].length];
      if (taken.some(([a, b]) => s < b && a < e)) continue;
      taken.push([s, e]);
      found.push({ m, currency: form.currency(m) });
    }
  }
  found.sort((a, b) => a.m.index - b.m.index);
  return found.map(({ m, currency }) => {
    const groups = [...m].slice(1);
    // the groups of every form: sign, (currency), sign, number, short scale, long scale
    const numberAt = groups.findIndex((g) => g !== undefined && /^\d/.test(g));
    const written = groups[numberAt]!;
    const parsed = parseNumber(written);
    if (parsed === undefined)
      return new AmbiguousNumber(m[0].trim(), currency, m.index, m.index + m[0].length);
    const scaleWord = (groups[numberAt + 1] ?? groups[numberAt + 2])?.toLowerCase();
    const start = m.index + (m[0].length - m[0].trimStart().length);
    const before = text[m.index - 1];
    const sign = groups.slice(0, numberAt).some((g) => g !== undefined && /^(?:-|−|minus)/i.test(g.trim()));
    // "$100k-$150k" is a range, not a negative amount
    const negative =
      sign && !(m[0].trimStart().startsWith('-') && before !== undefined && /[\p{L}\p{N}]/u.test(before));
    const magnitude = parsed * (scaleWord ? (SCALE[scaleWord] ?? 1) : 1);
    const value = Number.isFinite(magnitude) ? Math.round(magnitude * 100) / 100 : Number.MAX_VALUE;
    const lead = text.slice(Math.max(0, start - 30), start);
    const tail = text.slice(m.index + m[0].length, m.index + m[0].length + 15);
    return {
      value: negative ? -value : value,
      text: m[0].trim(),
      start,
      end: m.index + m[0].length,
      currency,
      total:
        /(?<!\bin\s)\b(?:total(?:\s+of)?|overall|altogether|all[- ]in)\s*(?:is|of|:|=)?\s*$/i.test(lead) ||
        /^\s*(?:in\s+)?total\b/i.test(tail),
    };
  });
}

/** The one amount in US dollars a request names, or why there is none to take. */
export function readAmount(text: string): AmountReading {
  const all = amountMentions(text);
  const ambiguous = all.find((m) => m instanceof AmbiguousNumber);
  if (ambiguous && ambiguous.currency !== 'USD')
    return {
      kind: 'problem',
      message: `${ambiguous.written} is not in US dollars: amounts are recorded in US dollars, so send the amount in dollars (no conversion is guessed)`,
      mentions: [],
    };
  if (ambiguous)
    return {
      kind: 'problem',
      message: `"${ambiguous.written}" is ambiguous: write the amount in US dollars with digits only or US separators (120000 or 120,000)`,
      mentions: [],
    };
  const mentions = all as AmountMention[];
  if (mentions.length === 0) return { kind: 'none' };
  const other = mentions.filter((m) => m.currency !== 'USD');
  if (other.length)
    return {
      kind: 'problem',
      message: `${other[0]!.text} is not in US dollars: amounts are recorded in US dollars, so send the amount in dollars (no conversion is guessed)`,
      mentions,
    };
  const distinct = [...new Set(mentions.map((m) => m.value))];
  if (distinct.length === 1) return { kind: 'one', value: distinct[0]!, mention: mentions[0]! };
  const totals = [...new Set(mentions.filter((m) => m.total).map((m) => m.value))];
  if (totals.length === 1) return { kind: 'one', value: totals[0]!, mention: mentions.find((m) => m.total)! };
  return {
    kind: 'problem',
    message: `the request names ${mentions.length} amounts (${mentions.map((m) => m.text).join(', ')}): say which one is meant, or mark the total`,
    mentions,
  };
}

// ---------------------------------------------------------------------------------------------
// The reading of one request

interface JsonProp {
  type?: string | string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  maxLength?: number;
  default?: unknown;
  items?: JsonProp & { properties?: Record<string, JsonProp> };
}
interface ToolSchema {
  properties: Record<string, JsonProp>;
}

const schemas = new Map<ToolDefinition, ToolSchema>();
function schemaOf(tool: ToolDefinition): ToolSchema {
  let s = schemas.get(tool);
  if (!s) {
    const json = z.toJSONSchema(tool.input, { io: 'input', unrepresentable: 'any' }) as {
      properties?: Record<string, JsonProp>;
    };
    s = { properties: json.properties ?? {} };
    schemas.set(tool, s);
  }
  return s;
}

interface Reading {
  /** The subject as read (NFKC), at the start of `text`. */
  subject: string;
  text: string;
  words: Word[];
  /** Spans of `text` taken by inputs, cut from the title. */
  spans: [number, number][];
}

const MONEY = new Set(['budget_usd', 'amount_usd']);
/** Inputs that name what the request is about: they take the request's title. */
const TITLE_LIKE = new Set([
  'title',
  'purpose',
  'feature',
  'bug',
  'issue',
  'system',
  'design',
  'technology',
  'change',
  'screen',
  'question',
  'subject',
  'process',
  'component',
  'release',
  'version',
]);
const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  fifteen: 15,
  twenty: 20,
};
const COUNT = String.raw`(\d{1,6}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)`;
const toCount = (written: string) => NUMBER_WORDS[written.toLowerCase()] ?? Number(written);
/** Words that end a name or a role ("Hire 3 engineers for the platform team"). */
const STOP = `(?:for|at|in|to|with|on|by|from|this|next|and|budget|costing|within|before|under|as|who|starting|per|each|of)`;
const PHRASE = String.raw`([\p{L}][\p{L}\p{N}/+#.-]*(?:\s+(?!${STOP}\b)[\p{L}][\p{L}\p{N}/+#.-]*){0,4})`;
/** A proper name: capitalized words ("Ada Lovelace", "Datadog"). */
const NAME = String.raw`(\p{Lu}[\p{L}\p{N}&.'-]*(?:\s+\p{Lu}[\p{L}\p{N}&.'-]*){0,3})`;
const NOT_A_NAME =
  /^(?:please|kindly|approve|review|hire|offer|interview|mentor|coach|assess|conduct|sign|renew|the|a|an|our|can|could|we|i|move|transfer)$/i;

/** A word in either case of its first letter, for patterns that must keep NAME case-sensitive. */
const ci = (alternatives: string) =>
  alternatives
    .split('|')
    .map((phrase) =>
      phrase
        .split(' ')
        .map((w) => `[${w[0]!.toUpperCase()}${w[0]}]${w.slice(1)}`)
        .join(String.raw`\s+`),
    )
    .join('|');

function cleanName(written: string | undefined): string | undefined {
  if (!written) return undefined;
  const parts = written
    .trim()
    .replace(/[.,;:!?'’]+$/, '')
    .split(/\s+/);
  while (parts.length && NOT_A_NAME.test(parts[0]!)) parts.shift();
  const name = parts.join(' ');
  return name || undefined;
}

const trimPhrase = (s: string) =>
  s
    .trim()
    .replace(/[.,;:!?]+$/, '')
    .trim();

function singular(phrase: string): string {
  return phrase.replace(/(\p{L}+)$/u, (w) =>
    /ies$/i.test(w)
      ? `${w.slice(0, -3)}y`
      : /(?:ss|us|is)$/i.test(w)
        ? w
        : /s$/i.test(w)
          ? w.slice(0, -1)
          : w,
  );
}

function firstMatch(r: Reading, re: RegExp): RegExpExecArray | undefined {
  re.lastIndex = 0;
  return re.exec(r.text) ?? undefined;
}

/** Hiring: how many, and as what ("Hire 3 backend engineers", "Hire Ada as a data engineer"). */
function hiringOf(r: Reading): { count?: number; position?: string; candidate?: string } {
  const as = firstMatch(
    r,
    new RegExp(
      String.raw`\b(?:${ci('hire|hiring|offer|onboard|bring on|recruit')})\s+${NAME}\s+as\s+(?:an?\s+|the\s+|our\s+)?${PHRASE}`,
      'u',
    ),
  );
  if (as) return { count: 1, candidate: cleanName(as[1]), position: trimPhrase(as[2]!) };
  const hire = firstMatch(
    r,
    new RegExp(
      String.raw`\b(?:hire|hiring|recruit(?:ing)?|add(?:ing)?|open(?:ing)?|backfill(?:ing)?|bring(?:ing)?\s+on)\s+(?:${COUNT}\s+)?(?:new\s+|more\s+|additional\s+|extra\s+)?${PHRASE}`,
      'iu',
    ),
  );
  const asked =
    hire ??
    firstMatch(
      r,
      new RegExp(
        String.raw`\b(?:approve|need|want|request|get)\s+(\d{1,6}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)\s+(?:new\s+|more\s+|additional\s+|extra\s+)?${PHRASE}`,
        'iu',
      ),
    ) ??
    firstMatch(
      r,
      new RegExp(String.raw`\b(?:approve|need|want|request|get)\s+(?:an?\s+)?()new\s+${PHRASE}`, 'iu'),
    );
  const headcount = firstMatch(
    r,
    /\bhead\s?count\s*(?:of|:|=|to)?\s*(\d{1,6})\b|\b(\d{1,6})\s+(?:new\s+)?(?:hires|heads|ftes?)\b/i,
  );
  const written = asked?.[2] ? trimPhrase(asked[2]) : undefined;
  const position = written && (asked?.[1] || !NOT_A_POSITION.test(written)) ? written : undefined;
  const count = asked?.[1]
    ? toCount(asked[1])
    : headcount
      ? Number(headcount[1] ?? headcount[2])
      : position
        ? 1
        : undefined;
  return {
    ...(count !== undefined ? { count } : {}),
    ...(position ? { position: count !== undefined && count > 1 ? singular(position) : position } : {}),
  };
}

/** What follows "hiring" without a count and is no position ("the hiring plan", "a hiring freeze"). */
const NOT_A_POSITION =
  /^(?:plan|process|budget|freeze|policy|pipeline|strategy|committee|spree|push|drive|target|goal|round|season|event|fair|request)s?\b/i;

function vendorOf(r: Reading): string | undefined {
  const forms = [
    new RegExp(
      String.raw`\b(?:${ci('contract|agreement|deal|subscription|licence|license|renewal|partnership')})\s+with\s+${NAME}`,
      'u',
    ),
    new RegExp(
      String.raw`\b(?:${ci('sign|renew|engage|procure|buy|purchase|choose|pick|switch to|move to')})\s+(?:the\s+|a\s+|an\s+)?${NAME}`,
      'u',
    ),
    new RegExp(String.raw`\b${ci('vendor')}\s*[:=]?\s*${NAME}`, 'u'),
    new RegExp(
      String.raw`${NAME}(?:\s+\p{Ll}[\p{L}-]*){0,3}\s+(?:contract|renewal|subscription|licen[cs]e|deal)\b`,
      'u',
    ),
  ];
  for (const re of forms) {
    const name = cleanName(firstMatch(r, re)?.[1]);
    if (name) return name;
  }
  return undefined;
}

function termMonthsOf(r: Reading): number | undefined {
  const months = firstMatch(r, new RegExp(String.raw`\b${COUNT}[\s-]?(?:months?|mos?)\b`, 'i'));
  if (months) return toCount(months[1]!);
  const years = firstMatch(r, new RegExp(String.raw`\b${COUNT}[\s-]?years?\b`, 'i'));
  if (years) return toCount(years[1]!) * 12;
  if (firstMatch(r, /\b(?:annual|yearly)\b/i)) return 12;
  return undefined;
}

function candidateOf(r: Reading): string | undefined {
  const forms = [
    new RegExp(String.raw`\b${ci('offer')}\b[^.;\n]*?\bto\s+${NAME}`, 'u'),
    new RegExp(String.raw`\b(?:${ci('offer|interview|candidate')})\s*:?\s+${NAME}`, 'u'),
  ];
  for (const re of forms) {
    const name = cleanName(firstMatch(r, re)?.[1]);
    if (name) return name;
  }
  return hiringOf(r).candidate;
}

function positionForOffer(r: Reading): string | undefined {
  const forms = [
    new RegExp(String.raw`\bas\s+(?:an?\s+|the\s+|our\s+)?${PHRASE}`, 'iu'),
    /\b(?:the|an?)\s+([\p{L}][\p{L}\p{N} /+#.-]{0,80}?)\s+(?:position|role|job)\b/iu,
    /\bposition\s*[:=]\s*([^,;\n]{1,100})/iu,
  ];
  for (const re of forms) {
    const m = firstMatch(r, re);
    if (m?.[1]) return trimPhrase(m[1]);
  }
  return undefined;
}

function personOf(r: Reading): string | undefined {
  const forms = [
    new RegExp(String.raw`${NAME}['’]s\b`, 'u'),
    new RegExp(String.raw`\b(?:for|of|${ci('mentor|coach|review|assess')})\s+${NAME}`, 'u'),
  ];
  for (const re of forms) {
    const name = cleanName(firstMatch(r, re)?.[1]);
    if (name) return name;
  }
  return undefined;
}

function movesOf(r: Reading): { resource: string; from: string; to: string } | undefined {
  const m = firstMatch(
    r,
    /\b(?:move|moving|transfer|reassign|shift|lend|loan|second)\s+(.{1,80}?)\s+from\s+(?:the\s+)?([\p{L}\p{N}-]+(?:\s+[\p{L}\p{N}-]+)??)(?:\s+team)?\s+to\s+(?:the\s+)?([\p{L}\p{N}-]+(?:\s+(?!team\b)[\p{L}\p{N}-]+)?)/iu,
  );
  return m ? { resource: trimPhrase(m[1]!), from: trimPhrase(m[2]!), to: trimPhrase(m[3]!) } : undefined;
}

function teamOf(r: Reading): string | undefined {
  const m =
    firstMatch(r, /\b(?:for|on|in|to|join(?:ing)?|of)\s+(?:the\s+|our\s+)?([\p{L}\p{N}-]+)\s+team\b/iu) ??
    firstMatch(r, /\b(?:the|our)\s+([\p{L}\p{N}-]+)\s+team\b/iu) ??
    firstMatch(r, /\bteam\s*[:=]\s*([\p{L}\p{N}-]+)/iu);
  return m?.[1];
}

function versionOf(r: Reading): string | undefined {
  return firstMatch(r, /\b(?:release|version|v)\s?(\d+(?:\.\d+){0,3}(?:[-+][\w.]+)?)\b/i)?.[1];
}

/** Enum values by other names ("roll back" is `rollback`). */
const ENUM_SYNONYMS: Record<string, string[]> = {
  rollback: ['roll back', 'revert'],
  failover: ['fail over'],
  hotfix: ['hot fix', 'patch'],
  'scale out': ['scale up', 'add capacity'],
  'disable feature': ['disable', 'turn off', 'kill switch', 'feature flag'],
  production: ['prod'],
  development: ['dev'],
  'event-driven': ['event driven'],
  services: ['microservices'],
  'how many': ['how much', 'quantify'],
};
/** Enum values too common to stand alone: they count only beside the field's own word ("high priority"). */
const LEVELS = new Set(['low', 'medium', 'high', 'critical', 'why', 'mid', 'web']);

const keyWords = (key: string) =>
  key.split('_').filter((w) => w && !/^(?:has|is|handles|uses|matches|usd)$/.test(w));

function enumOf(r: Reading, key: string, values: string[]): string | undefined {
  let span: [number, number] | undefined;
  const near = phraseStems(keyWords(key).join(' '));
  const keyAt = near.length ? occurrences(r.words, near) : [];
  let best: { value: string; length: number } | undefined;
  let tie = false;
  for (const value of values) {
    for (const form of [value, ...(ENUM_SYNONYMS[value] ?? [])]) {
      const p = phraseStems(form);
      const at = occurrences(r.words, p).filter(
        (i) => !LEVELS.has(value) || keyAt.some((k) => Math.abs(k - i) <= Math.max(2, near.length + 1)),
      );
      if (!at.length) continue;
      if (!best || p.length > best.length) {
        best = { value, length: p.length };
        tie = false;
        const i = at[0]!;
        const k = keyAt.find((x) => Math.abs(x - i) <= Math.max(2, near.length + 1));
        const from = Math.min(i, k ?? i);
        const to = Math.max(i + p.length, k === undefined ? 0 : k + near.length) - 1;
        const [s0, e0] = [r.words[from]!.start, r.words[to]!.end];
        // a value said with its field ("high priority") or aside ("(P1)") is no part of the title;
        // one that qualifies it ("the production cluster") is
        span = k !== undefined || (r.text[s0 - 1] === '(' && r.text[e0] === ')') ? [s0, e0] : undefined;
      } else if (p.length === best.length && best.value !== value) tie = true;
    }
  }
  if (!best || tie) return undefined;
  if (span) r.spans.push(span);
  return best.value;
}

const NEGATION = new Set(
  ['no', 'not', 'without', 'never', 'lack', 'lacks', 'missing', 'non', 'none'].map(stem),
);
const NEGATED_RAW = /^(?:isn't|aren't|doesn't|don't|didn't|wasn't|hasn't|haven't|can't|won't)$/;

function booleanOf(r: Reading, key: string): boolean | undefined {
  const p = phraseStems(keyWords(key).join(' '));
  const at = occurrences(r.words, p)[0];
  if (at === undefined) return undefined;
  const before = r.words.slice(Math.max(0, at - 3), at).filter((w) => w.sentence === r.words[at]!.sentence);
  const negation = before.find((w) => NEGATION.has(w.stem) || NEGATED_RAW.test(w.raw));
  const having = before.find((w) => /^(?:has|have|having|with|includes?|including)$/.test(w.raw));
  const said = negation ?? having;
  // "no data loss", "has tests" report the field; "the checkout outage" names the matter
  if (said) r.spans.push([said.start, r.words[at + p.length - 1]!.end]);
  return !negation;
}

const UNITS = new Set(['weeks', 'months', 'hours', 'days', 'minutes', 'users', 'week']);

/** A number beside the field's words ("reach 5000", "pass rate 98%", "3 weeks", "300 customers affected"). */
function numberOf(r: Reading, key: string, prop: JsonProp, schema: ToolSchema): number | undefined {
  // "overtime_hours_per_week" is said "overtime 10 hours", "incidents_last_30d" "3 incidents"
  const parts = keyWords(key)
    .join(' ')
    .replace(/ per \w+$| last \w+$/, '')
    .split(' ');
  const unit = parts.length > 1 && UNITS.has(parts.at(-1)!) ? parts.at(-1)! : undefined;
  const name = unit ? parts.slice(0, -1) : parts;
  const ratio = prop.maximum !== undefined && prop.maximum <= 1;
  const value = (written: string, percent: string | undefined) => {
    const n = Number(written.replaceAll(',', ''));
    return percent && ratio ? Math.round((n / 100) * 1e6) / 1e6 : n;
  };
  const NUMBER = String.raw`(-?\d[\d,]*(?:\.\d+)?)\s*(%|percent\b)?`;
  for (const at of occurrences(r.words, phraseStems(name.join(' ')))) {
    const last = r.words[at + name.length - 1]!;
    const after = new RegExp(
      String.raw`^\s*(?:is|of|at|to|was|are|=|:)?\s*${NUMBER}${unit ? String.raw`(?:\s*${unit.replace(/s$/, '')}s?\b)?` : ''}`,
      'i',
    ).exec(r.text.slice(last.end, last.end + 40));
    if (after) {
      r.spans.push([r.words[at]!.start, last.end + after[0].length]);
      return value(after[1]!, after[2]);
    }
    const before = new RegExp(String.raw`${NUMBER}\s*$`, 'i').exec(
      r.text.slice(Math.max(0, r.words[at]!.start - 40), r.words[at]!.start),
    );
    if (before) {
      r.spans.push([r.words[at]!.start - before[0].length, last.end]);
      return value(before[1]!, before[2]);
    }
  }
  if (unit) {
    const alone = Object.keys(schema.properties).filter((k) => keyWords(k).at(-1) === unit).length === 1;
    const m = alone
      ? new RegExp(String.raw`(\d[\d,]*(?:\.\d+)?)\s*${unit.replace(/s$/, '')}s?\b`, 'i').exec(r.text)
      : null;
    if (m) {
      r.spans.push([m.index, m.index + m[0].length]);
      return value(m[1]!, undefined);
    }
  }
  return undefined;
}

function stringOf(r: Reading, key: string): string | undefined {
  const label = keyWords(key).join('[\\s_-]+');
  const m = new RegExp(String.raw`\b${label}\s*[:=]\s*([^,;\n]{1,100})`, 'i').exec(r.text);
  return m ? trimPhrase(m[1]!) : undefined;
}

/** What a request asks, before the verb: politeness and the ask itself. */
const ASK = new RegExp(
  String.raw`^(?:please|pls|kindly|hi|hello|hey|urgent|fyi|re|request|requesting|asking|approval(?:\s+(?:for|of))?|` +
    String.raw`(?:proposal|request|rfc|ask|approval|decision|question|idea|suggestion)\s*:|what|which|how\s+about|` +
    String.raw`(?:i|we)\s+(?:should|must|could|might)|(?:i|we)\s+propose(?:\s+to)?|` +
    String.raw`(?:can|could|would|will)\s+(?:you|we|i)(?:\s+please)?|` +
    String.raw`(?:i|we)(?:'d|\s+would)\s+like(?:\s+you)?\s+to|(?:i|we)\s+(?:want|need)(?:\s+you)?(?:\s+to)?|let(?:'s|\s+us)|` +
    String.raw`approve|authori[sz]e|sanction|ok(?:ay)?|green[-\s]?light|sign[-\s]?off(?:\s+on)?|allow|permit|confirm|` +
    String.raw`go\s+ahead\s+with|proceed\s+with|decide(?:\s+on)?|decision\s+on|for|to|on|the|an?|our|this|that|my)(?:\s*[,:]\s*|\s+|$)`,
  'i',
);
const TOOL_VERBS = new Set(
  [
    'review',
    'evaluate',
    'assess',
    'fix',
    'refactor',
    'plan',
    'design',
    'implement',
    'prioritize',
    'prioritise',
    'allocate',
    'classify',
    'mentor',
    'interview',
    'optimize',
    'optimise',
    'resolve',
    'settle',
    'check',
    'rate',
    'score',
    'analyze',
    'analyse',
    'summarize',
    'summarise',
    'hire',
    'offer',
    'sign',
    'renew',
  ].map(stem),
);
const DANGLING =
  /(?:^|\s)(?:for|at|of|with|and|to|in|on|by|from|as|it|is|are|was|costing|worth|a|an|the|budget(?:ed)?(?:\s+of)?|up\s+to)$/i;
/** What follows an amount and belongs to it: "in total", "of the engineering budget", "/year". */
const LEAD_OUT =
  /^\s*(?:(?:in\s+)?total\b|of\s+(?:the|our)\s+(?:[\p{L}-]+\s+){0,2}budget\b|\/\s*(?:year|yr|month|mo|annum)\b|(?:per|a)\s+(?:year|yr|month|annum)\b)/iu;
const LEAD_IN =
  /(?:\s*(?:,|-|–|—))?\s*(?:(?:with\s+)?(?:an?\s+)?(?:total\s+)?(?:budget|cost|price|spend)(?:ed)?\s*(?:of|at|is|:|=)?|for|at|of|costing|worth|up\s+to|totall?ing|around|about|approximately)?\s*\(?\s*$/i;

/** The subject as a title: the ask, the tool's verb, amounts and inputs read from it taken out. */
function titleOf(
  r: Reading,
  toolVerbs: Set<string>,
  nameStems: Set<string>,
  fallback: string,
): string | undefined {
  let source = r.subject;
  let spans = r.spans.filter(([s]) => s < r.subject.length);
  if (!source.trim()) {
    source = spaced(fallback).replace(/\n/g, ' ');
    spans = amountMentions(source).map((m) => [m.start, m.end]);
  }
  {
    const cuts = spans
      .map(([s, e]) => {
        const lead = LEAD_IN.exec(source.slice(0, s));
        const out = LEAD_OUT.exec(source.slice(Math.min(e, source.length)));
        const end = Math.min(e, source.length) + (out ? out[0].length : 0);
        const close = /^\s*\)/.exec(source.slice(end));
        return [lead ? lead.index : s, end + (close ? close[0].length : 0)] as [number, number];
      })
      .sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [s, e] of cuts) {
      const last = merged.at(-1);
      if (last && s <= last[1]) last[1] = Math.max(last[1], e);
      else merged.push([s, e]);
    }
    for (const [s, e] of merged.reverse()) source = `${source.slice(0, s)} ${source.slice(e)}`;
  }
  let t = source.replace(/\s+/g, ' ').trim();
  for (let i = 0; i < 12; i++) {
    const before = t;
    t = t.replace(ASK, '').trim();
    const first = /^([\p{L}]+)\b(?![\s,:-]*of\b)[\s,:-]*/u.exec(t);
    if (first && toolVerbs.has(stem(first[1]!))) t = t.slice(first[0].length).trim();
    t = t.replace(/^[\s,;:.!?\-–—()]+/, '');
    if (t === before) break;
  }
  // the tool's own name leading the title says nothing: "test coverage of the auth service"
  const named = /^(?:the\s+)?((?:[\p{L}]+\s+){0,2}?[\p{L}]+)\s*(?:of|for|on|:)\s+(?:the\s+)?/iu.exec(t);
  if (named && named[0].length < t.length && named[1]!.split(/\s+/).every((w) => nameStems.has(stem(w))))
    t = t.slice(named[0].length);
  for (let i = 0; i < 6; i++) {
    const before = t;
    t = t
      .replace(/[\s,;:.!?\-–—(]+$/, '')
      .replace(DANGLING, '')
      .replace(/\(\s*\)/g, '')
      .trim();
    if (t === before) break;
  }
  t = t
    .replace(/\s+([,;:])/g, '$1')
    .replace(/([,;:])(?:\s*[,;:])+/g, '$1')
    .replace(/[\s,;:.!?\-–—(]+$/, '')
    .replace(/\s+/g, ' ');
  if (!t) return undefined;
  return (t[0]!.toUpperCase() + t.slice(1)).slice(0, 500);
}

function describe(key: string, prop: JsonProp): string {
  if (MONEY.has(key)) return `the amount in US dollars, a number from 0 to ${MAX_USD}`;
  const type = Array.isArray(prop.type) ? prop.type[0] : prop.type;
  if (prop.enum) return `one of ${prop.enum.join(', ')}`;
  if (type === 'integer' || type === 'number') {
    const max = prop.maximum !== undefined && prop.maximum < 1e12 ? prop.maximum : undefined;
    const range =
      prop.minimum !== undefined && max !== undefined
        ? ` from ${prop.minimum} to ${max}`
        : [
            ...(prop.minimum !== undefined ? [`at least ${prop.minimum}`] : []),
            ...(prop.exclusiveMinimum !== undefined ? [`greater than ${prop.exclusiveMinimum}`] : []),
            ...(max !== undefined ? [`at most ${max}`] : []),
          ]
            .map((x, i) => (i ? ` and ${x}` : ` ${x}`))
            .join('');
    return `${type === 'integer' ? 'a whole number' : 'a number'}${range}`;
  }
  if (type === 'boolean') return 'true or false';
  if (type === 'array') {
    const fields = prop.items?.properties ? ` of {${Object.keys(prop.items.properties).join(', ')}}` : '';
    return `a list${fields}`;
  }
  return `text${prop.maxLength ? ` of at most ${prop.maxLength} characters` : ''}`;
}

/** The strings and numbers of the content the tool does not take by name, as "key: value" lines. */
function contentLines(content: JsonObject, known: Set<string>): string {
  const lines: string[] = [];
  const flat = (v: unknown): string =>
    v === null || v === undefined
      ? ''
      : typeof v === 'object'
        ? Object.values(v as object)
            .map(flat)
            .filter(Boolean)
            .join(', ')
        : String(v);
  for (const [k, v] of Object.entries(content)) {
    if (known.has(k)) continue;
    const value = flat(v);
    if (value) lines.push(`${k.replace(/_/g, ' ')}: ${value}`);
  }
  return lines.join('\n');
}

/** NFKC, and every run of spaces one space, every run of line breaks one break: the patterns then never crawl. */
const spaced = (text: string) =>
  text
    .normalize('NFKC')
    .replace(/[^\S\n]+/g, ' ')
    .replace(/\s*\n\s*/g, '\n');

const TITLE_FALLBACK_KEYS = [
  'title',
  'request',
  'text',
  'message',
  'description',
  'body',
  'summary',
  'prompt',
];

interface Candidate {
  tool: ToolDefinition;
  score: number;
  matched: string[];
}

/** The role's tools a request may run, scored by the cues its words meet (a cue in the subject counts twice). */
function candidates(role: Role, ws: Word[], subject: string): Candidate[] {
  const def = REGISTRY[role];
  const out: Candidate[] = [];
  // the first word of the ask once politeness and "approve" are set aside: "Migrate to Kubernetes"
  const asked = subject.replace(/\s+/g, ' ').trim();
  let rest = asked;
  for (let i = 0; i < 8; i++) {
    const next = rest.replace(ASK, '').trim();
    if (next === rest) break;
    rest = next;
  }
  const leading = ws.findIndex(
    (w) => w.start >= asked.length - rest.length + (subject.length - subject.trimStart().length),
  );
  for (const tool of def.tools) {
    if (!plannable(tool.name)) continue;
    const named = new Set(tool.name.split('_').filter((w) => !NAME_NOISE.has(w)));
    const cues = [...named, ...(def.lexicon.toolCues[tool.name] ?? [])];
    const seen = new Set<string>();
    let score = 0;
    let specific = false;
    const matched: string[] = [];
    for (const cue of cues) {
      const p = phraseStems(cue);
      const key = p.join(' ');
      if (!key || seen.has(key)) continue;
      seen.add(key);
      const at = occurrences(ws, p);
      if (!at.length) continue;
      const inSubject = at.some((i) => ws[i]!.start < subject.length);
      score += inSubject && !named.has(cue) ? 2 : 1;
      if (leading >= 0 && at.includes(leading) && !GENERIC.has(p[0]!)) score += 2;
      matched.push(cue);
      if (p.length > 1 || !GENERIC.has(p[0]!)) specific = true;
    }
    if (specific) out.push({ tool, score, matched });
  }
  return out.sort((a, b) => b.score - a.score);
}

/**
 * Reads a free-text request to `role` (its subject and content) and plans one of the role's own
 * tools with the inputs the text gives: `call` when the tool's schema accepts them, `incomplete`
 * (with what to send) when an input it needs is missing or wrong, `none` when no tool fits or two
 * fit equally.
 */
export function planToolCall(role: Role, subject: string, content: JsonObject): ToolPlan {
  const def = REGISTRY[role];
  const subjectText = spaced(subject ?? '').slice(0, 1000);
  const roughText = spaced(`${subjectText}\n${contentLines(content, new Set())}`).slice(0, MAX_REQUEST_TEXT);
  const roughWords = words(roughText);
  const ranked = candidates(role, roughWords, subjectText);
  const top = ranked[0];
  if (!top) {
    return {
      kind: 'none',
      because: `none of the ${def.title}'s tools fits "${subjectText.slice(0, 120)}"`,
      candidates: [],
    };
  }
  const rivals = ranked.filter((c) => c.score === top.score);
  if (rivals.length > 1) {
    return {
      kind: 'none',
      because: `it could be ${rivals.map((c) => c.tool.name).join(' or ')}: name the tool as the subject`,
      candidates: rivals.map((c) => c.tool.name),
    };
  }
  const tool = top.tool;
  const schema = schemaOf(tool);
  const props = schema.properties;
  const known = new Set(Object.keys(props));
  const text = spaced(`${subjectText}\n${contentLines(content, known)}`).slice(0, MAX_REQUEST_TEXT);
  const r: Reading = { subject: subjectText, text, words: words(text), spans: [] };
  const input: JsonObject = {};
  const needs: Need[] = [];
  for (const key of Object.keys(props)) if (content[key] !== undefined) input[key] = content[key];

  const set = (key: string, value: unknown) => {
    if (key in props && input[key] === undefined && value !== undefined && value !== '') input[key] = value;
  };
  // money
  const moneyKey = Object.keys(props).find((k) => MONEY.has(k));
  if (moneyKey && input[moneyKey] === undefined) {
    const amount = readAmount(text);
    if (amount.kind === 'one') {
      set(moneyKey, amount.value);
      r.spans.push([amount.mention.start, amount.mention.end]);
    } else if (amount.kind === 'problem') {
      needs.push({ field: moneyKey, message: `${moneyKey}: ${amount.message}` });
    }
  }
  for (const m of amountMentions(text)) r.spans.push([m.start, m.end]);
  // what the tools of the kit name
  if ('position' in props || 'headcount' in props) {
    const h = tool.name === 'approve_job_offer' ? {} : hiringOf(r);
    set('headcount', h.count);
    set(
      'position',
      tool.name === 'approve_job_offer' ? positionForOffer(r) : (h.position ?? positionForOffer(r)),
    );
  }
  if ('candidate' in props) set('candidate', candidateOf(r));
  if ('vendor' in props) set('vendor', vendorOf(r));
  if ('term_months' in props) set('term_months', termMonthsOf(r));
  if ('employee' in props) set('employee', personOf(r));
  if ('engineer' in props) set('engineer', personOf(r));
  if ('from_team' in props) {
    const mv = movesOf(r);
    set('resource', mv?.resource);
    set('from_team', mv?.from);
    set('to_team', mv?.to);
  }
  if ('team' in props) set('team', teamOf(r));
  if ('version' in props) set('version', versionOf(r));
  if ('release' in props) set('release', versionOf(r));
  if ('date' in props) set('date', firstMatch(r, /\b(\d{4}-\d{2}-\d{2})\b/)?.[1]);
  if ('module' in props)
    set(
      'module',
      (firstMatch(r, /\b(?:the\s+)?([\p{L}\p{N}_-]+)\s+module\b/iu) ??
        firstMatch(r, /\bmodule\s*[:=]?\s*([\w./-]+)/i))?.[1],
    );
  if ('foreground' in props && 'background' in props) {
    const colours = [...text.matchAll(/#[0-9a-f]{6}\b/gi)].map((m) => m[0]);
    if (colours.length === 2) {
      set('foreground', colours[0]);
      set('background', colours[1]);
    }
  }
  // the rest by type
  for (const [key, prop] of Object.entries(props)) {
    if (input[key] !== undefined || MONEY.has(key) || TITLE_LIKE.has(key)) continue;
    const type = Array.isArray(prop.type) ? prop.type[0] : prop.type;
    if (prop.enum) set(key, enumOf(r, key, prop.enum.map(String)));
    else if (type === 'number' || type === 'integer') set(key, numberOf(r, key, prop, schema));
    else if (type === 'boolean' && !/^(?:matches|uses)_/.test(key)) set(key, booleanOf(r, key));
    else if (type === 'string') set(key, stringOf(r, key));
  }
  // what the request is about
  const titleKeys = Object.keys(props).filter((k) => TITLE_LIKE.has(k) && input[k] === undefined);
  if (titleKeys.length) {
    const verbs = new Set(
      [...tool.name.split('_'), ...(def.lexicon.toolCues[tool.name] ?? [])]
        .map(stem)
        .filter((s) => TOOL_VERBS.has(s)),
    );
    const fallback =
      TITLE_FALLBACK_KEYS.map((k) => content[k]).find(
        (v): v is string => typeof v === 'string' && v.trim() !== '',
      ) ?? '';
    const nameStems = new Set(tool.name.split('_').map(stem));
    const title = titleOf(r, verbs, nameStems, fallback.split(/(?<=[.!?])\s|\n/)[0] ?? '');
    for (const k of titleKeys) set(k, title);
  }

  const parsed = tool.input.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = fieldOf(issue.path);
      if (needs.some((n) => n.field === field)) continue;
      const root = String(issue.path[0] ?? field);
      needs.push(
        input[root] === undefined
          ? { field, message: `send ${field}: ${describe(root, props[root] ?? {})}` }
          : { field, message: `${field}: ${issue.message} (read ${JSON.stringify(input[root])})` },
      );
    }
  }
  const read = Object.entries(input)
    .map(
      ([k, v]) =>
        `${k} ${MONEY.has(k) && typeof v === 'number' && v >= 0 && v <= MAX_USD ? formatUsd(v) : JSON.stringify(v)}`,
    )
    .join(', ');
  const because = `"${subjectText.slice(0, 120)}" asks for ${tool.name} (${top.matched.join(', ')})${read ? `; read ${read}` : ''}`;
  return needs.length
    ? { kind: 'incomplete', tool: tool.name, input, needs, because }
    : { kind: 'call', tool: tool.name, input, because };
}
