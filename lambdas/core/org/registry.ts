/**
 * The role registry: the organization as data. A role is its title, persona, superior, budget
 * authority, domains, relevance keywords, confidence threshold, model settings and its own tools.
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

export interface RoleDefinition {
  role: Role;
  title: string;
  persona: string;
  reportsTo: Role | 'human';
  /** The largest budget it approves alone; 0: none. */
  budgetAuthorityUsd: number;
  /** What it decides alone. */
  domains: readonly string[];
  keywords: readonly string[];
  antiKeywords: readonly string[];
  /** Below this confidence it escalates. */
  confidenceThreshold: number;
  llm: { model: string; temperature: number; maxTokens: number };
  tools: readonly ToolDefinition[];
}

const HAIKU = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const NOVA = 'amazon.nova-lite-v1:0';

type Entry = Omit<RoleDefinition, 'role' | 'tools'> & { tools: ToolDefinition[] };

const entries: Record<Role, Entry> = {
  ceo: {
    title: 'Chief Executive Officer',
    persona:
      'You set direction, weigh the whole organization and answer to the board. Decisive, brief, numbers first.',
    reportsTo: 'human',
    budgetAuthorityUsd: 1_000_000,
    domains: ['strategy', 'budget allocation', 'reorganization', 'crisis'],
    keywords: [
      'strategy',
      'strategic',
      'vision',
      'revenue',
      'growth',
      'board',
      'investor',
      'acquisition',
      'reorganization',
      'crisis',
      'company',
    ],
    antiKeywords: [],
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
    keywords: [
      'technology',
      'technical',
      'platform',
      'architecture',
      'infrastructure',
      'scale',
      'scalability',
      'security',
      'deployment',
      'engineering',
      'cloud',
      'system',
      'database',
      'capacity',
    ],
    antiKeywords: ['payroll', 'benefits enrollment'],
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
    keywords: [
      'hiring',
      'hire',
      'recruit',
      'recruiting',
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
    antiKeywords: ['kubernetes', 'database migration'],
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
    keywords: [
      'operations',
      'operational',
      'vendor',
      'process',
      'deployment',
      'monitoring',
      'reliability',
      'availability',
      'uptime',
      'incident',
      'capacity',
      'resource',
      'logistics',
      'cost',
    ],
    antiKeywords: ['payroll', 'compensation'],
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
    keywords: [
      'product',
      'feature',
      'roadmap',
      'customer',
      'prioritize',
      'prioritization',
      'requirement',
      'release',
      'users',
      'segment',
      'market',
      'pricing',
      'feedback',
    ],
    antiKeywords: ['payroll'],
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
    keywords: [
      'architecture',
      'system design',
      'design pattern',
      'integration',
      'scalability',
      'scale',
      'api',
      'contract',
      'technical debt',
      'event-driven',
      'microservices',
    ],
    antiKeywords: ['recruiting'],
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
    keywords: [
      'ui',
      'ux',
      'user interface',
      'user experience',
      'design system',
      'accessibility',
      'usability',
      'visual design',
      'user research',
      'wireframe',
      'mobile app',
    ],
    antiKeywords: ['database', 'payroll'],
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
    keywords: [
      'implement',
      'implementation',
      'code',
      'refactor',
      'refactoring',
      'bug',
      'fix',
      'pull request',
      'code review',
      'library',
      'sdk',
    ],
    antiKeywords: ['board', 'investor'],
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
    keywords: [
      'test',
      'testing',
      'qa',
      'quality',
      'coverage',
      'regression',
      'bug severity',
      'release quality',
      'automation',
    ],
    antiKeywords: ['payroll', 'investor'],
    confidenceThreshold: 0.7,
    llm: { model: NOVA, temperature: 0.2, maxTokens: 600 },
    tools: testLeadTools,
  },
};

export const REGISTRY: Readonly<Record<Role, RoleDefinition>> = Object.fromEntries(
  Object.entries(entries).map(([role, e]) => [
    role,
    { ...e, role: role as Role, tools: [...e.tools, ...commonTools()] },
  ]),
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
