/**
 * Deciding an escalated decision on its merits. A superior that may decide a matter (authority is
 * checked first, by code) still has to decide it: approve or reject, for a reason of its own, never
 * only because the budget fits. Its mind judges (the model, or these rules); the reason says which.
 */
import type { Role } from '../roles.ts';
import { formatUsd } from './authority.ts';
import { REGISTRY } from './registry.ts';
import { decideVote } from './rules-agent.ts';
import type { DecisionProposal } from './tools/types.ts';

/** How a collaborative vote ended, kept on the decision (and copied up its chain) when it closes. */
export interface VoteRecord {
  outcome: 'approved' | 'rejected' | 'tie' | 'no_quorum';
  approvals: number;
  rejections: number;
  abstentions: number;
  eligible: number;
  consensusScore: number | null;
  votes: { voter: Role; vote: 'approve' | 'reject' | 'abstain'; confidence: number; rationale: string }[];
}

/** What a superior reads: the proposal, who proposed it how confidently, each hop's reason, the vote. */
export interface EscalationFacts {
  decisionId: string;
  proposal: DecisionProposal;
  proposer: { role: Role | null; confidence: number | null };
  /** The hops below this one, root first: who had it and why it went up. */
  chain: { owner: Role | null; reason: string | null }[];
  vote: VoteRecord | undefined;
}

export interface Judgement {
  verdict: 'approve' | 'reject';
  rationale: string;
  /** Whose judgement: `rules`, or `model <id>`. */
  by: string;
}

export function describeVote(v: VoteRecord): string {
  const score = v.consensusScore === null ? 'n/a' : v.consensusScore.toFixed(2);
  return `${v.approvals} for, ${v.rejections} against, ${v.abstentions} abstaining (consensus ${score})`;
}

/**
 * The rules engine's judgement of an escalation. A vote that reached it is read first: a majority
 * carries, a tie nobody supported is rejected, a real tie is broken by the superior's own view. With
 * no vote, the superior's own view of the proposal decides, and where the proposal is outside what
 * it knows, the proposer's confidence against the proposer's own threshold: a proposal its owner
 * was unsure of is sent back, one it was sure of and nobody objected to goes ahead.
 */
export function judgeEscalation(role: Role, facts: EscalationFacts): Judgement {
  const rules = (verdict: Judgement['verdict'], rationale: string): Judgement => ({
    verdict,
    rationale,
    by: 'rules',
  });
  const own = decideVote(role, facts.proposal);
  const v = facts.vote;
  if (v) {
    if (v.approvals > v.rejections)
      return rules('approve', `the participants recommend it: ${describeVote(v)}`);
    if (v.rejections > v.approvals)
      return rules('reject', `the participants are against it: ${describeVote(v)}`);
    if (v.approvals === 0)
      return rules('reject', `nobody supported it: ${describeVote(v)}; reopen it with a case for it`);
    if (own.vote === 'approve')
      return rules('approve', `a tie (${describeVote(v)}), broken for it: ${own.rationale}`);
    return rules('reject', `a tie (${describeVote(v)}) and no case of my own for it: ${own.rationale}`);
  }
  if (own.vote === 'reject') return rules('reject', own.rationale);
  if (own.vote === 'approve') return rules('approve', own.rationale);
  const proposer = facts.proposer.role;
  const confidence = facts.proposer.confidence;
  if (proposer && confidence !== null) {
    const threshold = REGISTRY[proposer].confidenceThreshold;
    if (confidence < threshold)
      return rules(
        'reject',
        `${proposer} was unsure (confidence ${confidence}, below its ${threshold}) and nothing here settles it; send it back with more to go on`,
      );
    const budget = facts.proposal.budgetUsd;
    return rules(
      'approve',
      `${proposer} proposed it${budget ? ` at ${formatUsd(budget)}` : ''} with confidence ${confidence} (its threshold ${threshold}) and no objection is recorded`,
    );
  }
  return rules('reject', `no case for it is recorded: ${own.rationale}`);
}
