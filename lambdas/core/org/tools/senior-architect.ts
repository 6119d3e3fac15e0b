/** The Senior Architect's tools: system design, technical reviews, technology evaluation, scale, debt. */
import * as z from 'zod';
import { decisionTool, escalationTool, interviewTool, replyTool, review, score, Title } from './kit.ts';
import type { ToolDefinition } from './types.ts';

export const seniorArchitectTools = (): ToolDefinition[] => [
  decisionTool('design_system_architecture', 'Settle the architecture of a system', 'technical design', {
    title: Title,
    style: z.enum(['monolith', 'modular monolith', 'services', 'event-driven']).default('event-driven'),
  }),
  replyTool(
    'review_technical_design',
    'Review a design for contracts, failure handling and observability',
    {
      design: Title,
      has_api_contract: z.boolean().default(false),
      handles_retries: z.boolean().default(false),
      idempotent_writes: z.boolean().default(false),
      has_observability: z.boolean().default(false),
    },
    (i) =>
      review([
        [!i.has_api_contract, 'no API contract: write one before building'],
        [!i.handles_retries, 'no retry or timeout policy on calls between parts'],
        [!i.idempotent_writes, 'writes are not idempotent: redelivery would apply them twice'],
        [!i.has_observability, 'no logs, metrics or traces named'],
      ]),
  ),
  replyTool(
    'evaluate_technology',
    'Weigh a technology on maturity, fit, team skill and cost (each 1 to 5)',
    {
      technology: Title,
      maturity: z.number().min(1).max(5),
      fit: z.number().min(1).max(5),
      team_skill: z.number().min(1).max(5),
      cost: z.number().min(1, 'must be from 1 (cheap) to 5').max(5, 'must be from 1 (cheap) to 5'),
    },
    (i) => {
      const total = score(i.maturity * 0.3 + i.fit * 0.35 + i.team_skill * 0.2 + (6 - i.cost) * 0.15);
      return {
        technology: i.technology,
        score: total,
        recommendation: total >= 3.5 ? 'adopt' : total >= 2.5 ? 'trial' : 'hold',
      };
    },
  ),
  replyTool(
    'plan_scalability',
    'Plan capacity: how far the current design goes and what to change',
    {
      current_capacity_users: z.number().int().positive(),
      target_users: z.number().int().positive(),
      growth_months: z.number().positive().default(12),
    },
    (i) => {
      const factor = score(i.target_users / i.current_capacity_users);
      const steps =
        factor <= 1
          ? ['current design suffices']
          : factor <= 3
            ? ['scale horizontally behind a load balancer', 'add read replicas', 'cache hot reads']
            : [
                'partition data by tenant',
                'move heavy work to queues and workers',
                'add read replicas and caching',
                'load-test at the target',
              ];
      return { scaleFactor: factor, monthsToTarget: i.growth_months, steps };
    },
  ),
  replyTool(
    'manage_technical_debt',
    'Rank technical debt by interest paid per week against the cost of fixing it',
    {
      items: z
        .array(
          z.object({
            name: z.string().min(1),
            hours_lost_per_week: z.number().nonnegative(),
            fix_weeks: z.number().positive(),
          }),
        )
        .min(1),
    },
    (i) => ({
      ranked: [...i.items]
        .map((x) => ({ name: x.name, payback: score(x.hours_lost_per_week / x.fix_weeks) }))
        .sort((a, b) => b.payback - a.payback),
    }),
  ),
  interviewTool(),
  escalationTool('cto', 'technical design'),
];
