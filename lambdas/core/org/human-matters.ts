/**
 * The matters that always go to a human, recognized from what a decision says (its title, category
 * and details), by code: acquisitions and mergers, layoffs and redundancies, terminations, legal,
 * regulatory and discrimination matters, strategic pivots. Word forms and phrasings count, not one
 * exact string; a mention counts even when negated ("no layoffs planned" still goes to a human):
 * when in doubt, the matter fails closed, to the human.
 */

export const HUMAN_MATTERS = [
  'acquisition',
  'merger',
  'layoff',
  'termination',
  'legal',
  'regulatory',
  'discrimination',
  'strategic_pivot',
] as const;
export type HumanMatter = (typeof HUMAN_MATTERS)[number];

/** Words that name people employed (for "cut 12 jobs", "terminate an employee"). */
const PEOPLE =
  '(?:head ?counts?|staff(?:ing)?|workforce|jobs?|positions?|roles?|employees?|employment|workers?|people|personnel|engineers?|developers?|team members?|contractors?|hires|fte|ftes)';
/**
 * Up to `n` words between two parts of a phrase ("reduce Customer Success headcount by 12"), none
 * of them a preposition: "cut the build time for developers" is not about the developers' jobs.
 */
const gap = (n: number) => `(?:\\W+(?!(?:for|to|of|with|by|from|on|in|at|per)\\b)\\w+){0,${n}}\\W+`;
/** Up to `n` words of any kind between two parts of a phrase ("terminate the contract of an employee"). */
const anyGap = (n: number) => `(?:\\W+\\w+){0,${n}}\\W+`;
const COMPANY =
  '(?:company|companies|startup|start-up|business|businesses|firm|competitor|rival|vendor|supplier|subsidiary|stake|shares|inc|ltd|llc|corp|gmbh)';

/** Each matter and the phrasings that name it; all case-insensitive, on word boundaries. */
const LEXICON: Record<HumanMatter, RegExp[]> = {
  acquisition: [
    // "customer acquisition" (a marketing figure) is not buying a company
    /(?<!\b(?:customer|user|client|lead|talent|data|traffic|signal|image)\W+)\bacquisitions?\b/i,
    new RegExp(`\\bacquir(?:e|es|ed|ing)${gap(4)}${COMPANY}\\b`, 'i'),
    new RegExp(`\\b(?:buy|buying|bought|purchase|purchasing)${gap(3)}${COMPANY}\\b`, 'i'),
    /\b(?:take ?over|takeovers?|buy-?outs?|m\s?&\s?a)\b/i,
  ],
  merger: [/\bmergers?\b/i, new RegExp(`\\bmerg(?:e|es|ed|ing)${anyGap(3)}${COMPANY}\\b`, 'i')],
  layoff: [
    /\blay(?:s|ing)?[\s-]+off\b/i,
    /\blaid[\s-]+off\b/i,
    /\blay-?offs?\b/i,
    // "add redundancy to the database" is resilience; redundancies of people are not
    /\bredundancies\b/i,
    /\b(?:voluntary|compulsory|forced) redundanc(?:y|ies)\b/i,
    /\bredundancy (?:pay|payments?|packages?|programmes?|programs?|notices?|consultations?|schemes?|rounds?)\b/i,
    /\bmade redundant\b/i,
    new RegExp(`\\b${PEOPLE}\\W+(?:\\w+\\W+){0,2}redundant\\b`, 'i'),
    /\breductions? in force\b/i,
    /\bRIFs?\b/,
    /\bdownsiz(?:e|es|ed|ing)\b(?!\W+(?:the\W+|our\W+)?(?:cluster|instances?|nodes?|servers?|database|disks?|volumes?|vms?|fleet|images?|fonts?|logos?)\b)/i,
    new RegExp(`\\b(?:down|right)-?siz(?:e|es|ed|ing)${gap(3)}${PEOPLE}\\b`, 'i'),
    /\bjob (?:cuts?|losses|eliminations?)\b/i,
    new RegExp(
      `\\b(?:reduc(?:e|es|ed|ing|tion)|cut(?:s|ting)?|eliminat(?:e|es|ed|ing|ion)|shrink(?:s|ing)?|trim(?:s|med|ming)?|slash(?:es|ed|ing)?|lower(?:s|ed|ing)?|halv(?:e|es|ed|ing))${gap(4)}${PEOPLE}\\b`,
      'i',
    ),
    new RegExp(`\\b${PEOPLE}${gap(2)}(?:reductions?|cuts?|eliminations?)\\b`, 'i'),
    new RegExp(`\\blet(?:ting)?\\W+(?:\\w+\\W+){0,2}${PEOPLE}\\W+go\\b`, 'i'),
    /\blet(?:ting)? go of\b/i,
  ],
  termination: [
    new RegExp(`\\bterminat(?:e|es|ed|ing|ions?)${anyGap(5)}${PEOPLE}\\b`, 'i'),
    new RegExp(`\\b${PEOPLE}${gap(2)}terminations?\\b`, 'i'),
    /(?<!\b(?:tls|ssl|https?|connection|process|instance|signal|line)\W+)\bterminations?\b(?!\W+(?:of\W+)?(?:the\W+)?(?:instances?|process(?:es)?|connections?|signals?)\b)/i,
    new RegExp(
      `\\b(?:fire|fires|fired|firing|dismiss|dismissed|dismissal|sack|sacked)${gap(3)}${PEOPLE}\\b`,
      'i',
    ),
    /\b(?:dismissals?|wrongful dismissal|let go for cause)\b/i,
    /\b(?:fire|fired|firing|dismiss(?:ed|ing)?)\W+(?:him|her|them)\b/i,
  ],
  legal: [
    /\b(?:il)?legal(?:ly)?\b/i,
    /\blaw ?suits?\b/i,
    /\blitigat(?:e|es|ed|ing|ion)\b/i,
    /\b(?:sue|sues|sued|suing)\b/i,
    /\b(?:court|courts|subpoenas?|injunctions?|settlements? (?:of|with|over)|class action|liabilit(?:y|ies)|indemnif(?:y|ies|ication)|breach of contract|cease and desist)\b/i,
    /\b(?:attorneys?|lawyers?|counsel)\b/i,
  ],
  regulatory: [
    /\bregulat(?:or|ors|ory|ion|ions|ed)\b/i,
    /\b(?:compliance|privacy|data protection) (?:breach|breaches|violations?|failures?|findings?|investigations?)\b/i,
    /\b(?:gdpr|hipaa|sox|sarbanes|ccpa|pci[\s-]?dss|sec filings?|ftc|antitrust|anti-trust|competition authority|data protection authority)\b/i,
    /\b(?:fined|fines? (?:by|from|of))\b/i,
  ],
  discrimination: [
    /\bdiscriminat(?:e|es|ed|ing|ion|ory)\b/i,
    /\bharass(?:ed|es|ing|ment)?\b/i,
    /\bhostile work environment\b/i,
    /\bretaliat(?:e|ed|ing|ion)\b/i,
    /\b(?:equal pay|pay equity|gender pay gap) (?:claims?|complaints?|disputes?)\b/i,
    /\b(?:bias|racism|sexism|ageism) (?:claims?|complaints?|allegations?)\b/i,
  ],
  strategic_pivot: [
    /\bpivot(?:s|ed|ing)?\b/i,
    /\b(?:change|changing|abandon|abandoning|replace|replacing|overhaul|overhauling)\b(?:\W+\w+){0,3}\W+(?:business model|core business|company strategy|strategic direction|mission)\b/i,
    /\b(?:new|different) business model\b/i,
    /\b(?:exit|exiting|leave|leaving|shut(?:ting)? down|wind(?:ing)? down|close|closing)\b(?:\W+\w+){0,3}\W+(?:the company|our company|the business|core market|core product|product line|division|business unit)\b/i,
  ],
};

/** What marks a category itself as one of the matters ("layoffs", "Legal", "strategic-pivot"). */
function categoryMatter(category: string): HumanMatter | undefined {
  const c = category
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ')
    .trim();
  for (const matter of HUMAN_MATTERS) {
    const name = matter.replace('_', ' ');
    if (c === name || c === `${name}s`) return matter;
  }
  return recognize(category)?.matter;
}

function recognize(text: string): { matter: HumanMatter; evidence: string } | undefined {
  for (const matter of HUMAN_MATTERS) {
    for (const re of LEXICON[matter]) {
      const m = re.exec(text);
      if (m) return { matter, evidence: m[0].replace(/\s+/g, ' ').trim() };
    }
  }
  return undefined;
}

export interface HumanMatterFound {
  matter: HumanMatter;
  /** Where it was recognized and the words that named it. */
  where: 'category' | 'content';
  evidence: string;
}

/** Every key and string of the details, as one text: a key says as much as a value ("layoffs": true). */
function textOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(textOf).join('\n');
  if (typeof value === 'object')
    return Object.entries(value)
      .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${textOf(v)}`)
      .join('\n');
  return String(value);
}

/** Bounds the text read: the title, category and details of a command are at most 256 KB anyway. */
const MAX_SCANNED_CHARS = 300_000;

/**
 * The always-human matter a proposal is about, or undefined. The category is read first (any
 * spelling of a matter's name, or a phrase naming one), then the title and every string in the
 * details.
 */
export function findHumanMatter(p: {
  title: string;
  category?: string | null | undefined;
  details?: unknown;
}): HumanMatterFound | undefined {
  if (p.category) {
    const matter = categoryMatter(p.category);
    if (matter) return { matter, where: 'category', evidence: p.category };
  }
  const text = `${p.title}\n${textOf(p.details)}`.slice(0, MAX_SCANNED_CHARS);
  const found = recognize(text);
  return found ? { ...found, where: 'content' } : undefined;
}

export function describeHumanMatter(found: HumanMatterFound): string {
  const name = found.matter.replace('_', ' ');
  return found.where === 'category'
    ? `category "${found.evidence}" always needs a human (a ${name} matter)`
    : `a ${name} matter ("${found.evidence}") always needs a human`;
}
