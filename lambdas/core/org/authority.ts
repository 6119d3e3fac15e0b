/** Authority, enforced by code: budget, domain, confidence and the kinds that always need a human. */
import type { Role } from '../roles.ts';
import { effectiveDomains, REGISTRY, superiorOf } from './registry.ts';
import { DEFAULT_CONFIDENCE } from './tools/kit.ts';
import type { DecisionProposal } from './tools/types.ts';

export const ALWAYS_HUMAN_CATEGORIES = [
  'acquisition',
  'layoff',
  'termination',
  'legal',
  'regulatory',
  'discrimination',
  'strategic_pivot',
] as const;

export function formatUsd(n: number): string {
  return `$${n.toLocaleString('en-US', { maximumFractionDigits: 2 })}`;
}

export type AuthorityCheck = { ok: true } | { ok: false; to: Role | 'human'; reason: string };

/**
 * May `role` decide `proposal` alone? On an escalated hop the superior judges with its own
 * confidence (the rules engine's default), not the one that made the subordinate escalate.
 */
export function checkAuthority(
  role: Role,
  proposal: DecisionProposal,
  options: { escalated: boolean },
): AuthorityCheck {
  const def = REGISTRY[role];
  if (proposal.category && (ALWAYS_HUMAN_CATEGORIES as readonly string[]).includes(proposal.category)) {
    return { ok: false, to: 'human', reason: `category "${proposal.category}" always needs a human` };
  }
  const up = superiorOf(role);
  if (proposal.budgetUsd !== undefined && proposal.budgetUsd > def.budgetAuthorityUsd) {
    return {
      ok: false,
      to: up,
      reason: `budget ${formatUsd(proposal.budgetUsd)} exceeds ${role} authority ${formatUsd(def.budgetAuthorityUsd)}`,
    };
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
