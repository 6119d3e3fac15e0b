/** What every page shares: its heading (where focus lands) and a region that loads and refreshes. */
import { debounce, fill, h } from './dom.js';

export const heading = (text) => h('h1', { tabindex: '-1' }, text);

export const errorNote = (error) => h('p', { class: 'error', role: 'alert' }, error.message ?? String(error));

/**
 * A region filled by `render(await load())`; `refresh()` reloads it (errors are shown in it),
 * `soon()` reloads after a burst of events has passed.
 */
export function region(load, render, attrs = {}) {
  const el = h('div', { class: 'region', ...attrs });
  let running;
  const refresh = async () => {
    if (running) return running;
    el.setAttribute('aria-busy', 'true');
    running = (async () => {
      try {
        const data = await load();
        fill(el, render(data));
      } catch (error) {
        fill(el, errorNote(error));
      } finally {
        el.removeAttribute('aria-busy');
        running = undefined;
      }
    })();
    return running;
  };
  const soon = debounce(() => void refresh(), 400);
  return { el, refresh, soon };
}
