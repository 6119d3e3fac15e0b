/**
 * The rules engine's own judgement, used when no model is configured (and when a model fails):
 * deterministic answers in the role's voice (reading a request for one of its tools: intent.ts),
 * and votes from the role's domains and relevance.
 */
import type { JsonObject } from '../messages.ts';
import type { Role } from '../roles.ts';
import { formatUsd } from './authority.ts';
import { planToolCall } from './intent.ts';
import { REGISTRY } from './registry.ts';
import { closestRoles, flattenText as flatten, scoreRelevance } from './relevance.ts';
import type { DecisionProposal } from './tools/types.ts';

/**
 * A free-text request answered in the role's voice, from its lexicon and tools: what it can do
 * with it. When one of its tools fits, the answer names the tool and the input read from the text
 * (`suggestion`), or the input still to send (`needs`); otherwise what of its domains the text
 * touches, or which role it is for.
 */
export function answerFreeText(role: Role, subject: string, content: JsonObject): JsonObject {
  const def = REGISTRY[role];
  const tools = def.tools.map((t) => t.name);
  const as = `As ${def.title}`;
  if (/^what[_\s-]?do[_\s-]?you[_\s-]?do\??$/i.test(subject.trim())) {
    return {
      role,
      title: def.title,
      answer: `I am the ${def.title}. I decide alone on ${def.domains.join(', ')}${def.budgetAuthorityUsd ? `, up to ${formatUsd(def.budgetAuthorityUsd)}` : ' (with no budget authority of my own)'}; beyond that I escalate to ${def.reportsTo === 'human' ? 'the board' : `the ${REGISTRY[def.reportsTo].title}`}.`,
      tools,
    };
  }
  const quoted = `"${subject.trim().slice(0, 200)}"`;
  const plan = planToolCall(role, subject, content);
  if (plan.kind === 'call')
    return {
      role,
      title: def.title,
      answer: `${as}: ${quoted} is mine: it reads as ${plan.tool} with ${JSON.stringify(plan.input)}. Send it with the subject "${plan.tool}" and that content to act on it.`,
      suggestion: { tool: plan.tool, input: plan.input },
      tools,
    };
  if (plan.kind === 'incomplete')
    return {
      role,
      title: def.title,
      answer: `${as}: ${quoted} fits ${plan.tool}, but ${plan.needs.map((n) => n.message).join('; ')}. Send it with the subject "${plan.tool}" and content like ${JSON.stringify({ ...plan.input, ...Object.fromEntries(plan.needs.map((n) => [n.field, '…'])) })}.`,
      suggestion: { tool: plan.tool, input: plan.input },
      needs: plan.needs as unknown as JsonObject[],
      tools,
    };
  const text = `${subject}\n${flatten(content)}`;
  const relevance = scoreRelevance(role, text);
  const own = tools.filter((t) => t !== 'override_decision' && !t.startsWith('escalate_to_')).slice(0, 8);
  if (relevance.matched.length)
    return {
      role,
      title: def.title,
      answer: `${as}: ${quoted} touches ${relevance.matched.join(', ')}, which is mine to handle, but ${plan.because}. Send it with one of my tools as the subject: ${own.join(', ')}.`,
      ...(plan.candidates.length ? { candidates: plan.candidates } : {}),
      tools,
    };
  // Named the lead of a broadcast nobody joined (the CEO, when no role's domains touch it): it is
  // this role's now, whatever its domains; declining would leave it with nobody.
  if (typeof content.assignedBy === 'string')
    return {
      role,
      title: def.title,
      answer: `${as}: I lead ${quoted}, assigned by ${content.assignedBy}${typeof content.reason === 'string' ? ` (${content.reason})` : ''}. It asks for none of my tools as it stands; to act on it, send me one of them as the subject: ${own.join(', ')}.`,
      lead: true,
      tools,
    };
  const owner = closestRoles(text, [role])[0];
  return {
    role,
    title: def.title,
    answer: owner
      ? `${as}: ${quoted} is outside my domains (${def.domains.join(', ')}); it reads as the ${REGISTRY[owner.role].title}'s (${owner.matched.join(', ')}): send it to ${owner.role}.`
      : `${as}: ${quoted} is outside my domains (${def.domains.join(', ')}); ask the role that owns it, or escalate to ${def.reportsTo}.`,
    ...(owner ? { ownedBy: owner.role } : {}),
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
