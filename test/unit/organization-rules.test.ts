/** The organization's rules at their boundaries: authority, escalation, votes, relevance, tools. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lambdas/core/errors.ts';
import { checkAuthority, formatUsd } from '../../lambdas/core/org/authority.ts';
import { findHumanMatter } from '../../lambdas/core/org/human-matters.ts';
import { type EscalationFacts, judgeEscalation, type VoteRecord } from '../../lambdas/core/org/merits.ts';
import { purposeKey, vendorKey } from '../../lambdas/core/org/purpose.ts';
import { chainAbove, effectiveDomains, REGISTRY, superiorOf } from '../../lambdas/core/org/registry.ts';
import { scoreRelevance, selfSelect } from '../../lambdas/core/org/relevance.ts';
import { decideVote } from '../../lambdas/core/org/rules-agent.ts';
import { synthesize } from '../../lambdas/core/org/synthesis.ts';
import { runTool } from '../../lambdas/core/org/tools/index.ts';
import type { DecisionProposal } from '../../lambdas/core/org/tools/types.ts';
import {
  castVote,
  closeVoting,
  escalationTargetFor,
  tally,
  type Vote,
} from '../../lambdas/core/org/votes.ts';
import { ROLES, type Role } from '../../lambdas/core/roles.ts';

const proposal = (p: Partial<DecisionProposal>): DecisionProposal => ({
  kind: 'test',
  title: 't',
  domain: 'requirements',
  confidence: 0.9,
  details: {},
  ...p,
});
const ctx = { role: 'cto' as Role, from: 'human' as const, requestId: 'r', now: new Date(0) };

describe('authority', () => {
  const limits: [Role, number, string][] = [
    ['ceo', 1_000_000, 'strategy'],
    ['cto', 500_000, 'architecture'],
    ['chro', 300_000, 'hiring'],
    ['operations_head', 400_000, 'vendors'],
    ['product_manager', 200_000, 'requirements'],
  ];
  it.each(limits)(
    '%s decides exactly at its limit of %i and escalates one dollar over',
    (role, limit, domain) => {
      expect(checkAuthority(role, proposal({ domain, budgetUsd: limit }), { escalated: false })).toEqual({
        ok: true,
      });
      expect(checkAuthority(role, proposal({ domain, budgetUsd: limit + 1 }), { escalated: false })).toEqual({
        ok: false,
        to: superiorOf(role),
        reason: `budget ${formatUsd(limit + 1)} exceeds ${role} authority ${formatUsd(limit)}`,
      });
    },
  );

  it('roles without authority escalate any budget, and decide what costs nothing', () => {
    expect(
      checkAuthority('senior_architect', proposal({ domain: 'technical design', budgetUsd: 1 }), {
        escalated: false,
      }),
    ).toEqual({
      ok: false,
      to: 'cto',
      reason: 'budget $1 exceeds senior_architect authority $0',
    });
    expect(
      checkAuthority('senior_developer', proposal({ domain: 'bug fixes' }), { escalated: false }),
    ).toEqual({ ok: true });
  });

  it('walks the authority ladder of the acceptance scenarios', () => {
    const at = (role: Role, budgetUsd: number) =>
      checkAuthority(role, proposal({ budgetUsd }), { escalated: role !== 'product_manager' });
    expect(at('product_manager', 100_000).ok).toBe(true);
    expect(at('product_manager', 200_000).ok).toBe(true);
    expect(at('product_manager', 400_000)).toMatchObject({
      to: 'cto',
      reason: 'budget $400,000 exceeds product_manager authority $200,000',
    });
    expect(at('cto', 400_000).ok).toBe(true);
    expect(at('cto', 800_000)).toMatchObject({
      to: 'ceo',
      reason: 'budget $800,000 exceeds cto authority $500,000',
    });
    expect(at('ceo', 800_000).ok).toBe(true);
    expect(at('ceo', 2_000_000)).toMatchObject({
      to: 'human',
      reason: 'budget $2,000,000 exceeds ceo authority $1,000,000',
    });
    expect(
      checkAuthority('ceo', proposal({ domain: 'strategy', budgetUsd: 15_000_000 }), { escalated: false }),
    ).toMatchObject({
      to: 'human',
      reason: 'budget $15,000,000 exceeds ceo authority $1,000,000',
    });
  });

  it.each([
    'acquisition',
    'layoff',
    'termination',
    'legal',
    'regulatory',
    'discrimination',
    'strategic_pivot',
  ])('a %s always needs a human, whatever the budget', (category) => {
    expect(
      checkAuthority('ceo', proposal({ domain: 'strategy', category, budgetUsd: 0 }), { escalated: false }),
    ).toEqual({
      ok: false,
      to: 'human',
      reason: `category "${category}" always needs a human (a ${category.replace('_', ' ')} matter)`,
    });
  });

  it('a domain outside the role escalates; a superior decides its reports domains', () => {
    expect(checkAuthority('cto', proposal({ domain: 'hiring' }), { escalated: false })).toMatchObject({
      to: 'ceo',
      reason: `domain "hiring" is outside cto's domains`,
    });
    expect(effectiveDomains('cto')).toEqual(
      expect.arrayContaining(['requirements', 'ui', 'bug fixes', 'quality gates']),
    );
    expect(effectiveDomains('ceo')).toEqual(expect.arrayContaining(['hiring', 'vendors', 'requirements']));
    expect(effectiveDomains('senior_developer')).toEqual(['implementation', 'refactoring', 'bug fixes']);
  });

  it('confidence below the threshold escalates; at the threshold it decides', () => {
    const threshold = REGISTRY.cto.confidenceThreshold;
    expect(
      checkAuthority('cto', proposal({ domain: 'architecture', confidence: threshold }), { escalated: false })
        .ok,
    ).toBe(true);
    expect(
      checkAuthority('cto', proposal({ domain: 'architecture', confidence: 0.55 }), { escalated: false }),
    ).toMatchObject({
      to: 'ceo',
      reason: `confidence 0.55 is below cto's threshold ${threshold}`,
    });
  });

  it('the chain above each role ends with a human', () => {
    expect(chainAbove('uiux_engineer')).toEqual(['product_manager', 'cto', 'ceo', 'human']);
    expect(chainAbove('test_lead')).toEqual(['senior_architect', 'cto', 'ceo', 'human']);
    expect(chainAbove('ceo')).toEqual(['human']);
  });
});

describe('tools', () => {
  const expected: Record<Role, string[]> = {
    ceo: [
      'approve_strategic_initiative',
      'allocate_budget',
      'initiate_decision',
      'override_decision',
      'review_organizational_health',
      'escalate_to_human',
    ],
    cto: [
      'approve_technical_proposal',
      'approve_infrastructure_change',
      'allocate_engineering_budget',
      'review_architecture',
      'review_engineering_metrics',
      'decide_incident_mitigation',
      'interview_candidate',
      'escalate_to_ceo',
    ],
    chro: [
      'approve_hiring_request',
      'conduct_performance_review',
      'allocate_hr_budget',
      'resolve_hr_issue',
      'review_team_health',
      'approve_job_offer',
      'escalate_to_ceo',
    ],
    operations_head: [
      'approve_vendor_contract',
      'optimize_process',
      'allocate_operations_budget',
      'review_operational_metrics',
      'manage_resource_allocation',
      'assess_incident',
      'escalate_to_ceo',
    ],
    product_manager: [
      'prioritize_feature',
      'approve_product_requirement',
      'allocate_product_budget',
      'review_user_feedback',
      'plan_release',
      'escalate_to_cto',
    ],
    senior_architect: [
      'design_system_architecture',
      'review_technical_design',
      'evaluate_technology',
      'plan_scalability',
      'manage_technical_debt',
      'interview_candidate',
      'escalate_to_cto',
    ],
    uiux_engineer: [
      'design_user_interface',
      'conduct_user_research',
      'review_design_implementation',
      'manage_design_system',
      'evaluate_accessibility',
      'escalate_to_product_manager',
    ],
    senior_developer: [
      'implement_feature',
      'review_code',
      'refactor_code',
      'fix_bug',
      'mentor_engineer',
      'escalate_to_senior_architect',
    ],
    test_lead: [
      'design_test_strategy',
      'review_test_coverage',
      'classify_bug_severity',
      'approve_release_quality',
      'manage_test_automation',
      'escalate_to_senior_architect',
    ],
  };

  it.each(ROLES)('%s has exactly its own tools and the four common ones', (role) => {
    expect(REGISTRY[role].tools.map((t) => t.name)).toEqual([
      ...expected[role],
      'ai_consult',
      'session_consult',
      'remember',
      'recall',
    ]);
  });

  it('no tool object is shared between roles', () => {
    const all = ROLES.flatMap((r) => REGISTRY[r].tools);
    expect(new Set(all).size).toBe(all.length);
  });

  it('every escalate_to tool names the role its role reports to', () => {
    for (const role of ROLES) {
      const tool = REGISTRY[role].tools.find((t) => t.name.startsWith('escalate_to_'))!;
      expect(tool.name).toBe(`escalate_to_${superiorOf(role)}`);
    }
  });

  it('validates input on every call, naming the field', () => {
    const bad = () => runTool('chro', 'approve_hiring_request', { position: 'x', budget_usd: -5 }, ctx);
    expect(bad).toThrow(ValidationError);
    expect(bad).toThrow('budget_usd: must be a non-negative number');
    expect(() => runTool('cto', 'allocate_engineering_budget', { purpose: 'ci' }, ctx)).toThrow('amount_usd');
    expect(runTool('cto', 'no_such_tool', {}, ctx)).toBeUndefined();
    expect(runTool('cto', 'approve_hiring_request', {}, ctx)).toBeUndefined();
  });

  it("the workflows' tools: incident severity at its boundaries, interview scores, offers and mitigations", () => {
    const assess = (input: Record<string, unknown>) =>
      (runTool('operations_head', 'assess_incident', { title: 'checkout down', ...input }, ctx) as any)
        .content;
    expect(assess({})).toMatchObject({ severity: 'low', customersAffected: false, notifyLeadership: false });
    expect(assess({ degraded_services: ['admin'] })).toMatchObject({ severity: 'medium' });
    expect(assess({ customers_affected: 1 })).toMatchObject({ severity: 'high', customersAffected: true });
    expect(assess({ customers_affected: 99 })).toMatchObject({ severity: 'high' });
    expect(assess({ customers_affected: 100 })).toMatchObject({
      severity: 'critical',
      notifyLeadership: true,
    });
    expect(assess({ outage: true })).toMatchObject({ severity: 'critical', customersAffected: false });
    const interview = (marks: Record<string, number>) =>
      (runTool('cto', 'interview_candidate', { candidate: 'Ada', position: 'SRE', ...marks }, ctx) as any)
        .content;
    // technical counts twice: (2×4 + 3 + 3) / 4 = 3.5 is the bar
    expect(interview({ technical: 4, communication: 3, collaboration: 3 })).toMatchObject({
      score: 3.5,
      recommendation: 'hire',
    });
    expect(interview({ technical: 3, communication: 4, collaboration: 4 })).toMatchObject({
      score: 3.5,
      recommendation: 'hire',
    });
    expect(interview({ technical: 4, communication: 3, collaboration: 2 })).toMatchObject({
      recommendation: 'no hire',
    });
    expect(() => interview({ technical: 6 })).toThrow('technical: must be from 1 to 5');
    expect(
      runTool('chro', 'approve_job_offer', { candidate: 'Ada', position: 'SRE', budget_usd: 180_000 }, ctx),
    ).toMatchObject({
      kind: 'decision',
      proposal: { title: 'Offer SRE to Ada', domain: 'hiring', budgetUsd: 180_000 },
    });
    expect(runTool('cto', 'decide_incident_mitigation', { title: 'checkout down' }, ctx)).toMatchObject({
      kind: 'decision',
      proposal: { title: 'Mitigate checkout down: rollback', domain: 'infrastructure' },
    });
  });

  it('approvals propose decisions; allocations use amount_usd; escalations name the superior', () => {
    expect(
      runTool(
        'product_manager',
        'approve_product_requirement',
        { title: 'Dashboard', budget_usd: 400_000 },
        ctx,
      ),
    ).toMatchObject({
      kind: 'decision',
      proposal: {
        kind: 'approve_product_requirement',
        title: 'Dashboard',
        domain: 'requirements',
        budgetUsd: 400_000,
        confidence: 0.85,
      },
    });
    expect(
      runTool('ceo', 'allocate_budget', { amount_usd: 50_000, purpose: 'security audit' }, ctx),
    ).toMatchObject({
      kind: 'decision',
      proposal: { budgetUsd: 50_000, title: 'Allocate for security audit' },
    });
    expect(
      runTool(
        'uiux_engineer',
        'escalate_to_product_manager',
        { title: 'Redesign', reason: 'needs budget' },
        ctx,
      ),
    ).toMatchObject({
      kind: 'escalation',
      to: 'product_manager',
      reason: 'needs budget',
    });
  });

  it('a blocked release goes straight to the cto', () => {
    expect(
      runTool('test_lead', 'approve_release_quality', { release: '2.0', pass_rate: 0.9, open_p0: 1 }, ctx),
    ).toMatchObject({
      kind: 'escalation',
      to: 'cto',
      reason: 'release blocked: 1 open P0 bug(s); pass rate 0.9 is below 0.95',
    });
    expect(
      runTool('test_lead', 'approve_release_quality', { release: '2.0', pass_rate: 0.99 }, ctx),
    ).toMatchObject({ kind: 'decision' });
  });

  it.each([
    [{ data_loss: true }, 'P0'],
    [{ users_affected_ratio: 0.3 }, 'P1'],
    [{ users_affected_ratio: 0.3, workaround: true }, 'P2'],
    [{ users_affected_ratio: 0.01 }, 'P3'],
    [{}, 'P4'],
  ])('classifies %o as %s', (facts, severity) => {
    expect(runTool('test_lead', 'classify_bug_severity', { title: 'b', ...facts }, ctx)).toEqual({
      kind: 'reply',
      content: { title: 'b', severity },
    });
  });

  it('replies are computed from the input', () => {
    expect(
      runTool(
        'product_manager',
        'prioritize_feature',
        { feature: 'f', reach: 1000, impact: 2, confidence: 0.5, effort_weeks: 4 },
        ctx,
      ),
    ).toEqual({
      kind: 'reply',
      content: { feature: 'f', rice: 250, priority: 'next' },
    });
    expect(
      runTool(
        'uiux_engineer',
        'evaluate_accessibility',
        { foreground: '#777777', background: '#ffffff' },
        ctx,
      ),
    ).toMatchObject({
      content: { contrastRatio: 4.48, verdict: 'changes requested' },
    });
  });
});

describe('votes', () => {
  const participants: Role[] = ['product_manager', 'senior_architect', 'operations_head'];
  const at = new Date('2026-01-01T00:00:00Z');
  const vote = (voter: Role, v: Vote['vote'], confidence = 0.8): Vote => ({
    voter,
    vote: v,
    confidence,
    rationale: `${voter} says ${v}`,
    castAt: at,
  });
  const before = { now: at, deadline: new Date(at.getTime() + 60_000) };
  const after = { now: new Date(at.getTime() + 60_000), deadline: new Date(at.getTime() + 60_000) };

  it('two approve and one rejects: approved with consensus 0.67', () => {
    const result = closeVoting(
      participants,
      [
        vote('product_manager', 'approve'),
        vote('senior_architect', 'approve'),
        vote('operations_head', 'reject'),
      ],
      before,
    );
    expect(result.status).toBe('approved');
    expect(Math.round((result as { consensusScore: number }).consensusScore * 100) / 100).toBe(0.67);
  });

  it('approve, reject, abstain is a tie that escalates to the initiator superior', () => {
    expect(
      closeVoting(
        participants,
        [
          vote('product_manager', 'approve'),
          vote('senior_architect', 'reject'),
          vote('operations_head', 'abstain'),
        ],
        before,
      ),
    ).toEqual({
      status: 'escalate',
      reason: 'tie',
      detail: 'tie: 1 approve, 1 reject, 1 abstain',
    });
    expect(escalationTargetFor('cto')).toBe('ceo');
    expect(escalationTargetFor('ceo')).toBe('human');
  });

  it('stays open until everyone has voted or the deadline passes', () => {
    expect(
      closeVoting(
        participants,
        [vote('product_manager', 'approve'), vote('senior_architect', 'approve')],
        before,
      ),
    ).toEqual({ status: 'open' });
    expect(
      closeVoting(
        participants,
        [vote('product_manager', 'approve'), vote('senior_architect', 'approve')],
        after,
      ).status,
    ).toBe('approved');
  });

  it('exactly half is not a quorum: no quorum at the deadline escalates', () => {
    const four: Role[] = [...participants, 'test_lead'];
    expect(
      tally(four, [vote('product_manager', 'approve'), vote('senior_architect', 'approve')]).quorum,
    ).toBe(false);
    expect(
      tally(four, [
        vote('product_manager', 'approve'),
        vote('senior_architect', 'approve'),
        vote('test_lead', 'reject'),
      ]).quorum,
    ).toBe(true);
    expect(
      closeVoting(four, [vote('product_manager', 'approve'), vote('senior_architect', 'approve')], after),
    ).toMatchObject({
      status: 'escalate',
      reason: 'no_quorum',
    });
  });

  it('a changed vote replaces the first; a non-participant cannot vote', () => {
    const votes = castVote(
      participants,
      [vote('operations_head', 'approve')],
      vote('operations_head', 'reject'),
    );
    expect(votes).toEqual([vote('operations_head', 'reject')]);
    expect(() => castVote(participants, votes, vote('chro', 'approve'))).toThrow(
      'voter: chro is not a participant',
    );
  });

  it('degraded agents are left out of the quorum', () => {
    const t = tally(participants, [vote('product_manager', 'approve'), vote('senior_architect', 'approve')], {
      degraded: ['operations_head'],
    });
    expect(t).toMatchObject({ eligible: 2, voted: 2, quorum: true });
    expect(
      closeVoting(participants, [vote('product_manager', 'approve'), vote('senior_architect', 'approve')], {
        ...before,
        degraded: ['operations_head'],
      }).status,
    ).toBe('approved');
  });

  it('the synthesis names the strongest rationale on each side', () => {
    const s = synthesize({
      title: 'T',
      participants,
      votes: [
        vote('product_manager', 'approve', 0.7),
        vote('senior_architect', 'approve', 0.9),
        vote('operations_head', 'reject', 0.6),
      ],
      outcome: 'approved',
      consensusScore: 2 / 3,
    });
    expect(s.breakdown).toEqual({ approve: 2, reject: 1, abstain: 0 });
    expect(s.strongestFor).toMatchObject({ voter: 'senior_architect', confidence: 0.9 });
    expect(s.strongestAgainst).toMatchObject({ voter: 'operations_head' });
    expect(s.summary).toBe('"T" is approved: 2 for, 1 against, 0 abstaining (consensus 0.67).');
  });
});

describe('self-selection', () => {
  it('matches whole words only: "hr" is not in "three"', () => {
    expect(scoreRelevance('chro', 'three threads').matched).toEqual([]);
    expect(scoreRelevance('chro', 'an HR question').matched).toEqual(['hr']);
  });

  it('an anti-keyword declines', () => {
    expect(selfSelect('cto', 'payroll run for the architecture and infrastructure team', {})).toMatchObject({
      join: false,
      as: null,
    });
  });

  it('between the thresholds it asks the LLM, and observes when there is no answer', () => {
    expect(selfSelect('chro', 'hiring plan', {})).toMatchObject({ needsLlm: true });
    expect(selfSelect('chro', 'hiring plan', { llmVerdict: undefined })).toMatchObject({
      join: false,
      as: 'observe',
      needsLlm: false,
    });
    expect(
      selfSelect('chro', 'hiring plan', {
        llmVerdict: { join: true, as: 'assist', reason: 'model says so' },
      }),
    ).toMatchObject({ join: true, as: 'assist' });
  });

  it('the revenue-3x broadcast draws cto, product_manager, senior_architect and operations_head; chro stays out', () => {
    const brief = JSON.parse(
      readFileSync(new URL('../../scenarios/revenue-3x.json', import.meta.url), 'utf8'),
    );
    const flatten = (v: unknown): string =>
      v && typeof v === 'object' ? Object.values(v).map(flatten).join(' ') : String(v);
    const text = `STRATEGIC INITIATIVE: 3x Revenue Growth in 18 Months ${flatten(brief)}`;
    for (const role of ['cto', 'product_manager', 'senior_architect', 'operations_head'] as Role[]) {
      expect(selfSelect(role, text, { llmVerdict: undefined }), role).toMatchObject({ join: true });
    }
    expect(selfSelect('chro', text, { llmVerdict: undefined }).join).toBe(false);
    expect(selfSelect('senior_developer', text, { llmVerdict: undefined }).join).toBe(false);
  });

  it('the rules engine votes from relevance: approve in its domains, abstain outside, reject an unexamined big spend', () => {
    expect(decideVote('cto', proposal({ title: 'Scale the platform infrastructure' })).vote).toBe('approve');
    expect(decideVote('chro', proposal({ title: 'Scale the platform infrastructure' })).vote).toBe('abstain');
    expect(
      decideVote('cto', proposal({ title: 'Rebuild the platform', budgetUsd: 5_000_000 })),
    ).toMatchObject({ vote: 'reject' });
  });
});

describe('governance: what always goes to a human, split budgets, merits', () => {
  const found = (title: string, details: Record<string, unknown> = {}, category?: string) =>
    findHumanMatter({ title, details, category })?.matter;

  it.each([
    ['Reduce Customer Success headcount by 12', 'layoff'],
    ['Cutting 30 jobs in EMEA', 'layoff'],
    ['We are laying off the night shift', 'layoff'],
    ['Workforce reduction, phase 2', 'layoff'],
    ['Make five roles redundant', 'layoff'],
    ['Redundancies in support', 'layoff'],
    ['Let 12 engineers go', 'layoff'],
    ['A RIF in sales', 'layoff'],
    ['Downsizing the company', 'layoff'],
    ['Acquire DataCo Inc', 'acquisition'],
    ['Buy out our rival', 'acquisition'],
    ['Acquisitions pipeline review', 'acquisition'],
    ['Merge with Acme Corp', 'merger'],
    ['Terminate the contract of employee J. Doe', 'termination'],
    ['Fire the underperforming developer', 'termination'],
    ['Wrongful dismissal claim', 'termination'],
    ['The vendor threatens to sue us', 'legal'],
    ['Litigation hold on the logs', 'legal'],
    ['Regulatory filing for the new market', 'regulatory'],
    ['A GDPR request backlog', 'regulatory'],
    ['Harassment complaint in sales', 'discrimination'],
    ['Claims of age discrimination', 'discrimination'],
    ['Pivot to enterprise', 'strategic_pivot'],
    ['Change our business model to subscriptions', 'strategic_pivot'],
    ['Exit the core market by Q3', 'strategic_pivot'],
  ])('"%s" is a %s matter, found in the content', (title, matter) => {
    expect(found(title)).toBe(matter);
  });

  it('reads the category in any spelling, the details (keys too), and fails closed on a negated mention', () => {
    expect(found('Quarterly review', {}, 'Layoffs')).toBe('layoff');
    expect(found('Quarterly review', {}, 'strategic-pivot')).toBe('strategic_pivot');
    expect(found('Quarterly review', { plan: { steps: ['hire', 'then reduce headcount'] } })).toBe('layoff');
    expect(found('Quarterly review', { layoffs: true })).toBe('layoff');
    expect(found('A reorganization with no layoffs')).toBe('layoff');
  });

  it.each([
    'Customer acquisition campaign',
    'TLS termination at the load balancer',
    'Rightsize EC2 instances',
    'Downsizing the cluster',
    "Let's go live on Monday",
    'Cut deployment time for developers',
    'Add redundancy to the primary database',
    'Adopt PostgreSQL',
    'Hire 2 × Senior Backend Engineer',
    'Real-time mobile dashboard with analytics',
  ])('"%s" is an ordinary matter', (title) => {
    expect(found(title)).toBeUndefined();
  });

  it('the revenue-3x brief is an ordinary matter', () => {
    const brief = JSON.parse(
      readFileSync(new URL('../../scenarios/revenue-3x.json', import.meta.url), 'utf8'),
    );
    expect(found('STRATEGIC INITIATIVE: 3x Revenue Growth in 18 Months', brief)).toBeUndefined();
  });

  it('a purpose key ignores what tells the parts apart; a vendor key the legal suffix', () => {
    const key = purposeKey('GPU cluster');
    for (const t of [
      'GPU Cluster (part 2 of 5)',
      'gpu clusters — tranche 4',
      'GPU cluster, phase V',
      'GPU cluster $400k',
    ])
      expect(purposeKey(t)).toBe(key);
    expect(purposeKey('GPU cluster')).not.toBe(purposeKey('CPU cluster'));
    expect(vendorKey({ vendor: 'Initech, Inc.' })).toBe(vendorKey({ vendor: 'INITECH' }));
    expect(vendorKey({})).toBeNull();
  });

  it('the sum of prior approvals for the purpose bounds the next one, naming them', () => {
    const p = proposal({ domain: 'architecture', budgetUsd: 300_000 });
    const prior = { totalUsd: 200_000, decisions: [{ id: 'd1', budgetUsd: 200_000 }], windowDays: 30 };
    expect(checkAuthority('cto', p, { escalated: false, prior })).toEqual({ ok: true });
    expect(checkAuthority('cto', { ...p, budgetUsd: 300_001 }, { escalated: false, prior })).toEqual({
      ok: false,
      to: 'ceo',
      reason:
        'budget $300,001 with $200,000 cto approved for the same purpose in the last 30 days makes $500,001, exceeding cto authority $500,000; earlier decisions: d1 ($200,000)',
    });
  });

  const facts = (over: Partial<EscalationFacts>): EscalationFacts => ({
    decisionId: 'd',
    proposal: proposal({ domain: 'architecture', title: 'Something' }),
    proposer: { role: 'product_manager', confidence: 0.85 },
    chain: [
      { owner: 'product_manager', reason: 'budget $300,000 exceeds product_manager authority $200,000' },
    ],
    vote: undefined,
    ...over,
  });
  const vote = (approvals: number, rejections: number, abstentions: number): VoteRecord => ({
    outcome: approvals > rejections ? 'approved' : rejections > approvals ? 'rejected' : 'tie',
    approvals,
    rejections,
    abstentions,
    eligible: approvals + rejections + abstentions,
    consensusScore: approvals + rejections ? approvals / (approvals + rejections) : null,
    votes: [],
  });

  it('judges an escalation on its merits: the vote first, then its own view, then the proposer', () => {
    expect(judgeEscalation('ceo', facts({ vote: vote(0, 0, 3) }))).toMatchObject({
      verdict: 'reject',
      by: 'rules',
      rationale: expect.stringMatching(/^nobody supported it: 0 for, 0 against, 3 abstaining/),
    });
    expect(judgeEscalation('ceo', facts({ vote: vote(2, 1, 0) })).verdict).toBe('approve');
    expect(judgeEscalation('ceo', facts({ vote: vote(1, 2, 0) })).verdict).toBe('reject');
    // a real tie: the superior's own view breaks it (the CEO sees no case of its own here)
    expect(judgeEscalation('ceo', facts({ vote: vote(1, 1, 1) })).verdict).toBe('reject');
    expect(
      judgeEscalation(
        'cto',
        facts({
          vote: vote(1, 1, 0),
          proposal: proposal({ domain: 'architecture', title: 'Cloud platform upgrade' }),
        }),
      ).verdict,
    ).toBe('approve');
    // no vote: a sure proposer and no objection go ahead; an unsure one is sent back
    expect(judgeEscalation('ceo', facts({})).verdict).toBe('approve');
    expect(
      judgeEscalation('ceo', facts({ proposer: { role: 'product_manager', confidence: 0.5 } })),
    ).toMatchObject({
      verdict: 'reject',
      rationale: expect.stringMatching(/product_manager was unsure \(confidence 0.5, below its 0.7\)/),
    });
  });

  it("a vote rejects on an objection in a sentence of the role's own part, quoting it", () => {
    const v = decideVote(
      'operations_head',
      proposal({
        title: 'Adopt Redis',
        details: {
          operations: 'Runs under the monitoring we have.',
          briefing:
            'Two more stateful services put our reliability at risk; the on-call rota is understaffed.',
        },
      }),
    );
    expect(v.vote).toBe('reject');
    expect(v.rationale).toMatch(/reliability at risk/);
    // another role's objection is not this role's
    expect(
      decideVote(
        'product_manager',
        proposal({ title: 'Features for customers', details: { ops: 'the reliability is at risk' } }),
      ).vote,
    ).toBe('approve');
  });
});
