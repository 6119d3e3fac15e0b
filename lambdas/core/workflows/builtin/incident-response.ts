/**
 * Incident response: operations assesses; a critical incident is told to leadership at once; the
 * CTO decides the mitigation; the developer ships the fix; operations verifies; when customers
 * were affected, the CEO communicates.
 */
import * as z from 'zod';
import { defineWorkflow } from '../definition.ts';

const Input = z.object({
  title: z.string().trim().min(1, 'is required').max(200, 'must be at most 200 characters'),
  outage: z.boolean().default(false),
  data_loss: z.boolean().default(false),
  security: z.boolean().default(false),
  customers_affected: z.number().int('must be a whole number').nonnegative('must not be negative').default(0),
  degraded_services: z.array(z.string().min(1)).default([]),
  mitigation: z.enum(['rollback', 'failover', 'hotfix', 'scale out', 'disable feature']).default('rollback'),
  availability_after: z.number().min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1').default(0.9995),
});

const SEVERITY_TO_BUG = { critical: 'P0', high: 'P1', medium: 'P2', low: 'P3' } as const;

export const incidentResponse = defineWorkflow<z.infer<typeof Input>>({
  name: 'incident-response',
  description:
    'assess, alert leadership when critical, CTO mitigation, the fix, verification, CEO communication',
  input: Input,
  deadlineMinutes: 24 * 60,
  steps: [
    {
      id: 'assess',
      title: 'Assessment (operations head)',
      kind: 'request',
      to: 'operations_head',
      tool: 'assess_incident',
      priority: 'critical',
      input: ({ input }) => ({
        title: input.title,
        outage: input.outage,
        data_loss: input.data_loss,
        security: input.security,
        customers_affected: input.customers_affected,
        degraded_services: input.degraded_services,
      }),
      deadlineMinutes: 15,
      onTimeout: { action: 'escalate' },
    },
    {
      id: 'alert',
      title: 'Alert leadership when critical',
      kind: 'branch',
      when: ({ steps }) => steps.assess?.severity === 'critical',
      steps: [
        {
          id: 'notify_leadership',
          kind: 'notify',
          from: 'operations_head',
          to: 'leadership',
          priority: 'critical',
          subject: ({ input }) => `Critical incident: ${input.title}`,
          content: ({ steps }) => ({ assessment: steps.assess ?? {} }),
        },
      ],
    },
    {
      id: 'mitigation',
      title: 'Mitigation (CTO)',
      kind: 'request',
      to: 'cto',
      tool: 'decide_incident_mitigation',
      priority: 'critical',
      input: ({ input }) => ({ title: input.title, mitigation: input.mitigation }),
      await: 'decision',
      requireApproval: true,
      deadlineMinutes: 30,
      onTimeout: { action: 'escalate' },
    },
    {
      id: 'fix',
      title: 'Fix (senior developer)',
      kind: 'request',
      to: 'senior_developer',
      tool: 'fix_bug',
      priority: 'high',
      input: ({ input, steps }) => ({
        bug: input.title,
        severity:
          SEVERITY_TO_BUG[(steps.assess?.severity as keyof typeof SEVERITY_TO_BUG) ?? 'medium'] ?? 'P2',
      }),
      await: 'decision',
      deadlineMinutes: 120,
      onTimeout: { action: 'escalate' },
    },
    {
      id: 'verify',
      title: 'Verification (operations head)',
      kind: 'request',
      to: 'operations_head',
      tool: 'review_operational_metrics',
      input: ({ input }) => ({ availability: input.availability_after }),
      deadlineMinutes: 60,
      onTimeout: { action: 'retry', attempts: 3 },
    },
    {
      id: 'customers',
      title: 'Customer communication when customers were affected',
      kind: 'branch',
      when: ({ steps }) => steps.assess?.customersAffected === true,
      steps: [
        {
          id: 'ceo_communication',
          title: 'Communication (CEO)',
          kind: 'request',
          to: 'ceo',
          subject: ({ input }) => `Communicate to affected customers about the incident: ${input.title}`,
          input: ({ input, steps }) => ({
            customers_affected: input.customers_affected,
            mitigation: steps.mitigation ?? {},
            verified: steps.verify ?? {},
          }),
          deadlineMinutes: 60,
          onTimeout: { action: 'retry', attempts: 2 },
        },
      ],
    },
  ],
});
