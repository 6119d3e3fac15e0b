/**
 * Self-selection on broadcasts. Keywords match as whole words or phrases ("hr" never matches
 * "three"; a plural "s" is tolerated). An anti-keyword declines; many matches join (lead, or
 * assist); none declines; a few are "in between": the LLM may decide, else the agent observes.
 */
import type { Role } from '../roles.ts';
import { REGISTRY } from './registry.ts';

/** The words of a subject and content, as the relevance scoring reads them. */
export function flattenText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return Object.values(value).map(flattenText).join(' ');
  return String(value);
}

export const LEAD_AT = 5;
export const JOIN_AT = 3;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const matcher = new Map<string, RegExp>();
function wordRegExp(phrase: string): RegExp {
  let re = matcher.get(phrase);
  if (!re) {
    re = new RegExp(
      `(?<![\\p{L}\\p{N}])${escapeRegExp(phrase).replace(/\s+/g, '[\\s-]+')}(?:s|es)?(?![\\p{L}\\p{N}])`,
      'iu',
    );
    matcher.set(phrase, re);
  }
  return re;
}

export interface Relevance {
  score: number;
  matched: string[];
  antiMatched: string[];
}

export function scoreRelevance(role: Role, text: string): Relevance {
  const def = REGISTRY[role];
  const matched = def.keywords.filter((k) => wordRegExp(k).test(text));
  const antiMatched = def.antiKeywords.filter((k) => wordRegExp(k).test(text));
  return { score: Math.min(1, matched.length / LEAD_AT), matched, antiMatched };
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
  if (r.matched.length >= LEAD_AT)
    return { join: true, as: 'lead', reason: `central to ${role}: ${words(r.matched)}`, needsLlm: false };
  if (r.matched.length >= JOIN_AT)
    return { join: true, as: 'assist', reason: `relevant to ${role}: ${words(r.matched)}`, needsLlm: false };
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
