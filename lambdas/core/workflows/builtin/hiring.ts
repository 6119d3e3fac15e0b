/**
 * Hiring (the acceptance scenario `echoctl scenario hiring`): the CTO requests a hire; the CHRO
 * reviews budget and headcount; the run pauses "waiting for qualified candidates" until a human
 * resumes it; the CTO and the architect interview in parallel; the CHRO decides the offer.
 */
import * as z from 'zod';
import { Money } from '../../org/tools/kit.ts';
import { defineWorkflow } from '../definition.ts';

const Mark = z.number().min(1, 'must be from 1 to 5').max(5, 'must be from 1 to 5');
const Input = z.object({
  position: z.string().trim().min(1, 'is required').max(200, 'must be at most 200 characters'),
  headcount: z.number().int('must be a whole number').positive('must be at least 1').default(1),
  team: z.string().max(100).default('engineering'),
  budget_usd: Money,
  salary_usd: Money.optional(),
  candidate: z.string().trim().min(1).max(200).default('the shortlisted candidate'),
  marks: z
    .object({ technical: Mark, communication: Mark, collaboration: Mark })
    .default({ technical: 4, communication: 4, collaboration: 4 }),
});

export const hiring = defineWorkflow<z.infer<typeof Input>>({
  name: 'hiring',
  description:
    'the CTO requests a hire, the CHRO reviews it, a human confirms candidates, two interviews, the offer',
  input: Input,
  deadlineMinutes: 30 * 24 * 60,
  steps: [
    {
      id: 'hiring_request',
      title: 'Budget and headcount review (CHRO)',
      kind: 'request',
      from: 'cto',
      to: 'chro',
      tool: 'approve_hiring_request',
      input: ({ input }) => ({
        position: input.position,
        headcount: input.headcount,
        team: input.team,
        budget_usd: input.budget_usd,
      }),
      await: 'decision',
      requireApproval: true,
      deadlineMinutes: 24 * 60,
      onTimeout: { action: 'escalate' },
    },
    {
      id: 'candidates',
      title: 'Waiting for qualified candidates',
      kind: 'approval',
      owner: 'chro',
      reason: ({ input }) =>
        `waiting for qualified candidates for ${input.position}: approve once a shortlist exists, reject to stop hiring`,
    },
    {
      id: 'interviews',
      title: 'Interviews',
      kind: 'parallel',
      branches: [
        [
          {
            id: 'cto_interview',
            title: 'Interview (CTO)',
            kind: 'request',
            from: 'chro',
            to: 'cto',
            tool: 'interview_candidate',
            input: ({ input }) => ({ candidate: input.candidate, position: input.position, ...input.marks }),
            deadlineMinutes: 3 * 24 * 60,
            onTimeout: { action: 'retry', attempts: 2 },
          },
        ],
        [
          {
            id: 'architect_interview',
            title: 'Interview (senior architect)',
            kind: 'request',
            from: 'chro',
            to: 'senior_architect',
            tool: 'interview_candidate',
            input: ({ input }) => ({ candidate: input.candidate, position: input.position, ...input.marks }),
            deadlineMinutes: 3 * 24 * 60,
            onTimeout: { action: 'escalate' },
          },
        ],
      ],
    },
    {
      id: 'offer',
      title: 'Offer decision (CHRO)',
      kind: 'request',
      to: 'chro',
      tool: 'approve_job_offer',
      input: ({ input, steps }) => ({
        candidate: input.candidate,
        position: input.position,
        budget_usd: input.salary_usd ?? Math.round(input.budget_usd / input.headcount),
        interviews: [steps.cto_interview?.recommendation, steps.architect_interview?.recommendation],
      }),
      await: 'decision',
      deadlineMinutes: 24 * 60,
      onTimeout: { action: 'escalate' },
    },
  ],
});
