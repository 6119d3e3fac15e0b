/** The CEO's synthesis of a closed collaborative decision: outcome, breakdown, strongest rationales, next steps. */
import type { JsonObject } from '../messages.ts';
import type { Role } from '../roles.ts';
import type { Vote } from './votes.ts';

export interface Synthesis {
  outcome: 'approved' | 'rejected';
  breakdown: { approve: number; reject: number; abstain: number };
  consensusScore: number | null;
  strongestFor?: { voter: Role; rationale: string; confidence: number };
  strongestAgainst?: { voter: Role; rationale: string; confidence: number };
  nextSteps: string[];
  summary: string;
}

const strongest = (votes: readonly Vote[], side: Vote['vote']) =>
  votes
    .filter((v) => v.vote === side)
    .sort((a, b) => b.confidence - a.confidence || a.voter.localeCompare(b.voter))
    .map((v) => ({ voter: v.voter, rationale: v.rationale, confidence: v.confidence }))[0];

export interface SynthesisInput {
  title: string;
  participants: readonly Role[];
  votes: readonly Vote[];
  outcome: 'approved' | 'rejected';
  consensusScore: number | null;
  /** What the participants said before they voted. */
  discussion?: { role: Role; stance: string; position: string }[];
}

export function synthesize(input: SynthesisInput): Synthesis & JsonObject {
  const count = (side: Vote['vote']) => input.votes.filter((v) => v.vote === side).length;
  const breakdown = { approve: count('approve'), reject: count('reject'), abstain: count('abstain') };
  const forSide = strongest(input.votes, 'approve');
  const against = strongest(input.votes, 'reject');
  const nextSteps =
    input.outcome === 'approved'
      ? [
          `each participant (${input.participants.join(', ')}) turns its proposal into a plan with owners and dates`,
          ...(against ? [`address the strongest objection (${against.voter}): ${against.rationale}`] : []),
          'review progress at the next leadership meeting',
        ]
      : [
          'record why it was rejected',
          ...(forSide
            ? [`keep the strongest argument for it (${forSide.voter}) for a revised proposal`]
            : []),
        ];
  const score = input.consensusScore === null ? 'n/a' : input.consensusScore.toFixed(2);
  return {
    outcome: input.outcome,
    breakdown,
    consensusScore: input.consensusScore,
    ...(forSide ? { strongestFor: forSide } : {}),
    ...(against ? { strongestAgainst: against } : {}),
    nextSteps,
    summary: `"${input.title}" is ${input.outcome}: ${breakdown.approve} for, ${breakdown.reject} against, ${breakdown.abstain} abstaining (consensus ${score}).`,
  };
}
