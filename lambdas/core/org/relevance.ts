/**
 * Self-selection on broadcasts. The text is read through the role's lexicon (registry.ts): each
 * keyword is a concept met by itself, its synonyms and their word forms, whole words only ("hr"
 * never matches "three"), and counts once. An anti-keyword declines. A figure the role owns,
 * reported moving or at a level ("a 12% rise in churn"), is its to lead however short the text, and a
 * figure it watches its to assist with. Otherwise many concepts join (lead, or assist), none
 * declines, and a few are "in between": the LLM may decide, else the agent observes.
 */
import type { Role } from '../roles.ts';
import { REGISTRY } from './registry.ts';
import { occurrences, phraseStems, stem, type Word, words } from './words.ts';

/** The words of a subject and content, as the relevance scoring reads them. */
export function flattenText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return Object.values(value).map(flattenText).join(' ');
  return String(value);
}

export const LEAD_AT = 5;
export const JOIN_AT = 3;
/** How near (in words, within a sentence) a move or a percentage must be to the figure it reports. */
export const FIGURE_WINDOW = 6;

/** Words that report a figure moving, as stems ("rose", "a 12% rise", "doubled", "fell to"). */
const MOVES = new Set(
  [
    'rise',
    'rose',
    'risen',
    'rising',
    'increase',
    'up',
    'down',
    'drop',
    'fall',
    'fell',
    'fallen',
    'decline',
    'decrease',
    'spike',
    'surge',
    'jump',
    'climb',
    'double',
    'triple',
    'halve',
    'grow',
    'grew',
    'grown',
    'growth',
    'shrink',
    'shrank',
    'plunge',
    'plummet',
    'dip',
    'slip',
    'worsen',
    'improve',
    'higher',
    'lower',
    'exceed',
    'miss',
    'breach',
    'below',
    'above',
  ].map(stem),
);

interface CompiledLexicon {
  keywords: { name: string; phrases: string[][] }[];
  anti: { name: string; phrase: string[] }[];
  figures: { name: string; phrase: string[]; owned: boolean }[];
}

const compiled = new Map<Role, CompiledLexicon>();

/** The role's lexicon as stems, compiled once. */
function lexiconOf(role: Role): CompiledLexicon {
  let c = compiled.get(role);
  if (!c) {
    const lex = REGISTRY[role].lexicon;
    c = {
      keywords: lex.keywords.map((name) => ({
        name,
        phrases: [name, ...(lex.synonyms[name] ?? [])].map(phraseStems),
      })),
      anti: lex.antiKeywords.map((name) => ({ name, phrase: phraseStems(name) })),
      figures: [
        ...lex.figures.owns.map((name) => ({ name, phrase: phraseStems(name), owned: true })),
        ...lex.figures.watches.map((name) => ({ name, phrase: phraseStems(name), owned: false })),
      ],
    };
    compiled.set(role, c);
  }
  return c;
}

/** A figure of the role's the text reports: the figure, whether the role owns it, and the words that report it. */
export interface FigureReport {
  figure: string;
  owned: boolean;
  evidence: string;
}

export interface Relevance {
  score: number;
  /** The keywords (concepts) met, each once, in the lexicon's order. */
  matched: string[];
  antiMatched: string[];
  figures: FigureReport[];
}

/** Whether a move word or a percentage stands near the figure at [at, at + length) in its sentence. */
function reported(text: readonly Word[], at: number, length: number): Word | undefined {
  const sentence = text[at]!.sentence;
  const from = Math.max(0, at - FIGURE_WINDOW);
  const to = Math.min(text.length, at + length + FIGURE_WINDOW);
  for (let i = from; i < to; i++) {
    if (i >= at && i < at + length) continue;
    const w = text[i]!;
    if (w.sentence === sentence && (w.stem === '%' || MOVES.has(w.stem))) return w;
  }
  return undefined;
}

function evidence(text: readonly Word[], at: number, length: number): string {
  const sentence = text[at]!.sentence;
  const from = Math.max(0, at - FIGURE_WINDOW);
  const to = Math.min(text.length, at + length + FIGURE_WINDOW);
  return text
    .slice(from, to)
    .filter((w) => w.sentence === sentence)
    .map((w) => w.raw)
    .join(' ');
}

/** Reads the words of a text (or of text already split) against the role's lexicon. */
export function scoreRelevance(role: Role, text: string | readonly Word[]): Relevance {
  const ws = typeof text === 'string' ? words(text) : text;
  const lex = lexiconOf(role);
  const matched = lex.keywords
    .filter((k) => k.phrases.some((p) => occurrences(ws, p).length > 0))
    .map((k) => k.name);
  const antiMatched = lex.anti.filter((a) => occurrences(ws, a.phrase).length > 0).map((a) => a.name);
  const figures: FigureReport[] = [];
  for (const f of lex.figures) {
    if (figures.some((r) => r.figure === f.name)) continue;
    const at = occurrences(ws, f.phrase).find((i) => reported(ws, i, f.phrase.length));
    if (at !== undefined)
      figures.push({ figure: f.name, owned: f.owned, evidence: evidence(ws, at, f.phrase.length) });
  }
  return { score: Math.min(1, matched.length / LEAD_AT), matched, antiMatched, figures };
}

export interface Verdict {
  join: boolean;
  as: 'lead' | 'assist' | 'observe' | null;
  reason: string;
  needsLlm: boolean;
}

export function selfSelect(
  role: Role,
  text: string,
  options: {
    llmVerdict?: { join: boolean; as: 'lead' | 'assist' | 'observe' | null; reason: string } | undefined;
  },
): Verdict {
  const r = scoreRelevance(role, text);
  const words = (list: string[]) => list.map((w) => `"${w}"`).join(', ');
  if (r.antiMatched.length)
    return {
      join: false,
      as: null,
      reason: `not for ${role}: mentions ${words(r.antiMatched)}`,
      needsLlm: false,
    };
  const owned = r.figures.find((f) => f.owned);
  if (owned)
    return {
      join: true,
      as: 'lead',
      reason: `${role} owns ${owned.figure}, and the text reports it: "${owned.evidence}"`,
      needsLlm: false,
    };
  if (r.matched.length >= LEAD_AT)
    return { join: true, as: 'lead', reason: `central to ${role}: ${words(r.matched)}`, needsLlm: false };
  if (r.matched.length >= JOIN_AT)
    return { join: true, as: 'assist', reason: `relevant to ${role}: ${words(r.matched)}`, needsLlm: false };
  const watched = r.figures[0];
  if (watched)
    return {
      join: true,
      as: 'assist',
      reason: `${role} watches ${watched.figure}, and the text reports it: "${watched.evidence}"`,
      needsLlm: false,
    };
  if (r.matched.length === 0)
    return {
      join: false,
      as: null,
      reason: `nothing for ${role} here: no keyword of its domains`,
      needsLlm: false,
    };
  if (options.llmVerdict) return { ...options.llmVerdict, needsLlm: false };
  return {
    join: false,
    as: 'observe',
    reason: `only touches ${role}: ${words(r.matched)}; observing`,
    needsLlm: options.llmVerdict === undefined && !('llmVerdict' in options),
  };
}

/** The roles whose lexicon the text meets best, best first (ties in the registry's order). */
export function closestRoles(
  text: string,
  except: readonly Role[] = [],
): { role: Role; matched: string[] }[] {
  const ws = words(text);
  return (Object.keys(REGISTRY) as Role[])
    .filter((role) => !except.includes(role))
    .map((role) => ({ role, matched: scoreRelevance(role, ws).matched }))
    .filter((r) => r.matched.length > 0)
    .sort((a, b) => b.matched.length - a.matched.length);
}
