/** The organization on the HTTP API: agents, decisions (with votes, chain, approval), human approvals. */
import * as z from 'zod';
import { actInTransaction } from '../../core/agent.ts';
import { DECISION_STATUSES, type DecisionView } from '../../core/decision-types.ts';
import { openCollaborative, resolveByHuman } from '../../core/decisions.ts';
import { NotFoundError } from '../../core/errors.ts';
import { REGISTRY } from '../../core/org/registry.ts';
import { Money } from '../../core/org/tools/kit.ts';
import { ROLES } from '../../core/roles.ts';
import { toolInputSchema } from '../../core/tool-schema.ts';
import type { ApiDeps } from './http.ts';
import {
  HUMAN_REQUIRED,
  json,
  limit,
  parseBody,
  parseQuery,
  type Route,
  resolveDecisionOrApproval,
  resolveId,
} from './http.ts';

const DecisionListQuery = z.object({
  status: z.enum(DECISION_STATUSES, { error: `must be one of ${DECISION_STATUSES.join(', ')}` }).optional(),
  owner: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }).optional(),
  limit,
});
const ApprovalListQuery = z.object({
  status: z
    .enum(['pending', 'approved', 'rejected', 'withdrawn'], {
      error: 'must be pending, approved, rejected or withdrawn',
    })
    .optional(),
  limit,
});
const Resolution = z.object({
  reason: z.string().trim().min(1, 'is required: say why').max(2000, 'must be at most 2000 characters'),
});
const OpenDecision = z
  .object({
    initiator: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
    title: z.string().trim().min(1, 'is required').max(500, 'must be at most 500 characters'),
    participants: z
      .array(z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }))
      .min(1, 'must name at least one role')
      .optional(),
    domain: z.string().min(1).max(100).default('strategy'),
    budget_usd: Money.optional(),
    deadlineMinutes: z
      .number()
      .positive('must be positive')
      .max(7 * 24 * 60, 'must be at most a week')
      .optional(),
    requestVotes: z.boolean().default(true),
    details: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** A decision with its votes, chain and approval, all as of one moment. */
async function view(deps: ApiDeps, decisionId: string): Promise<DecisionView> {
  const found = await deps.store.snapshot(async (s) => {
    const decision = await s.getDecision(decisionId);
    if (!decision) return undefined;
    const [votes, chain, approval] = await Promise.all([
      s.listVotes(decisionId),
      s.decisionChain(decisionId),
      s.getApproval(decisionId),
    ]);
    return { ...decision, votes, chain, approval: approval ?? null };
  });
  if (!found) throw new NotFoundError('decision', decisionId);
  return found;
}

function resolve(approve: boolean): Route['handler'] {
  return async (deps, req, params) => {
    if (!req.principal) return HUMAN_REQUIRED;
    const { reason } = parseBody(Resolution, req.body);
    const target = await resolveDecisionOrApproval(deps, params.id);
    const principal = req.principal;
    const done = await actInTransaction(deps, (ctx) =>
      resolveByHuman(ctx, { idOrDecisionId: target, principal, approve, reason }),
    );
    return json(200, { decision: await view(deps, done.id) });
  };
}

const ActivityQuery = z.object({
  minutes: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number of minutes')
    .min(1, 'must be at least 1')
    .max(7 * 24 * 60, 'must be at most a week (10080)')
    .default(60),
});

export const orgRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/organization\/activity$/,
    handler: async (deps, req) => {
      const { minutes } = parseQuery(ActivityQuery, req.query);
      const since = new Date(deps.clock.now().getTime() - minutes * 60_000);
      return json(200, { minutes, ...(await deps.store.organizationActivity(since)) });
    },
  },
  {
    method: 'GET',
    pattern: /^\/agents$/,
    handler: async (deps) => {
      const health = new Map((await deps.store.agentHealth()).map((h) => [h.role, h]));
      const agents = ROLES.map((role) => {
        const def = REGISTRY[role];
        const h = health.get(role);
        return {
          role,
          title: def.title,
          reportsTo: def.reportsTo,
          budgetAuthorityUsd: def.budgetAuthorityUsd,
          domains: def.domains,
          tools: def.tools.map((t) => ({
            name: t.name,
            description: t.description,
            inputSchema: toolInputSchema(t.input),
          })),
          model: def.llm.model,
          status: h?.status ?? 'idle',
          lastSeenAt: h?.lastSeenAt ?? null,
          lastOutcome: h?.lastOutcome ?? null,
          lastError: h?.lastError ?? null,
          runs: h?.runs ?? 0,
          failures: h?.failures ?? 0,
          consecutiveFailures: h?.consecutiveFailures ?? 0,
        };
      });
      return json(200, { agents });
    },
  },
  {
    method: 'GET',
    pattern: /^\/decisions$/,
    handler: async (deps, req) => {
      const q = parseQuery(DecisionListQuery, req.query);
      return json(200, { decisions: await deps.store.listDecisions(q) });
    },
  },
  {
    method: 'POST',
    pattern: /^\/decisions$/,
    handler: async (deps, req) => {
      const b = parseBody(OpenDecision, req.body);
      const d = await actInTransaction(deps, (ctx) =>
        // a human asks the named role to open the decision: the role owns it and its authority
        // bounds the outcome; the human is its initiator (and hears how it ends)
        openCollaborative(ctx, {
          owner: b.initiator,
          initiator: 'human',
          participants: b.participants,
          deadlineMinutes: b.deadlineMinutes,
          requestVotes: b.requestVotes,
          proposal: {
            kind: 'collaborative_decision',
            title: b.title,
            domain: b.domain,
            ...(b.budget_usd !== undefined ? { budgetUsd: b.budget_usd } : {}),
            confidence: 1,
            details: b.details as Record<string, unknown>,
          },
        }),
      );
      return json(201, { decision: await view(deps, d.id) });
    },
  },
  {
    method: 'GET',
    pattern: /^\/decisions\/(?<id>[^/]+)$/,
    handler: async (deps, _req, params) =>
      json(200, { decision: await view(deps, await resolveId(deps, 'decision', params.id)) }),
  },
  { method: 'POST', pattern: /^\/decisions\/(?<id>[^/]+)\/approve$/, handler: resolve(true) },
  { method: 'POST', pattern: /^\/decisions\/(?<id>[^/]+)\/reject$/, handler: resolve(false) },
  {
    method: 'GET',
    pattern: /^\/approvals$/,
    handler: async (deps, req) => {
      const q = parseQuery(ApprovalListQuery, req.query);
      return json(200, { approvals: await deps.store.listApprovals(q.status, q.limit) });
    },
  },
];
