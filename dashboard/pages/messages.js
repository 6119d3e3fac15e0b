/**
 * One message: its content, metadata, each recipient's delivery, the whole conversation it belongs
 * to (drawn as a tree: replies, verdicts, decisions with their chain and votes, model calls) and the
 * decisions it opened. Reached from every message row of the timeline; without an id, the latest
 * messages, each a link to its page.
 */
import { get, post } from '../lib/api.js';
import { authority, authorityForm } from '../lib/authority.js';
import { badge, facts, fill, h, short, table, usd, when } from '../lib/dom.js';
import { heading, region } from '../lib/page.js';
import { callsTable, totalsLine } from '../lib/trace.js';

const messageLink = (m, text) => h('a', { href: `#/messages/${m.id}` }, text ?? `#${m.seq}`);

function list(view) {
  const messages = region(
    async () => (await get('/messages?limit=100')).messages,
    (rows) =>
      table(
        'Messages',
        [
          ['#', (m) => messageLink(m)],
          ['Sent', (m) => when(m.createdAt)],
          ['From → to', (m) => `${m.from} → ${m.to}`],
          ['Type', (m) => badge(m.type)],
          ['Subject', (m) => messageLink(m, m.subject)],
        ],
        rows,
        'No messages yet.',
      ),
  );
  view.append(heading('Messages'), messages.el);
  void messages.refresh();
  return messages;
}

const cost = (c) =>
  c.costUsd === null
    ? 'cost unknown'
    : c.costUsd < 0.01
      ? `$${Number(c.costUsd.toPrecision(3))}`
      : usd(c.costUsd);

/** One node of the thread: what it is on one line, then its children, nested. */
function node(n, focusId) {
  let line;
  if (n.kind === 'message') {
    const m = n.message;
    line = [
      m.id === focusId ? h('strong', { 'aria-current': 'page' }, `#${m.seq}`) : messageLink(m),
      ` ${m.from} → ${m.to} `,
      badge(m.type),
      ' ',
      h('span', { class: 'subject' }, m.subject),
      ' ',
      when(m.createdAt),
    ];
  } else if (n.kind === 'decision') {
    const d = n.decision;
    line = [
      'decision ',
      h('a', { href: `#/decisions/${d.id}` }, d.title),
      ' ',
      badge(d.status),
      ` ${d.owner ?? d.initiator}`,
      d.budgetUsd === null ? null : ` ${usd(d.budgetUsd)}`,
      d.reason ? h('span', { class: 'why' }, ` — ${d.reason}`) : null,
      d.votes.length
        ? h(
            'ul',
            { class: 'votes' },
            d.votes.map((v) =>
              h(
                'li',
                {},
                `${v.voter}: `,
                badge(v.vote),
                ` ${Math.round(v.confidence * 100)}% ${v.rationale}`,
              ),
            ),
          )
        : null,
    ];
  } else {
    const c = n.call;
    line = [
      'model call ',
      h('span', { class: 'who' }, c.role ?? '—'),
      ` ${c.purpose} · ${c.provider}/${c.model} · ${c.tokensIn}→${c.tokensOut} tokens · ${c.latencyMs} ms · ${cost(c)} `,
      badge(c.outcome),
      c.toolCalls.length ? ` → ${c.toolCalls.map((t) => t.name).join(', ')}` : null,
    ];
  }
  return h(
    'li',
    { class: `node k-${n.kind}`, dataset: { kind: n.kind } },
    h('div', { class: 'line' }, line),
    n.children.length
      ? h(
          'ul',
          {},
          n.children.map((c) => node(c, focusId)),
        )
      : null,
  );
}

/** The decisions among a thread's nodes that `id` opened (as their request or broadcast). */
function opened(root, id) {
  const found = [];
  const walk = (n) => {
    if (
      n.kind === 'decision' &&
      (n.decision.messageId === id || n.decision.broadcastId === id) &&
      !n.decision.parentId
    )
      found.push(n.decision);
    n.children.forEach(walk);
  };
  walk(root);
  return found;
}

/**
 * Puts a delivery its agent gave up on (or one waiting out its delay) back for catch-up: a human's
 * call (POST /messages/{id}/deliveries/{role}/retry, with the token or signed).
 */
const retryable = (d) => d.status === 'pending' && Boolean(d.gaveUpAt || d.retryAt);

function retryButton(m, d, onDone) {
  const result = h('span', { role: 'status' });
  return h(
    'span',
    {},
    h(
      'button',
      {
        type: 'button',
        'aria-label': `Retry the delivery to ${d.role}`,
        onclick: async () => {
          try {
            await post(`/messages/${m.id}/deliveries/${d.role}/retry`, undefined, { human: true });
            onDone();
          } catch (error) {
            result.textContent = `Not retried: ${error.message}`;
          }
        },
      },
      'Retry',
    ),
    result,
  );
}

function one(view, id) {
  const title = heading('Message');
  const crumb = h('span', {}, ` / ${short(id)}`);
  const page = region(
    async () => {
      const [{ message, deliveries }, { thread }] = await Promise.all([
        get(`/messages/${encodeURIComponent(id)}`),
        get(`/messages/${encodeURIComponent(id)}/thread`),
      ]);
      const trace = await get(`/messages/${message.id}/trace`);
      return { message, deliveries, thread, trace };
    },
    ({ message: m, deliveries, thread, trace }) => {
      title.textContent = m.subject;
      fill(crumb, ` / #${m.seq}`);
      const parent = m.metadata?.inReplyTo;
      const { inReplyTo: _r, ...metadata } = m.metadata ?? {};
      const decisions = opened(thread.root, m.id);
      return [
        facts([
          ['Seq', `#${m.seq}`],
          ['From', m.from],
          ['To', m.to],
          ['Type', badge(m.type)],
          ['Priority', m.priority],
          ['Sent', when(m.createdAt)],
          ['In reply to', parent ? h('a', { href: `#/messages/${parent}` }, short(parent)) : undefined],
          ['Idempotency key', m.idempotencyKey ?? undefined],
          ['Id', h('code', {}, m.id)],
        ]),
        h('h2', {}, 'Content'),
        h('pre', { class: 'content', 'aria-label': 'Message content' }, JSON.stringify(m.content, null, 2)),
        Object.keys(metadata).length
          ? [h('h2', {}, 'Metadata'), h('pre', { class: 'content' }, JSON.stringify(metadata, null, 2))]
          : null,
        h('h2', {}, 'Deliveries'),
        table(
          'Deliveries',
          [
            ['Recipient', (d) => d.role],
            ['Status', (d) => badge(d.gaveUpAt ? 'given_up' : d.status)],
            ['Attempts', (d) => String(d.attempts)],
            ['Next try', (d) => (d.gaveUpAt ? 'only when retried' : d.retryAt ? when(d.retryAt) : '—')],
            ['Last error', (d) => d.lastError ?? '—'],
            ['Processed', (d) => when(d.processedAt)],
            ['', (d) => (retryable(d) ? retryButton(m, d, () => page.refresh()) : '')],
          ],
          deliveries,
          'No agent receives it (addressed to a human).',
        ),
        deliveries.some(retryable) && !authority.ready() ? authorityForm() : null,
        h('h2', {}, 'Decisions it opened'),
        table(
          'Decisions it opened',
          [
            ['Title', (d) => h('a', { href: `#/decisions/${d.id}` }, d.title)],
            ['Status', (d) => badge(d.status)],
            ['Owner', (d) => d.owner ?? '—'],
            ['Budget', (d) => usd(d.budgetUsd)],
          ],
          decisions,
          'None.',
        ),
        h('h2', {}, 'Model calls'),
        trace.totals.calls
          ? h(
              'p',
              { class: 'totals' },
              totalsLine(trace.totals),
              trace.truncated ? ' (the first of them shown)' : '',
            )
          : null,
        callsTable(
          'Model calls for this message',
          trace.calls,
          'No model was asked (the rules engine answered).',
        ),
        h('h2', {}, 'Thread'),
        h(
          'p',
          { class: 'muted' },
          `${thread.counts.messages} messages, ${thread.counts.decisions} decisions, ${thread.counts.calls} model calls${thread.truncated ? ' (the first shown)' : ''}.`,
        ),
        h('ul', { class: 'thread', 'aria-label': 'Thread' }, node(thread.root, m.id)),
      ];
    },
  );
  view.append(h('p', { class: 'crumbs' }, h('a', { href: '#/timeline' }, 'Timeline'), crumb), title, page.el);
  void page.refresh();
  return page;
}

export default {
  id: 'messages',
  title: 'Message',
  render(view, _ctx, id) {
    const shown = id ? one(view, id) : list(view);
    return {
      // any message or decision may belong to the thread shown: refetch after a burst
      onEvent: (e) =>
        e.channel === 'gap' || e.channel.startsWith('messages:') || e.channel.startsWith('decisions:')
          ? shown.soon()
          : undefined,
      dispose: () => shown.soon.cancel(),
    };
  },
};
