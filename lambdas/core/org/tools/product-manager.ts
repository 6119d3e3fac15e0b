/** The Product Manager's tools: prioritisation, requirements, product budget, feedback, releases. */
import * as z from 'zod';
import { allocationTool, decisionTool, escalationTool, replyTool, score, Title } from './kit.ts';
import type { ToolDefinition } from './types.ts';

const Priority = z.enum(['low', 'medium', 'high', 'critical']).default('medium');

export const productManagerTools = (): ToolDefinition[] => [
  replyTool(
    'prioritize_feature',
    'Score a feature with RICE (reach × impact × confidence ÷ effort)',
    {
      feature: Title,
      reach: z.number().nonnegative('must not be negative'),
      impact: z.number().min(0.25, 'must be from 0.25 to 3').max(3, 'must be from 0.25 to 3'),
      confidence: z.number().min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1').default(0.8),
      effort_weeks: z.number().positive('must be positive'),
    },
    (i) => {
      const rice = score((i.reach * i.impact * i.confidence) / i.effort_weeks);
      return { feature: i.feature, rice, priority: rice >= 1000 ? 'now' : rice >= 100 ? 'next' : 'later' };
    },
  ),
  decisionTool(
    'approve_product_requirement',
    'Approve a product requirement (a feature request with its budget)',
    'requirements',
    {
      title: Title,
      priority: Priority,
    },
  ),
  allocationTool('allocate_product_budget', 'Allocate the product budget', 'product budget'),
  replyTool(
    'review_user_feedback',
    'Summarise user feedback by sentiment and theme',
    {
      items: z
        .array(z.object({ text: z.string().min(1), rating: z.number().min(1).max(5) }))
        .min(1, 'needs at least one item'),
    },
    (i) => {
      const average = score(i.items.reduce((s, x) => s + x.rating, 0) / i.items.length);
      const negative = i.items.filter((x) => x.rating <= 2).map((x) => x.text);
      return {
        count: i.items.length,
        averageRating: average,
        sentiment: average >= 4 ? 'positive' : average >= 3 ? 'mixed' : 'negative',
        complaints: negative,
      };
    },
  ),
  decisionTool(
    'plan_release',
    'Plan a release: its scope and date',
    'release plans',
    { version: Title, features: z.array(z.string().min(1)).default([]), date: z.string().min(1).optional() },
    (i) => `Release ${i.version}`,
  ),
  escalationTool('cto', 'features'),
];
