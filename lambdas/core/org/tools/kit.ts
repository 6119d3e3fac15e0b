/**
 * Shapes the roles' tools share, as factories: no role holds another's tool object. Money is
 * `budget_usd` (or `amount_usd` for allocations), a non-negative number.
 */
import * as z from 'zod';
import type { JsonObject } from '../../messages.ts';
import type { Role } from '../../roles.ts';
import type { DecisionProposal, ToolDefinition } from './types.ts';

/** The rules engine's confidence in a decision of its own kind when the caller gives none. */
export const DEFAULT_CONFIDENCE = 0.85;

/** The largest amount the system records (a decision's budget is numeric(16, 2) in the database). */
export const MAX_USD = 99_999_999_999_999;
export const Money = z
  .number({ error: 'must be a non-negative number' })
  .nonnegative('must be a non-negative number')
  .max(MAX_USD, `must be at most ${MAX_USD} (the largest amount recorded)`)
  // Amounts are kept in whole cents (numeric(16, 2)): a finer one is refused, never rounded.
  .refine((usd) => /^\d+(?:\.\d{1,2})?$/.test(String(usd)), {
    error: (issue) => `must be in whole cents (at most 2 decimal places), got ${String(issue.input)}`,
  });
export const Confidence = z
  .number({ error: 'must be a number from 0 to 1' })
  .min(0, 'must be from 0 to 1')
  .max(1, 'must be from 0 to 1');
export const Title = z
  .string({ error: 'is required' })
  .trim()
  .min(1, 'must not be empty')
  .max(500, 'must be at most 500 characters');
export const Text = z.string().max(10_000, 'must be at most 10000 characters');
export const Category = z.string().trim().min(1).max(100).toLowerCase();
export const Count = z
  .number({ error: 'must be a whole number' })
  .int('must be a whole number')
  .nonnegative('must not be negative');
export const Ratio = z
  .number({ error: 'must be a number from 0 to 1' })
  .min(0, 'must be from 0 to 1')
  .max(1, 'must be from 0 to 1');

const decisionFields = {
  budget_usd: Money.optional(),
  confidence: Confidence.optional(),
  category: Category.optional(),
};

function proposal(
  kind: string,
  domain: string,
  title: string,
  input: JsonObject & { budget_usd?: number; confidence?: number; category?: string },
): DecisionProposal {
  return {
    kind,
    title,
    domain,
    ...(input.category ? { category: input.category } : {}),
    ...(input.budget_usd !== undefined ? { budgetUsd: input.budget_usd } : {}),
    confidence: input.confidence ?? DEFAULT_CONFIDENCE,
    details: input,
  };
}

/** A decision the role takes within its authority (or escalates): its input names what is decided. */
export function decisionTool<S extends z.ZodRawShape>(
  name: string,
  description: string,
  domain: string,
  shape: S,
  titleOf: (input: z.infer<z.ZodObject<S>>) => string = (input) =>
    String((input as { title?: string }).title),
): ToolDefinition {
  return {
    name,
    description,
    input: z.object({ ...decisionFields, ...shape }).loose(),
    run: (input) => ({ kind: 'decision', proposal: proposal(name, domain, titleOf(input), input) }),
  };
}

/** An allocation of money (`amount_usd`) to a purpose: a decision like any other. */
export function allocationTool(name: string, description: string, domain: string): ToolDefinition {
  return {
    name,
    description,
    input: z
      .object({
        amount_usd: Money,
        purpose: Title,
        confidence: Confidence.optional(),
        category: Category.optional(),
      })
      .loose(),
    run: (input) => ({
      kind: 'decision',
      proposal: {
        ...proposal(name, domain, `Allocate for ${input.purpose}`, input),
        budgetUsd: input.amount_usd,
      },
    }),
  };
}

/** Hands a matter to the superior named in the tool (`escalate_to_<role>`). */
export function escalationTool(target: Role | 'human', domain: string): ToolDefinition {
  const name = `escalate_to_${target}`;
  return {
    name,
    description: `Escalate a matter to the ${target === 'human' ? 'board (a human)' : target} with the reason`,
    input: z.object({ title: Title, reason: Title, ...decisionFields }).loose(),
    run: (input) => ({
      kind: 'escalation',
      to: target,
      reason: input.reason,
      proposal: proposal(name, domain, input.title, input),
    }),
  };
}

/** An interview scored on three 1-5 marks: who interviews shares the scale, so the scores compare. */
export function interviewTool(): ToolDefinition {
  const Mark = z.number().min(1, 'must be from 1 to 5').max(5, 'must be from 1 to 5').default(3);
  return replyTool(
    'interview_candidate',
    'Interview a candidate: technical depth, communication and collaboration, each 1 to 5',
    { candidate: Title, position: Title, technical: Mark, communication: Mark, collaboration: Mark },
    (i) => {
      const average = score((i.technical * 2 + i.communication + i.collaboration) / 4);
      return {
        candidate: i.candidate,
        position: i.position,
        score: average,
        recommendation: average >= 3.5 ? 'hire' : 'no hire',
      };
    },
  );
}

/** A tool that answers from its input alone (analyses, reviews, plans). */
export function replyTool<S extends z.ZodRawShape>(
  name: string,
  description: string,
  shape: S,
  compute: (input: z.infer<z.ZodObject<S>>) => JsonObject,
): ToolDefinition {
  return {
    name,
    description,
    input: z.object(shape).loose(),
    run: (input) => ({ kind: 'reply', content: compute(input) }),
  };
}

/** Findings for a review: each check that fails becomes a finding; none means it passes. */
export function review(checks: [boolean, string][]): JsonObject {
  const findings = checks.filter(([failed]) => failed).map(([, text]) => text);
  return { verdict: findings.length ? 'changes requested' : 'approved', findings };
}

const score = (n: number) => Math.round(n * 100) / 100;

export { score };
