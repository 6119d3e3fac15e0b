/**
 * `echoctl mcp --role <role>`: one role of the organization as an MCP server on stdio, for Claude
 * Desktop or any MCP client, talking to the HTTP API. stdout carries the protocol and nothing else;
 * what it has to say goes to stderr (the client's log).
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { type Command, InvalidArgumentError } from 'commander';
import {
  type ApiCall,
  apiCallError,
  DEFAULT_REPLY_WAIT_MS,
  organizationOverApi,
} from '../lambdas/adapters/mcp/api.organization.ts';
import { createRoleServer } from '../lambdas/core/mcp/role-server.ts';
import { isRole, ROLES, type Role } from '../lambdas/core/roles.ts';
import { ApiError, createClient } from './client.ts';

function role(value: string): Role {
  if (!isRole(value)) throw new InvalidArgumentError(`must be one of ${ROLES.join(', ')}`);
  return value;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 600)
    throw new InvalidArgumentError('must be seconds, from 1 to 600');
  return n;
}

/** The HTTP API through the CLI's client, its errors as named errors (the field, when there is one). */
export function httpApi(base: string): ApiCall {
  const client = createClient(base);
  return async (method, path, body) => {
    try {
      return await client.call<unknown>(method, path, body);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      throw apiCallError(
        error.status,
        error.body ?? { error: { code: 'Unreachable', message: error.message } },
      );
    }
  };
}

const log = (line: string) => void process.stderr.write(`echoctl mcp: ${line}\n`);

/** Serves until stdin ends (the client went away) or the transport closes. */
export async function serveStdio(options: { role: Role; base: string; replyWaitMs: number }): Promise<void> {
  const server = createRoleServer(
    options.role,
    organizationOverApi(httpApi(options.base), { replyWaitMs: options.replyWaitMs }),
  );
  const closed = new Promise<void>((resolve) => {
    server.onclose = resolve;
  });
  server.onerror = (error) => log(`protocol error: ${error.message}`);
  process.stdin.once('end', () => void server.close());
  await server.connect(new StdioServerTransport());
  log(`serving the ${options.role} on stdio; API ${options.base}`);
  fetch(`${options.base}/health`).then(
    (r) => r.ok || log(`the API at ${options.base} answers /health with HTTP ${r.status}`),
    (e: unknown) =>
      log(`cannot reach the API at ${options.base} (${String(e)}): tool calls will fail until it is up`),
  );
  await closed;
}

export function addMcpCommand(program: Command, base: string): void {
  program
    .command('mcp')
    .description('serve one role as an MCP server on stdio (Claude Desktop, any MCP client); logs on stderr')
    .requiredOption('--role <role>', `the role: ${ROLES.join(', ')}`, role)
    .option('--api <url>', 'the ECHO HTTP API', base)
    .option(
      '--wait <seconds>',
      'how long a tool call waits for the reply',
      seconds,
      DEFAULT_REPLY_WAIT_MS / 1000,
    )
    .action((o: { role: Role; api: string; wait: number }) =>
      serveStdio({ role: o.role, base: o.api.replace(/\/+$/, ''), replyWaitMs: o.wait * 1000 }),
    );
}
