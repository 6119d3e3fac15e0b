/**
 * The HTTP API, independent of its host: the local runtime's Node server and the API Gateway
 * Lambda both turn their requests into an ApiRequest and send back the ApiResponse.
 */
import * as z from 'zod';
import { ConflictError } from '../../core/decisions.ts';
import {
  DatabaseUnavailableError,
  ForbiddenError,
  IdempotencyConflictError,
  NotFoundError,
  ValidationError,
} from '../../core/errors.ts';
import { AmbiguousIdError } from '../../core/ids.ts';
import { rejectCommand, submitPostMessage } from '../../core/ingest.ts';
import { MESSAGE_TYPES } from '../../core/messages.ts';
import { ADDRESSES, ROLES, type Role, SENDERS } from '../../core/roles.ts';
import {
  type ApiDeps,
  type ApiRequest,
  type ApiResponse,
  errorBody,
  HUMAN_REQUIRED,
  json,
  LimitQuery,
  limit,
  parseQuery,
  type Route,
  resolveId,
} from './http.ts';
import { orgRoutes } from './org-routes.ts';
import { traceRoutes } from './trace-routes.ts';
import { workflowRoutes } from './workflow-routes.ts';

export type { ApiDeps, ApiRequest, ApiResponse, Health, Principal } from './http.ts';

const MessageListQuery = z.object({
  to: z
    .enum(ADDRESSES as [string, ...string[]], { error: `must be one of ${ADDRESSES.join(', ')}` })
    .optional(),
  from: z
    .enum(SENDERS as [string, ...string[]], { error: `must be one of ${SENDERS.join(', ')}` })
    .optional(),
  type: z.enum(MESSAGE_TYPES, { error: `must be one of ${MESSAGE_TYPES.join(', ')}` }).optional(),
  inReplyTo: z.string().max(100, 'must be at most 100 characters').optional(),
  after: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number, at most 9007199254740991')
    .min(0, 'must be at least 0')
    .optional(),
  limit,
});

const routes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/health$/,
    handler: async (deps) => {
      const health = await deps.health();
      return json(health.ok ? 200 : 503, { status: health.ok ? 'ok' : 'starting', ...health });
    },
  },
  {
    method: 'POST',
    pattern: /^\/messages$/,
    handler: async (deps, req) => {
      let input: unknown;
      try {
        input = JSON.parse(req.body ?? '');
      } catch {
        const error = new ValidationError(
          '(body)',
          'the request body must be a JSON object (it is not valid JSON)',
        );
        const deadLetter = await rejectCommand(deps, error, req.body ?? '', 'api');
        return json(400, errorBody(error, { deadLetterId: deadLetter.id }));
      }
      const submitted = await submitPostMessage(deps, input, 'api', req.principal);
      if (!submitted.ok)
        return json(
          submitted.error instanceof ForbiddenError
            ? 403
            : submitted.error instanceof IdempotencyConflictError
              ? 409
              : 400,
          {
            ...errorBody(submitted.error, { deadLetterId: submitted.deadLetter.id }),
          },
        );
      return json(submitted.result.created ? 201 : 200, {
        message: submitted.result.message,
        created: submitted.result.created,
      });
    },
  },
  {
    method: 'GET',
    pattern: /^\/messages$/,
    handler: async (deps, req) => {
      const q = parseQuery(MessageListQuery, req.query);
      const messages = await deps.store.listMessages({
        to: q.to as never,
        from: q.from as never,
        type: q.type,
        inReplyTo:
          q.inReplyTo === undefined ? undefined : await resolveId(deps, 'message', q.inReplyTo, 'inReplyTo'),
        afterSeq: q.after,
        limit: q.limit,
      });
      return json(200, { messages });
    },
  },
  {
    method: 'GET',
    pattern: /^\/messages\/(?<id>[^/]+)$/,
    handler: async (deps, _req, params) => {
      const id = await resolveId(deps, 'message', params.id);
      const message = await deps.store.getMessage(id);
      if (!message) return json(404, { error: { code: 'NotFound', message: `message ${id} not found` } });
      return json(200, { message, deliveries: await deps.store.getDeliveries(id) });
    },
  },
  {
    // A person puts a delivery back for catch-up: one given up after its last attempt, or one
    // waiting out its delay. Only a human: retrying costs what the agent's thinking costs.
    method: 'POST',
    pattern: /^\/messages\/(?<id>[^/]+)\/deliveries\/(?<role>[^/]+)\/retry$/,
    handler: async (deps, req, params) => {
      if (!req.principal) return HUMAN_REQUIRED;
      if (req.principal.kind !== 'human')
        throw new ForbiddenError(
          `${req.principal.id} is an agent: only an authenticated human may retry a delivery`,
          {
            field: 'principal',
          },
        );
      const id = await resolveId(deps, 'message', params.id);
      if (!(ROLES as readonly string[]).includes(params.role!))
        throw new ValidationError('role', `role: must be one of ${ROLES.join(', ')}`);
      const role = params.role as Role;
      const delivery = await deps.store.retryDelivery(id, role);
      if (delivery) {
        deps.logger.info('delivery retry asked', { messageId: id, role, principal: req.principal.id });
        return json(200, { delivery });
      }
      const deliveries = await deps.store.getDeliveries(id);
      const found = deliveries.find((d) => d.role === role);
      if (found)
        throw new ConflictError(`message ${id} was already processed by ${role}; there is nothing to retry`);
      throw new NotFoundError(
        'delivery',
        `${id} for ${role} (the message went to ${deliveries.map((d) => d.role).join(', ') || 'no role'})`,
      );
    },
  },
  {
    method: 'GET',
    pattern: /^\/dead-letters$/,
    handler: async (deps, req) => {
      const q = parseQuery(LimitQuery, req.query);
      return json(200, { deadLetters: await deps.store.listDeadLetters(q.limit) });
    },
  },
];

/** Path parameters as the caller meant them: percent-decoded (`%23` is the `#` of a `#seq`). */
function pathParams(groups: Record<string, string> | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, raw] of Object.entries(groups ?? {})) {
    try {
      params[name] = decodeURIComponent(raw);
    } catch (error) {
      throw new ValidationError(name, `${name}: not a valid percent-encoded path segment`, { cause: error });
    }
  }
  return params;
}

export async function handleApiRequest(deps: ApiDeps, req: ApiRequest): Promise<ApiResponse> {
  const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
  const matching = [...routes, ...orgRoutes, ...workflowRoutes, ...traceRoutes].filter((r) =>
    r.pattern.test(path),
  );
  const route = matching.find((r) => r.method === req.method);
  if (!route) {
    if (matching.length > 0) {
      return json(405, {
        error: {
          code: 'MethodNotAllowed',
          message: `${req.method} ${path}: allowed ${matching.map((r) => r.method).join(', ')}`,
        },
      });
    }
    return json(404, { error: { code: 'NotFound', message: `no route ${req.method} ${path}` } });
  }
  try {
    return await route.handler(deps, req, pathParams(route.pattern.exec(path)?.groups));
  } catch (error) {
    if (error instanceof ValidationError || error instanceof AmbiguousIdError)
      return json(400, errorBody(error));
    if (error instanceof ForbiddenError) return json(403, errorBody(error));
    if (error instanceof NotFoundError) return json(404, errorBody(error));
    if (error instanceof ConflictError) return json(409, errorBody(error));
    if (error instanceof DatabaseUnavailableError) {
      return json(
        503,
        errorBody(error, { hint: 'the database is unreachable; nothing was written, retry later' }),
      );
    }
    deps.logger.error('request failed', {
      method: req.method,
      path,
      error: error instanceof Error ? error.stack : String(error),
    });
    return json(500, errorBody(error instanceof Error ? error : new Error(String(error))));
  }
}
