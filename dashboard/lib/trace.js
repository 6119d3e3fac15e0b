/**
 * Model calls as the dashboard shows them (on a decision's page, and a message's): one row per call,
 * oldest first, with what it cost and what it led to (the tools the model asked for, its answer, a
 * refusal, an error); the request and the answer in full behind a disclosure.
 */
import { badge, h, table, when } from './dom.js';

const cost = (usd) =>
  typeof usd !== 'number' ? 'no price' : usd === 0 ? '$0' : `$${usd.toFixed(usd < 0.01 ? 6 : 4)}`;
const clip = (text, n = 160) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

/** What the call came to, in one line. */
function gist(c) {
  if (c.toolCalls?.length)
    return c.toolCalls.map((t) => `${t.name}(${clip(JSON.stringify(t.arguments) ?? '', 80)})`).join(', ');
  if (c.refusal) return `refused: ${clip(c.refusal)}`;
  if (c.error) return `${c.errorCode ?? 'error'}: ${clip(c.error)}`;
  return c.response ? clip(c.response) : '—';
}

/** The call in full: its request (or the request's hash), its answer, its tool calls. */
function detail(c) {
  const request = c.request
    ? JSON.stringify(c.request, null, 2)
    : `sha256 ${c.requestHash ?? '—'} (ECHO_LLM_TRACE=hash)`;
  return h(
    'details',
    { class: 'call' },
    h('summary', {}, gist(c)),
    h('h4', {}, 'Request'),
    h('pre', {}, request),
    h('h4', {}, 'Answer'),
    h('pre', {}, c.response ?? '—'),
    c.toolCalls?.length
      ? [h('h4', {}, 'Tool calls'), h('pre', {}, JSON.stringify(c.toolCalls, null, 2))]
      : null,
  );
}

/** "3 calls · 1,200 tokens in → 300 out · $0.0012 (1 without a price)". */
export function totalsLine(t) {
  const unpriced = t.unpricedCalls ? ` (${t.unpricedCalls} without a price)` : '';
  return `${t.calls} call${t.calls === 1 ? '' : 's'} · ${t.tokensIn.toLocaleString('en-US')} tokens in → ${t.tokensOut.toLocaleString('en-US')} out · ${cost(t.costUsd)}${unpriced}`;
}

/** A table of model calls, `empty` when there are none. */
export function callsTable(caption, calls, empty) {
  return table(
    caption,
    [
      ['At', (c) => when(c.at)],
      ['Role', (c) => c.role ?? '—'],
      ['Purpose', (c) => c.purpose],
      ['Model', (c) => `${c.provider} ${c.model}`],
      ['Outcome', (c) => badge(c.outcome)],
      ['Tokens', (c) => `${c.tokensIn} → ${c.tokensOut}`],
      ['Latency', (c) => `${c.latencyMs} ms`],
      ['Cost', (c) => cost(c.costUsd)],
      ['What it did', detail],
    ],
    calls,
    empty,
  );
}
