/**
 * Conversations, not subjects: `echoctl thread <id>` draws a message's whole conversation as a tree
 * (the request, participation verdicts, replies, decisions opened with their chain and votes, the
 * model calls made for each); `echoctl send --wait` waits for the reply and the decision it opened.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { Decision } from '../lambdas/core/decision-types.ts';
import type { Message } from '../lambdas/core/messages.ts';
import { summarizeContent, type Thread, type ThreadNode } from '../lambdas/core/thread.ts';
import type { LlmCall } from '../lambdas/core/traces.ts';
import { positiveInt, print, short } from './args.ts';
import { api } from './client.ts';
import { formatUsd, outcomeText } from './trace.ts';

const time = (iso: string) => iso.slice(0, 19).replace('T', ' ');
const clip = (s: string, n: number) => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > n ? `${flat.slice(0, n - 1)}…` : flat;
};
const usd = (n: number | null) => (n === null ? '' : `  $${n.toLocaleString('en-US')}`);

/** A message's header: `#seq from → to  type  "subject"  (time)`. */
export const messageHeader = (m: Message) =>
  `#${m.seq}  ${m.from} → ${m.to}  ${m.type}  "${clip(m.subject, 70)}"  (${time(m.createdAt)})`;

export const decisionHeader = (d: Decision) =>
  `decision ${short(d.id)}  ${d.owner ?? '-'}  ${d.status}${usd(d.budgetUsd)}  "${clip(d.title, 60)}"`;

const callHeader = (c: LlmCall) =>
  `model call  ${c.role ?? '-'} ${c.purpose}  ${c.provider}/${c.model}  ${c.tokensIn}→${c.tokensOut} tok  ${c.latencyMs} ms  ${formatUsd(c.costUsd)}  ${outcomeText(c)}`;

/** The lines of one node: its header, then what it says (indented under it). */
function nodeLines(n: ThreadNode, focusId: string): string[] {
  switch (n.kind) {
    case 'message': {
      const focus = n.message.id === focusId ? '▶ ' : '';
      return [`${focus}${messageHeader(n.message)}`, `  ${summarizeContent(n.message.content, 110)}`];
    }
    case 'decision': {
      const d = n.decision;
      const lines = [decisionHeader(d)];
      if (d.reason) lines.push(`  ${clip(d.reason, 110)}`);
      for (const v of d.votes)
        lines.push(`  vote ${v.voter} ${v.vote} ${v.confidence.toFixed(2)}  ${clip(v.rationale, 80)}`);
      if (d.status === 'awaiting_human')
        lines.push(`  waits for a human: echoctl approve ${short(d.id)} --reason ... (or reject)`);
      return lines;
    }
    case 'call':
      return [
        callHeader(n.call),
        ...n.call.toolCalls.map((t) => `  → tool ${t.name}(${clip(JSON.stringify(t.arguments) ?? '', 90)})`),
      ];
  }
}

/** The tree, drawn with ├─ └─ │ as `tree` draws directories. */
export function drawThread(thread: Thread): string {
  const out: string[] = [];
  const walk = (n: ThreadNode, lead: string, childLead: string) => {
    const [first, ...rest] = nodeLines(n, thread.focusId);
    out.push(`${lead}${first}`);
    const cont = `${childLead}${n.children.length ? '│ ' : '  '}`;
    for (const line of rest) out.push(`${cont}${line}`);
    n.children.forEach((c, i) => {
      const last = i === n.children.length - 1;
      walk(c, `${childLead}${last ? '└─ ' : '├─ '}`, `${childLead}${last ? '   ' : '│  '}`);
    });
  };
  walk(thread.root, '', '');
  const { messages, decisions, calls } = thread.counts;
  out.push(
    '',
    `${messages} message${messages === 1 ? '' : 's'}, ${decisions} decision${decisions === 1 ? '' : 's'}, ${calls} model call${calls === 1 ? '' : 's'}${thread.truncated ? ' (more than --limit: some left out)' : ''}`,
  );
  return out.join('\n');
}

export function timeoutSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 86_400)
    throw new InvalidArgumentError('must be 1 to 86400 seconds');
  return n;
}

/** Exit codes of `send --wait`: a reply of type error, and no reply in time. */
export const EXIT_ERROR_REPLY = 2;
export const EXIT_NO_REPLY = 3;

// a request's answer: a response or an error; a cast_vote request's is the role's vote
const REPLY_TYPES = new Set(['response', 'error', 'vote']);

/**
 * Waits for a reply (response, error, or a vote) from each of the message's recipients, or until `timeoutMs`;
 * returns the replies and the decisions the message opened.
 */
export async function waitForReplies(
  base: string,
  m: Message,
  timeoutMs: number,
): Promise<{ replies: Message[]; decisions: Decision[]; complete: boolean }> {
  const until = Date.now() + timeoutMs;
  const expected = new Set(m.recipients);
  for (;;) {
    const { messages } = await api<{ messages: Message[] }>(
      base,
      'GET',
      `/messages?inReplyTo=${m.id}&limit=1000`,
    );
    const replies = messages.filter((r) => REPLY_TYPES.has(r.type)).reverse();
    const from = new Set(replies.map((r) => r.from));
    const complete = replies.length > 0 && [...expected].every((role) => from.has(role));
    if (complete || Date.now() >= until) {
      const trace = await api<{ ledTo: { decisions: Decision[] } }>(
        base,
        'GET',
        `/messages/${m.id}/trace?limit=1`,
      );
      return { replies, decisions: trace.ledTo.decisions, complete };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** What `send --wait` prints: each reply in full, each decision, and how to read the whole thread. */
export function drawReplies(
  m: Message,
  r: { replies: Message[]; decisions: Decision[]; complete: boolean },
  timeoutS: number,
): string {
  const out: string[] = [];
  for (const reply of r.replies) {
    out.push(`reply ${messageHeader(reply)}`);
    for (const line of JSON.stringify(reply.content, null, 2).split('\n')) out.push(`  ${line}`);
  }
  for (const d of r.decisions) {
    out.push(`${decisionHeader(d)}${d.reason ? `\n  ${clip(d.reason, 110)}` : ''}`);
    if (d.status === 'awaiting_human')
      out.push(`  waits for a human: echoctl approve ${short(d.id)} --reason ... (or reject)`);
  }
  if (!r.complete) {
    const waiting = m.recipients.filter((role) => !r.replies.some((x) => x.from === role));
    out.push(
      `no reply from ${waiting.join(', ') || m.to} within ${timeoutS}s (see later: echoctl thread ${m.seq})`,
    );
  } else out.push(`the whole conversation: echoctl thread ${m.seq}`);
  return out.join('\n');
}

export function registerThread(program: Command, base: string): void {
  program
    .command('thread <id>')
    .description(
      "a message's whole conversation as a tree: the request, verdicts, replies, decisions with their chain and votes, model calls (id: the message's id, #seq, or 6+ first or last characters)",
    )
    .option('--limit <n>', 'at most n messages, decisions and calls each (1 to 1000)', positiveInt, 500)
    .option('--json', 'print JSON: the tree of nodes (message, decision, call), each with its children')
    .action(async (id: string, o: { limit: number; json?: boolean }) => {
      const { thread } = await api<{ thread: Thread }>(
        base,
        'GET',
        `/messages/${encodeURIComponent(id)}/thread?limit=${o.limit}`,
      );
      if (o.json) return print(thread);
      process.stdout.write(`${drawThread(thread)}\n`);
    });
}
