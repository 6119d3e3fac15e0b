/**
 * Words as the rules engine reads them: text split into whole words (Latin letters and digits; a
 * percentage is one word), each reduced to a stem so the forms of a word meet ("hires", "hiring",
 * "hired" → "hir"; "migration", "migrating" → "migr"; "optimise", "optimization" → "optim").
 * The stemmer is small and deliberately conservative: both the text and the registry's lexicon go
 * through it, so a form matches when both reduce to the same stem, and words too short to reduce
 * safely ("hr", "ops", "aws", "us") are left whole. Pure: no state but a cache.
 */

export interface Word {
  /** The word as written (lower case). */
  raw: string;
  /** Its stem; `%` for a percentage ("12%", "12.5 %", "12 percent"). */
  stem: string;
  /** Index of the sentence it belongs to. */
  sentence: number;
  /** Where it stands in the text as `words` read it (NFKC-normalized): [start, end). */
  start: number;
  end: number;
}

/** Words whose derived form must not meet another word ("production" is not "product"). */
const KEEP: Record<string, string> = {
  production: 'production',
  productions: 'production',
  news: 'news',
  series: 'series',
  species: 'species',
};

const VOWEL = /[aeiouy]/;
const hasVowel = (s: string) => VOWEL.test(s);

/** Drops one suffix when what is left is long enough and has a vowel. */
function drop(w: string, suffix: string, min: number): string | undefined {
  if (!w.endsWith(suffix)) return undefined;
  const rest = w.slice(0, -suffix.length);
  return rest.length >= min && hasVowel(rest) ? rest : undefined;
}

function inflection(word: string): string {
  let w = word;
  // plurals and the third person
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (/(?:ss|us|is)$/.test(w)) {
    // "process", "status", "analysis": not plurals
  } else if (/(?:sh|ch|x|z|ss)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !w.endsWith("'s") && w.length > 3) w = w.slice(0, -1);
  // -ing and -ed ("hiring", "planned", "migrated"), then what Porter restores ("migrat" → "migrate")
  let base: string | undefined;
  if (w.endsWith('ied') && w.length > 4) return `${w.slice(0, -3)}y`;
  if (w.endsWith('eed')) base = undefined;
  else base = drop(w, 'ing', 3) ?? drop(w, 'ed', 3);
  if (base === undefined) return w;
  if (/([b-df-hj-np-tv-z])\1$/.test(base) && !/(?:ll|ss|zz)$/.test(base)) return base.slice(0, -1);
  if (/(?:at|bl|iz|is)$/.test(base)) return `${base}e`;
  return base;
}

function derivation(word: string): string {
  let w = word;
  if (w.endsWith('ional')) w = w.slice(0, -2);
  const first =
    drop(w, 'ization', 3) ??
    drop(w, 'isation', 3) ??
    drop(w, 'ation', 3) ??
    (/[ts]ion$/.test(w) ? drop(w, 'ion', 4) : undefined) ??
    drop(w, 'ize', 3) ??
    drop(w, 'ise', 4) ??
    drop(w, 'ate', 3) ??
    drop(w, 'ability', 4) ??
    drop(w, 'ibility', 4) ??
    drop(w, 'able', 4) ??
    drop(w, 'ible', 4) ??
    drop(w, 'ment', 4) ??
    drop(w, 'ity', 4);
  if (first !== undefined) w = first;
  // "implementation" → "implement" → "imple", as "implement" itself
  if (first !== undefined && w.endsWith('ment')) w = drop(w, 'ment', 4) ?? w;
  return w;
}

const cache = new Map<string, string>();

/** The stem of one word (lower-cased). Words of three letters or fewer, and words with digits, stay whole. */
export function stem(word: string): string {
  const lower = word.toLowerCase();
  const known = cache.get(lower);
  if (known !== undefined) return known;
  let w = lower.replace(/['’]s$/, '');
  if (KEEP[w]) w = KEEP[w]!;
  else if (w.length > 3 && !/\d/.test(w)) {
    w = derivation(inflection(w));
    if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  }
  if (cache.size < 50_000) cache.set(lower, w);
  return w;
}

/**
 * A percentage ("12%", "12.5 %", "-3%"; its number taken whole, so a long run of digits is read
 * once), a word of Latin letters or digits, or a sentence break.
 */
const TOKEN =
  /(?<pct>-?(?<![\d.,])(?=(?<num>\d+(?:[.,]\d+)*))\k<num>\s?%)|(?<word>[\p{Script=Latin}\p{N}]+(?:['’][\p{Script=Latin}]+)?)|(?<brk>[.;!?]*\n+|[.;!?]+(?=\s|$))/gu;

/** The words of a text with their stems and sentences, in order; positions index `text.normalize('NFKC')`. */
export function words(text: string): Word[] {
  const out: Word[] = [];
  let sentence = 0;
  for (const m of text.normalize('NFKC').matchAll(TOKEN)) {
    const g = m.groups!;
    if (g.brk) {
      sentence++;
      continue;
    }
    const start = m.index;
    const end = start + m[0].length;
    if (g.pct) {
      out.push({ raw: g.pct.toLowerCase(), stem: '%', sentence, start, end });
      continue;
    }
    const raw = g.word!.toLowerCase().replace(/['’]s$/, '');
    out.push({ raw, stem: raw === 'percent' ? '%' : stem(raw), sentence, start, end });
  }
  return out;
}

/** A phrase of the lexicon as stems ("event-driven" → ["event", "driven"]). */
export function phraseStems(phrase: string): string[] {
  return words(phrase).map((w) => w.stem);
}

/** Where a phrase (as stems) occurs in the words, whole words only, each start index. */
export function occurrences(text: readonly Word[], phrase: readonly string[]): number[] {
  const at: number[] = [];
  if (phrase.length === 0) return at;
  outer: for (let i = 0; i + phrase.length <= text.length; i++) {
    for (let j = 0; j < phrase.length; j++) if (text[i + j]!.stem !== phrase[j]) continue outer;
    at.push(i);
  }
  return at;
}
