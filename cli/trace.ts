/**
 * `echoctl trace <message id>`: every model call made for a message (or, with --decision, for a
 * decision), oldest first: when, who and why, provider and model, tokens, latency, cost, outcome,
 * the tools the model asked for; the totals; and what the message led to (the replies to it, the
 * decisions it opened). --json prints the API's object: `calls`, `totals`, `ledTo`.
 */
import type { Command } from 'commander';
import type { Decision } from '../lambdas/core/decision-types.ts';
import type { Message } from '../lambdas/core/messages.ts';
import type { LlmCall, LlmCallTotals } from '../lambdas/core/traces.ts';
import { positiveInt, print } from './args.ts';
import { api } from './client.ts';

interface MessageTrace {
  message: Message;
  calls: LlmCall[];
  totals: LlmCallTotals;
  truncated: boolean;
  ledTo: { replies: Message[]; decisions: Decision[] };
}

interface DecisionTrace {
  decision: Decision;
  calls: LlmCall[];
  totals: LlmCallTotals;
  truncated: boolean;
}

const time = (iso: string) => iso.slice(0, 19).replace('T', ' ');
const clip = (s: string, n: number) => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > n ? `${flat.slice(0, n - 1)}…` : flat;
};
const count = (n: number) => n.toLocaleString('en-US');

/** Dollars with the digits that matter: model calls often cost a fraction of a cent. */
export function formatUsd(usd: number | null): string {
  if (usd === null) return 'cost unknown';
  if (usd === 0) return '$0';
  if (usd < 0.01) return `$${Number(usd.toPrecision(3))}`;
  return `$${usd.toFixed(4)}`;
}

export function outcomeText(c: LlmCall): string {
  switch (c.outcome) {
    case 'ok':
      return 'ok';
    case 'refusal':
      return `refused${c.refusal ? `: ${clip(c.refusal, 60)}` : ''}`;
    case 'fallback':
      return `fell back to the rules engine (${c.errorCode}: ${clip(c.error ?? '', 80)})`;
    case 'error':
      return `failed (${c.errorCode}: ${clip(c.error ?? '', 80)})`;
  }
}

/** One call on one line, then its tool calls, indented. */
function callLines(c: LlmCall): string[] {
  const attempts = c.attempts > 1 ? `, ${c.attempts} attempts` : '';
  const lines = [
    `${time(c.at)}  ${(c.role ?? '-').padEnd(16)} ${c.purpose.padEnd(10)} ${clip(`${c.provider}/${c.model}`, 44).padEnd(44)} ${`${count(c.tokensIn)}→${count(c.tokensOut)} tok`.padStart(15)} ${`${count(c.latencyMs)} ms`.padStart(9)}  ${formatUsd(c.costUsd).padStart(12)}  ${outcomeText(c)}${attempts}`,
  ];
  for (const t of c.toolCalls) {
    lines.push(`${' '.repeat(21)}→ tool ${t.name}(${clip(JSON.stringify(t.arguments) ?? '', 100)})`);
  }
  if (c.decisionId) lines.push(`${' '.repeat(21)}  for decision ${c.decisionId}`);
  return lines;
}

function totalsLine(t: LlmCallTotals, shown: number): string {
  const parts = [
    `${t.calls} model call${t.calls === 1 ? '' : 's'}`,
    `${count(t.tokensIn)} tokens in`,
    `${count(t.tokensOut)} out`,
    formatUsd(t.costUsd),
  ];
  if (t.unpricedCalls)
    parts.push(`${t.unpricedCalls} of unknown cost (no price for the model: see lambdas/core/llm-prices.ts)`);
  const failed = t.outcomes.fallback + t.outcomes.error + t.outcomes.refusal;
  if (failed)
    parts.push(`${t.outcomes.fallback} fell back, ${t.outcomes.error} failed, ${t.outcomes.refusal} refused`);
  if (shown < t.calls) parts.push(`the first ${shown} shown (--limit)`);
  return parts.join(' · ');
}

function callsSection(calls: LlmCall[], totals: LlmCallTotals, none: string): string[] {
  if (calls.length === 0) return [none];
  return [...calls.flatMap(callLines), '', totalsLine(totals, calls.length)];
}

function drawMessageTrace(t: MessageTrace): string {
  const m = t.message;
  const out = [
    `message ${m.id}  ${m.from} → ${m.to}  ${m.type}  "${clip(m.subject, 80)}"  (${time(m.createdAt)})`,
    '',
    ...callsSection(
      t.calls,
      t.totals,
      'no model calls for this message (the rules engine answered without a model, or no agent has handled it yet)',
    ),
    '',
  ];
  const { replies, decisions } = t.ledTo;
  if (replies.length === 0 && decisions.length === 0) out.push('led to: nothing yet (no reply, no decision)');
  else {
    out.push('led to:');
    for (const r of replies)
      out.push(
        `  ${time(r.createdAt)}  reply     ${r.id}  ${r.from} → ${r.to}  ${r.type}  ${clip(r.subject, 60)}`,
      );
    for (const d of decisions)
      out.push(
        `  ${time(d.createdAt)}  decision  ${d.id}  ${d.owner ?? '-'}  ${d.status}${d.budgetUsd === null ? '' : `  $${count(d.budgetUsd)}`}  ${clip(d.title, 60)}`,
      );
    if (decisions.length) out.push(`  (a decision's own calls: echoctl trace <decision id> --decision)`);
  }
  return out.join('\n');
}

function drawDecisionTrace(t: DecisionTrace): string {
  const d = t.decision;
  return [
    `decision ${d.id}  ${d.owner ?? '-'}  ${d.status}  "${clip(d.title, 80)}"  (${time(d.createdAt)})`,
    '',
    ...callsSection(t.calls, t.totals, 'no model calls for this decision'),
  ].join('\n');
}

export function registerTrace(program: Command, base: string): void {
  program
    .command('trace <id>')
    .description(
      'every model call made for a message (or a decision, with --decision): who, why, model, tokens, latency, cost, outcome, tool calls, and what it led to',
    )
    .option('--decision', 'the id is a decision: the calls made for it')
    .option('--limit <n>', 'at most n calls (1 to 1000); the totals count them all', positiveInt, 100)
    .option('--json', 'print JSON: an object with calls, totals (and, for a message, ledTo)')
    .action(async (id: string, o: { decision?: boolean; limit: number; json?: boolean }) => {
      const path = `/${o.decision ? 'decisions' : 'messages'}/${encodeURIComponent(id)}/trace?limit=${o.limit}`;
      if (o.decision) {
        const trace = await api<DecisionTrace>(base, 'GET', path);
        if (o.json) return print(trace);
        process.stdout.write(`${drawDecisionTrace(trace)}\n`);
        return;
      }
      const trace = await api<MessageTrace>(base, 'GET', path);
      if (o.json) return print(trace);
      process.stdout.write(`${drawMessageTrace(trace)}\n`);
    });
}
