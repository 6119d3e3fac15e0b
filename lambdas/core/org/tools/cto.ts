/** The CTO's tools: technical proposals, infrastructure, engineering budget, architecture reviews. */
import * as z from 'zod';
import {
  allocationTool,
  decisionTool,
  escalationTool,
  interviewTool,
  Ratio,
  replyTool,
  review,
  Text,
  Title,
} from './kit.ts';
import type { ToolDefinition } from './types.ts';

export const ctoTools = (): ToolDefinition[] => [
  decisionTool('approve_technical_proposal', 'Approve a technical proposal', 'technology choice', {
    title: Title,
  }),
  decisionTool('approve_infrastructure_change', 'Approve an infrastructure change', 'infrastructure', {
    title: Title,
    environment: z.enum(['development', 'staging', 'production']).default('production'),
  }),
  allocationTool('allocate_engineering_budget', 'Allocate the engineering budget', 'engineering budget'),
  replyTool(
    'review_architecture',
    'Review an architecture against the basics of availability, security and scale',
    {
      system: Title,
      single_points_of_failure: z.number().int().nonnegative().default(0),
      encrypted_at_rest: z.boolean().default(true),
      max_users_supported: z.number().int().positive().optional(),
      expected_users: z.number().int().positive().optional(),
      notes: Text.optional(),
    },
    (i) =>
      review([
        [i.single_points_of_failure > 0, `${i.single_points_of_failure} single point(s) of failure`],
        [!i.encrypted_at_rest, 'data is not encrypted at rest'],
        [
          i.max_users_supported !== undefined &&
            i.expected_users !== undefined &&
            i.expected_users > i.max_users_supported,
          `capacity ${i.max_users_supported} users is below the expected ${i.expected_users}`,
        ],
      ]),
  ),
  replyTool(
    'review_engineering_metrics',
    'Read the delivery metrics (DORA)',
    {
      deploys_per_week: z.number().nonnegative().default(0),
      change_failure_rate: Ratio.default(0),
      lead_time_hours: z.number().nonnegative().default(0),
      mttr_hours: z.number().nonnegative().default(0),
    },
    (i) => {
      const elite =
        i.deploys_per_week >= 7 &&
        i.change_failure_rate <= 0.15 &&
        i.lead_time_hours <= 24 &&
        i.mttr_hours <= 1;
      const low = i.deploys_per_week < 1 || i.change_failure_rate > 0.3 || i.mttr_hours > 24;
      return { performance: elite ? 'elite' : low ? 'low' : 'medium', ...i };
    },
  ),
  decisionTool(
    'decide_incident_mitigation',
    'Decide how an incident is mitigated',
    'infrastructure',
    {
      title: Title,
      mitigation: z
        .enum(['rollback', 'failover', 'hotfix', 'scale out', 'disable feature'])
        .default('rollback'),
    },
    (i) => `Mitigate ${i.title}: ${i.mitigation}`,
  ),
  interviewTool(),
  escalationTool('ceo', 'technology choice'),
];
