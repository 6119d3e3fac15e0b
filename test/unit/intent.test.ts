/**
 * Reading a free-text request without a model (intent.ts) at its boundaries: which tool of the
 * role it asks for, the inputs read from the text (amounts, titles, counts, vendors, positions,
 * figures), what is asked for instead of invented, and hostile text. The plans are run through
 * the real tools and the real authority check.
 */
import { describe, expect, it } from 'vitest';
import { checkAuthority } from '../../lambdas/core/org/authority.ts';
import { amountMentions, planToolCall, readAmount, type ToolPlan } from '../../lambdas/core/org/intent.ts';
import { REGISTRY } from '../../lambdas/core/org/registry.ts';
import { answerFreeText } from '../../lambdas/core/org/rules-agent.ts';
import { runTool } from '../../lambdas/core/org/tools/index.ts';
import { MAX_USD } from '../../lambdas/core/org/tools/kit.ts';
import { ROLES, type Role } from '../../lambdas/core/roles.ts';

const ctx = (role: Role) => ({ role, from: 'human' as const, requestId: 'r-1', now: new Date(0) });
const call = (plan: ToolPlan) => {
  expect(plan.kind, JSON.stringify(plan)).toBe('call');
  return plan as Extract<ToolPlan, { kind: 'call' }>;
};
const incomplete = (plan: ToolPlan) => {
  expect(plan.kind, JSON.stringify(plan)).toBe('incomplete');
  return plan as Extract<ToolPlan, { kind: 'incomplete' }>;
};

describe('amounts', () => {
  it.each([
    ['$120k', 120_000],
    ['$120K', 120_000],
    ['$ 120,000', 120_000],
    ['120,000 USD', 120_000],
    ['USD 120,000', 120_000],
    ['120k USD', 120_000],
    ['US$120k', 120_000],
    ['$1.5M', 1_500_000],
    ['$1.5 million', 1_500_000],
    ['$2bn', 2_000_000_000],
    ['5 million dollars', 5_000_000],
    ['budget 300000', 300_000],
    ['budget of 300,000', 300_000],
    ['budget: 300k', 300_000],
    ['costing 40k', 40_000],
    ['$99.99', 99.99],
    ['$0.125', 0.13],
    ['the price is 5', 5],
  ])('%s is %d US dollars', (text, value) => {
    expect(readAmount(`Approve it for ${text}.`)).toMatchObject({ kind: 'one', value });
  });

  it('reads no amount where there is none: percentages, counts, durations, years, versions', () => {
    for (const text of [
      'churn rose 12%',
      'hire 3 engineers',
      'budget for 12 months',
      'budget: 12 months',
      'the 2025 budget',
      'release 2.3',
      'Q3',
      '',
    ])
      expect(readAmount(text), text).toEqual({ kind: 'none' });
  });

  it('negative amounts are read as negative (the tool refuses them), a range is two amounts', () => {
    expect(readAmount('-$5k')).toMatchObject({ kind: 'one', value: -5000 });
    expect(readAmount('$-5,000')).toMatchObject({ kind: 'one', value: -5000 });
    expect(readAmount('minus $5k')).toMatchObject({ kind: 'one', value: -5000 });
    expect(readAmount('$100k-$150k')).toMatchObject({ kind: 'problem' });
    expect(amountMentions('$100k-$150k').map((m) => ('value' in m ? m.value : undefined))).toEqual([
      100_000, 150_000,
    ]);
  });

  it('two amounts are a problem unless one is the total; the same amount twice is one', () => {
    expect(readAmount('$120k now and $30k next year')).toMatchObject({
      kind: 'problem',
      message: expect.stringMatching(/names 2 amounts \(\$120k, \$30k\)/),
    });
    expect(readAmount('$150k in total: $100k now and $50k later')).toMatchObject({
      kind: 'one',
      value: 150_000,
    });
    expect(readAmount('a total of $150k: $100k now, $50k later')).toMatchObject({
      kind: 'one',
      value: 150_000,
    });
    expect(readAmount('$120k ($120,000)')).toMatchObject({ kind: 'one', value: 120_000 });
  });

  it('another currency is never converted, and ambiguous separators are never guessed', () => {
    for (const text of ['€120,000', '120.000 €', '£40k', 'EUR 5000', 'C$100', '100 euros', '5000 GBP'])
      expect(readAmount(text), text).toMatchObject({
        kind: 'problem',
        message: expect.stringMatching(/is not in US dollars/),
      });
    for (const text of ['$120.000', '$1.500.000', '$1,5'])
      expect(readAmount(text), text).toMatchObject({
        kind: 'problem',
        message: expect.stringMatching(/ambiguous/),
      });
  });

  it('an amount too large to record is read as it is, and the tool refuses it; one too long to be a number is the largest', () => {
    expect(readAmount('$100000000000000000')).toMatchObject({ kind: 'one', value: 1e17 });
    expect(readAmount(`$${'9'.repeat(400)}`)).toMatchObject({ kind: 'one', value: Number.MAX_VALUE });
  });
});

describe("planToolCall: the request asks for one of the role's tools", () => {
  it('"Approve the Kafka migration for $120k" → the CTO\'s approve_technical_proposal, titled without the ask', () => {
    const plan = call(planToolCall('cto', 'Approve the Kafka migration for $120k', {}));
    expect(plan).toMatchObject({
      tool: 'approve_technical_proposal',
      input: { title: 'Kafka migration', budget_usd: 120_000 },
    });
    expect(plan.because).toMatch(
      /asks for approve_technical_proposal \(.*kafka.*\); read budget_usd \$120,000/,
    );
  });

  it.each([
    ['Adopt PostgreSQL', { budget_usd: 100_000 }, { title: 'Adopt PostgreSQL', budget_usd: 100_000 }],
    ['Adopt PostgreSQL', {}, { title: 'Adopt PostgreSQL' }],
    [
      'Please approve the migration to Aurora, budget 300000',
      {},
      { title: 'Migration to Aurora', budget_usd: 300_000 },
    ],
    [
      'Can we migrate to Kubernetes for $1.5M?',
      {},
      { title: 'Migrate to Kubernetes', budget_usd: 1_500_000 },
    ],
    ['We want to switch to Redis ($45,000)', {}, { title: 'Switch to Redis', budget_usd: 45_000 }],
    ['Sign off on adopting GraphQL, cost 20k', {}, { title: 'Adopting GraphQL', budget_usd: 20_000 }],
    [
      '',
      { text: 'Adopt PostgreSQL for $100k. It is faster.' },
      { title: 'Adopt PostgreSQL', budget_usd: 100_000 },
    ],
    ['ＡＤＯＰＴ ＰｏｓｔｇｒｅＳＱＬ', {}, { title: 'ADOPT PostgreSQL' }],
  ])('CTO: %j %j → approve_technical_proposal %j', (subject, content, input) => {
    expect(call(planToolCall('cto', subject, content))).toMatchObject({
      tool: 'approve_technical_proposal',
      input,
    });
  });

  it('each role finds its own tool and the inputs the tool needs', () => {
    const cases: [Role, string, string, Record<string, unknown>][] = [
      [
        'chro',
        'Hire 3 backend engineers for the platform team at $450k',
        'approve_hiring_request',
        { headcount: 3, position: 'backend engineer', team: 'platform', budget_usd: 450_000 },
      ],
      ['chro', 'Hire a data engineer', 'approve_hiring_request', { headcount: 1, position: 'data engineer' }],
      [
        'chro',
        'Offer Ada Lovelace the staff engineer position for $180,000',
        'approve_job_offer',
        { candidate: 'Ada Lovelace', position: 'staff engineer', budget_usd: 180_000 },
      ],
      [
        'operations_head',
        'Sign a 24-month contract with Datadog for $80k',
        'approve_vendor_contract',
        { vendor: 'Datadog', term_months: 24, budget_usd: 80_000 },
      ],
      [
        'operations_head',
        'Renew the PagerDuty contract for two years',
        'approve_vendor_contract',
        { vendor: 'PagerDuty', term_months: 24 },
      ],
      [
        'operations_head',
        'Move two SREs from payments to platform',
        'manage_resource_allocation',
        { resource: 'two SREs', from_team: 'payments', to_team: 'platform' },
      ],
      [
        'operations_head',
        'Assess the checkout outage: 300 customers affected, no data loss',
        'assess_incident',
        { title: 'Checkout outage', outage: true, data_loss: false, customers_affected: 300 },
      ],
      [
        'operations_head',
        'Allocate $50k for on-call tooling',
        'allocate_operations_budget',
        { amount_usd: 50_000, purpose: 'On-call tooling' },
      ],
      [
        'product_manager',
        'Prioritize dark mode: reach 5000, impact 2, effort 3 weeks',
        'prioritize_feature',
        { feature: 'Dark mode', reach: 5000, impact: 2, effort_weeks: 3 },
      ],
      [
        'product_manager',
        'We need a CSV export feature, high priority, $40k',
        'approve_product_requirement',
        { title: 'CSV export feature', priority: 'high', budget_usd: 40_000 },
      ],
      [
        'product_manager',
        'Plan release 2.3 for 2025-03-01',
        'plan_release',
        { version: '2.3', date: '2025-03-01' },
      ],
      [
        'test_lead',
        'Quality gate for release 2.3: pass rate 98%, coverage 85%, 0 open P0',
        'approve_release_quality',
        { release: '2.3', pass_rate: 0.98, coverage: 0.85, open_p0: 0 },
      ],
      [
        'senior_developer',
        'Fix the login timeout bug (P1)',
        'fix_bug',
        { bug: 'Login timeout bug', severity: 'P1' },
      ],
      [
        'senior_architect',
        'Evaluate Kafka: maturity 5, fit 4, team skill 3, cost 2',
        'evaluate_technology',
        { technology: 'Kafka', maturity: 5, fit: 4, team_skill: 3, cost: 2 },
      ],
      [
        'uiux_engineer',
        'Check the contrast of #777777 on #ffffff',
        'evaluate_accessibility',
        { foreground: '#777777', background: '#ffffff' },
      ],
      [
        'cto',
        'Roll back the checkout deploy after the incident',
        'decide_incident_mitigation',
        { title: 'Roll back the checkout deploy after the incident', mitigation: 'rollback' },
      ],
      [
        'ceo',
        'Approve the expansion into Brazil for $750k',
        'approve_strategic_initiative',
        { title: 'Expansion into Brazil', budget_usd: 750_000 },
      ],
    ];
    cases.push(
      [
        'cto',
        'Can you approve moving our CI to GitHub Actions? About $20k/year',
        'approve_infrastructure_change',
        { title: 'Moving our CI to GitHub Actions', budget_usd: 20_000 },
      ],
      [
        'cto',
        'Proposal: replace RabbitMQ with Kafka, budget $250,000 total',
        'approve_technical_proposal',
        { title: 'Replace RabbitMQ with Kafka', budget_usd: 250_000 },
      ],
      [
        'cto',
        'Upgrade the production cluster to Kubernetes 1.30',
        'approve_infrastructure_change',
        { title: 'Upgrade the production cluster to Kubernetes 1.30', environment: 'production' },
      ],
      [
        'cto',
        'Please review the architecture of the billing system: 2 single points of failure',
        'review_architecture',
        { system: 'Billing system', single_points_of_failure: 2 },
      ],
      [
        'cto',
        'Allocate $200k of the engineering budget to platform work',
        'allocate_engineering_budget',
        { amount_usd: 200_000, purpose: 'Platform work' },
      ],
      [
        'cto',
        'We should adopt Rust for the ingest service',
        'approve_technical_proposal',
        { title: 'Adopt Rust for the ingest service' },
      ],
      [
        'cto',
        'Interview Grace Hopper for the staff engineer role',
        'interview_candidate',
        { candidate: 'Grace Hopper', position: 'staff engineer' },
      ],
      [
        'chro',
        'Please approve 2 new QA engineers, $220k total',
        'approve_hiring_request',
        { headcount: 2, position: 'QA engineer', budget_usd: 220_000 },
      ],
      [
        'chro',
        "Review Bob's performance: goals met 80%, peer feedback 4",
        'conduct_performance_review',
        { employee: 'Bob', goals_met: 0.8, peer_feedback: 4 },
      ],
      [
        'chro',
        'How healthy is the support team? engagement 55%, overtime 10 hours per week',
        'review_team_health',
        { team: 'support', engagement: 0.55, overtime_hours_per_week: 10 },
      ],
      [
        'chro',
        'Resolve the conflict between two team leads, severity high',
        'resolve_hr_issue',
        { issue: 'Conflict between two team leads', severity: 'high' },
      ],
      [
        'operations_head',
        'Uptime check: availability 99.5%, 3 incidents last month',
        'review_operational_metrics',
        { availability: 0.995, incidents_last_30d: 3 },
      ],
      [
        'operations_head',
        'Approve the AWS enterprise support contract, $120k/yr',
        'approve_vendor_contract',
        { vendor: 'AWS', budget_usd: 120_000 },
      ],
      [
        'product_manager',
        'Allocate 50000 USD to the product budget for discovery',
        'allocate_product_budget',
        { amount_usd: 50_000, purpose: 'Discovery' },
      ],
      ['product_manager', 'Release plan for v3.0', 'plan_release', { version: '3.0' }],
      [
        'senior_architect',
        'Design the architecture of the notification service as a modular monolith',
        'design_system_architecture',
        { title: 'Notification service as a modular monolith', style: 'modular monolith' },
      ],
      [
        'senior_architect',
        'Plan for scale: current capacity 10000 users, target 50000 users',
        'plan_scalability',
        { current_capacity_users: 10_000, target_users: 50_000 },
      ],
      [
        'senior_architect',
        'Review the design of the payments API: it has an API contract, no retries',
        'review_technical_design',
        { design: 'Payments API', has_api_contract: true, handles_retries: false },
      ],
      [
        'uiux_engineer',
        'Design the mobile onboarding screen',
        'design_user_interface',
        { title: 'Mobile onboarding screen', platform: 'mobile' },
      ],
      [
        'senior_developer',
        'Implement SSO login, high complexity',
        'implement_feature',
        { feature: 'SSO login', complexity: 'high' },
      ],
      [
        'senior_developer',
        'Refactor the billing module',
        'refactor_code',
        { title: 'Billing module', module: 'billing' },
      ],
      [
        'senior_developer',
        'Review PR #42: 520 lines changed, has tests',
        'review_code',
        { change: 'PR #42', lines_changed: 520, has_tests: true },
      ],
      [
        'senior_developer',
        'Mentor Alice, a junior engineer, toward owning the search service',
        'mentor_engineer',
        { engineer: 'Alice', level: 'junior' },
      ],
      [
        'test_lead',
        'What test strategy for the payments rewrite? high risk',
        'design_test_strategy',
        { subject: 'Payments rewrite', risk: 'high' },
      ],
      [
        'test_lead',
        'Classify the bug: checkout crashes for 30% of users, no workaround',
        'classify_bug_severity',
        { title: 'Checkout crashes for 30% of users', workaround: false },
      ],
      [
        'test_lead',
        'Review test coverage of the auth service: line coverage 72%',
        'review_test_coverage',
        { component: 'Auth service', line_coverage: 0.72 },
      ],
      [
        'ceo',
        'How is the organization doing? attrition rate 12%, 4 open escalations',
        'review_organizational_health',
        { attrition_rate: 0.12, open_escalations: 4 },
      ],
      [
        'ceo',
        'Acquire Acme Corp for $900k',
        'approve_strategic_initiative',
        { title: 'Acquire Acme Corp', budget_usd: 900_000 },
      ],
    );
    for (const [role, subject, tool, input] of cases) {
      const plan = call(planToolCall(role, subject, {}));
      expect(plan, `${role}: ${subject}`).toMatchObject({ tool, input });
      // the plan runs as it is through the role's own tool
      expect(() => runTool(role, plan.tool, plan.input, ctx(role)), subject).not.toThrow();
    }
  });

  it('a planned decision keeps its authority: $120k the CTO approves, $900k goes to the CEO', () => {
    for (const [amount, ok] of [
      ['$120k', true],
      ['$900,000', false],
    ] as const) {
      const plan = call(planToolCall('cto', `Approve the Kafka migration for ${amount}`, {}));
      const outcome = runTool('cto', plan.tool, plan.input, ctx('cto'));
      expect(outcome?.kind).toBe('decision');
      if (outcome?.kind !== 'decision') return;
      expect(outcome.proposal).toMatchObject({ title: 'Kafka migration', domain: 'technology choice' });
      expect(checkAuthority('cto', outcome.proposal, { escalated: false }).ok).toBe(ok);
    }
  });

  it('content fields the tool knows are taken as given, and win over the text', () => {
    expect(call(planToolCall('cto', 'Adopt PostgreSQL for $1M', { budget_usd: 90_000 })).input).toEqual({
      title: 'Adopt PostgreSQL',
      budget_usd: 90_000,
    });
    expect(call(planToolCall('cto', 'Adopt PostgreSQL', { note: 'budget: 75k' })).input).toEqual({
      title: 'Adopt PostgreSQL',
      budget_usd: 75_000,
    });
  });
});

describe('planToolCall: what it asks for instead of inventing', () => {
  it('a required input the text does not give is asked for, by name and shape', () => {
    const plan = incomplete(planToolCall('operations_head', 'Renew datadog', {}));
    expect(plan).toMatchObject({ tool: 'approve_vendor_contract', needs: [{ field: 'vendor' }] });
    expect(plan.needs[0]!.message).toBe('send vendor: text of at most 500 characters');
    expect(
      incomplete(planToolCall('product_manager', 'Prioritize dark mode', {})).needs.map((n) => n.field),
    ).toEqual(['reach', 'impact', 'effort_weeks']);
    expect(incomplete(planToolCall('chro', 'Approve the hiring plan for Q3', {})).needs).toEqual([
      { field: 'position', message: 'send position: text of at most 500 characters' },
    ]);
  });

  it('hostile amounts: negative, over the largest recorded, two of them, another currency, ambiguous', () => {
    const need = (subject: string) => incomplete(planToolCall('cto', subject, {})).needs;
    expect(need('Approve the Kafka migration for -$5k')).toEqual([
      { field: 'budget_usd', message: 'budget_usd: must be a non-negative number (read -5000)' },
    ]);
    expect(need(`Approve the Kafka migration for $${MAX_USD + 1}`)[0]!.message).toMatch(
      /^budget_usd: must be at most 99999999999999/,
    );
    expect(need('Approve the Kafka migration for $120k and $30k for training')[0]!.message).toMatch(
      /names 2 amounts/,
    );
    expect(need('Approve the Kafka migration for €120,000')[0]!.message).toMatch(
      /€120,000 is not in US dollars/,
    );
    expect(need('Approve the Kafka migration for $120.000')[0]!.message).toMatch(/ambiguous/);
    // an amount the tool does not take (a reply tool) is no reason to refuse
    expect(
      call(
        planToolCall(
          'senior_architect',
          'Evaluate Kafka for $5k: maturity 5, fit 4, team skill 3, cost 2',
          {},
        ),
      ).input,
    ).toMatchObject({ technology: 'Kafka' });
  });

  it('a value of the wrong shape in the content is named with what was read', () => {
    expect(incomplete(planToolCall('cto', 'Adopt PostgreSQL', { budget_usd: 'lots' })).needs).toEqual([
      { field: 'budget_usd', message: 'budget_usd: must be a non-negative number (read "lots")' },
    ]);
  });

  it('text in another language: the amount in euros is refused, nothing is translated', () => {
    expect(
      incomplete(planToolCall('cto', 'Genehmigen Sie bitte die Kafka-Migration für 120.000 €', {})).needs[0]!
        .message,
    ).toMatch(/not in US dollars/);
    expect(planToolCall('chro', 'Bitte zwei Entwickler einstellen', {})).toMatchObject({ kind: 'none' });
  });
});

describe('planToolCall: no tool', () => {
  it('nothing that names no tool, or only asks to approve, is planned', () => {
    for (const subject of ['', '   ', 'Approve it', 'Hello', 'Should we go to the offsite?', '!!!', '1234'])
      expect(planToolCall('cto', subject, {}), subject).toMatchObject({ kind: 'none', candidates: [] });
  });

  it('two tools that fit equally are named, and neither is run', () => {
    expect(planToolCall('cto', 'Which first: Kafka or Kubernetes?', {})).toMatchObject({
      kind: 'none',
      candidates: ['approve_technical_proposal', 'approve_infrastructure_change'],
      because: expect.stringMatching(/could be approve_technical_proposal or approve_infrastructure_change/),
    });
  });

  it('never a tool of another role, an override, an escalation, a collaborative decision, a consultation or a memory', () => {
    const subjects = [
      'Override decision 5b0f7c1e-8a4d-4c52-9a51-2f1e0d9c8b7a: approved, the board agreed',
      'Escalate this to the CEO: the Kafka migration',
      'Open a collaborative decision on the Kafka migration for everyone',
      'Initiate a decision on pricing',
      'Remember that the Kafka migration is approved',
      'Recall what we decided about Kafka',
      'Consult the model about Kafka',
      'Ask the AI: should we adopt Kafka?',
      'Hire 3 backend engineers for $450k',
      'Sign a 24-month contract with Datadog for $80k',
    ];
    const never =
      /^(?:override_decision|initiate_decision|escalate_to_\w+|ai_consult|session_consult|remember|recall)$/;
    for (const role of ROLES)
      for (const subject of subjects) {
        const plan = planToolCall(role, subject, {});
        if (plan.kind === 'none') continue;
        expect(plan.tool, `${role}: ${subject}`).not.toMatch(never);
        expect(
          REGISTRY[role].tools.map((t) => t.name),
          `${role}: ${subject}`,
        ).toContain(plan.tool);
      }
    expect(planToolCall('cto', 'Hire 3 backend engineers for $450k', {})).toMatchObject({ kind: 'none' });
  });

  it('hostile text (long runs of digits, separators, amounts, names, spaces) is read, not crawled', () => {
    // each would take seconds or minutes with a pattern that backtracks; here the file's timeout bounds them
    for (const unit of [
      '1',
      '1,',
      '1.',
      '$1 ',
      'budget ',
      ' ',
      '5% ',
      'Datadog ',
      'offer to ',
      'move a ',
      'reach: ',
    ])
      for (const role of ['chro', 'operations_head'] as Role[]) {
        const text = unit.repeat(Math.ceil(20_000 / unit.length));
        expect(['call', 'incomplete', 'none'], unit).toContain(planToolCall(role, text, { text }).kind);
        expect(typeof answerFreeText(role, text.slice(0, 500), { text }).answer).toBe('string');
      }
  });

  it('a huge request is read in bounded time and size', () => {
    const content = {
      text: `Adopt PostgreSQL for $100k. ${'filler words and numbers 12 34. '.repeat(5000)}`,
    };
    const long = call(planToolCall('cto', 'x'.repeat(5000), content));
    expect(long.input.title).toHaveLength(500);
    expect(call(planToolCall('cto', 'Adopt PostgreSQL', content)).input).toMatchObject({
      title: 'Adopt PostgreSQL',
    });
  });
});

describe("answerFreeText in the role's voice", () => {
  it('"Adopt PostgreSQL" to the CTO is its own: it names the tool and the input it read', () => {
    const a = answerFreeText('cto', 'Adopt PostgreSQL', { budget_usd: 100_000 });
    expect(a).toMatchObject({
      role: 'cto',
      title: 'Chief Technology Officer',
      suggestion: {
        tool: 'approve_technical_proposal',
        input: { title: 'Adopt PostgreSQL', budget_usd: 100_000 },
      },
    });
    expect(a.answer).toMatch(
      /^As Chief Technology Officer: "Adopt PostgreSQL" is mine: it reads as approve_technical_proposal/,
    );
    expect(a.answer).not.toMatch(/outside my domains/);
  });

  it('a tool that fits with an input missing: it says which input to send', () => {
    const a = answerFreeText('operations_head', 'Renew datadog', {});
    expect(a.answer).toMatch(/fits approve_vendor_contract, but send vendor: text of at most 500 characters/);
    expect(a.answer).toMatch(/content like \{"vendor":"…"\}/);
    expect(a.needs).toEqual([{ field: 'vendor', message: 'send vendor: text of at most 500 characters' }]);
  });

  it('its domain without a tool: what it touches and the tools to name', () => {
    const a = answerFreeText('cto', 'Our security posture worries me', {});
    expect(a.answer).toMatch(/touches security, which is mine to handle/);
    expect(a.answer).toMatch(/approve_technical_proposal/);
  });

  it('outside its domains: it names the role the text is for', () => {
    expect(answerFreeText('cto', 'Hire a recruiter for the people team', {})).toMatchObject({
      ownedBy: 'chro',
      answer: expect.stringMatching(/outside my domains .*Chief Human Resources Officer's .*send it to chro/),
    });
    expect(answerFreeText('cto', 'Should we go to the offsite?', {}).answer).toMatch(/escalate to ceo/);
  });

  it('what_do_you_do is answered as before', () => {
    expect(answerFreeText('cto', 'what_do_you_do', {}).answer).toMatch(/^I am the Chief Technology Officer/);
  });
});
