/** Workflows on the HTTP API: the catalogue, and runs started, listed, read and cancelled. */
import * as z from 'zod';
import { NotFoundError } from '../../core/errors.ts';
import { toolInputSchema } from '../../core/tool-schema.ts';
import { WORKFLOWS } from '../../core/workflows/builtin/index.ts';
import { advance } from '../../core/workflows/coordinator.ts';
import { allSteps, outline } from '../../core/workflows/definition.ts';
import { type Catalog, cancelRun, definitionOf, startRun } from '../../core/workflows/engine.ts';
import { RUN_STATUSES } from '../../core/workflows/types.ts';
import {
  type ApiDeps,
  HUMAN_REQUIRED,
  json,
  limit,
  parseBody,
  parseQuery,
  type Route,
  resolveId,
} from './http.ts';

const RunListQuery = z.object({
  status: z.enum(RUN_STATUSES, { error: `must be one of ${RUN_STATUSES.join(', ')}` }).optional(),
  name: z.string().max(100, 'must be at most 100 characters').optional(),
  limit,
});
const StartBody = z
  .object({
    input: z.record(z.string(), z.unknown()).default({}),
    idempotencyKey: z
      .string()
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters')
      .optional(),
  })
  .strict();
const CancelBody = z.object({
  reason: z.string().trim().min(1, 'is required: say why').max(2000, 'must be at most 2000 characters'),
});

const runId = (deps: ApiDeps, params: Record<string, string>) => resolveId(deps, 'workflow run', params.id);

const catalogOf = (deps: ApiDeps): Catalog => deps.workflows ?? WORKFLOWS;

export const workflowRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/workflows$/,
    handler: async (deps) =>
      json(200, {
        workflows: [...catalogOf(deps).values()].map((w) => ({
          name: w.name,
          description: w.description,
          inputSchema: toolInputSchema(w.input),
          deadlineMinutes: w.deadlineMinutes,
          stepCount: [...allSteps(w.steps)].length,
          steps: outline(w.steps),
        })),
      }),
  },
  {
    method: 'POST',
    pattern: /^\/workflows\/(?<name>[^/]+)\/runs$/,
    handler: async (deps, req, params) => {
      const def = definitionOf(catalogOf(deps), params.name ?? '');
      const body = parseBody(StartBody, req.body);
      const { run, created } = await advance(deps, (ctx) =>
        startRun(ctx, def, body.input, { idempotencyKey: body.idempotencyKey }),
      );
      return json(created ? 201 : 200, { run, created });
    },
  },
  {
    method: 'GET',
    pattern: /^\/workflow-runs$/,
    handler: async (deps, req) =>
      json(200, { runs: await deps.store.listRuns(parseQuery(RunListQuery, req.query)) }),
  },
  {
    method: 'GET',
    pattern: /^\/workflow-runs\/(?<id>[^/]+)$/,
    handler: async (deps, _req, params) => {
      const id = await runId(deps, params);
      const run = await deps.store.getRun(id);
      if (!run) throw new NotFoundError('workflow run', id);
      return json(200, { run, definition: outline(definitionOf(catalogOf(deps), run.name).steps) });
    },
  },
  {
    method: 'POST',
    pattern: /^\/workflow-runs\/(?<id>[^/]+)\/cancel$/,
    handler: async (deps, req, params) => {
      if (!req.principal) return HUMAN_REQUIRED;
      const id = await runId(deps, params);
      const { reason } = parseBody(CancelBody, req.body);
      const by = req.principal.id;
      const run = await advance(deps, (ctx) => cancelRun(ctx, catalogOf(deps), id, { by, reason }));
      return json(200, { run });
    },
  },
];
