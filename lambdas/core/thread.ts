/**
 * A conversation as a person reads it: a message's whole thread drawn as a tree (the request, the
 * participation verdicts, the replies, the decisions opened with their escalation chain and votes,
 * the messages about those decisions, and the model calls made for each), and a one-line summary
 * of a message's content. Pure: the store gathers the records (ThreadStore), this arranges them.
 */
import type { Decision, StoredVote } from './decision-types.ts';
import type { JsonObject, Message } from './messages.ts';
import type { LlmCall } from './traces.ts';

export type ThreadDecision = Decision & { votes: StoredVote[] };

/** What the store gathers for a thread: every record of it, in no particular order. */
export interface ThreadRecords {
  /** The first message of the conversation (the message asked for, followed up its inReplyTo). */
  rootId: string;
  messages: Message[];
  decisions: ThreadDecision[];
  calls: LlmCall[];
  /** True when the thread is larger than the limit and some records were left out. */
  truncated: boolean;
}

export interface ThreadStore {
  /** The records of the conversation `messageId` belongs to; undefined when there is no such message. */
  threadRecords(messageId: string, limit: number): Promise<ThreadRecords | undefined>;
}

export type ThreadNode =
  | { kind: 'message'; at: string; message: Message; children: ThreadNode[] }
  | { kind: 'decision'; at: string; decision: ThreadDecision; children: ThreadNode[] }
  | { kind: 'call'; at: string; call: LlmCall; children: ThreadNode[] };

export interface Thread {
  /** The message asked for. */
  focusId: string;
  root: ThreadNode;
  counts: { messages: number; decisions: number; calls: number };
  truncated: boolean;
}

/** The decision a message is about (`metadata.decisionId` or `content.decisionId`), if any. */
function decisionOf(m: Message): string | undefined {
  const id = m.metadata.decisionId ?? m.content.decisionId;
  return typeof id === 'string' ? id : undefined;
}

/**
 * The tree: a message under the message it answers, else under the decision it is about; a
 * decision under the decision it escalated from, else under the message that opened it; a model
 * call under its message, else its decision. Whatever finds no parent hangs under the root.
 * Children are in time order.
 */
export function buildThread(records: ThreadRecords, focusId: string): Thread {
  const nodes = new Map<string, ThreadNode>();
  for (const m of records.messages)
    nodes.set(`m:${m.id}`, { kind: 'message', at: m.createdAt, message: m, children: [] });
  for (const d of records.decisions)
    nodes.set(`d:${d.id}`, { kind: 'decision', at: d.createdAt, decision: d, children: [] });
  const root = nodes.get(`m:${records.rootId}`);
  if (!root) throw new Error(`the thread's records lack its root message ${records.rootId}`);
  const attach = (child: ThreadNode, ...parents: (string | undefined | null)[]) => {
    const parent = parents.map((p) => (p ? nodes.get(p) : undefined)).find((p) => p && p !== child) ?? root;
    parent.children.push(child);
  };
  for (const m of records.messages) {
    if (m.id === records.rootId) continue;
    const reply = m.metadata.inReplyTo;
    const about = decisionOf(m);
    attach(nodes.get(`m:${m.id}`)!, reply && `m:${reply}`, about && `d:${about}`);
  }
  for (const d of records.decisions)
    attach(
      nodes.get(`d:${d.id}`)!,
      d.parentId && `d:${d.parentId}`,
      d.messageId && `m:${d.messageId}`,
      d.broadcastId && `m:${d.broadcastId}`,
    );
  for (const c of records.calls)
    attach(
      { kind: 'call', at: c.at, call: c, children: [] },
      c.messageId && `m:${c.messageId}`,
      c.decisionId && `d:${c.decisionId}`,
    );
  const order = (n: ThreadNode) => (n.kind === 'message' ? n.message.seq : 0);
  const sort = (n: ThreadNode) => {
    n.children.sort((a, b) => a.at.localeCompare(b.at) || order(a) - order(b));
    for (const c of n.children) sort(c);
  };
  sort(root);
  return {
    focusId,
    root,
    counts: {
      messages: records.messages.length,
      decisions: records.decisions.length,
      calls: records.calls.length,
    },
    truncated: records.truncated,
  };
}

/** Keys whose text says what a message says, most telling first. */
const TEXT_KEYS = [
  'answer',
  'text',
  'summary',
  'synthesis',
  'message',
  'reason',
  'rationale',
  'position',
  'error',
  'question',
  'description',
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const flat = (s: string) => s.replace(/\s+/g, ' ').trim();
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function scalar(v: unknown): string {
  if (typeof v === 'string') return UUID.test(v) ? v.slice(-8) : JSON.stringify(clip(flat(v), 40));
  if (v === null || typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return `[${v.length}]`;
  return '{…}';
}

/**
 * A message's content on one line of at most `max` characters: its telling text first (an answer,
 * a reason, an error), then its other fields as `key=value` (ids by their tail, objects as {…}).
 */
export function summarizeContent(content: JsonObject, max = 120): string {
  const entries = Object.entries(content ?? {});
  if (entries.length === 0) return '(no content)';
  const textOf = (k: string): string | undefined => {
    const v = content[k];
    // an error reply's error is an object: its message is what it says
    const said = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject).message : v;
    return typeof said === 'string' && flat(said) ? flat(said) : undefined;
  };
  const textKey = TEXT_KEYS.find((k) => textOf(k) !== undefined);
  const parts: string[] = [];
  if (textKey) parts.push(textKey === 'error' ? `error: ${textOf(textKey)}` : textOf(textKey)!);
  for (const [k, v] of entries) if (k !== textKey) parts.push(`${k}=${scalar(v)}`);
  const text = textKey
    ? `${parts[0]}${parts.length > 1 ? `  (${parts.slice(1).join(', ')})` : ''}`
    : parts.join(', ');
  return clip(text, max);
}
