/** The nine agents: who they report to, what they may decide, their health and last activity. */
import { get } from '../lib/api.js';
import { ago, badge, h, table, usd } from '../lib/dom.js';
import { heading, region } from '../lib/page.js';

export default {
  id: 'agents',
  title: 'Agents',
  key: 'a',
  render(view) {
    const agents = region(
      async () => (await get('/agents')).agents,
      (list) =>
        table(
          'The nine agents',
          [
            ['Agent', (a) => h('span', {}, h('strong', {}, a.title), h('br'), h('code', {}, a.role))],
            ['Health', (a) => badge(a.status)],
            [
              'Last activity',
              (a) =>
                a.lastSeenAt
                  ? h('time', { datetime: a.lastSeenAt, title: a.lastSeenAt }, ago(a.lastSeenAt))
                  : h('span', { class: 'muted' }, 'none yet'),
            ],
            ['Runs', (a) => `${a.runs}${a.failures ? ` (${a.failures} failed)` : ''}`],
            ['Reports to', (a) => a.reportsTo ?? 'a human (the board)'],
            ['Decides alone up to', (a) => (a.budgetAuthorityUsd ? usd(a.budgetAuthorityUsd) : 'none')],
            ['Domains', (a) => a.domains.join(', ')],
            ['Last error', (a) => (a.lastError ? h('span', { class: 'error-text' }, a.lastError) : '')],
          ],
          list,
        ),
      { 'data-testid': 'agents' },
    );
    view.append(
      heading('Agents'),
      h('p', { class: 'lede' }, 'Health: healthy, degraded (left out of quorums until it recovers) or idle.'),
      agents.el,
    );
    void agents.refresh();
    // Activity changes as agents work; relative times age: refresh on events and every 10 s.
    const timer = setInterval(() => void agents.refresh(), 10_000);
    return {
      onEvent: (e) =>
        e.channel.startsWith('messages:') || e.channel === 'gap' || e.channel === 'tick'
          ? agents.soon()
          : undefined,
      dispose: () => {
        clearInterval(timer);
        agents.soon.cancel();
      },
    };
  },
};
