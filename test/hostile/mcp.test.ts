/**
 * Hostile input: the roles' MCP servers. Through the SDK's own client over an in-memory transport
 * (the role server on the organization through the in-process API, as the local runtime and the API
 * Lambda build it) and as raw JSON-RPC over Streamable HTTP (/mcp/<role> on the real runtime):
 * tools/call with arbitrary arguments and unknown names, resources/read with arbitrary URIs, and
 * bodies that are not JSON-RPC at all. The answer is a tool result (isError with a message naming
 * the field) or a JSON-RPC error; the server keeps answering. Real PostgreSQL and Redis.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { type CallToolResult, McpError } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessApi, organizationOverApi } from '../../lambdas/adapters/mcp/api.organization.ts';
import { createRoleServer } from '../../lambdas/core/mcp/role-server.ts';
import { REGISTRY } from '../../lambdas/core/org/registry.ts';
import { ROLES, type Role } from '../../lambdas/core/roles.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { redisUrl, requireService } from '../support/services.ts';
import {
  hostileJson,
  hostileObject,
  invalidJsonText,
  jsonSchemaOf,
  nastyString,
  objectFromSchema,
  runs,
} from './arbitraries.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');
const PROTOCOL = '2025-06-18';

const TOOLS = ROLES.flatMap((role) => REGISTRY[role].tools.map((tool) => ({ role, tool })));

describe.runIf(hasServices)('hostile MCP calls', () => {
  let rt: TestRuntime;
  const clients = new Map<Role, Client>();

  beforeAll(async () => {
    rt = await startTestRuntime({
      database: 'postgres',
      redisUrl,
      env: { ECHO_DEADLINE_INTERVAL_MS: '3600000', ECHO_HUMAN_TOKEN: 'hostile-mcp-token' },
    });
    for (const role of ROLES) {
      // A reply that does not come within 15 s is a failure of the organization, reported as such.
      const server = createRoleServer(
        role,
        organizationOverApi(inProcessApi({ ...rt.deps, health: async () => ({ ok: true, agents: [] }) }), {
          replyWaitMs: 15_000,
          pollMs: 50,
        }),
      );
      const [a, b] = InMemoryTransport.createLinkedPair();
      await server.connect(a);
      const client = new Client({ name: 'echo-hostile-test', version: '1.0.0' });
      await client.connect(b);
      clients.set(role, client);
    }
  });
  afterAll(async () => {
    for (const client of clients.values()) await client.close();
    await rt?.close();
  });

  /** A tool call's answer: a result (isError names the field), or a JSON-RPC error. */
  async function call(role: Role, name: string, args: unknown) {
    try {
      return {
        result: (await clients.get(role)!.callTool({
          name,
          arguments: args as Record<string, unknown>,
        })) as CallToolResult,
      };
    } catch (error) {
      expect(error).toBeInstanceOf(McpError);
      return { rpcError: error as McpError };
    }
  }

  function expectToolError(result: CallToolResult, what: string) {
    const error = (result.structuredContent as { error?: { code: string; message: string; field?: string } })
      ?.error;
    expect(error?.code, what).toEqual(expect.any(String));
    expect(error?.code, what).not.toMatch(/^(ReplyTimeout|InternalError)$/);
    expect(error?.message, what).toEqual(expect.any(String));
    const text = (result.content[0] as { text: string }).text;
    if (error?.code === 'ValidationError') {
      expect(error.field, what).toEqual(expect.any(String));
      expect(text, what).toContain(`(field: ${error.field})`);
    }
  }

  it('tools/call with arguments shaped by the tool, and arbitrary ones: a result, an error naming the field', async () => {
    const callArb = fc
      .constantFrom(...TOOLS)
      .chain(({ role, tool }) =>
        fc
          .oneof(
            { weight: 4, arbitrary: objectFromSchema(jsonSchemaOf(tool.input)) },
            { weight: 1, arbitrary: hostileObject },
          )
          .map((args) => ({ role, name: tool.name, args })),
      );
    const tally = { answered: 0, errorReplies: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(callArb, async ({ role, name, args }) => {
        const what = `${role}.${name} ${JSON.stringify(args)?.slice(0, 300)}`;
        const answer = await call(role, name, args);
        if (answer.rpcError) return; // the SDK refused the request itself (InvalidParams)
        const { result } = answer;
        if (result.isError) {
          expectToolError(result, what);
          tally[(result.structuredContent as any).replyId ? 'errorReplies' : 'refused']++;
        } else {
          expect((result.structuredContent as { tool?: string }).tool, what).toBe(name);
          tally.answered++;
        }
      }),
      runs(150),
    );
    await rt.bus.idle();
    // the calls reached the organization: answers, and error replies from agents, not only refusals
    expect(tally.answered, JSON.stringify(tally)).toBeGreaterThanOrEqual(5);
    expect(tally.refused, JSON.stringify(tally)).toBeGreaterThanOrEqual(5);
  }, 180_000);

  it('unknown tool names and arguments that are no object: a tool error naming `name`, or a JSON-RPC error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROLES),
        fc.oneof(nastyString, fc.string({ unit: 'binary', maxLength: 50 })),
        fc.oneof(hostileObject, hostileJson),
        async (role, name, args) => {
          fc.pre(!REGISTRY[role].tools.some((t) => t.name === name));
          const answer = await call(role, name, args);
          if (answer.rpcError) return;
          expect(answer.result.isError).toBe(true);
          expect((answer.result.structuredContent as any).error).toMatchObject({
            code: 'ValidationError',
            field: 'name',
          });
        },
      ),
      runs(150),
    );
  });

  it('resources/read of arbitrary URIs: contents, or a JSON-RPC error with a message', async () => {
    const uri = fc.oneof(
      nastyString,
      fc.constantFrom(...ROLES).chain((role) =>
        fc.oneof(
          fc.constantFrom(`echo://${role}/decisions`, `echo://${role}/messages`),
          fc
            .tuple(fc.constantFrom('decisions', 'requests'), fc.oneof(fc.uuid(), nastyString))
            .map(([what, id]) => `echo://${role}/${what}/${id}`),
        ),
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROLES), uri, async (role, u) => {
        try {
          const read = await clients.get(role)!.readResource({ uri: u });
          expect(read.contents.length).toBeGreaterThan(0);
        } catch (error) {
          expect(error).toBeInstanceOf(McpError);
          expect((error as McpError).message.length).toBeGreaterThan(0);
          expect((error as McpError).code).not.toBe(-32603); // not an internal error
        }
      }),
      runs(150),
    );
  });

  it('each server still answers after all that', async () => {
    for (const role of ROLES) {
      const { tools } = await clients.get(role)!.listTools();
      expect(tools.map((t) => t.name)).toEqual(REGISTRY[role].tools.map((t) => t.name));
    }
    const result = (await clients.get('cto')!.callTool({
      name: 'review_engineering_metrics',
      arguments: {},
    })) as CallToolResult;
    expect(result.isError ?? false).toBe(false);
  });

  describe('raw JSON-RPC over Streamable HTTP (/mcp/<role>)', () => {
    const post = async (role: string, body: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${rt.apiUrl}/mcp/${role}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': PROTOCOL,
          ...headers,
        },
        body,
        signal: AbortSignal.timeout(30_000),
      });
      return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
    };

    const message = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom(...TOOLS).chain(({ tool }) =>
          fc.oneof(objectFromSchema(jsonSchemaOf(tool.input)), hostileJson).map((args) => ({
            jsonrpc: '2.0',
            id: 1,
            method: 'tools/call',
            params: { name: tool.name, arguments: args },
          })),
        ),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          jsonrpc: fc.oneof(fc.constant('2.0'), hostileJson),
          id: fc.oneof(fc.integer(), fc.string(), hostileJson),
          method: fc.oneof(
            fc.constantFrom('tools/call', 'tools/list', 'resources/read', 'initialize', 'ping', 'nope'),
            nastyString,
          ),
          params: hostileJson,
        }),
      },
    );
    const body = fc.oneof(
      { weight: 4, arbitrary: message.map((m) => JSON.stringify(m)) },
      { weight: 1, arbitrary: fc.array(message, { maxLength: 3 }).map((m) => JSON.stringify(m)) },
      { weight: 1, arbitrary: invalidJsonText },
      { weight: 1, arbitrary: hostileJson.map((v) => JSON.stringify(v) ?? '') },
    );

    it('answers a JSON-RPC result or error (or 202 for notifications), never a 500', async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...ROLES, 'nobody', ''), body, async (role, text) => {
          const res = await post(role, text);
          const what = `/mcp/${role} ${text.slice(0, 200)} -> ${res.status} ${res.text.slice(0, 300)}`;
          expect(res.status, what).toBeLessThan(500);
          if (res.status === 202) return;
          expect(res.type, what).toMatch(/^application\/json/);
          const json = JSON.parse(res.text);
          const answers = Array.isArray(json) ? json : [json];
          for (const a of answers) {
            if (a.error && !a.jsonrpc) {
              // not an MCP path at all: the API's own JSON error
              expect(a.error.code, what).toEqual(expect.any(String));
              continue;
            }
            expect(a.jsonrpc, what).toBe('2.0');
            if (a.error) {
              expect(a.error.code, what).toEqual(expect.any(Number));
              // the SDK answers params that fail its own request schema with -32603 and the zod issues
              // (naming the path); anything else internal would be ours
              if (a.error.code === -32603) expect(a.error.message, what).toMatch(/"path"/);
              expect(a.error.message, what).toEqual(expect.any(String));
            } else if (a.result?.isError) {
              expect(a.result.content[0].text, what).toMatch(/^\w+/);
              expect(a.result.structuredContent.error.code, what).not.toMatch(
                /^(ReplyTimeout|InternalError)$/,
              );
            } else {
              expect(a.result, what).toBeDefined();
            }
          }
        }),
        runs(150),
      );
      await rt.bus.idle();
      const list = await post('cto', JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }));
      expect(list.status).toBe(200);
      expect(JSON.parse(list.text).result.tools.length).toBe(REGISTRY.cto.tools.length);
    }, 180_000);
  });
});
