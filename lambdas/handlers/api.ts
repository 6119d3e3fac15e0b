/**
 * The HTTP API Lambda behind API Gateway (HTTP API, payload format 2.0, IAM authorization). A seam
 * only: the event becomes an ApiRequest, `handleApiRequest` answers, the answer becomes the proxy
 * result. The IAM principal API Gateway authenticated is the caller (`execute-api:Invoke` is granted
 * to human operators only; no function of the system holds it).
 */
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { parseConfig } from '../adapters/config.ts';
import { type ApiDeps, handleApiRequest } from '../adapters/http/api.ts';
import { dashboardResponse } from '../adapters/http/dashboard.ts';
import { queryOf } from '../adapters/http/http.ts';
import { handleMcpHttp, isMcpPath } from '../adapters/mcp/streamable-http.ts';
import { openServerSql } from '../adapters/sql/open-server.ts';
import type { SqlClient } from '../adapters/sql/port.ts';
import { EchoError } from '../core/errors.ts';
import { ROLES } from '../core/roles.ts';
import { lambdaDeps, lambdaEntry } from './deps.ts';

type Health = Awaited<ReturnType<ApiDeps['health']>>;

const JSON_TYPE = 'application/json; charset=utf-8';

/** The ApiRequest of an API Gateway event; `principal` is the IAM caller, when there is one. */
export function toApiRequest(event: APIGatewayProxyEventV2WithIAMAuthorizer) {
  const body =
    event.body === undefined
      ? undefined
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  const caller = event.requestContext.authorizer?.iam?.userArn;
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath || event.requestContext.http.path,
    // parsed from the raw string, as the local server does (queryStringParameters joins repeats with commas)
    query: queryOf(new URLSearchParams(event.rawQueryString ?? '')),
    body,
    principal: caller ? { kind: 'human' as const, id: `human:${caller}` } : undefined,
  };
}

export function toProxyResult(response: {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}): APIGatewayProxyStructuredResultV2 {
  const headers = { 'content-type': JSON_TYPE, ...response.headers };
  const raw = typeof response.body === 'string' && headers['content-type'] !== JSON_TYPE;
  return {
    statusCode: response.status,
    headers,
    body: raw ? (response.body as string) : JSON.stringify(response.body ?? null),
  };
}

export function createApiHandler(deps: () => Promise<ApiDeps>) {
  return async (
    event: APIGatewayProxyEventV2WithIAMAuthorizer,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    // The dashboard's static files, when copied beside the bundle: no database needed to serve them.
    const file = await dashboardResponse({
      method: event.requestContext.http.method.toUpperCase(),
      path: event.rawPath || event.requestContext.http.path,
      ifNoneMatch: event.headers?.['if-none-match'],
    });
    if (file) return toProxyResult(file);
    let d: ApiDeps;
    try {
      d = await deps();
    } catch (error) {
      // The dependencies did not build (configuration, database driver): nothing can be served.
      const e = error instanceof Error ? error : new Error(String(error));
      return toProxyResult({
        status: 503,
        body: {
          status: 'unavailable',
          error: { code: e instanceof EchoError ? e.code : 'ServiceUnavailable', message: e.message },
        },
      });
    }
    // Passed as a variable: hosts may know more of the caller than this version of ApiRequest.
    const request = toApiRequest(event);
    if (isMcpPath(request.path)) {
      // MCP (Streamable HTTP, stateless, JSON answers) at /mcp/<role>: the adapter answers as is.
      const mcp = await handleMcpHttp(d, { ...request, headers: event.headers ?? {} });
      return { statusCode: mcp.status, headers: mcp.headers, body: mcp.body };
    }
    return toProxyResult(await handleApiRequest(d, request));
  };
}

/** Health as the deployed API sees it: the deps built, and the database answers `SELECT 1`. */
export function sqlHealth(sql: () => Promise<SqlClient>, stage: string): () => Promise<Health> {
  return async () => {
    try {
      const client = await sql();
      await client.query('SELECT 1 AS ok');
      return { ok: true, agents: [...ROLES], detail: { stage, database: client.driver } };
    } catch (error) {
      return {
        ok: false,
        agents: [...ROLES],
        detail: { stage, database: error instanceof Error ? error.message : String(error) },
      };
    }
  };
}

let probe: Promise<SqlClient> | undefined;
let cached: Promise<ApiDeps> | undefined;

/** The Lambda's deps: those of every function, plus health; built once per warm container. */
function apiDeps(): Promise<ApiDeps> {
  cached ??= lambdaDeps()
    .then((deps) => {
      const config = parseConfig();
      const open = () => {
        probe ??= openServerSql(config.database).catch((error: unknown) => {
          probe = undefined;
          throw error;
        });
        return probe;
      };
      return { ...deps, health: sqlHealth(open, config.stage) };
    })
    .catch((error: unknown) => {
      cached = undefined;
      throw error;
    });
  return cached;
}

export const handler = lambdaEntry(createApiHandler(apiDeps));
