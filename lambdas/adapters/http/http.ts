/** What every route shares: the request and response shapes, errors as JSON, query parsing. */
import * as z from 'zod';
import { MAX_JSON_DEPTH } from '../../../events/limits.ts';
import { assertStorableJson, fieldOf, unstorableText } from '../../../events/validate.ts';
import {
  EchoError,
  ForbiddenError,
  IdempotencyConflictError,
  NotFoundError,
  ValidationError,
} from '../../core/errors.ts';
import { AmbiguousIdError, type IdKind, resolveIdRef } from '../../core/ids.ts';
import type { PipelineDeps } from '../../core/pipeline.ts';
import type { Catalog } from '../../core/workflows/engine.ts';

export interface Principal {
  kind: 'human' | 'agent';
  id: string;
}

export interface ApiRequest {
  method: string;
  /** Who is calling, as the host authenticated them (the local token; IAM in AWS); absent: anonymous. */
  principal?: Principal | undefined;
  path: string;
  /** Each name's value; a name given more than once, all of its values (refused by parseQuery). */
  query: Readonly<Record<string, string | readonly string[] | undefined>>;
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
  /** The workflows runs may be started of; default the built-in ones. */
  workflows?: Catalog;
}

export const json = (status: number, body: unknown): ApiResponse => ({ status, body });

/** The answer to an anonymous caller of a route only an authenticated human may use. */
export const HUMAN_REQUIRED = json(401, {
  error: {
    code: 'Unauthorized',
    message:
      'an authenticated human is required: send the human token (echoctl reads it from ECHO_HUMAN_TOKEN or .echo/human-token)',
  },
});

export function errorBody(error: EchoError | Error, extra?: Record<string, unknown>) {
  const base: Record<string, unknown> = {
    code: error instanceof EchoError ? error.code : 'InternalError',
    message: error.message,
  };
  if (error instanceof AmbiguousIdError) {
    base.field = error.field;
    base.candidates = error.candidates;
  }
  if (
    error instanceof ValidationError ||
    error instanceof ForbiddenError ||
    error instanceof IdempotencyConflictError
  ) {
    if (error.field) base.field = error.field;
    if (error instanceof ValidationError && error.limit) base.limit = error.limit;
  }
  return { error: { ...base, ...extra } };
}

export const limit = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number from 1 to 1000')
  .min(1, 'must be at least 1')
  .max(1000, 'must be at most 1000')
  .default(100);
export const LimitQuery = z.object({ limit });

/** A query string's parameters as ApiRequest holds them (every entry point parses it the same way). */
export function queryOf(search: URLSearchParams): ApiRequest['query'] {
  const query: Record<string, string | string[]> = {};
  for (const name of new Set(search.keys())) {
    const values = search.getAll(name);
    query[name] = values.length === 1 ? values[0]! : values;
  }
  return query;
}

export function parseQuery<S extends z.ZodObject>(schema: S, query: ApiRequest['query']): z.output<S> {
  const clean = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined && v !== ''));
  const known = Object.keys(schema.shape);
  for (const [name, value] of Object.entries(clean)) {
    if (unstorableText(name))
      throw new ValidationError('(query)', `a query parameter name ${unstorableText(name)}`);
    // A misspelt filter (`inreplyto`) must not answer as if there were none.
    if (name === '') throw new ValidationError('(query)', 'a query parameter has no name (`?=value`)');
    if (!known.includes(name)) {
      const shown = name.length > 100 ? `${name.slice(0, 100)}…` : name;
      throw new ValidationError(
        shown,
        `query parameter ${shown} is not known here; this route takes ${known.join(', ')}`,
      );
    }
    // Which of two would count differs between hosts (API Gateway joins them with commas): neither.
    if (Array.isArray(value))
      throw new ValidationError(name, `query parameter ${name} is given ${value.length} times; give it once`);
    const problem = unstorableText(String(value));
    if (problem) throw new ValidationError(name, `query parameter ${name}: ${problem}`);
  }
  const result = schema.safeParse(clean);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = fieldOf(issue.path);
  throw new ValidationError(field, `query parameter ${field}: ${issue.message}`);
}

export type Handler = (
  deps: ApiDeps,
  req: ApiRequest,
  params: Record<string, string>,
) => Promise<ApiResponse>;

export interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

/** Parses a JSON body against a schema; the first issue names the field. */
export function parseBody<S extends z.ZodType>(schema: S, body: string | undefined): z.output<S> {
  let input: unknown;
  try {
    input = body ? JSON.parse(body) : {};
  } catch {
    throw new ValidationError('(body)', 'the request body must be JSON');
  }
  assertStorableJson(input, MAX_JSON_DEPTH);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = fieldOf(issue.path);
  throw new ValidationError(field, `${field}: ${issue.message}`);
}

/**
 * The whole id a path or query parameter stands for: the id itself, a unique prefix or suffix of at
 * least 6 characters, or (a message) its #seq. A ValidationError, NotFoundError or AmbiguousIdError
 * (with the candidates) says what is wrong.
 */
export const resolveId = (
  deps: ApiDeps,
  kind: IdKind,
  raw: string | undefined,
  field = 'id',
): Promise<string> => resolveIdRef(deps.store, kind, raw ?? '', field);

/** A decision's id, or (when no decision answers) the id of a human approval: what approve and reject take. */
export async function resolveDecisionOrApproval(deps: ApiDeps, raw: string | undefined): Promise<string> {
  try {
    return await resolveId(deps, 'decision', raw);
  } catch (error) {
    if (error instanceof NotFoundError) return resolveId(deps, 'approval', raw);
    throw error;
  }
}
