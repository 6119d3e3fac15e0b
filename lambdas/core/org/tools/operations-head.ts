/** The Operations Head's tools: vendors, processes, operations budget, metrics, resources. */
import * as z from 'zod';
import { allocationTool, decisionTool, escalationTool, Ratio, replyTool, score, Title } from './kit.ts';
import type { ToolDefinition } from './types.ts';

export const operationsHeadTools = (): ToolDefinition[] => [
  decisionTool(
    'approve_vendor_contract',
    'Approve a vendor contract',
    'vendors',
    { vendor: Title, term_months: z.number().int().positive().default(12) },
    (i) => `Contract with ${i.vendor} (${i.term_months} months)`,
  ),
  replyTool(
    'optimize_process',
    'Find the bottleneck of a process from its steps and their durations',
    {
      process: Title,
      steps: z
        .array(z.object({ name: z.string().min(1), hours: z.number().nonnegative() }))
        .min(1, 'needs at least one step'),
    },
    (i) => {
      const total = i.steps.reduce((sum, s) => sum + s.hours, 0);
      const bottleneck = i.steps.reduce((a, b) => (b.hours > a.hours ? b : a));
      return {
        process: i.process,
        totalHours: total,
        bottleneck: bottleneck.name,
        share: total ? score(bottleneck.hours / total) : 0,
      };
    },
  ),
  allocationTool('allocate_operations_budget', 'Allocate the operations budget', 'operations budget'),
  replyTool(
    'review_operational_metrics',
    'Check availability and incident figures against the targets',
    {
      availability: Ratio,
      target_availability: Ratio.default(0.999),
      incidents_last_30d: z.number().int().nonnegative().default(0),
    },
    (i) => ({
      meetsTarget: i.availability >= i.target_availability,
      errorBudgetUsed: score((1 - i.availability) / Math.max(1e-9, 1 - i.target_availability)),
      incidents: i.incidents_last_30d,
    }),
  ),
  decisionTool(
    'manage_resource_allocation',
    'Move people or capacity between teams',
    'resource allocation',
    { resource: Title, from_team: z.string().min(1), to_team: z.string().min(1) },
    (i) => `Move ${i.resource} from ${i.from_team} to ${i.to_team}`,
  ),
  replyTool(
    'assess_incident',
    'Assess an incident: its severity, and whether customers and leadership must hear of it',
    {
      title: Title,
      outage: z.boolean().default(false),
      data_loss: z.boolean().default(false),
      security: z.boolean().default(false),
      customers_affected: z.number().int().nonnegative('must not be negative').default(0),
      degraded_services: z.array(z.string().min(1)).default([]),
    },
    (i) => {
      const severity =
        i.outage || i.data_loss || i.security || i.customers_affected >= 100
          ? 'critical'
          : i.customers_affected > 0
            ? 'high'
            : i.degraded_services.length > 0
              ? 'medium'
              : 'low';
      return {
        title: i.title,
        severity,
        customersAffected: i.customers_affected > 0,
        notifyLeadership: severity === 'critical',
      };
    },
  ),
  escalationTool('ceo', 'operations'),
];
