/**
 * Model calls on the HTTP API: every call made for a message (and what the message led to: the
 * replies to it, the decisions it opened) or for a decision, oldest first, with their totals (a
 * decision's also carries, as `ledFrom`, the calls of the message that opened it made before it
 * existed: the model's turn that called the tool); and a message's whole conversation as a tree, its
 * model calls in it.
 */
import { NotFoundError } from '../../core/errors.ts';
import { buildThread } from '../../core/thread.ts';
import { json, LimitQuery, parseQuery, type Route, resolveId } from './http.ts';

export const traceRoutes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/messages\/(?<id>[^/]+)\/thread$/,
    handler: async (deps, req, params) => {
      const id = await resolveId(deps, 'message', params.id);
      const { limit } = parseQuery(LimitQuery, req.query);
      const records = await deps.store.snapshot((s) => s.threadRecords(id, limit));
      if (!records) throw new NotFoundError('message', id);
      return json(200, { thread: buildThread(records, id) });
    },
  },
  {
    method: 'GET',
    pattern: /^\/messages\/(?<id>[^/]+)\/trace$/,
    handler: async (deps, req, params) => {
      const id = await resolveId(deps, 'message', params.id);
      const { limit } = parseQuery(LimitQuery, req.query);
      const message = await deps.store.getMessage(id);
      if (!message) throw new NotFoundError('message', id);
      const [{ calls, totals }, replies, decisions] = await Promise.all([
        deps.store.llmCalls({ messageId: id, limit }),
        deps.store.listMessages({ inReplyTo: id, limit }),
        deps.store.decisionsForMessage(id, limit),
      ]);
      return json(200, {
        message,
        calls,
        totals,
        truncated: totals.calls > calls.length,
        ledTo: { replies: replies.reverse(), decisions },
      });
    },
  },
  {
    method: 'GET',
    pattern: /^\/decisions\/(?<id>[^/]+)\/trace$/,
    handler: async (deps, req, params) => {
      const id = await resolveId(deps, 'decision', params.id);
      const { limit } = parseQuery(LimitQuery, req.query);
      const decision = await deps.store.getDecision(id);
      if (!decision) throw new NotFoundError('decision', id);
      const [about, opening] = await Promise.all([
        deps.store.llmCalls({ decisionId: id, limit }),
        decision.messageId ? deps.store.llmCalls({ messageId: decision.messageId, limit }) : undefined,
      ]);
      // The thinking that opened it (the message's calls made before the decision existed), then its own.
      const ledFrom = opening && {
        messageId: decision.messageId,
        calls: opening.calls.filter((c) => c.decisionId === null),
      };
      return json(200, {
        decision,
        calls: about.calls,
        totals: about.totals,
        truncated: about.totals.calls > about.calls.length,
        ...(ledFrom?.calls.length ? { ledFrom } : {}),
      });
    },
  },
];
