/**
 * The human-approval inbox: what waits for a human, each with why, and a reason to give with
 * approve or reject. Items stay where they are when resolved, here or elsewhere (with their new
 * status), and new ones are added as they come, so a reason being typed is never lost to a refresh.
 */
import { get } from '../lib/api.js';
import { authorityForm } from '../lib/authority.js';
import { badge, debounce, facts, h, usd, when } from '../lib/dom.js';
import { errorNote, heading } from '../lib/page.js';
import { resolveForm } from '../lib/resolve.js';

const decisionOf = (id) =>
  get(`/decisions/${id}`).then(
    (r) => r.decision,
    () => undefined,
  );

/** One item; `settle(decision)` shows how it ended (and takes the buttons away if not here). */
function card(approval, decision, ctx) {
  const status = h('span', { class: 'status' }, badge(decision?.status ?? 'awaiting_human'));
  const title = decision?.title ?? approval.decisionId;
  const form = resolveForm(approval.decisionId, {
    label: title,
    announce: ctx.announce,
    onDone: (d) => status.replaceChildren(badge(d.status)),
    withAuthority: false, // the inbox has one authority form for all its items
  });
  const el = h(
    'li',
    { class: 'card', dataset: { approval: approval.id, decision: approval.decisionId } },
    h('h2', {}, h('a', { href: `#/decisions/${approval.decisionId}` }, title), ' ', status),
    facts([
      ['Why a human', approval.reason],
      ['Owner', decision?.owner ?? undefined],
      ['Initiator', decision?.initiator ?? undefined],
      ['Budget', decision ? usd(decision.budgetUsd) : undefined],
      ['Asked', when(approval.createdAt)],
    ]),
    form,
  );
  const settle = (d) => {
    status.replaceChildren(badge(d.status));
    if (d.status !== 'awaiting_human' && !form.querySelector('.result')?.textContent)
      form.replaceWith(h('p', { class: 'note' }, d.reason ?? `now ${d.status}`));
  };
  return { el, settle };
}

export default {
  id: 'inbox',
  title: 'Inbox',
  key: 'i',
  render(view, ctx) {
    const items = h('ol', { class: 'cards', 'aria-label': 'Waiting for a human' });
    const empty = h('p', { class: 'empty' }, 'Nothing waits for a human.');
    const problem = h('div');
    /** The items shown, by approval id, and whether they still wait. */
    const held = new Map();
    let running;
    const refresh = () => {
      running ??= load().finally(() => {
        running = undefined;
      });
      return running;
    };
    const load = async () => {
      try {
        const { approvals } = await get('/approvals?status=pending&limit=200');
        const pending = new Set(approvals.map((a) => a.id));
        const fresh = approvals.filter((a) => !held.has(a.id));
        const decisions = await Promise.all(fresh.map((a) => decisionOf(a.decisionId)));
        // Newest first, like the API: new items go on top.
        const cards = fresh.map((a, i) => card(a, decisions[i], ctx));
        for (const [i, a] of fresh.entries())
          held.set(a.id, { ...cards[i], decisionId: a.decisionId, open: true });
        items.prepend(...cards.map((c) => c.el));
        // Resolved elsewhere (the CLI, another tab): say how.
        for (const [id, item] of held) {
          if (!item.open || pending.has(id)) continue;
          item.open = false;
          const d = await decisionOf(item.decisionId);
          if (d) item.settle(d);
        }
        empty.hidden = held.size > 0;
        problem.replaceChildren();
      } catch (error) {
        problem.replaceChildren(errorNote(error));
      }
    };
    view.append(
      heading('Inbox'),
      h('p', { class: 'lede' }, 'Decisions above the CEO, and those only a human may take, wait here.'),
      h('section', { class: 'authority-box', 'aria-label': 'Authority' }, authorityForm()),
      problem,
      empty,
      items,
    );
    void refresh();
    const soon = debounce(() => void refresh(), 400);
    return {
      onEvent: (e) =>
        e.channel.startsWith('decisions:') || e.channel === 'gap' || e.channel === 'tick'
          ? soon()
          : undefined,
      dispose: () => soon.cancel(),
    };
  },
};
