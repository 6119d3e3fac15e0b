/**
 * What a role's model reads before it acts: who it is and what it may decide, its tools, the
 * conversation the message belongs to, the decision in question (its facts, votes, discussion and
 * escalation reasons) and what it recalls (memories and its own past decisions, by full-text search).
 * Everything is bounded in size: a long thread or a large memory is clipped, never the whole prompt.
 */
import type { Decision } from './decision-types.ts';
import { clipText, type JsonObject, type Message } from './messages.ts';
import { formatUsd } from './org/authority.ts';
import { HUMAN_MATTERS } from './org/human-matters.ts';
import type { EscalationFacts } from './org/merits.ts';
import { effectiveDomains, REGISTRY } from './org/registry.ts';
import type { Role } from './roles.ts';
import type { Store } from './store.ts';

/** How much of each kind of context is kept. */
export const CONTEXT_LIMITS = {
  threadMessages: 6,
  messageChars: 600,
  memories: 4,
  pastDecisions: 3,
  recalledChars: 400,
  factsChars: 4000,
} as const;

const STOPWORDS = new Set(
  'a an and are as at be been but by can could do does for from has have how i if in into is it its me my no not of on or our so than that the their them then there these they this to us was we were what when where which who why will with would you your please about over under more most less also just any all each per via new'.split(
    ' ',
  ),
);

/** The words worth searching for in a text: letters and digits, no stopwords, at most `max`, first seen first. */
export function searchTerms(text: string, max = 12): string[] {
  const words = text
    .toLowerCase()
    .normalize('NFKC')
    .split(/[^\p{L}\p{N}]+/u);
  const kept = new Set<string>();
  for (const w of words) {
    if (w.length < 3 || STOPWORDS.has(w) || /^\d+$/.test(w)) continue;
    kept.add(w);
    if (kept.size >= max) break;
  }
  return [...kept];
}

const clip = (text: string, max: number) => clipText(text.replace(/\s+/g, ' ').trim(), max);

/** A message as one line of a thread: who, to whom, what, and its content, clipped. */
function line(m: Message): string {
  return `- ${m.from} → ${m.to} (${m.type}) "${m.subject}": ${clip(JSON.stringify(m.content), CONTEXT_LIMITS.messageChars)}`;
}

export interface Recollection {
  memories: { key: string; content: string }[];
  decisions: Pick<Decision, 'title' | 'status' | 'reason' | 'budgetUsd'>[];
}

export interface RoleContext {
  now: Date;
  /** The messages this one answers, oldest first (the inReplyTo chain), bounded. */
  thread: Message[];
  recollection: Recollection;
  /** For a decision: what the superior or a voter reads. */
  decision?: EscalationFacts | undefined;
  /** A collaborative decision's discussion so far. */
  discussion?: { role: Role; stance: string; position: string }[] | undefined;
}

/** The system prompt of a role: persona, authority, tools, thread, decision, recollection. */
export function systemPrompt(role: Role, ctx: RoleContext): string {
  const def = REGISTRY[role];
  const superior =
    def.reportsTo === 'human'
      ? 'the board (a human)'
      : `the ${REGISTRY[def.reportsTo].title} (${def.reportsTo})`;
  const parts = [
    `You are the ${def.title} (${role}) of ECHO, an AI organization of nine roles. ${def.persona}`,
    [
      'Your authority, enforced by code whatever you ask for:',
      `- budget: ${def.budgetAuthorityUsd ? `up to ${formatUsd(def.budgetAuthorityUsd)} alone` : 'none of your own'}; above it a decision escalates to ${superior}`,
      `- domains you decide alone: ${def.domains.join(', ')}; what your reports escalate: ${
        effectiveDomains(role)
          .filter((d) => !def.domains.includes(d))
          .join(', ') || 'nothing'
      }`,
      `- always for a human, whatever the budget: ${HUMAN_MATTERS.map((m) => m.replace('_', ' ')).join(', ')}`,
      "- a role's approvals for one purpose add up over 30 days: splitting a budget does not get under a limit",
      'Act through your tools: a decision tool opens a decision that code approves or escalates; say what happened, never promise what only a human or your superior may grant.',
    ].join('\n'),
    `Your tools: ${def.tools
      .filter((t) => !LOOP_EXCLUDED_TOOLS.has(t.name))
      .map((t) => `${t.name} (${t.description})`)
      .join('; ')}.`,
  ];
  if (ctx.thread.length)
    parts.push(`The conversation this message belongs to, oldest first:\n${ctx.thread.map(line).join('\n')}`);
  if (ctx.decision)
    parts.push(`The decision in question:\n${clip(JSON.stringify(ctx.decision), CONTEXT_LIMITS.factsChars)}`);
  if (ctx.discussion?.length)
    parts.push(
      `What the participants said in the discussion:\n${ctx.discussion
        .map((p) => `- ${p.role} (${p.stance}): ${clip(p.position, CONTEXT_LIMITS.messageChars)}`)
        .join('\n')}`,
    );
  const { memories, decisions } = ctx.recollection;
  if (memories.length || decisions.length)
    parts.push(
      [
        'What you recall that may bear on it:',
        ...memories.map((m) => `- memory "${m.key}": ${clip(m.content, CONTEXT_LIMITS.recalledChars)}`),
        ...decisions.map(
          (d) =>
            `- your decision "${d.title}"${d.budgetUsd !== null ? ` (${formatUsd(d.budgetUsd)})` : ''}: ${d.status}${d.reason ? `, ${clip(d.reason, CONTEXT_LIMITS.recalledChars)}` : ''}`,
        ),
      ].join('\n'),
    );
  parts.push(`Now is ${ctx.now.toISOString()}. Answer briefly, in your own voice.`);
  return parts.join('\n\n');
}

/** Tools never offered to the loop: consulting the model from inside the model. */
export const LOOP_EXCLUDED_TOOLS = new Set(['ai_consult', 'session_consult']);

/**
 * Reads a role's context for a message: its thread (following inReplyTo, at most
 * CONTEXT_LIMITS.threadMessages back) and what it recalls of the message's words.
 */
export async function gatherContext(
  store: Pick<Store, 'getMessage' | 'recall'>,
  role: Role,
  message: Message,
  extra: { text?: string } = {},
): Promise<Pick<RoleContext, 'thread' | 'recollection'>> {
  // (the thread and the recollection are reads; nothing is locked while the agent thinks)
  const thread: Message[] = [];
  let next = message.metadata.inReplyTo;
  while (next && thread.length < CONTEXT_LIMITS.threadMessages) {
    const m = await store.getMessage(next);
    if (!m) break;
    thread.unshift(m);
    next = m.metadata.inReplyTo;
  }
  const terms = searchTerms(`${message.subject} ${extra.text ?? JSON.stringify(message.content)}`);
  const recalled = terms.length
    ? await store.recall({
        role,
        terms,
        limit: Math.max(CONTEXT_LIMITS.memories, CONTEXT_LIMITS.pastDecisions),
      })
    : { memories: [], decisions: [] };
  return {
    thread,
    recollection: {
      memories: recalled.memories
        .slice(0, CONTEXT_LIMITS.memories)
        .map((m) => ({ key: m.key, content: m.content })),
      decisions: recalled.decisions
        .slice(0, CONTEXT_LIMITS.pastDecisions)
        .map((d) => ({ title: d.title, status: d.status, reason: d.reason, budgetUsd: d.budgetUsd })),
    },
  };
}

/** The request as the model reads it: the subject and its content. */
export function requestText(subject: string, content: JsonObject): string {
  return `${subject}\n${clip(JSON.stringify(content), CONTEXT_LIMITS.factsChars)}`;
}
