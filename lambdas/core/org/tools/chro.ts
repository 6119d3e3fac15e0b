/** The CHRO's tools: hiring, performance, HR budget and issues, team health. */
import * as z from 'zod';
import { allocationTool, Category, decisionTool, escalationTool, Ratio, replyTool, Title } from './kit.ts';
import type { ToolDefinition } from './types.ts';

export const chroTools = (): ToolDefinition[] => [
  decisionTool(
    'approve_hiring_request',
    'Approve a hire: position, headcount and budget',
    'hiring',
    {
      position: Title,
      headcount: z.number().int().positive('must be at least 1').default(1),
      team: z.string().max(100).optional(),
    },
    (i) => `Hire ${i.headcount} × ${i.position}`,
  ),
  replyTool(
    'conduct_performance_review',
    'Rate performance from goals met and peer feedback',
    {
      employee: Title,
      goals_met: Ratio,
      peer_feedback: z.number().min(1, 'must be from 1 to 5').max(5, 'must be from 1 to 5').default(3),
    },
    (i) => {
      const score = Math.round((i.goals_met * 3 + (i.peer_feedback - 1) / 2) * 100) / 100;
      const rating =
        score >= 4 ? 'exceeds expectations' : score >= 2.5 ? 'meets expectations' : 'needs improvement';
      return { employee: i.employee, score, rating };
    },
  ),
  allocationTool(
    'allocate_hr_budget',
    'Allocate the HR budget (training, benefits, recruiting)',
    'hr budget',
  ),
  decisionTool(
    'resolve_hr_issue',
    'Resolve an HR issue; discrimination, termination and legal matters go to a human',
    'culture',
    {
      issue: Title,
      category: Category.optional(),
      severity: z.enum(['low', 'medium', 'high']).default('medium'),
    },
    (i) => `HR issue: ${i.issue}`,
  ),
  replyTool(
    'review_team_health',
    'Assess a team from engagement, attrition and overtime',
    {
      team: Title,
      engagement: Ratio,
      attrition_rate: Ratio.default(0),
      overtime_hours_per_week: z.number().nonnegative().default(0),
    },
    (i) => {
      const risks = [
        ...(i.engagement < 0.6 ? ['low engagement'] : []),
        ...(i.attrition_rate > 0.15 ? ['high attrition'] : []),
        ...(i.overtime_hours_per_week > 8 ? ['sustained overtime: burnout risk'] : []),
      ];
      return { team: i.team, health: risks.length ? 'at risk' : 'healthy', risks };
    },
  ),
  decisionTool(
    'approve_job_offer',
    'Decide the offer to a candidate (budget_usd: the yearly salary)',
    'hiring',
    { candidate: Title, position: Title },
    (i) => `Offer ${i.position} to ${i.candidate}`,
  ),
  escalationTool('ceo', 'culture'),
];
