/**
 * The MCP servers' port to the organization, over the HTTP API: the same routes, validation and
 * dead-lettering as any other caller. Two ways to reach it: over the network (echoctl mcp, with
 * the CLI's client) or in process (the local runtime and the API Lambda call handleApiRequest).
 * A tool call's reply is waited for by polling GET /messages?inReplyTo=<id> (the database is the
 * record; the real-time channel is only a hint), backing off from 25 ms to `pollMs`.
 */
import type { Decision, DecisionView } from '../../core/decision-types.ts';
import { EchoError, ValidationError } from '../../core/errors.ts';
import type { OrganizationPort } from '../../core/mcp/role-server.ts';
import type { Message } from '../../core/messages.ts';
import { type ApiDeps, handleApiRequest, type Principal } from '../http/api.ts';
import { queryOf } from '../http/http.ts';

/** One call of the HTTP API: resolves with the JSON body of a 2xx answer, throws a named error otherwise. */
export type ApiCall = (method: string, path: string, body?: unknown) => Promise<unknown>;

export interface ReplyWait {
  /** How long a tool call waits for the reply (default 20 s: the API Lambda has 29). */
  replyWaitMs?: number;
  /** The longest pause between two looks for the reply (default 250 ms). */
  pollMs?: number;
}

export const DEFAULT_REPLY_WAIT_MS = 20_000;

/** An error answer of the API as a named error: a ValidationError when it names a field. */
export function apiCallError(status: number, body: unknown): EchoError {
  const error =
    typeof body === 'object' && body !== null && 'error' in body
      ? (body.error as { code?: unknown; message?: unknown; field?: unknown })
      : {};
  const message = typeof error.message === 'string' ? error.message : `the API answered HTTP ${status}`;
  if (typeof error.field === 'string') return new ValidationError(error.field, message);
  return new EchoError(typeof error.code === 'string' ? error.code : `Http${status}`, message);
}

/** The API in this process: handleApiRequest with the caller's principal, no network. */
export function inProcessApi(deps: ApiDeps, principal?: Principal): ApiCall {
  return async (method, path, body) => {
    const url = new URL(path, 'http://in-process');
    const response = await handleApiRequest(deps, {
      method,
      path: url.pathname,
      query: queryOf(url.searchParams),
      body: body === undefined ? undefined : JSON.stringify(body),
      principal,
    });
    if (response.status >= 400) throw apiCallError(response.status, response.body);
    return response.body;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function organizationOverApi(call: ApiCall, options: ReplyWait = {}): OrganizationPort {
  const replyWaitMs = options.replyWaitMs ?? DEFAULT_REPLY_WAIT_MS;
  const pollMs = options.pollMs ?? 250;
  const get = async <T>(path: string) => (await call('GET', path)) as T;
  return {
    replyWaitMs,
    async request(role, subject, content) {
      const { message } = (await call('POST', '/messages', {
        to: role,
        type: 'request',
        subject,
        content,
      })) as { message: Message };
      return message;
    },
    async awaitReply(requestId) {
      const deadline = Date.now() + replyWaitMs;
      for (let pause = 25; ; pause = Math.min(pause * 2, pollMs)) {
        const { messages } = await get<{ messages: Message[] }>(
          `/messages?inReplyTo=${encodeURIComponent(requestId)}&limit=10`,
        );
        const reply = messages.findLast((m) => m.type === 'response' || m.type === 'error');
        if (reply) return reply;
        const left = deadline - Date.now();
        if (left <= 0) return undefined;
        await sleep(Math.min(pause, left));
      }
    },
    async decisions(role, limit) {
      return (await get<{ decisions: Decision[] }>(`/decisions?owner=${role}&limit=${limit}`)).decisions;
    },
    async messages(role, limit) {
      return (await get<{ messages: Message[] }>(`/messages?to=${role}&limit=${limit}`)).messages;
    },
    async decision(id) {
      return (await get<{ decision: DecisionView }>(`/decisions/${encodeURIComponent(id)}`)).decision;
    },
    async thread(requestId) {
      const id = encodeURIComponent(requestId);
      const [{ message }, { messages }] = await Promise.all([
        get<{ message: Message }>(`/messages/${id}`),
        get<{ messages: Message[] }>(`/messages?inReplyTo=${id}&limit=100`),
      ]);
      return { request: message, replies: messages.reverse() };
    },
  };
}
