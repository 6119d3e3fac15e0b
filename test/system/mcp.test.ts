/**
 * The organization as MCP servers, driven by the SDK's own client: over stdio (`echoctl mcp --role
 * cto`, a process talking to the HTTP API) and over Streamable HTTP (/mcp/<role> on the local
 * runtime, and the API Lambda handler given API Gateway events). Real PostgreSQL and Redis; the
 * rules engine decides.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { inProcessApi, organizationOverApi } from '../../lambdas/adapters/mcp/api.organization.ts';
import { createRoleServer } from '../../lambdas/core/mcp/role-server.ts';
import { REGISTRY } from '../../lambdas/core/org/registry.ts';
import { ROLES, type Role } from '../../lambdas/core/roles.ts';
import { createApiHandler } from '../../lambdas/handlers/api.ts';
import { apiGatewayEvent } from '../support/api-gateway.ts';
import { echoctl, root } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { redisUrl, requireService } from '../support/services.ts';

const hasServices = requireService('DATABASE_URL') && requireService('REDIS_URL');

/** What the registry says a role's tools are: name, description, the JSON Schema of the zod input. */
function registryTools(role: Role) {
  return REGISTRY[role].tools.map((t) => {
    const { $schema: _, ...inputSchema } = z.toJSONSchema(t.input, { io: 'input', unrepresentable: 'any' });
    return { name: t.name, description: t.description, inputSchema };
  });
}

const listed = (tools: { name: string; description?: string; inputSchema: unknown }[]) =>
  tools.map(({ name, description, inputSchema }) => ({ name, description, inputSchema }));

const structured = (r: unknown) => (r as CallToolResult).structuredContent as Record<string, any>;
const text = (r: unknown) => ((r as CallToolResult).content[0] as { text: string }).text;

const newClient = () => new Client({ name: 'echo-mcp-test', version: '1.0.0' });

/** The same walk over any transport: initialize (done by connect), tools, an escalation, bad input, resources. */
async function exerciseCto(client: Client, rt: TestRuntime) {
  expect(client.getServerVersion()?.name).toBe('echo-cto');
  expect(client.getServerCapabilities()).toMatchObject({ tools: {}, resources: {} });
  expect(client.getInstructions()).toMatch(/Chief Technology Officer.*\$500,000/);

  const { tools } = await client.listTools();
  expect(listed(tools)).toEqual(registryTools('cto'));
  expect(tools.map((t) => t.name)).toEqual(
    expect.arrayContaining(['ai_consult', 'session_consult', 'remember', 'recall']),
  );

  // above the CTO's authority: the decision climbs to the CEO
  const title = `Adopt an event store ${randomUUID().slice(0, 8)}`;
  const escalated = await client.callTool({
    name: 'approve_technical_proposal',
    arguments: { title, budget_usd: 800_000 },
  });
  expect(escalated.isError ?? false).toBe(false);
  const reply = structured(escalated);
  expect(reply).toMatchObject({ tool: 'approve_technical_proposal', status: 'escalated', owner: 'cto' });
  expect(reply.reason).toMatch(/exceeds cto authority/);
  expect(JSON.parse(text(escalated))).toEqual(reply);
  const requestId = (escalated._meta as { requestId: string }).requestId;
  const request = (await rt.get(`/messages/${requestId}`)).body.message;
  expect(request).toMatchObject({
    from: 'human',
    to: 'cto',
    type: 'request',
    subject: 'approve_technical_proposal',
    content: { title, budget_usd: 800_000 },
  });

  // the decision as a resource: the owner chain cto → ceo, each hop with its reason
  const uri = `echo://cto/decisions/${reply.decisionId}`;
  const decision = await eventually(
    async () => {
      const read = await client.readResource({ uri });
      const d = JSON.parse((read.contents[0] as { text: string }).text).decision;
      return d.chain.length === 2 && d.chain[1].status !== 'pending' ? d : undefined;
    },
    20_000,
    'the CEO to decide the escalated proposal',
  );
  expect(decision.chain.map((c: { owner: string; status: string }) => [c.owner, c.status])).toEqual([
    ['cto', 'escalated'],
    ['ceo', 'approved'],
  ]);
  expect(decision.chain[0].reason).toMatch(/budget \$800,000 exceeds cto authority \$500,000/);

  // bad input: a tool error naming the field, and the server goes on serving
  const negative = await client.callTool({
    name: 'approve_technical_proposal',
    arguments: { title: 'Negative', budget_usd: -5 },
  });
  expect(negative.isError).toBe(true);
  expect(structured(negative).error).toMatchObject({ code: 'ValidationError', field: 'budget_usd' });
  expect(text(negative)).toMatch(/field: budget_usd/);
  const untitled = await client.callTool({ name: 'approve_technical_proposal', arguments: {} });
  expect(untitled.isError).toBe(true);
  expect(structured(untitled).error.field).toBe('title');
  const unknown = await client.callTool({ name: 'hire_everyone', arguments: {} });
  expect(unknown.isError).toBe(true);
  expect(text(unknown)).toMatch(/the cto has no tool hire_everyone/);

  // resources: the role's recent decisions and messages
  const { resources } = await client.listResources();
  expect(resources.map((r) => r.uri)).toEqual(['echo://cto/decisions', 'echo://cto/messages']);
  const { resourceTemplates } = await client.listResourceTemplates();
  expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual([
    'echo://cto/decisions/{id}',
    'echo://cto/requests/{id}',
  ]);
  const thread = JSON.parse(
    ((await client.readResource({ uri: `echo://cto/requests/${requestId}` })).contents[0] as { text: string })
      .text,
  );
  expect(thread.request.id).toBe(requestId);
  expect(thread.replies.map((m: { from: string; type: string }) => [m.from, m.type])).toEqual([
    ['cto', 'response'],
  ]);
  const messages = JSON.parse(
    ((await client.readResource({ uri: 'echo://cto/messages' })).contents[0] as { text: string }).text,
  ).messages;
  expect(messages.map((m: { id: string }) => m.id)).toContain(requestId);
  const decisions = JSON.parse(
    ((await client.readResource({ uri: 'echo://cto/decisions' })).contents[0] as { text: string }).text,
  ).decisions;
  expect(decisions.map((d: { id: string }) => d.id)).toContain(reply.decisionId);
  await expect(client.readResource({ uri: 'echo://ceo/decisions' })).rejects.toThrow(/no resource/);
}

describe.runIf(hasServices)('the organization as MCP servers', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ database: 'postgres', redisUrl });
  });
  afterAll(async () => rt?.close());

  describe('over Streamable HTTP on the local runtime (/mcp/<role>)', () => {
    const connect = async (role: Role) => {
      const client = newClient();
      await client.connect(new StreamableHTTPClientTransport(new URL(`${rt.apiUrl}/mcp/${role}`)));
      return client;
    };

    it('each of the nine roles lists its tools from the registry, with their input schemas', async () => {
      for (const role of ROLES) {
        const client = await connect(role);
        try {
          expect(client.getServerVersion()?.name).toBe(`echo-${role.replaceAll('_', '-')}`);
          const { tools } = await client.listTools();
          expect(listed(tools), role).toEqual(registryTools(role));
        } finally {
          await client.close();
        }
      }
    });

    it('the CTO: an escalating tool call, bad input named by field, its resources', async () => {
      const client = await connect('cto');
      try {
        await exerciseCto(client, rt);
      } finally {
        await client.close();
      }
    });

    it("an agent's error reply is a tool error naming the field", async () => {
      const client = await connect('ceo');
      try {
        const result = await client.callTool({
          name: 'override_decision',
          arguments: { decisionId: randomUUID(), status: 'approved', reason: 'because' },
        });
        expect(result.isError).toBe(true);
        expect(structured(result).error).toMatchObject({ code: 'ValidationError', field: 'decisionId' });
        expect(structured(result).replyId).toEqual(expect.any(String));
        expect(text(result)).toMatch(/no decision/);
      } finally {
        await client.close();
      }
    });

    it('answers what it does not serve plainly: unknown role 404, GET 405', async () => {
      const unknown = await fetch(`${rt.apiUrl}/mcp/nobody`, { method: 'POST' });
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as any).error.message).toMatch(/one MCP server per role/);
      const get = await fetch(`${rt.apiUrl}/mcp/cto`, { headers: { accept: 'text/event-stream' } });
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
    });
  });

  describe('over stdio: echoctl mcp --role <role>', () => {
    const spawnServer = (role: Role) =>
      new StdioClientTransport({
        command: process.execPath,
        args: [resolve(root, 'bin/echoctl.js'), 'mcp', '--role', role, '--api', rt.apiUrl],
        cwd: root,
        stderr: 'pipe',
      });

    it('each of the nine roles, one process each, lists its tools from the registry', async () => {
      for (const role of ROLES) {
        const client = newClient();
        await client.connect(spawnServer(role));
        try {
          expect(client.getServerVersion()?.name).toBe(`echo-${role.replaceAll('_', '-')}`);
          expect(listed((await client.listTools()).tools), role).toEqual(registryTools(role));
        } finally {
          await client.close();
        }
      }
    });

    it('serves the CTO through the HTTP API, with only the protocol on stdout', async () => {
      const transport = spawnServer('cto');
      let stderr = '';
      transport.stderr?.on('data', (d) => (stderr += d));
      const errors: Error[] = [];
      const client = newClient();
      client.onerror = (e) => errors.push(e);
      await client.connect(transport);
      try {
        await exerciseCto(client, rt);
      } finally {
        await client.close();
      }
      expect(errors).toEqual([]);
      expect(stderr).toMatch(/serving the cto on stdio/);
    });

    it('refuses a role that does not exist, naming the choices', async () => {
      const r = await echoctl(['mcp', '--role', 'janitor'], rt.apiUrl);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/--role.*must be one of ceo, cto/);
      expect(r.stdout).toBe('');
    });
  });

  it('no reply within the wait is a tool error, and the request stays committed', async () => {
    // a bus that accepts every event and has no rule for it: the request is committed, and no agent
    // hears of it before the wait ends
    const deaf = {
      ...rt.deps,
      bus: {
        putEvents: async (entries: readonly unknown[]) =>
          entries.map(() => ({ ok: true as const, eventId: randomUUID() })),
      },
      health: async () => ({ ok: true, agents: [] }),
    };
    const server = createRoleServer('cto', organizationOverApi(inProcessApi(deaf), { replyWaitMs: 50 }));
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const client = newClient();
    await client.connect(b);
    try {
      const result = await client.callTool({ name: 'review_engineering_metrics', arguments: {} });
      expect(result.isError).toBe(true);
      expect(structured(result).error.code).toBe('ReplyTimeout');
      const { requestId } = structured(result);
      expect(text(result)).toContain(`echo://cto/requests/${requestId}`);
      const read = await client.readResource({ uri: `echo://cto/requests/${requestId}` });
      const thread = JSON.parse((read.contents[0] as { text: string }).text);
      expect(thread.request).toMatchObject({ id: requestId, subject: 'review_engineering_metrics' });
      expect(thread.replies).toEqual([]);
    } finally {
      await client.close();
    }
  });

  describe('the API Lambda (API Gateway HTTP API, payload 2.0)', () => {
    const event = (rawPath: string, body: unknown, headers: Record<string, string> = {}) =>
      apiGatewayEvent('POST', rawPath, {
        body: JSON.stringify(body),
        headers: {
          accept: 'application/json, text/event-stream',
          host: 'abc.execute-api.us-east-1.amazonaws.com',
          ...headers,
        },
      });

    it('initialize, tools/list and a tool call, each a stateless invocation against the real database', async () => {
      const handler = createApiHandler(async () => ({
        ...rt.deps,
        health: async () => ({ ok: true, agents: [...ROLES] }),
      }));
      const version = '2025-06-18';
      const init = await handler(
        event('/mcp/cto', {
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: version,
            capabilities: {},
            clientInfo: { name: 'lambda-test', version: '1' },
          },
        }),
      );
      expect(init.statusCode).toBe(200);
      expect(init.headers?.['content-type']).toMatch(/application\/json/);
      const initialized = JSON.parse(init.body ?? '');
      expect(initialized).toMatchObject({
        jsonrpc: '2.0',
        id: 1,
        result: { protocolVersion: version, serverInfo: { name: 'echo-cto' }, capabilities: { tools: {} } },
      });

      const notified = await handler(
        event(
          '/mcp/cto',
          { jsonrpc: '2.0', method: 'notifications/initialized' },
          { 'mcp-protocol-version': version },
        ),
      );
      expect(notified.statusCode).toBe(202);

      const list = await handler(
        event(
          '/mcp/cto',
          { jsonrpc: '2.0', id: 2, method: 'tools/list' },
          { 'mcp-protocol-version': version },
        ),
      );
      expect(list.statusCode).toBe(200);
      expect(listed(JSON.parse(list.body ?? '').result.tools)).toEqual(registryTools('cto'));

      const call = await handler(
        event(
          '/mcp/cto',
          {
            jsonrpc: '2.0',
            id: 3,
            method: 'tools/call',
            params: {
              name: 'approve_technical_proposal',
              arguments: { title: 'Lambda path', budget_usd: 800_000 },
            },
          },
          { 'mcp-protocol-version': version },
        ),
      );
      expect(call.statusCode).toBe(200);
      const result = JSON.parse(call.body ?? '').result;
      expect(result.isError ?? false).toBe(false);
      expect(result.structuredContent).toMatchObject({ status: 'escalated', owner: 'cto' });

      const nobody = await handler(event('/mcp/nobody', { jsonrpc: '2.0', id: 4, method: 'tools/list' }));
      expect(nobody.statusCode).toBe(404);
    });
  });
});
