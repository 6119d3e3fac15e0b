/**
 * A role as an MCP server, independent of its transport (stdio for `echoctl mcp`, Streamable HTTP on
 * the local runtime and on the deployed API). Its tools are the role's own tools from the registry
 * (the four common ones included), each with the JSON Schema of its zod input; a call validates the
 * arguments with that schema, posts a `request` to the role (subject = the tool, content = the
 * arguments) through the injected port, waits for the correlated reply and returns its content.
 * Its resources are the role's recent decisions and messages, and any decision with its chain.
 *
 * A tool never throws to the protocol: bad input, an `error` reply, no reply within the wait or an
 * unreachable organization all come back as a tool result with `isError: true`, naming the field
 * where there is one. Time and I/O live behind the port.
 */

// The low-level Server on purpose: the catalogue is data (the registry) with JSON Schemas of its
// own, and validation is the registry's zod schemas with this project's field-naming errors.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import { parseWith } from '../../../events/validate.ts';
import type { Decision, DecisionView } from '../decision-types.ts';
import { EchoError, ValidationError } from '../errors.ts';
import type { JsonObject, Message } from '../messages.ts';
import { REGISTRY } from '../org/registry.ts';
import { findTool } from '../org/tools/index.ts';
import type { Role } from '../roles.ts';
import { toolInputSchema } from '../tool-schema.ts';

export const MCP_SERVER_VERSION = '0.1.0';

/** How many decisions and messages a resource lists. */
export const RECENT = 50;

/** What a role's MCP server needs from the organization: post, wait for the reply, read. */
export interface OrganizationPort {
  /** Posts a `request` to the role as a human caller would; resolves with the committed message. */
  request(role: Role, subject: string, content: JsonObject): Promise<Message>;
  /** The reply to a request (metadata.inReplyTo = its id), or undefined when none came within the wait. */
  awaitReply(requestId: string): Promise<Message | undefined>;
  /** How long awaitReply waits, for the message that says it stopped waiting. */
  readonly replyWaitMs: number;
  /** Decisions owned by the role, newest first. */
  decisions(role: Role, limit: number): Promise<Decision[]>;
  /** Messages delivered or addressed to the role, newest first. */
  messages(role: Role, limit: number): Promise<Message[]>;
  /** One decision with its votes, escalation chain (root first) and human approval. */
  decision(id: string): Promise<DecisionView>;
  /** A request and the replies to it so far. */
  thread(requestId: string): Promise<{ request: Message; replies: Message[] }>;
}

const catalogues = new Map<Role, Tool[]>();

/**
 * The role's tools as MCP lists them: name, description, and the JSON Schema of the zod input as a
 * caller writes it (fields with a default are optional). Computed once per role: the registry is data.
 */
export function mcpTools(role: Role): Tool[] {
  const known = catalogues.get(role);
  if (known) return known;
  const tools = REGISTRY[role].tools.map(
    (tool): Tool => ({
      name: tool.name,
      description: tool.description,
      // JSON Schema allows `true` as a property schema; MCP's type says object: zod never emits `true` here.
      inputSchema: toolInputSchema(tool.input) as Tool['inputSchema'],
    }),
  );
  catalogues.set(role, tools);
  return tools;
}

const resourceUri = (role: Role, what: 'decisions' | 'messages') => `echo://${role}/${what}`;

export function mcpResources(role: Role): Resource[] {
  const { title } = REGISTRY[role];
  return [
    {
      uri: resourceUri(role, 'decisions'),
      name: `${role}-decisions`,
      title: `Decisions of the ${title}`,
      description: `The ${RECENT} most recent decisions owned by the ${role}, newest first (JSON)`,
      mimeType: 'application/json',
    },
    {
      uri: resourceUri(role, 'messages'),
      name: `${role}-messages`,
      title: `Messages to the ${title}`,
      description: `The ${RECENT} most recent messages delivered or addressed to the ${role}, newest first (JSON)`,
      mimeType: 'application/json',
    },
  ];
}

export function mcpResourceTemplates(role: Role): ResourceTemplate[] {
  return [
    {
      uriTemplate: `echo://${role}/decisions/{id}`,
      name: `${role}-decision`,
      title: 'A decision',
      description:
        'One decision by id (a tool reply gives it as decisionId): status, votes, the escalation chain with each hop and its reason, the human approval (JSON)',
      mimeType: 'application/json',
    },
    {
      uriTemplate: `echo://${role}/requests/{id}`,
      name: `${role}-request`,
      title: 'A request and its replies',
      description: `A request to the ${role} by id (every tool result names it as requestId) with the replies so far (JSON)`,
      mimeType: 'application/json',
    },
  ];
}

const money = (n: number) => (n > 0 ? `$${n.toLocaleString('en-US')}` : 'no budget');

function instructions(role: Role): string {
  const d = REGISTRY[role];
  return [
    `The ${d.title} (${role}) of ECHO, an organization of nine AI role agents.`,
    `It reports to ${d.reportsTo === 'human' ? 'a human (the board)' : `the ${d.reportsTo}`}, decides alone up to ${money(d.budgetAuthorityUsd)} in: ${d.domains.join(', ')}.`,
    `Each tool posts a request to the ${role} and returns its reply as JSON; a decision above its authority or outside its domains is escalated (status "escalated"), and the chain is readable at echo://${role}/decisions/{id}.`,
  ].join(' ');
}

interface ErrorDetail {
  code: string;
  message: string;
  field?: string;
}

function detailOf(error: unknown): ErrorDetail {
  if (error instanceof ValidationError)
    return { code: error.code, field: error.field, message: error.message };
  if (error instanceof EchoError) return { code: error.code, message: error.message };
  return { code: 'InternalError', message: error instanceof Error ? error.message : String(error) };
}

function errorResult(detail: ErrorDetail, extra: JsonObject = {}): CallToolResult {
  const field = detail.field ? ` (field: ${detail.field})` : '';
  return {
    isError: true,
    content: [{ type: 'text', text: `${detail.code}${field}: ${detail.message}` }],
    structuredContent: { error: { ...detail }, ...extra },
  };
}

/** The error an agent put in its `error` reply: { error: { code, field?, message } }. */
function replyError(reply: Message): ErrorDetail {
  const parsed = z
    .object({ code: z.string(), message: z.string(), field: z.string().optional() })
    .safeParse(reply.content.error);
  if (parsed.success) return parsed.data;
  return { code: 'ErrorReply', message: JSON.stringify(reply.content) };
}

/** Runs one tool: validate, post, wait, answer; never throws. */
export async function callRoleTool(
  port: OrganizationPort,
  role: Role,
  name: string,
  args: JsonObject,
): Promise<CallToolResult> {
  const tool = findTool(role, name);
  if (!tool) {
    return errorResult({
      code: 'ValidationError',
      field: 'name',
      message: `the ${role} has no tool ${name}; its tools: ${REGISTRY[role].tools.map((t) => t.name).join(', ')}`,
    });
  }
  let requestId: string | undefined;
  try {
    parseWith(tool.input, args);
    const request = await port.request(role, name, args);
    requestId = request.id;
    const reply = await port.awaitReply(request.id);
    const meta = { requestId: request.id, ...(reply ? { replyId: reply.id } : {}) };
    if (!reply) {
      return errorResult(
        {
          code: 'ReplyTimeout',
          message: `no reply from the ${role} within ${port.replyWaitMs / 1000} s to request ${request.id}; the request is committed and will still be answered: read echo://${role}/requests/${request.id} (or GET /messages?inReplyTo=${request.id})`,
        },
        meta,
      );
    }
    if (reply.type === 'error') return errorResult(replyError(reply), meta);
    return {
      content: [{ type: 'text', text: JSON.stringify(reply.content, null, 2) }],
      structuredContent: reply.content,
      _meta: meta,
    };
  } catch (error) {
    return errorResult(detailOf(error), requestId ? { requestId } : {});
  }
}

const jsonText = (uri: string, value: unknown): ReadResourceResult => ({
  contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }],
});

/** Reads one of the role's resources; an unknown URI is a protocol error (InvalidParams). */
export async function readRoleResource(
  port: OrganizationPort,
  role: Role,
  uri: string,
): Promise<ReadResourceResult> {
  if (uri === resourceUri(role, 'decisions'))
    return jsonText(uri, { decisions: await port.decisions(role, RECENT) });
  if (uri === resourceUri(role, 'messages'))
    return jsonText(uri, { messages: await port.messages(role, RECENT) });
  const byId = new RegExp(`^echo://${role}/(?<what>decisions|requests)/(?<id>[^/]+)$`).exec(uri)?.groups;
  if (byId) {
    const { what, id } = byId as { what: 'decisions' | 'requests'; id: string };
    if (!z.uuid().safeParse(id).success)
      throw new McpError(ErrorCode.InvalidParams, `uri: ${id} is not a ${what.slice(0, -1)} id (uuid)`);
    try {
      if (what === 'decisions') return jsonText(uri, { decision: await port.decision(id) });
      return jsonText(uri, await port.thread(id));
    } catch (error) {
      const detail = detailOf(error);
      throw new McpError(
        detail.code === 'NotFound' ? ErrorCode.InvalidParams : ErrorCode.InternalError,
        detail.message,
      );
    }
  }
  throw new McpError(
    ErrorCode.InvalidParams,
    `uri: no resource ${uri} on the ${role}'s server; it has ${[
      ...mcpResources(role).map((r) => r.uri),
      ...mcpResourceTemplates(role).map((t) => t.uriTemplate),
    ].join(', ')}`,
  );
}

/** The role's MCP server; connect it to a transport. */
export function createRoleServer(role: Role, port: OrganizationPort): Server {
  const server = new Server(
    {
      name: `echo-${role.replaceAll('_', '-')}`,
      title: `ECHO ${REGISTRY[role].title}`,
      version: MCP_SERVER_VERSION,
    },
    { capabilities: { tools: {}, resources: {} }, instructions: instructions(role) },
  );
  const tools = mcpTools(role);
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, async (request) =>
    callRoleTool(port, role, request.params.name, request.params.arguments ?? {}),
  );
  server.setRequestHandler(ListResourcesRequestSchema, async () => ({ resources: mcpResources(role) }));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({
    resourceTemplates: mcpResourceTemplates(role),
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request) =>
    readRoleResource(port, role, request.params.uri),
  );
  return server;
}
