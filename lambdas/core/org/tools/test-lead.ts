/** The Test Lead's tools: test strategy, coverage, bug severity, release quality gates, automation. */
import * as z from 'zod';
import { DEFAULT_CONFIDENCE, escalationTool, Ratio, replyTool, review, Title } from './kit.ts';
import type { ToolDefinition } from './types.ts';

/** P0 to P4 from the facts of a bug, most severe first. */
export function bugSeverity(i: {
  data_loss: boolean;
  security: boolean;
  outage: boolean;
  users_affected_ratio: number;
  workaround: boolean;
}): 'P0' | 'P1' | 'P2' | 'P3' | 'P4' {
  if (i.data_loss || i.security || i.outage) return 'P0';
  if (i.users_affected_ratio >= 0.25 && !i.workaround) return 'P1';
  if (i.users_affected_ratio >= 0.25 || (i.users_affected_ratio >= 0.05 && !i.workaround)) return 'P2';
  if (i.users_affected_ratio > 0) return 'P3';
  return 'P4';
}

const ReleaseInput = z
  .object({
    release: Title,
    pass_rate: Ratio,
    coverage: Ratio.default(0.8),
    open_p0: z.number().int().nonnegative().default(0),
    open_p1: z.number().int().nonnegative().default(0),
  })
  .loose();

export const testLeadTools = (): ToolDefinition[] => [
  replyTool(
    'design_test_strategy',
    'A test strategy from the risk of the change',
    { subject: Title, risk: z.enum(['low', 'medium', 'high']).default('medium') },
    (i) => ({
      subject: i.subject,
      layers:
        i.risk === 'high'
          ? ['unit', 'contract', 'integration', 'end-to-end', 'fault injection']
          : i.risk === 'medium'
            ? ['unit', 'integration', 'end-to-end smoke']
            : ['unit', 'smoke'],
      coverageTarget: { low: 0.6, medium: 0.75, high: 0.85 }[i.risk],
    }),
  ),
  replyTool(
    'review_test_coverage',
    'Compare coverage with the target',
    { component: Title, line_coverage: Ratio, branch_coverage: Ratio.optional(), target: Ratio.default(0.8) },
    (i) =>
      review([
        [i.line_coverage < i.target, `line coverage ${i.line_coverage} is below ${i.target}`],
        [(i.branch_coverage ?? 1) < i.target - 0.1, 'branch coverage is far below the target'],
      ]),
  ),
  replyTool(
    'classify_bug_severity',
    'Classify a bug P0 (worst) to P4',
    {
      title: Title,
      data_loss: z.boolean().default(false),
      security: z.boolean().default(false),
      outage: z.boolean().default(false),
      users_affected_ratio: Ratio.default(0),
      workaround: z.boolean().default(false),
    },
    (i) => ({ title: i.title, severity: bugSeverity(i) }),
  ),
  {
    name: 'approve_release_quality',
    description: 'The quality gate of a release; a blocked release goes to the CTO',
    input: ReleaseInput,
    run: (i) => {
      const blockers = [
        ...(i.open_p0 > 0 ? [`${i.open_p0} open P0 bug(s)`] : []),
        ...(i.open_p1 > 3 ? [`${i.open_p1} open P1 bugs (at most 3)`] : []),
        ...(i.pass_rate < 0.95 ? [`pass rate ${i.pass_rate} is below 0.95`] : []),
        ...(i.coverage < 0.7 ? [`coverage ${i.coverage} is below 0.7`] : []),
      ];
      const proposal = {
        kind: 'approve_release_quality',
        title: `Release ${i.release}`,
        domain: 'quality gates',
        confidence: DEFAULT_CONFIDENCE,
        details: { ...i, blockers },
      };
      return blockers.length
        ? { kind: 'escalation', to: 'cto', reason: `release blocked: ${blockers.join('; ')}`, proposal }
        : { kind: 'decision', proposal };
    },
  },
  replyTool(
    'manage_test_automation',
    'Decide what to automate next: flaky and slow suites first',
    {
      suites: z
        .array(z.object({ name: z.string().min(1), flaky_rate: Ratio, minutes: z.number().nonnegative() }))
        .min(1),
    },
    (i) => ({
      next: [...i.suites]
        .sort((a, b) => b.flaky_rate - a.flaky_rate || b.minutes - a.minutes)
        .map((s) => s.name),
      quarantine: i.suites.filter((s) => s.flaky_rate > 0.05).map((s) => s.name),
    }),
  ),
  escalationTool('senior_architect', 'test strategy'),
];
