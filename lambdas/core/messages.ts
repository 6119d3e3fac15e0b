/**
 * The message model and the pure part of postMessage: from a validated command, the message, its
 * deliveries and its fan-out (outbox entries). No I/O here: time and ids come in as parameters.
 */
import { MAX_SUBJECT_CHARS } from '../../events/limits.ts';
import { type Address, type Role, recipientsOf, type Sender } from './roles.ts';

export const MESSAGE_TYPES = [
  'request',
  'response',
  'notification',
  'broadcast',
  'escalation',
  'participation',
  'vote',
  'decision',
  'error',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const PRIORITIES = ['low', 'normal', 'high', 'critical'] as const;
export type Priority = (typeof PRIORITIES)[number];

export type JsonObject = { [key: string]: unknown };

/** What a producer asks for. `from` defaults to 'human', `type` to 'request'. */
export interface PostMessageCommand {
  from: Sender;
  to: Address;
  type: MessageType;
  subject: string;
  content: JsonObject;
  priority: Priority;
  metadata: JsonObject;
  inReplyTo?: string | undefined;
  idempotencyKey?: string | undefined;
  /** Who sent it, as the entry point authenticated them (an IAM ARN in AWS); kept as metadata.principal. */
  principal?: string | undefined;
}

export interface Message {
  id: string;
  /** Commit order: the cursor for catch-up ("everything after the last seq I saw"). */
  seq: number;
  from: Sender;
  to: Address;
  type: MessageType;
  subject: string;
  content: JsonObject;
  priority: Priority;
  /** Carries `inReplyTo` when the message answers another. */
  metadata: JsonObject & { inReplyTo?: string };
  recipients: Role[];
  idempotencyKey: string | null;
  createdAt: string;
}

/** The fan-out of one committed message, written to the outbox in the same transaction. */
export type OutboxEntry =
  | { target: 'eventbridge'; payload: { source: string; detailType: string; detail: JsonObject } }
  | { target: 'realtime'; payload: { channels: string[]; data: JsonObject } };

export const EVENT_SOURCE = 'echo';
export const CLIENT_SOURCE = 'echo.client';

/** The detail of `MessagePosted`: the header only; content stays in the database, the record. */
export interface MessagePostedDetail {
  messageId: string;
  seq: number;
  from: Sender;
  to: Address;
  type: MessageType;
  subject: string;
  priority: Priority;
  recipients: Role[];
  inReplyTo: string | null;
  createdAt: string;
}

export interface PlannedMessage {
  id: string;
  recipients: Role[];
  metadata: Message['metadata'];
  createdAt: Date;
}

/**
 * `text` cut to at most `max` characters, an ellipsis marking the cut (never between the two halves
 * of a surrogate pair). For texts the organization composes from valid input, such as a reply's
 * `Re: <subject>` or `Approved: <title>`, which can outgrow the limit of what they quote.
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\ud800-\udbff]/.test(text[max - 2] ?? '') ? max - 2 : max - 1;
  return `${text.slice(0, end)}\u2026`;
}

/** A subject that fits: what the organization composes is clipped to MAX_SUBJECT_CHARS. */
export const fitSubject = (subject: string): string => clipText(subject, MAX_SUBJECT_CHARS);

/** Ids and time for a new message; the command is already validated. */
export function planMessage(command: PostMessageCommand, ctx: { id: string; now: Date }): PlannedMessage {
  // metadata.inReplyTo and metadata.principal are the system's: the message's own or nothing, never a
  // producer's value (a number there failed every recipient's MessagePosted detail; a principal
  // written by the sender would be a forged identity)
  const {
    inReplyTo: _reply,
    principal: _principal,
    ...metadata
  }: Message['metadata'] = { ...command.metadata };
  if (command.inReplyTo) metadata.inReplyTo = command.inReplyTo;
  if (command.principal) metadata.principal = command.principal;
  return { id: ctx.id, recipients: recipientsOf(command.to, command.from), metadata, createdAt: ctx.now };
}

export function messagePostedDetail(m: Message): MessagePostedDetail {
  return {
    messageId: m.id,
    seq: m.seq,
    from: m.from,
    to: m.to,
    type: m.type,
    subject: m.subject,
    priority: m.priority,
    recipients: m.recipients,
    inReplyTo: m.metadata.inReplyTo ?? null,
    createdAt: m.createdAt,
  };
}

/** Real-time channels of a message: one per recipient and `messages:all`. */
export function messageChannels(m: Pick<Message, 'recipients'>): string[] {
  return [...m.recipients.map((r) => `messages:${r}`), 'messages:all'];
}

export function fanOut(m: Message): OutboxEntry[] {
  return [
    {
      target: 'eventbridge',
      payload: {
        source: EVENT_SOURCE,
        detailType: 'MessagePosted',
        detail: messagePostedDetail(m) as unknown as JsonObject,
      },
    },
    { target: 'realtime', payload: { channels: messageChannels(m), data: m as unknown as JsonObject } },
  ];
}
