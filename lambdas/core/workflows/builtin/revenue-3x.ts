/**
 * The collaborative strategic initiative (the acceptance scenario `echoctl scenario revenue-3x`) as
 * a workflow: the CEO broadcasts it, each role self-selects, those who join vote, the CEO writes the synthesis, and
 * leadership hears the outcome.
 */
import * as z from 'zod';
import { MAX_USD } from '../../org/tools/kit.ts';
import { defineWorkflow } from '../definition.ts';

const Input = z
  .object({
    initiative: z.string().trim().min(1, 'is required').max(300, 'must be at most 300 characters'),
    constraints: z
      .object({
        budget_usd: z
          .number()
          .nonnegative('must not be negative')
          .max(MAX_USD, `must be at most ${MAX_USD} (the largest amount recorded)`),
      })
      .loose(),
  })
  .loose();

export const revenue3x = defineWorkflow<z.infer<typeof Input>>({
  name: 'revenue-3x',
  description: 'a strategic initiative: broadcast, self-selection, votes, consensus, the CEO synthesis',
  input: Input,
  deadlineMinutes: 24 * 60,
  steps: [
    {
      id: 'initiative',
      title: 'Strategic initiative',
      kind: 'decision',
      owner: 'ceo',
      participants: 'broadcast',
      domain: 'strategy',
      budgetUsd: ({ input }) => input.constraints.budget_usd,
      subject: ({ input }) => `STRATEGIC INITIATIVE: ${input.initiative}`,
      details: ({ input }) => input,
      votingMinutes: 5,
      deadlineMinutes: 60,
    },
    {
      id: 'announce',
      title: 'Announce the outcome',
      kind: 'notify',
      from: 'ceo',
      to: 'leadership',
      subject: ({ input, steps }) =>
        `Initiative ${steps.initiative?.status ?? 'decided'}: ${input.initiative}`,
      content: ({ steps }) => ({ decision: steps.initiative ?? {} }),
    },
  ],
});
