/**
 * Decisions, newest first; one decision with its votes, consensus score, the escalation chain drawn
 * as boxes from the first owner to the last (and the human, when it came to one), and its approval.
 */
import { get } from '../lib/api.js';
import { badge, facts, fill, h, short, table, usd, when } from '../lib/dom.js';
import { heading, region } from '../lib/page.js';
import { resolveForm } from '../lib/resolve.js';
import { callsTable, totalsLine } from '../lib/trace.js';

const STATUSES = ['pending', 'voting', 'approved', 'rejected', 'escalated', 'awaiting_human', 'expired'];
const link = (d) => h('a', { href: `#/decisions/${d.id}` }, d.title);

function list(view) {
  let status = '';
  const decisions = region(
    async () => (await get(`/decisions?limit=100${status ? `&status=${status}` : ''}`)).decisions,
    (rows) =>
      table(
        'Decisions',
        [
          ['Created', (d) => when(d.createdAt)],
          ['Title', link],
          ['Status', (d) => badge(d.status)],
          ['Owner', (d) => d.owner ?? '—'],
          ['Mode', (d) => d.mode],
          ['Budget', (d) => usd(d.budgetUsd)],
          ['Consensus', (d) => (d.consensusScore === null ? '—' : `${Math.round(d.consensusScore * 100)}%`)],
        ],
        rows,
        'No decisions yet.',
      ),
  );
  const filter = h(
    'select',
    {
      id: 'decision-status',
      onchange: (e) => {
        status = e.target.value;
        void decisions.refresh();
      },
    },
    h('option', { value: '' }, 'any status'),
    STATUSES.map((s) => h('option', { value: s }, s.replace('_', ' '))),
  );
  view.append(
    heading('Decisions'),
    h('div', { class: 'toolbar' }, h('label', { for: 'decision-status' }, 'Status '), filter),
    decisions.el,
  );
  void decisions.refresh();
  return decisions;
}

/** The model calls about the decision, and those of the turn that opened it. */
function callsOf(t) {
  return [
    t.totals.calls
      ? h('p', { class: 'totals' }, totalsLine(t.totals), t.truncated ? ' (the first of them shown)' : '')
      : null,
    callsTable(
      'Model calls about this decision',
      t.calls,
      'No model was asked about this decision itself (votes, discussion, judgement, synthesis).',
    ),
    t.ledFrom
      ? [
          h('h3', {}, 'The model turn that opened it'),
          callsTable('Model calls that opened this decision', t.ledFrom.calls),
        ]
      : null,
  ];
}

/** The chain of owners, root first: one box per hop with its reason, arrows between, the human last. */
export function chainOf(decision) {
  const boxes = decision.chain.map((d) =>
    h(
      'li',
      { class: 'hop', 'aria-current': d.id === decision.id ? 'step' : undefined },
      h('a', { href: `#/decisions/${d.id}`, class: 'who' }, d.owner ?? d.initiator),
      badge(d.status),
      d.budgetUsd === null ? null : h('span', { class: 'muted' }, usd(d.budgetUsd)),
      d.reason ? h('p', { class: 'why' }, d.reason) : null,
    ),
  );
  const last = decision.chain.at(-1);
  if (last && (last.status === 'awaiting_human' || last.mode === 'human'))
    boxes.push(
      h(
        'li',
        { class: 'hop human' },
        h('span', { class: 'who' }, 'human (the board)'),
        badge(last.status === 'awaiting_human' ? 'waiting' : last.status),
      ),
    );
  return h('ol', { class: 'chain', 'aria-label': 'Escalation chain, first owner first' }, boxes);
}

function votesOf(d) {
  const approvals = d.votes.filter((v) => v.vote === 'approve').length;
  const rejections = d.votes.filter((v) => v.vote === 'reject').length;
  const score = d.consensusScore ?? (approvals + rejections ? approvals / (approvals + rejections) : null);
  return [
    h(
      'p',
      { class: 'consensus' },
      'Consensus ',
      score === null
        ? h('span', { class: 'muted' }, 'no votes for or against yet')
        : [
            h('meter', { min: 0, max: 1, value: score, 'aria-label': 'Consensus score' }),
            ` ${Math.round(score * 100)}% (${approvals} for, ${rejections} against, ${d.votes.length - approvals - rejections} abstaining)`,
          ],
    ),
    table(
      'Votes',
      [
        ['Voter', (v) => v.voter],
        ['Vote', (v) => badge(v.vote)],
        ['Confidence', (v) => `${Math.round(v.confidence * 100)}%`],
        ['Rationale', (v) => v.rationale],
        ['Cast', (v) => when(v.castAt)],
      ],
      d.votes,
      d.mode === 'collaborative' ? 'No votes yet.' : 'Not a collaborative decision: nobody votes.',
    ),
  ];
}

function approvalOf(d, ctx, refresh) {
  const a = d.approval;
  if (!a) return h('p', { class: 'muted' }, 'No human was asked.');
  return [
    facts([
      ['Status', badge(a.status)],
      ['Why a human', a.reason],
      ['Asked', when(a.createdAt)],
      ['By', a.principal ?? undefined],
      ['Their reason', a.resolution ?? undefined],
      ['Resolved', a.resolvedAt ? when(a.resolvedAt) : undefined],
    ]),
    a.status === 'pending'
      ? resolveForm(d.id, { label: d.title, announce: ctx.announce, onDone: refresh })
      : null,
  ];
}

function one(view, ctx, id) {
  const title = heading('Decision');
  const body = h('div', { class: 'region' });
  const approval = h('div', { class: 'approval' });
  let pending;
  const decision = region(
    async () => {
      const [{ decision: d }, trace] = await Promise.all([
        get(`/decisions/${id}`),
        get(`/decisions/${id}/trace`),
      ]);
      return { ...d, trace };
    },
    (d) => {
      title.textContent = d.title;
      // The approval form is redrawn only when the approval itself changed (a reason being typed stays).
      const key = `${d.approval?.id}:${d.approval?.status}`;
      if (key !== pending) {
        pending = key;
        fill(
          approval,
          approvalOf(d, ctx, () => void decision.refresh()),
        );
      }
      return [
        facts([
          ['Status', badge(d.status)],
          ['Mode', d.mode],
          ['Owner', d.owner ?? '—'],
          ['Initiator', d.initiator],
          ['Domain', d.domain ?? '—'],
          ['Budget', usd(d.budgetUsd)],
          ['Reason', d.reason ?? undefined],
          ['Created', when(d.createdAt)],
          ['Completed', d.completedAt ? when(d.completedAt) : undefined],
          ['Deadline', d.deadlineAt ? when(d.deadlineAt) : undefined],
          ['Id', h('code', {}, d.id)],
        ]),
        h('h2', {}, 'Escalation chain'),
        chainOf(d),
        h('h2', {}, 'Votes'),
        votesOf(d),
        typeof d.outcome?.summary === 'string'
          ? [h('h2', {}, 'Outcome'), h('p', { class: 'summary' }, d.outcome.summary)]
          : null,
        h('h2', {}, 'Model calls'),
        callsOf(d.trace),
      ];
    },
  );
  fill(body, decision.el);
  view.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/decisions' }, 'Decisions'), ` / ${short(id)}`),
    title,
    body,
    h('h2', {}, 'Human approval'),
    approval,
  );
  void decision.refresh();
  return decision;
}

/** Decision events (any of them may move a chain on screen), and whatever asks for a refetch. */
const concerns = (e) => e.channel === 'gap' || e.channel === 'tick' || e.channel.startsWith('decisions:');

export default {
  id: 'decisions',
  title: 'Decisions',
  key: 'd',
  render(view, ctx, id) {
    const shown = id ? one(view, ctx, id) : list(view);
    return {
      onEvent: (e) => (concerns(e) ? shown.soon() : undefined),
      dispose: () => shown.soon.cancel(),
    };
  },
};
