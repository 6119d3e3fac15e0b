/** Dead letters: rejected commands and failed deliveries, each with the reason and what came in. */
import { get } from '../lib/api.js';
import { h, table, when } from '../lib/dom.js';
import { heading, region } from '../lib/page.js';

const payload = (d) => {
  const text = d.raw ?? JSON.stringify(d.payload, null, 2);
  return text ? h('details', {}, h('summary', {}, 'what came in'), h('pre', {}, text)) : '';
};

export default {
  id: 'dead-letters',
  title: 'Dead letters',
  key: 'l',
  render(view) {
    const letters = region(
      async () => (await get('/dead-letters?limit=200')).deadLetters,
      (rows) =>
        table(
          'Dead letters',
          [
            ['When', (d) => when(d.createdAt)],
            ['Source', (d) => d.source],
            ['Field', (d) => (d.field ? h('code', {}, d.field) : '')],
            ['Reason', (d) => d.reason],
            ['Input', payload],
          ],
          rows,
          'No dead letters.',
        ),
    );
    view.append(
      heading('Dead letters'),
      h(
        'p',
        { class: 'lede' },
        'Rejected commands (bad input, unknown roles) and deliveries that failed every retry.',
      ),
      letters.el,
    );
    void letters.refresh();
    // No live event announces a dead letter: look again every 10 s while the page is open.
    const timer = setInterval(() => void letters.refresh(), 10_000);
    return {
      onEvent: (e) => (e.channel === 'gap' || e.channel === 'tick' ? letters.soon() : undefined),
      dispose: () => {
        clearInterval(timer);
        letters.soon.cancel();
      },
    };
  },
};
