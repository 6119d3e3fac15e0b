/** The Senior Developer's tools: implementation, code review, refactoring, bug fixes, mentoring. */
import * as z from 'zod';
import { decisionTool, escalationTool, replyTool, review, Title } from './kit.ts';
import type { ToolDefinition } from './types.ts';

export const seniorDeveloperTools = (): ToolDefinition[] => [
  replyTool(
    'implement_feature',
    'Plan the implementation of a feature: tasks and an estimate from its size',
    {
      feature: Title,
      complexity: z.enum(['low', 'medium', 'high']).default('medium'),
      components: z.array(z.string().min(1)).default([]),
    },
    (i) => {
      const days = { low: 2, medium: 5, high: 12 }[i.complexity] + i.components.length;
      return {
        feature: i.feature,
        estimateDays: days,
        tasks: [
          'write the contract and tests first',
          ...i.components.map((c) => `change ${c}`),
          'review, release behind a flag',
        ],
      };
    },
  ),
  replyTool(
    'review_code',
    'Review a change: size, tests and checks',
    {
      change: Title,
      lines_changed: z.number().int().nonnegative(),
      has_tests: z.boolean().default(false),
      ci_green: z.boolean().default(true),
    },
    (i) =>
      review([
        [i.lines_changed > 400, `${i.lines_changed} lines: split the change`],
        [!i.has_tests, 'no tests for the change'],
        [!i.ci_green, 'CI is red'],
      ]),
  ),
  decisionTool('refactor_code', 'Decide a refactoring within the codebase', 'refactoring', {
    title: Title,
    module: z.string().min(1).optional(),
  }),
  decisionTool(
    'fix_bug',
    'Fix a bug: decide the fix',
    'bug fixes',
    { bug: Title, severity: z.enum(['P0', 'P1', 'P2', 'P3', 'P4']).default('P2') },
    (i) => `Fix: ${i.bug}`,
  ),
  replyTool(
    'mentor_engineer',
    'Suggest next steps for an engineer from their level and goal',
    {
      engineer: Title,
      level: z.enum(['junior', 'mid', 'senior']).default('mid'),
      goal: z.string().min(1).default('grow'),
    },
    (i) => ({
      engineer: i.engineer,
      plan:
        i.level === 'junior'
          ? ['pair on one feature a week', 'own one small bug fix end to end', `work toward: ${i.goal}`]
          : ['lead a design review', 'mentor a junior engineer', `work toward: ${i.goal}`],
    }),
  ),
  escalationTool('senior_architect', 'implementation'),
];
