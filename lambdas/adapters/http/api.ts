/**
 * The HTTP API, independent of its host: the local runtime's Node server and the API Gateway
 * Lambda both turn their requests into an ApiRequest and send back the ApiResponse.
 */
import { z } from 'zod';
import { fieldOf } from '../../../events/validate.ts';
import { DatabaseUnavailableError, EchoError, ValidationError } from '../../core/errors.ts';
import { rejectCommand, submitPostMessage } from '../../core/ingest.ts';
import { MESSAGE_TYPES } from '../../core/messages.ts';
import type { PipelineDeps } from '../../core/pipeline.ts';
import { ADDRESSES, SENDERS } from '../../core/roles.ts';

export interface ApiRequest {
  method: string;
  path: string;
  query: Readonly<Record<string, string | undefined>>;
  /** The body as text; undefined when there is none. */
  body: string | undefined;
}

export interface ApiResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface Health {
  ok: boolean;
  agents: string[];
  detail?: Record<string, unknown>;
}

export interface ApiDeps extends PipelineDeps {
  health(): Promise<Health>;
}

const json = (status: number, body: unknown): ApiResponse => ({ status, body });

export function errorBody(error: EchoError | Error, extra?: Record<string, unknown>) {
  const base: Record<string, unknown> = {
    code: error instanceof EchoError ? error.code : 'InternalError',
    message: error.message,
  };
  if (error instanceof ValidationError) {
    base.field = error.field;
    if (error.limit) base.limit = error.limit;
  }
  return { error: { ...base, ...extra } };
}

const limit = z.coerce
  .number({ error: 'must be a number' })
  .int('must be an integer')
  .min(1, 'must be at least 1')
  .max(1000, 'must be at most 1000')
  .default(100);
const MessageListQuery = z.object({
  to: z
    .enum(ADDRESSES as [string, ...string[]], { error: `must be one of ${ADDRESSES.join(', ')}` })
    .optional(),
  from: z
    .enum(SENDERS as [string, ...string[]], { error: `must be one of ${SENDERS.join(', ')}` })
    .optional(),
  type: z.enum(MESSAGE_TYPES, { error: `must be one of ${MESSAGE_TYPES.join(', ')}` }).optional(),
  inReplyTo: z.uuid('must be a message id (uuid)').optional(),
  after: z.coerce
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(0, 'must be at least 0')
    .optional(),
  limit,
});
const LimitQuery = z.object({ limit });

function parseQuery<S extends z.ZodType>(schema: S, query: ApiRequest['query']): z.output<S> {
  const clean = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(clean);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = fieldOf(issue.path);
  throw new ValidationError(field, `query parameter ${field}: ${issue.message}`);
}

type Handler = (deps: ApiDeps, req: ApiRequest, params: Record<string, string>) => Promise<ApiResponse>;

const routes: { method: string; pattern: RegExp; handler: Handler }[] = [
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
      const submitted = await submitPostMessage(deps, input, 'api');
      if (!submitted.ok)
        return json(400, errorBody(submitted.error, { deadLetterId: submitted.deadLetter.id }));
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
        inReplyTo: q.inReplyTo,
        afterSeq: q.after,
        limit: q.limit,
      });
      return json(200, { messages });
    },
  },
  {
    method: 'GET',
    pattern: /^\/messages\/(?<id>[^/]+)$/,
    handler: async (deps, _req, { id }) => {
      if (!z.uuid().safeParse(id).success) throw new ValidationError('id', 'id: must be a message id (uuid)');
      const message = await deps.store.getMessage(id!);
      if (!message) return json(404, { error: { code: 'NotFound', message: `message ${id} not found` } });
      return json(200, { message, deliveries: await deps.store.getDeliveries(id!) });
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

export async function handleApiRequest(deps: ApiDeps, req: ApiRequest): Promise<ApiResponse> {
  const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
  const matching = routes.filter((r) => r.pattern.test(path));
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
    return await route.handler(deps, req, { ...route.pattern.exec(path)?.groups });
  } catch (error) {
    if (error instanceof ValidationError) return json(400, errorBody(error));
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
