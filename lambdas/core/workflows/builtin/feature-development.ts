/**
 * Feature development (the acceptance scenario `echoctl scenario feature-development`):
 * requirements from the PM, feasibility from the architect, the CTO's approval when the feature is
 * complex, the design, implementation and test plan in parallel, the quality gate, then a release
 * decision voted by PM, architect and test lead.
 */
import * as z from 'zod';
import { Money } from '../../org/tools/kit.ts';
import { defineWorkflow } from '../definition.ts';

const Input = z.object({
  feature: z.string().trim().min(1, 'is required').max(200, 'must be at most 200 characters'),
  priority: z.enum(['low', 'medium', 'high', 'critical']).default('medium'),
  budget_usd: Money,
  complexity: z.enum(['low', 'medium', 'high']).default('medium'),
  users: z.number().int('must be a whole number').positive('must be positive').default(1000),
  current_capacity_users: z.number().int().positive().default(10_000),
  platform: z.enum(['web', 'mobile', 'desktop']).default('web'),
});

export const featureDevelopment = defineWorkflow<z.infer<typeof Input>>({
  name: 'feature-development',
  description:
    'requirements, feasibility, CTO approval when complex, design, build and test plan in parallel, quality gate, release vote',
  input: Input,
  deadlineMinutes: 7 * 24 * 60,
  steps: [
    {
      id: 'requirements',
      title: 'Requirements (product manager)',
      kind: 'request',
      to: 'product_manager',
      tool: 'approve_product_requirement',
      input: ({ input }) => ({
        title: input.feature,
        priority: input.priority,
        budget_usd: input.budget_usd,
      }),
      await: 'decision',
      requireApproval: true,
      deadlineMinutes: 60,
      onTimeout: { action: 'retry', attempts: 3 },
    },
    {
      id: 'feasibility',
      title: 'Feasibility (senior architect)',
      kind: 'request',
      to: 'senior_architect',
      tool: 'plan_scalability',
      input: ({ input }) => ({
        current_capacity_users: input.current_capacity_users,
        target_users: input.users,
      }),
      deadlineMinutes: 60,
      onTimeout: { action: 'escalate' },
    },
    {
      id: 'cto_gate',
      title: 'CTO approval when complexity is high',
      kind: 'branch',
      when: ({ input }) => input.complexity === 'high',
      steps: [
        {
          id: 'cto_approval',
          title: 'Technical approval (CTO)',
          kind: 'request',
          to: 'cto',
          tool: 'approve_technical_proposal',
          input: ({ input, steps }) => ({
            title: `Build ${input.feature}`,
            budget_usd: input.budget_usd,
            complexity: input.complexity,
            scalability: steps.feasibility,
          }),
          await: 'decision',
          requireApproval: true,
          deadlineMinutes: 120,
          onTimeout: { action: 'escalate' },
        },
      ],
    },
    {
      id: 'design',
      title: 'Design (UI/UX engineer)',
      kind: 'request',
      to: 'uiux_engineer',
      tool: 'design_user_interface',
      input: ({ input }) => ({ title: input.feature, platform: input.platform }),
      await: 'decision',
      deadlineMinutes: 120,
      onTimeout: { action: 'retry', attempts: 2 },
    },
    {
      id: 'build',
      title: 'Implementation and test plan',
      kind: 'parallel',
      join: 'all',
      branches: [
        [
          {
            id: 'implementation',
            title: 'Implementation (senior developer)',
            kind: 'request',
            to: 'senior_developer',
            tool: 'implement_feature',
            input: ({ input }) => ({ feature: input.feature, complexity: input.complexity }),
            deadlineMinutes: 240,
            onTimeout: { action: 'escalate' },
          },
        ],
        [
          {
            id: 'test_plan',
            title: 'Test plan (test lead)',
            kind: 'request',
            to: 'test_lead',
            tool: 'design_test_strategy',
            input: ({ input }) => ({ subject: input.feature, risk: input.complexity }),
            deadlineMinutes: 240,
            onTimeout: { action: 'escalate' },
          },
        ],
      ],
    },
    {
      id: 'quality_gate',
      title: 'Quality gate (test lead)',
      kind: 'request',
      to: 'test_lead',
      tool: 'approve_release_quality',
      input: ({ input, steps }) => ({
        release: input.feature,
        pass_rate: 0.98,
        coverage: Number(steps.test_plan?.coverageTarget ?? 0.8),
        open_p0: 0,
        open_p1: 0,
      }),
      await: 'decision',
      requireApproval: true,
      deadlineMinutes: 120,
      onTimeout: { action: 'escalate' },
    },
    {
      id: 'release',
      title: 'Release decision',
      kind: 'decision',
      owner: 'product_manager',
      participants: ['product_manager', 'senior_architect', 'test_lead'],
      subject: ({ input }) => `Release ${input.feature}`,
      domain: 'release plans',
      details: ({ input, steps }) => ({
        summary: `Release plan for ${input.feature}: the features and requirements are approved, the technical design and API contracts reviewed, the quality gate passed with the test strategy ${JSON.stringify(steps.test_plan?.layers ?? [])}`,
        estimateDays: steps.implementation?.estimateDays ?? null,
      }),
      votingMinutes: 60,
      deadlineMinutes: 120,
    },
    {
      id: 'announce',
      title: 'Announce the outcome',
      kind: 'notify',
      from: 'product_manager',
      to: 'leadership',
      subject: ({ input, steps }) => `Release ${steps.release?.status ?? 'decided'}: ${input.feature}`,
      content: ({ steps }) => ({ release: steps.release ?? {} }),
    },
  ],
});
