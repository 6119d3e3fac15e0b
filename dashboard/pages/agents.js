/**
 * The nine agents: the organization drawn as a chart (who reports to whom, each agent's live state,
 * the last hour's messages between roles, escalations lit up the chain), then each agent's
 * authority, health and last activity.
 */
import { get } from '../lib/api.js';
import { ago, badge, h, table, usd } from '../lib/dom.js';
import { orgChart } from '../lib/org-chart.js';
import { heading, region } from '../lib/page.js';

export default {
  id: 'agents',
  title: 'Agents',
  key: 'a',
  render(view) {
    const chart = region(
      async () => {
        const [{ agents }, activity] = await Promise.all([
          get('/agents'),
          get('/organization/activity?minutes=60'),
        ]);
        return { agents, activity };
      },
      ({ agents, activity }) => [
        orgChart(agents, activity),
        h(
          'p',
          { class: 'muted legend' },
          "Lines: who reports to whom (lit: decisions escalated up them). Curves: the last hour's messages, thicker with their count.",
        ),
      ],
      { 'data-testid': 'org-chart', class: 'region chart' },
    );
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
      chart.el,
      h('p', { class: 'lede' }, 'Health: healthy, degraded (left out of quorums until it recovers) or idle.'),
      agents.el,
    );
    void chart.refresh();
    void agents.refresh();
    // Activity changes as agents work; relative times age: refresh on events and every 10 s.
    const timer = setInterval(() => {
      void agents.refresh();
      void chart.refresh();
    }, 10_000);
    return {
      onEvent: (e) => {
        if (e.channel.startsWith('messages:') || e.channel === 'gap' || e.channel === 'tick') agents.soon();
        if (e.channel.startsWith('messages:') || e.channel.startsWith('decisions:') || e.channel === 'gap')
          chart.soon();
      },
      dispose: () => {
        clearInterval(timer);
        agents.soon.cancel();
        chart.soon.cancel();
      },
    };
  },
};
