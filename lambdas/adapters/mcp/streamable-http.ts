/**
 * MCP over Streamable HTTP at /mcp/<role>, host-independent: the local runtime's Node server and the
 * API Lambda both hand it the request and send back what it answers. Stateless, as a Lambda must be:
 * every POST gets a fresh server and transport, answers in JSON (no SSE stream, no session), and
 * GET and DELETE are 405 (no standalone stream to open, no session to end). Tool calls reach the
 * organization through the API in process (handleApiRequest), as the caller's principal.
 */
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { createRoleServer } from '../../core/mcp/role-server.ts';
import { isRole, ROLES } from '../../core/roles.ts';
import type { ApiDeps, Principal } from '../http/api.ts';
import { inProcessApi, organizationOverApi, type ReplyWait } from './api.organization.ts';

export interface McpHttpRequest {
  method: string;
  path: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: string | undefined;
  principal?: Principal | undefined;
}

export interface McpHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The paths this adapter answers: /mcp and /mcp/<anything>. */
export function isMcpPath(path: string): boolean {
  return path === '/mcp' || path.startsWith('/mcp/');
}

/** Hop-by-hop and length headers are the host's business; the transport gets the rest. */
const DROPPED = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

function rpcError(status: number, code: number, message: string, headers: Record<string, string> = {}) {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }),
  };
}

export async function handleMcpHttp(
  deps: ApiDeps,
  req: McpHttpRequest,
  options: ReplyWait = {},
): Promise<McpHttpResponse> {
  const name = req.path.replace(/^\/mcp\/?/, '').replace(/\/+$/, '');
  if (!isRole(name)) {
    return {
      status: 404,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        error: {
          code: 'NotFound',
          field: 'role',
          message: `${name ? `no role ${name}: ` : ''}one MCP server per role, at /mcp/<role> with role one of ${ROLES.join(', ')}`,
        },
      }),
    };
  }
  if (req.method !== 'POST') {
    return rpcError(
      405,
      -32000,
      `${req.method} /mcp/${name}: this server is stateless (no standalone SSE stream, no session); POST JSON-RPC messages`,
      { allow: 'POST' },
    );
  }
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined || DROPPED.has(key.toLowerCase())) continue;
    headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const server = createRoleServer(name, organizationOverApi(inProcessApi(deps, req.principal), options));
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  try {
    await server.connect(transport);
    const response = await transport.handleRequest(
      new Request(`http://localhost/mcp/${name}`, { method: 'POST', headers, body: req.body ?? '' }),
    );
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: await response.text(),
    };
  } catch (error) {
    deps.logger.error('mcp request failed', {
      role: name,
      error: error instanceof Error ? error.stack : String(error),
    });
    return rpcError(500, -32603, `internal error: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await server.close();
  }
}
