/** The live timeline: messages, decision and workflow events as the real-time channel brings them. */
import { badge, h, short, usd, when } from '../lib/dom.js';
import { heading } from '../lib/page.js';

const KINDS = [
  ['all', 'Everything'],
  ['message', 'Messages'],
  ['decision', 'Decisions'],
  ['workflow', 'Workflows'],
];

function describe(entry) {
  const d = entry.data ?? {};
  if (entry.kind === 'message')
    return [
      h(
        'a',
        { class: 'seq', href: `#/messages/${d.id}`, 'aria-label': `message #${d.seq}: ${d.subject}` },
        `#${d.seq}`,
      ),
      h('span', { class: 'route' }, `${d.from} → ${d.to}`),
      badge(d.type),
      h('a', { class: 'subject', href: `#/messages/${d.id}` }, d.subject),
      d.metadata?.inReplyTo
        ? h(
            'a',
            { class: 'muted', href: `#/messages/${d.metadata.inReplyTo}` },
            `↩ ${short(d.metadata.inReplyTo)}`,
          )
        : null,
    ];
  if (entry.kind === 'decision')
    return [
      h('span', { class: 'event' }, d.event ?? entry.channel),
      h('a', { href: `#/decisions/${d.decisionId}` }, d.title ?? short(d.decisionId)),
      d.status ? badge(d.status) : null,
      d.owner ? h('span', { class: 'muted' }, d.owner) : null,
      d.voter ? h('span', {}, `${d.voter}: ${d.vote}`) : null,
      d.budgetUsd ? h('span', { class: 'muted' }, usd(d.budgetUsd)) : null,
    ];
  if (entry.kind === 'workflow')
    return [
      h('span', { class: 'event' }, d.event ?? entry.channel),
      h('a', { href: `#/workflows/${d.runId}` }, `${d.name} ${short(d.runId)}`),
      d.step ? h('span', {}, `step ${d.step}`) : null,
      badge(d.stepStatus ?? d.status),
      d.error ? h('span', { class: 'error-text' }, d.error) : null,
    ];
  return [h('span', { class: 'event' }, entry.channel), h('span', { class: 'muted' }, d.reason ?? '')];
}

const item = (entry) =>
  h(
    'li',
    { class: `entry k-${entry.kind}`, dataset: { key: entry.key } },
    h('span', { class: 'when' }, when(entry.at)),
    h('span', { class: 'what' }, describe(entry)),
  );

export default {
  id: 'timeline',
  title: 'Timeline',
  key: 't',
  render(view, { timeline }) {
    let kind = 'all';
    const shown = (e) => kind === 'all' || e.kind === kind;
    const log = h('ol', {
      class: 'timeline',
      role: 'log',
      'aria-live': 'polite',
      'aria-label': 'Live timeline',
    });
    const draw = () => {
      log.setAttribute('aria-busy', 'true'); // a redraw is not news: screen readers wait for it
      log.replaceChildren(...timeline.entries().filter(shown).map(item));
      log.removeAttribute('aria-busy');
    };
    const filter = h(
      'select',
      {
        id: 'timeline-kind',
        onchange: (e) => {
          kind = e.target.value;
          draw();
        },
      },
      KINDS.map(([value, label]) => h('option', { value }, label)),
    );
    view.append(
      heading('Timeline'),
      h(
        'div',
        { class: 'toolbar' },
        h('label', { for: 'timeline-kind' }, 'Show '),
        filter,
        h('span', { class: 'muted' }, ' newest first; live from the real-time channel.'),
      ),
      log,
    );
    draw();
    const off = timeline.subscribe((entry) => {
      if (!entry) return draw();
      if (shown(entry)) log.prepend(item(entry));
      while (log.childElementCount > 500) log.lastElementChild.remove();
    });
    return { dispose: off };
  },
};
