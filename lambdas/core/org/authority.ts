/**
 * Authority, enforced by code: the matters that always need a human, budget (alone and summed over
 * the role's recent decisions for the same purpose), domain and confidence.
 */
import type { Role } from '../roles.ts';
import { describeHumanMatter, findHumanMatter, HUMAN_MATTERS } from './human-matters.ts';
import { effectiveDomains, REGISTRY, superiorOf } from './registry.ts';
import { DEFAULT_CONFIDENCE } from './tools/kit.ts';
import type { DecisionProposal } from './tools/types.ts';

/** The always-human kinds by name (a category may name one; the content is read too). */
export const ALWAYS_HUMAN_CATEGORIES = HUMAN_MATTERS;

export function formatUsd(n: number): string {
  return `$${n.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;
}

export type AuthorityCheck = { ok: true } | { ok: false; to: Role | 'human'; reason: string };

/** What the role approved alone for the same purpose within the window (not counting this decision). */
export interface PriorApprovals {
  totalUsd: number;
  decisions: { id: string; budgetUsd: number }[];
  windowDays: number;
}

/**
 * May `role` decide `proposal` alone? On an escalated hop the superior judges with its own
 * confidence (the rules engine's default), not the one that made the subordinate escalate. With
 * `prior`, the budget is judged together with what the role approved for the same purpose.
 */
export function checkAuthority(
  role: Role,
  proposal: DecisionProposal,
  options: { escalated: boolean; prior?: PriorApprovals | undefined },
): AuthorityCheck {
  const def = REGISTRY[role];
  const matter = findHumanMatter(proposal);
  if (matter) return { ok: false, to: 'human', reason: describeHumanMatter(matter) };
  const up = superiorOf(role);
  const limit = formatUsd(def.budgetAuthorityUsd);
  if (proposal.budgetUsd !== undefined && proposal.budgetUsd > def.budgetAuthorityUsd) {
    return {
      ok: false,
      to: up,
      reason: `budget ${formatUsd(proposal.budgetUsd)} exceeds ${role} authority ${limit}`,
    };
  }
  const prior = options.prior;
  if (prior?.decisions.length && proposal.budgetUsd) {
    const sum = prior.totalUsd + proposal.budgetUsd;
    if (sum > def.budgetAuthorityUsd) {
      const shown = prior.decisions.slice(-10).map((d) => `${d.id} (${formatUsd(d.budgetUsd)})`);
      const more = prior.decisions.length - shown.length;
      const ids = `${shown.join(', ')}${more > 0 ? ` and ${more} earlier` : ''}`;
      return {
        ok: false,
        to: up,
        reason: `budget ${formatUsd(proposal.budgetUsd)} with ${formatUsd(prior.totalUsd)} ${role} approved for the same purpose in the last ${prior.windowDays} days makes ${formatUsd(sum)}, exceeding ${role} authority ${limit}; earlier decisions: ${ids}`,
      };
    }
  }
  if (!effectiveDomains(role).includes(proposal.domain)) {
    return { ok: false, to: up, reason: `domain "${proposal.domain}" is outside ${role}'s domains` };
  }
  const confidence = options.escalated
    ? Math.max(proposal.confidence, DEFAULT_CONFIDENCE)
    : proposal.confidence;
  if (confidence < def.confidenceThreshold) {
    return {
      ok: false,
      to: up,
      reason: `confidence ${confidence} is below ${role}'s threshold ${def.confidenceThreshold}`,
    };
  }
  return { ok: true };
}
