/**
 * What an agent says back. This is the seam the organization (roles, tools, LLM) plugs into; the
 * default answers every request with an acknowledgement from the role, deterministically.
 */
import { type Message, type PostMessageCommand, replyTo } from './messages.ts';
import type { Role } from './roles.ts';

export type Responder = (role: Role, message: Message) => Promise<PostMessageCommand | undefined>;

/** Requests get a `response`; everything else is read and recorded, never answered (no loops). */
export const acknowledgeRequests: Responder = async (role, message) => {
  if (message.type !== 'request') return undefined;
  return replyTo(message, role, {
    content: { role, status: 'received', request: message.subject },
  });
};
