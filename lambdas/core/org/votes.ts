/**
 * Votes and their counting. Quorum: more than half of the eligible participants (degraded agents
 * are left out) have voted. Approved when approvals outnumber rejections, rejected when rejections
 * outnumber approvals; a tie, or no quorum at the deadline, escalates to the initiator's superior.
 */
import { ValidationError } from '../errors.ts';
import type { Role } from '../roles.ts';
import { superiorOf } from './registry.ts';

export interface Vote {
  voter: Role;
  vote: 'approve' | 'reject' | 'abstain';
  confidence: number;
  rationale: string;
  castAt: Date;
}

/** A second vote by the same role replaces the first; a non-participant may not vote. */
export function castVote(participants: readonly Role[], votes: readonly Vote[], vote: Vote): Vote[] {
  if (!participants.includes(vote.voter))
    throw new ValidationError('voter', `voter: ${vote.voter} is not a participant`);
  return [...votes.filter((v) => v.voter !== vote.voter), vote];
}

export interface Tally {
  approvals: number;
  rejections: number;
  abstentions: number;
  voted: number;
  eligible: number;
  quorum: boolean;
  consensusScore: number | null;
}

export function tally(
  participants: readonly Role[],
  votes: readonly Vote[],
  options: { degraded?: readonly Role[] } = {},
): Tally {
  // a degraded agent is left out of the quorum, unless it voted anyway
  const eligible = participants.filter(
    (p) => !options.degraded?.includes(p) || votes.some((v) => v.voter === p),
  );
  const counted = votes.filter((v) => eligible.includes(v.voter));
  const approvals = counted.filter((v) => v.vote === 'approve').length;
  const rejections = counted.filter((v) => v.vote === 'reject').length;
  return {
    approvals,
    rejections,
    abstentions: counted.length - approvals - rejections,
    voted: counted.length,
    eligible: eligible.length,
    quorum: counted.length * 2 > eligible.length,
    consensusScore: approvals + rejections === 0 ? null : approvals / (approvals + rejections),
  };
}

export type VotingResult =
  | { status: 'open' }
  | { status: 'approved' | 'rejected'; consensusScore: number | null }
  | { status: 'escalate'; reason: 'tie' | 'no_quorum'; detail: string };

/** Closes when every eligible participant has voted or the deadline has passed. */
export function closeVoting(
  participants: readonly Role[],
  votes: readonly Vote[],
  options: { now: Date; deadline: Date; degraded?: readonly Role[] },
): VotingResult {
  const t = tally(participants, votes, options);
  const pastDeadline = options.now >= options.deadline;
  if ((t.eligible === 0 || t.voted < t.eligible) && !pastDeadline) return { status: 'open' };
  if (!t.quorum) {
    return {
      status: 'escalate',
      reason: 'no_quorum',
      detail: `no quorum: ${t.voted} of ${t.eligible} eligible participants voted`,
    };
  }
  if (t.approvals > t.rejections) return { status: 'approved', consensusScore: t.consensusScore };
  if (t.rejections > t.approvals) return { status: 'rejected', consensusScore: t.consensusScore };
  return {
    status: 'escalate',
    reason: 'tie',
    detail: `tie: ${t.approvals} approve, ${t.rejections} reject, ${t.abstentions} abstain`,
  };
}

/** Where a tied or quorum-less decision goes: the superior of the role that opened it (a human above the CEO). */
export function escalationTargetFor(owner: Role): Role | 'human' {
  return superiorOf(owner);
}
