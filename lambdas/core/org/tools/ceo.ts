/** The CEO's tools: strategy, budget allocation, collaborative decisions, overrides. */
import * as z from 'zod';
import { ROLES } from '../../roles.ts';
import {
  allocationTool,
  Confidence,
  DEFAULT_CONFIDENCE,
  decisionTool,
  escalationTool,
  Money,
  Ratio,
  replyTool,
  Title,
} from './kit.ts';
import type { ToolDefinition } from './types.ts';

export const ceoTools = (): ToolDefinition[] => [
  decisionTool(
    'approve_strategic_initiative',
    'Approve a strategic initiative within the CEO authority',
    'strategy',
    { title: Title },
  ),
  allocationTool('allocate_budget', 'Allocate budget across the organization', 'budget allocation'),
  {
    name: 'initiate_decision',
    description: 'Open a collaborative decision: named participants vote, or a broadcast asks who joins',
    input: z
      .object({
        title: Title,
        budget_usd: Money.optional(),
        participants: z
          .array(z.enum(ROLES, { error: `must be roles: ${ROLES.join(', ')}` }))
          .min(1)
          .optional(),
        deadline_minutes: z
          .number()
          .positive('must be positive')
          .max(10_080, 'must be at most a week')
          .optional(),
        domain: z.string().min(1).max(100).default('strategy'),
        confidence: Confidence.optional(),
        details: z.record(z.string(), z.unknown()).default({}),
      })
      .loose(),
    run: (input) => ({
      kind: 'collaborative',
      title: input.title,
      ...(input.participants ? { participants: input.participants } : {}),
      ...(input.deadline_minutes ? { deadlineMinutes: input.deadline_minutes } : {}),
      proposal: {
        kind: 'initiate_decision',
        title: input.title,
        domain: input.domain,
        ...(input.budget_usd !== undefined ? { budgetUsd: input.budget_usd } : {}),
        confidence: input.confidence ?? DEFAULT_CONFIDENCE,
        details: input.details as Record<string, unknown>,
      },
    }),
  },
  {
    name: 'override_decision',
    description: "Override an agent's decision (never one that awaits a human)",
    input: z
      .object({
        decisionId: z.uuid('must be a decision id (uuid)'),
        status: z.enum(['approved', 'rejected'], { error: 'must be approved or rejected' }),
        reason: Title,
      })
      .loose(),
    run: (input) => ({
      kind: 'override',
      decisionId: input.decisionId,
      status: input.status,
      reason: input.reason,
    }),
  },
  replyTool(
    'review_organizational_health',
    'Assess the organization from its key figures',
    {
      attrition_rate: Ratio.default(0),
      open_escalations: z.number().int().nonnegative().default(0),
      budget_used_ratio: Ratio.default(0),
    },
    (i) => {
      const concerns = [
        ...(i.attrition_rate > 0.15 ? [`attrition ${Math.round(i.attrition_rate * 100)}% is above 15%`] : []),
        ...(i.open_escalations > 10 ? [`${i.open_escalations} open escalations: decisions are stuck`] : []),
        ...(i.budget_used_ratio > 0.9 ? ['over 90% of the budget is committed'] : []),
      ];
      return {
        health: concerns.length === 0 ? 'healthy' : concerns.length === 1 ? 'watch' : 'at risk',
        concerns,
      };
    },
  ),
  escalationTool('human', 'strategy'),
];
