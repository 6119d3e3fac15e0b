/**
 * The rules engine's own judgement, used when no model is configured (and when a model fails):
 * deterministic answers in the role's voice, and votes from the role's domains and relevance.
 */
import type { JsonObject } from '../messages.ts';
import type { Role } from '../roles.ts';
import { formatUsd } from './authority.ts';
import { REGISTRY } from './registry.ts';
import { flattenText as flatten, scoreRelevance } from './relevance.ts';
import type { DecisionProposal } from './tools/types.ts';

export function answerFreeText(role: Role, subject: string, content: JsonObject): JsonObject {
  const def = REGISTRY[role];
  const tools = def.tools.map((t) => t.name);
  if (/^what[_\s-]?do[_\s-]?you[_\s-]?do\??$/i.test(subject.trim())) {
    return {
      role,
      title: def.title,
      answer: `I am the ${def.title}. I decide alone on ${def.domains.join(', ')}${def.budgetAuthorityUsd ? `, up to ${formatUsd(def.budgetAuthorityUsd)}` : ' (with no budget authority of my own)'}; beyond that I escalate to ${def.reportsTo === 'human' ? 'the board' : `the ${REGISTRY[def.reportsTo].title}`}.`,
      tools,
    };
  }
  const relevance = scoreRelevance(role, `${subject} ${flatten(content)}`);
  return {
    role,
    title: def.title,
    answer: relevance.matched.length
      ? `As ${def.title}: "${subject}" touches ${relevance.matched.join(', ')}, which is mine to handle. Send it as one of my tools to act on it: ${tools.slice(0, 6).join(', ')}.`
      : `As ${def.title}: "${subject}" is outside my domains (${def.domains.join(', ')}); ask the role that owns it, or escalate to ${def.reportsTo}.`,
    tools,
  };
}

/** Words that raise an objection in a sentence ("the on-call rota is understaffed"). */
const OBJECTION =
  /\b(?:concerns?|objections?|object|blockers?|blocking|not ready|unready|understaffed|unstaffed|not staffed|cannot|can't|won't|unsafe|unproven|untested|too (?:costly|expensive|slow|risky|complex|early)|over ?budget|overruns?|no (?:runbooks?|owner|plan|tests?|monitoring|rollback)|lacks?|missing|against|oppose[sd]?|risky|burden|at risk)\b/i;

/** The sentences of a text that touch the role's keywords and object to something. */
function objectionsOf(role: Role, text: string): string[] {
  return text
    .split(/(?<=[.;!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s && OBJECTION.test(s) && scoreRelevance(role, s).matched.length > 0);
}

/**
 * Approve what touches the role's domains (confidence grows with the relevance), unless a sentence
 * on its part objects (then reject, quoting it); reject what asks more than the whole organization
 * may spend unaided ($1,000,000) without a word on risk; abstain on what does not concern it.
 */
export function decideVote(
  role: Role,
  proposal: DecisionProposal,
): { vote: 'approve' | 'reject' | 'abstain'; confidence: number; rationale: string } {
  const def = REGISTRY[role];
  const text = `${proposal.title}\n${flattenLines(proposal.details)}`;
  const { matched } = scoreRelevance(role, text);
  if (matched.length === 0)
    return {
      vote: 'abstain',
      confidence: 0.5,
      rationale: `${def.title}: outside my domains (${def.domains.join(', ')})`,
    };
  const objections = objectionsOf(role, text);
  if (objections.length) {
    return {
      vote: 'reject',
      confidence: 0.75,
      rationale: `${def.title}: on my part (${def.domains[0]}) it does not hold: "${objections[0]!.slice(0, 300)}"`,
    };
  }
  const mentionsRisk = /\brisks?\b/i.test(text);
  if ((proposal.budgetUsd ?? 0) > 1_000_000 && !mentionsRisk) {
    return {
      vote: 'reject',
      confidence: 0.7,
      rationale: `${def.title}: ${formatUsd(proposal.budgetUsd!)} with no risk assessment`,
    };
  }
  const confidence = Math.round(Math.min(0.95, 0.6 + 0.07 * matched.length) * 100) / 100;
  return {
    vote: 'approve',
    confidence,
    rationale: `${def.title}: supports it; my part is ${matched.slice(0, 4).join(', ')} (${def.domains[0]})`,
  };
}

/** Every string of a value, one a line, so sentences of different fields never run together. */
function flattenLines(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return Object.values(value).map(flattenLines).join('\n');
  return String(value);
}
