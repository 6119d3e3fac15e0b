/**
 * The role registry: the organization as data. A role is its title, persona, superior, budget
 * authority, domains, lexicon (keywords, synonyms, figures, tool cues), confidence threshold, model
 * settings and its own tools.
 * Adding a role means one entry here and its tool module.
 */
import type { Role } from '../roles.ts';
import { ceoTools } from './tools/ceo.ts';
import { chroTools } from './tools/chro.ts';
import { commonTools } from './tools/common.ts';
import { ctoTools } from './tools/cto.ts';
import { operationsHeadTools } from './tools/operations-head.ts';
import { productManagerTools } from './tools/product-manager.ts';
import { seniorArchitectTools } from './tools/senior-architect.ts';
import { seniorDeveloperTools } from './tools/senior-developer.ts';
import { testLeadTools } from './tools/test-lead.ts';
import type { ToolDefinition } from './tools/types.ts';
import { uiuxEngineerTools } from './tools/uiux-engineer.ts';

/**
 * What a role reads in free text. Every word and phrase matches as whole words and in its forms
 * ("hire" meets "hiring" and "hired"; see words.ts), never inside another word ("hr" is not in
 * "three").
 */
export interface Lexicon {
  /** The concepts of its domains, each counted once however often and in whatever form it occurs. */
  keywords: readonly string[];
  /** More words and phrases that mean a keyword: synonyms, technologies, products. */
  synonyms: Readonly<Record<string, readonly string[]>>;
  /** A mention declines a broadcast outright ("payroll" is never the CTO's). */
  antiKeywords: readonly string[];
  /**
   * Figures it answers for. A broadcast that reports one moving or at a level ("a 12% rise in
   * churn") is the owner's to lead and the watcher's to assist with, however short the text.
   */
  figures: { owns: readonly string[]; watches: readonly string[] };
  /** Words and phrases that ask for one of its tools in a free-text request (besides the tool's name). */
  toolCues: Readonly<Record<string, readonly string[]>>;
}

export interface RoleDefinition {
  role: Role;
  title: string;
  persona: string;
  reportsTo: Role | 'human';
  /** The largest budget it approves alone; 0: none. */
  budgetAuthorityUsd: number;
  /** What it decides alone. */
  domains: readonly string[];
  lexicon: Lexicon;
  /** Below this confidence it escalates. */
  confidenceThreshold: number;
  llm: { model: string; temperature: number; maxTokens: number };
  tools: readonly ToolDefinition[];
}

const HAIKU = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const NOVA = 'amazon.nova-lite-v1:0';

/** Data stores and messaging a technology choice names. */
const DATA_STORES = [
  'postgresql',
  'postgres',
  'mysql',
  'mariadb',
  'aurora',
  'dynamodb',
  'mongodb',
  'redis',
  'cassandra',
  'elasticsearch',
  'opensearch',
  'sqlite',
  'snowflake',
  'bigquery',
  'data warehouse',
  'data store',
  'datastore',
  'sql',
  'nosql',
] as const;
const TECHNOLOGIES = [
  'kafka',
  'rabbitmq',
  'graphql',
  'grpc',
  'node.js',
  'typescript',
  'python',
  'golang',
  'java',
  'rust',
  'kotlin',
  'framework',
  'tech stack',
  'open source',
  'programming language',
] as const;
const INFRASTRUCTURE = [
  'kubernetes',
  'k8s',
  'docker',
  'container',
  'terraform',
  'server',
  'cluster',
  'network',
  'cdn',
  'load balancer',
  'data center',
  'datacenter',
  'vpc',
  'dns',
] as const;
const CLOUDS = [
  'aws',
  'amazon web services',
  'azure',
  'gcp',
  'google cloud',
  'serverless',
  'lambda',
] as const;

type Entry = Omit<RoleDefinition, 'role' | 'tools'> & { tools: () => ToolDefinition[] };

const entries: Record<Role, Entry> = {
  ceo: {
    title: 'Chief Executive Officer',
    persona:
      'You set direction, weigh the whole organization and answer to the board. Decisive, brief, numbers first.',
    reportsTo: 'human',
    budgetAuthorityUsd: 1_000_000,
    domains: ['strategy', 'budget allocation', 'reorganization', 'crisis'],
    lexicon: {
      keywords: [
        'strategy',
        'vision',
        'revenue',
        'growth',
        'board',
        'investor',
        'acquisition',
        'reorganization',
        'crisis',
        'company',
        'profit',
        'competitor',
        'budget allocation',
      ],
      synonyms: {
        strategy: ['strategic', 'direction', 'long term', 'pivot', 'initiative'],
        vision: ['mission'],
        revenue: ['sales', 'arr', 'mrr', 'bookings', 'top line', 'income'],
        growth: ['expansion', 'expand', 'scale up'],
        board: ['board of directors', 'shareholder', 'stakeholder'],
        investor: ['investment', 'funding round', 'fundraising', 'venture capital', 'valuation', 'ipo'],
        acquisition: ['acquire', 'merger', 'mergers and acquisitions'],
        reorganization: ['reorg', 'restructuring'],
        crisis: ['emergency', 'crisis management'],
        company: ['organization', 'company-wide', 'organization-wide', 'business'],
        profit: ['margin', 'ebitda', 'earnings', 'burn rate', 'runway', 'cash flow'],
        competitor: ['competition', 'competitive', 'market share'],
      },
      antiKeywords: [],
      figures: {
        owns: [
          'revenue',
          'arr',
          'mrr',
          'sales',
          'bookings',
          'profit',
          'margin',
          'burn rate',
          'runway',
          'cash',
          'market share',
          'valuation',
        ],
        watches: ['churn', 'customer churn', 'attrition', 'costs'],
      },
      toolCues: {
        approve_strategic_initiative: [
          'strategy',
          'strategic',
          'initiative',
          'expansion',
          'expand',
          'new market',
          'partnership',
          'pivot',
          'direction',
          'acquisition',
          'acquire',
        ],
        allocate_budget: ['allocate', 'allocation', 'fund', 'funding', 'earmark', 'set aside'],
        review_organizational_health: [
          'organizational health',
          'organization health',
          'health of the organization',
          'health of the company',
          'attrition rate',
          'open escalations',
          'budget used',
        ],
      },
    },
    confidenceThreshold: 0.6,
    llm: { model: HAIKU, temperature: 0.3, maxTokens: 800 },
    tools: ceoTools,
  },
  cto: {
    title: 'Chief Technology Officer',
    persona:
      'You own the technology: architecture, infrastructure, security and delivery. Pragmatic, risk-aware.',
    reportsTo: 'ceo',
    budgetAuthorityUsd: 500_000,
    domains: [
      'architecture',
      'infrastructure',
      'technology choice',
      'security',
      'deployment',
      'engineering budget',
    ],
    lexicon: {
      keywords: [
        'technology',
        'technical',
        'platform',
        'architecture',
        'infrastructure',
        'scale',
        'security',
        'deployment',
        'engineering',
        'cloud',
        'system',
        'database',
        'capacity',
        'technology choice',
      ],
      synonyms: {
        technology: ['tech', ...TECHNOLOGIES],
        technical: ['technically'],
        architecture: ['architectural'],
        infrastructure: ['infra', ...INFRASTRUCTURE],
        security: [
          'vulnerability',
          'cve',
          'breach',
          'encryption',
          'penetration test',
          'pentest',
          'soc 2',
          'authentication',
          'sso',
          'zero trust',
          'firewall',
        ],
        deployment: ['continuous delivery', 'continuous deployment', 'ci/cd', 'rollback'],
        engineering: ['engineering team'],
        cloud: CLOUDS,
        database: DATA_STORES,
        capacity: ['throughput', 'load'],
        'technology choice': ['adopt', 'migrate', 'switch to', 'move to', 'rfc'],
      },
      antiKeywords: ['payroll', 'benefits enrollment'],
      figures: {
        owns: [
          'error rate',
          'latency',
          'p99',
          'deployment frequency',
          'change failure rate',
          'lead time',
          'mttr',
          'security incidents',
          'cloud costs',
          'cloud spend',
          'cloud bill',
        ],
        watches: ['uptime', 'availability', 'downtime', 'outage'],
      },
      toolCues: {
        approve_technical_proposal: [
          'technical proposal',
          'proposal',
          'rfc',
          'technology',
          'adopt',
          'adoption',
          'migrate',
          'migration',
          'switch to',
          'replace',
          'introduce',
          'database',
          ...DATA_STORES,
          ...TECHNOLOGIES,
        ],
        approve_infrastructure_change: [
          'infrastructure change',
          'infra',
          'ci',
          'ci/cd',
          'build pipeline',
          'github actions',
          'environment',
          'production',
          'staging',
          'region',
          'instance',
          ...INFRASTRUCTURE,
          ...CLOUDS,
        ],
        allocate_engineering_budget: ['allocate', 'allocation', 'fund', 'funding', 'earmark'],
        review_architecture: [
          'architecture review',
          'single point of failure',
          'single points of failure',
          'encrypted at rest',
        ],
        review_engineering_metrics: [
          'dora',
          'delivery metrics',
          'deploys per week',
          'deployment frequency',
          'change failure rate',
          'lead time',
          'mttr',
        ],
        decide_incident_mitigation: [
          'incident',
          'mitigate',
          'mitigation',
          'outage',
          'rollback',
          'roll back',
          'failover',
          'fail over',
          'hotfix',
        ],
        interview_candidate: ['interview', 'candidate'],
      },
    },
    confidenceThreshold: 0.7,
    llm: { model: HAIKU, temperature: 0.2, maxTokens: 800 },
    tools: ctoTools,
  },
  chro: {
    title: 'Chief Human Resources Officer',
    persona:
      'You look after people: hiring, growth, performance and culture. Fair, careful with anything legal.',
    reportsTo: 'ceo',
    budgetAuthorityUsd: 300_000,
    domains: ['hiring', 'training', 'performance', 'culture', 'hr budget'],
    lexicon: {
      keywords: [
        'hiring',
        'headcount',
        'onboarding',
        'training',
        'performance review',
        'culture',
        'employee',
        'attrition',
        'compensation',
        'hr',
        'people',
      ],
      synonyms: {
        hiring: [
          'recruit',
          'recruiter',
          'talent acquisition',
          'job offer',
          'candidate',
          'vacancy',
          'open role',
          'open position',
          'requisition',
          'new hire',
        ],
        headcount: ['head count', 'fte'],
        training: ['learning and development', 'upskill', 'training course', 'workshop', 'mentorship'],
        'performance review': ['appraisal', 'performance rating', 'promotion cycle'],
        culture: [
          'morale',
          'diversity',
          'inclusion',
          'wellbeing',
          'well-being',
          'burnout',
          'engagement survey',
        ],
        employee: ['staff', 'workforce', 'personnel', 'colleague'],
        attrition: ['turnover', 'resignation', 'employee churn', 'staff churn'],
        compensation: [
          'salary',
          'pay raise',
          'pay rise',
          'bonus',
          'equity grant',
          'stock options',
          'payroll',
          'employee benefits',
          'benefits package',
        ],
        hr: ['human resources', 'people ops', 'people operations'],
        people: ['talent'],
      },
      antiKeywords: ['kubernetes', 'database migration'],
      figures: {
        owns: [
          'attrition',
          'turnover',
          'employee churn',
          'staff churn',
          'employee engagement',
          'engagement score',
          'headcount',
          'time to hire',
          'offer acceptance',
          'absenteeism',
          'overtime',
          'enps',
        ],
        watches: ['burnout'],
      },
      toolCues: {
        approve_hiring_request: [
          'hire',
          'hiring',
          'recruit',
          'headcount',
          'open role',
          'new role',
          'backfill',
          'requisition',
          'engineer',
          'developer',
          'designer',
          'new hire',
        ],
        conduct_performance_review: [
          'performance review',
          'performance',
          'appraisal',
          'goals met',
          'peer feedback',
        ],
        allocate_hr_budget: [
          'allocate',
          'allocation',
          'hr budget',
          'training budget',
          'benefits budget',
          'recruiting budget',
          'fund',
        ],
        resolve_hr_issue: [
          'hr issue',
          'complaint',
          'grievance',
          'harassment',
          'conflict',
          'misconduct',
          'dispute',
        ],
        review_team_health: ['team health', 'engagement', 'morale', 'burnout', 'overtime', 'attrition'],
        approve_job_offer: ['offer', 'job offer', 'salary', 'compensation package'],
      },
    },
    confidenceThreshold: 0.75,
    llm: { model: NOVA, temperature: 0.3, maxTokens: 700 },
    tools: chroTools,
  },
  operations_head: {
    title: 'Head of Operations',
    persona:
      'You keep the organization running: vendors, processes, reliability and resources. Calm, checklist-minded.',
    reportsTo: 'ceo',
    budgetAuthorityUsd: 400_000,
    domains: ['vendors', 'process', 'resource allocation', 'operations', 'operations budget'],
    lexicon: {
      keywords: [
        'operations',
        'vendor',
        'process',
        'deployment',
        'monitoring',
        'reliability',
        'availability',
        'incident',
        'capacity',
        'resource',
        'logistics',
        'cost',
      ],
      synonyms: {
        operations: ['ops'],
        vendor: ['supplier', 'contractor', 'procurement', 'purchasing'],
        process: ['procedure', 'runbook', 'sop', 'checklist'],
        monitoring: ['observability', 'alerting', 'on-call', 'pager', 'pagerduty'],
        reliability: ['sre', 'site reliability'],
        availability: ['uptime', 'sla', 'slo', 'downtime'],
        incident: ['outage', 'postmortem', 'post-mortem', 'incident response'],
        capacity: ['headroom'],
        resource: ['resource allocation'],
        logistics: ['supply chain', 'warehouse', 'fulfillment', 'fulfilment'],
        cost: ['spend', 'expense', 'opex', 'savings', 'cost reduction'],
      },
      antiKeywords: ['payroll', 'compensation'],
      figures: {
        owns: [
          'uptime',
          'availability',
          'downtime',
          'outage',
          'incidents',
          'sla',
          'slo',
          'error budget',
          'operating costs',
          'costs',
          'spend',
          'support tickets',
          'ticket volume',
          'on-time delivery',
        ],
        watches: ['latency', 'error rate', 'mttr'],
      },
      toolCues: {
        approve_vendor_contract: [
          'vendor',
          'contract',
          'supplier',
          'renew',
          'renewal',
          'sign',
          'agreement',
          'subscription',
          'license',
          'licence',
          'procurement',
        ],
        optimize_process: ['optimize', 'process', 'bottleneck', 'streamline', 'speed up'],
        allocate_operations_budget: ['allocate', 'allocation', 'operations budget', 'ops budget', 'fund'],
        review_operational_metrics: [
          'availability',
          'uptime',
          'sla',
          'slo',
          'operational metrics',
          'error budget',
        ],
        manage_resource_allocation: [
          'move',
          'transfer',
          'reassign',
          'shift',
          'lend',
          'loan',
          'between teams',
        ],
        assess_incident: [
          'incident',
          'outage',
          'assess',
          'severity',
          'customers affected',
          'data loss',
          'degraded',
        ],
      },
    },
    confidenceThreshold: 0.7,
    llm: { model: NOVA, temperature: 0.2, maxTokens: 700 },
    tools: operationsHeadTools,
  },
  product_manager: {
    title: 'Product Manager',
    persona:
      'You decide what gets built and why: customers, features, priorities and releases. Outcome-driven.',
    reportsTo: 'cto',
    budgetAuthorityUsd: 200_000,
    domains: ['features', 'prioritization', 'requirements', 'release plans', 'product budget'],
    lexicon: {
      keywords: [
        'product',
        'feature',
        'roadmap',
        'customer',
        'prioritize',
        'requirement',
        'release',
        'users',
        'segment',
        'market',
        'pricing',
        'feedback',
        'churn',
        'conversion',
      ],
      synonyms: {
        feature: ['functionality', 'feature request'],
        customer: ['client', 'buyer', 'subscriber'],
        prioritize: ['priorities', 'backlog'],
        requirement: ['spec', 'specification', 'user story', 'acceptance criteria', 'prd'],
        release: ['launch', 'rollout'],
        users: ['end user'],
        segment: ['cohort'],
        market: ['go-to-market', 'gtm'],
        pricing: ['plan tier'],
        feedback: ['nps', 'net promoter score', 'csat', 'user survey'],
        churn: ['retention', 'cancellation'],
        conversion: ['signup', 'sign-up', 'activation', 'funnel'],
      },
      antiKeywords: ['payroll', 'employee churn', 'staff churn'],
      figures: {
        owns: [
          'churn',
          'churn rate',
          'retention',
          'nps',
          'net promoter score',
          'activation',
          'conversion',
          'conversion rate',
          'signups',
          'sign-ups',
          'daily active users',
          'monthly active users',
          'dau',
          'mau',
          'feature adoption',
          'customer satisfaction',
          'csat',
        ],
        watches: ['revenue', 'arr', 'mrr'],
      },
      toolCues: {
        prioritize_feature: ['prioritize', 'rice', 'reach', 'impact', 'effort', 'rank'],
        approve_product_requirement: [
          'requirement',
          'feature request',
          'feature',
          'product requirement',
          'spec',
          'user story',
        ],
        allocate_product_budget: ['allocate', 'allocation', 'product budget', 'fund'],
        review_user_feedback: ['feedback', 'ratings', 'complaints', 'survey', 'nps', 'sentiment'],
        plan_release: ['release', 'ship', 'launch', 'version', 'release date', 'rollout'],
      },
    },
    confidenceThreshold: 0.7,
    llm: { model: HAIKU, temperature: 0.4, maxTokens: 700 },
    tools: productManagerTools,
  },
  senior_architect: {
    title: 'Senior Architect',
    persona: 'You shape systems: boundaries, contracts, failure modes and scale. Precise, diagram in words.',
    reportsTo: 'cto',
    budgetAuthorityUsd: 0,
    domains: ['design patterns', 'api contracts', 'technical design'],
    lexicon: {
      keywords: [
        'architecture',
        'system design',
        'design pattern',
        'integration',
        'scale',
        'api',
        'contract',
        'technical debt',
        'event-driven',
        'microservices',
        'failure modes',
        'data model',
      ],
      synonyms: {
        architecture: ['architectural'],
        'system design': ['technical design'],
        api: ['rest api', 'graphql', 'grpc', 'endpoint', 'webhook'],
        contract: ['api contract', 'interface contract', 'schema'],
        'technical debt': ['tech debt', 'legacy code'],
        'event-driven': ['event sourcing', 'cqrs', 'message bus', 'pub/sub'],
        microservices: ['monolith', 'modular monolith', 'domain-driven design', 'service boundaries'],
        'failure modes': ['resilience', 'fault tolerance', 'circuit breaker', 'idempotency', 'idempotent'],
        'data model': ['data modelling', 'schema design'],
      },
      antiKeywords: ['recruiting'],
      figures: { owns: [], watches: ['latency', 'throughput', 'error rate'] },
      toolCues: {
        design_system_architecture: [
          'architecture',
          'system design',
          'monolith',
          'modular monolith',
          'microservices',
          'event-driven',
        ],
        review_technical_design: [
          'design review',
          'technical design',
          'api contract',
          'retries',
          'idempotent',
          'observability',
        ],
        evaluate_technology: ['evaluate', 'evaluation', 'technology', 'maturity', 'team skill', 'compare'],
        plan_scalability: ['scale', 'scalability', 'capacity', 'target users', 'growth'],
        manage_technical_debt: ['technical debt', 'tech debt', 'legacy'],
        interview_candidate: ['interview', 'candidate'],
      },
    },
    confidenceThreshold: 0.7,
    llm: { model: HAIKU, temperature: 0.2, maxTokens: 800 },
    tools: seniorArchitectTools,
  },
  uiux_engineer: {
    title: 'UI/UX Engineer',
    persona: 'You design how people use the product: interfaces, research, the design system, accessibility.',
    reportsTo: 'product_manager',
    budgetAuthorityUsd: 0,
    domains: ['ui', 'design system', 'accessibility'],
    lexicon: {
      keywords: [
        'ui',
        'ux',
        'design system',
        'accessibility',
        'usability',
        'visual design',
        'user research',
        'wireframe',
        'mobile app',
      ],
      synonyms: {
        ui: ['user interface', 'screen', 'layout'],
        ux: ['user experience', 'user flow'],
        'design system': ['component library', 'design token', 'style guide'],
        accessibility: [
          'a11y',
          'wcag',
          'screen reader',
          'colour contrast',
          'color contrast',
          'contrast ratio',
          'keyboard navigation',
        ],
        usability: ['usability testing', 'usable'],
        'visual design': ['typography', 'color palette', 'colour palette', 'iconography'],
        'user research': ['user interview', 'usability study'],
        wireframe: ['mockup', 'mock-up', 'prototype', 'figma'],
        'mobile app': ['ios app', 'android app'],
      },
      antiKeywords: ['database', 'payroll'],
      figures: {
        owns: ['task success', 'task success rate', 'bounce rate', 'drop-off', 'time on task', 'sus score'],
        watches: ['conversion', 'conversion rate', 'customer satisfaction', 'csat'],
      },
      toolCues: {
        design_user_interface: ['screen', 'page', 'flow', 'ui', 'interface', 'layout', 'mockup', 'wireframe'],
        conduct_user_research: ['research', 'user research', 'user interview', 'survey', 'study'],
        review_design_implementation: ['design review', 'implementation', 'spacing', 'typography'],
        manage_design_system: ['design system', 'component', 'design token', 'style guide'],
        evaluate_accessibility: ['accessibility', 'a11y', 'contrast', 'wcag', 'keyboard', 'colour', 'color'],
      },
    },
    confidenceThreshold: 0.65,
    llm: { model: NOVA, temperature: 0.5, maxTokens: 600 },
    tools: uiuxEngineerTools,
  },
  senior_developer: {
    title: 'Senior Developer',
    persona:
      'You build and fix: implementation, refactoring, code review and mentoring. Concrete, test-first.',
    reportsTo: 'senior_architect',
    budgetAuthorityUsd: 0,
    domains: ['implementation', 'refactoring', 'bug fixes'],
    lexicon: {
      keywords: [
        'implement',
        'code',
        'refactor',
        'bug',
        'fix',
        'pull request',
        'code review',
        'library',
        'sdk',
        'programming',
        'branch',
      ],
      synonyms: {
        code: ['codebase', 'source code'],
        bug: ['crash', 'stack trace', 'build failure', 'broken build', 'compile error'],
        fix: ['hotfix', 'patch'],
        'pull request': ['merge request'],
        library: ['dependency', 'npm package', 'npm'],
        programming: ['typescript', 'javascript', 'python', 'golang', 'java', 'kotlin', 'node.js'],
        branch: ['trunk-based', 'git', 'merge'],
      },
      antiKeywords: ['board', 'investor'],
      figures: {
        owns: ['build time', 'build failures', 'crash rate', 'bug backlog'],
        watches: ['error rate'],
      },
      toolCues: {
        implement_feature: ['implement', 'implementation', 'build', 'feature', 'develop', 'estimate'],
        review_code: ['code review', 'pull request', 'merge request', 'diff', 'change', 'lines changed'],
        refactor_code: ['refactor', 'clean up', 'restructure', 'rewrite', 'module'],
        fix_bug: ['fix', 'bug', 'defect', 'crash', 'error', 'broken', 'hotfix'],
        mentor_engineer: ['mentor', 'coach', 'coaching', 'career', 'junior'],
      },
    },
    confidenceThreshold: 0.65,
    llm: { model: NOVA, temperature: 0.2, maxTokens: 700 },
    tools: seniorDeveloperTools,
  },
  test_lead: {
    title: 'Test Lead',
    persona:
      'You guard quality: test strategy, coverage, severity and release gates. Skeptical, evidence first.',
    reportsTo: 'senior_architect',
    budgetAuthorityUsd: 0,
    domains: ['test strategy', 'quality gates'],
    lexicon: {
      keywords: [
        'test',
        'qa',
        'quality',
        'coverage',
        'regression',
        'bug severity',
        'release quality',
        'automation',
      ],
      synonyms: {
        test: ['tester', 'test plan', 'test suite', 'e2e', 'end-to-end'],
        qa: ['quality assurance'],
        coverage: ['test coverage', 'code coverage'],
        'bug severity': ['severity', 'p0', 'p1', 'triage'],
        'release quality': ['quality gate', 'release gate', 'go/no-go'],
        automation: ['test automation', 'automated test', 'flaky'],
      },
      antiKeywords: ['payroll', 'investor'],
      figures: {
        owns: [
          'pass rate',
          'test pass rate',
          'coverage',
          'test coverage',
          'code coverage',
          'flaky tests',
          'flakiness',
          'escaped defects',
          'defect rate',
          'open bugs',
          'bug count',
        ],
        watches: ['crash rate'],
      },
      toolCues: {
        design_test_strategy: ['test strategy', 'test plan', 'testing approach', 'how to test'],
        review_test_coverage: ['coverage', 'line coverage', 'branch coverage'],
        classify_bug_severity: ['severity', 'classify', 'triage', 'bug'],
        approve_release_quality: ['release', 'quality gate', 'release quality', 'go/no-go', 'pass rate'],
        manage_test_automation: ['automation', 'automate', 'flaky', 'suites', 'slow tests'],
      },
    },
    confidenceThreshold: 0.7,
    llm: { model: NOVA, temperature: 0.2, maxTokens: 600 },
    tools: testLeadTools,
  },
};

/**
 * A role's tools (their zod schemas) are built the first time they are asked for: an agent's Lambda
 * builds its own role's, not the eight others' (a tenth of its cold start was building them all).
 */
export const REGISTRY: Readonly<Record<Role, RoleDefinition>> = Object.fromEntries(
  Object.entries(entries).map(([role, { tools, ...e }]) => {
    let built: readonly ToolDefinition[] | undefined;
    const definition = { ...e, role: role as Role } as RoleDefinition;
    Object.defineProperty(definition, 'tools', {
      enumerable: true,
      get: () => (built ??= Object.freeze([...tools(), ...commonTools()])),
    });
    return [role, definition];
  }),
) as unknown as Record<Role, RoleDefinition>;

export function roleDefinition(role: Role): RoleDefinition {
  return REGISTRY[role];
}

export function superiorOf(role: Role): Role | 'human' {
  return REGISTRY[role].reportsTo;
}

/** The chain of superiors above a role, ending with 'human'. */
export function chainAbove(role: Role): (Role | 'human')[] {
  const chain: (Role | 'human')[] = [];
  let next = superiorOf(role);
  while (next !== 'human') {
    chain.push(next);
    next = superiorOf(next);
  }
  return [...chain, 'human'];
}

/** Its own domains and those of every role below it: a superior decides what its reports escalate. */
export function effectiveDomains(role: Role): string[] {
  const below = (Object.keys(REGISTRY) as Role[]).filter((r) => r !== role && chainAbove(r).includes(role));
  return [...new Set([...REGISTRY[role].domains, ...below.flatMap((r) => REGISTRY[r].domains)])];
}
