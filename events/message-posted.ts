/** `MessagePosted` (source `echo`): a committed message; `detail.recipients` lists who must act. */
import * as z from 'zod';
import { MESSAGE_TYPES, PRIORITIES } from '../lambdas/core/messages.ts';
import { ADDRESSES, ROLES, SENDERS } from '../lambdas/core/roles.ts';

export const MessagePostedSchema = z.object({
  messageId: z.uuid(),
  seq: z.number().int().positive(),
  from: z.enum(SENDERS as [string, ...string[]]),
  to: z.enum(ADDRESSES as [string, ...string[]]),
  type: z.enum(MESSAGE_TYPES),
  subject: z.string(),
  priority: z.enum(PRIORITIES),
  recipients: z.array(z.enum(ROLES)),
  inReplyTo: z.uuid().nullable(),
  createdAt: z.string(),
});
