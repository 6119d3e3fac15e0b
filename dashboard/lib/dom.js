/**
 * DOM helpers: elements are built with `h`, text always goes in as text (never as HTML), so nothing
 * a message carries can become markup.
 */

/**
 * h('a', { href: '#/x', class: 'y', onclick: fn }, 'text', child, [more]): an element.
 * Attributes that are false, null or undefined are left out; `true` sets an empty attribute.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** 2024-05-01 12:34:56 in local time; the ISO value stays in a <time> element's datetime. */
export function when(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  const d = new Date(iso);
  const text = Number.isNaN(d.getTime())
    ? String(iso)
    : `${d.toLocaleDateString('en-CA')} ${d.toLocaleTimeString('en-GB', { hour12: false })}`;
  return h('time', { datetime: iso, title: ago(iso) }, text);
}

/** "12 s ago", "3 min ago", "2 h ago", "4 d ago". */
export function ago(iso, now = Date.now()) {
  const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

export const usd = (n) =>
  typeof n === 'number' ? `$${n.toLocaleString('en-US', { maximumFractionDigits: 0 })}` : '—';

/** A status word as a badge: its class carries the colour, the word itself the meaning. */
export const badge = (status) =>
  h(
    'span',
    {
      class: `badge s-${String(status)
        .toLowerCase()
        .replace(/[^a-z]+/g, '-')}`,
    },
    String(status).replace(/_/g, ' '),
  );

/** An id's short form: its last 8 characters, the random tail of a UUIDv7 (its first are the time). */
export const short = (id) => (typeof id === 'string' ? id.slice(-8) : '');

/** A <dl> of label/value pairs, skipping values that are undefined. */
export function facts(pairs) {
  return h(
    'dl',
    { class: 'facts' },
    pairs
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v ?? h('span', { class: 'muted' }, '—')))),
  );
}

/** A table: `columns` are [heading, (row) => cell]. */
export function table(caption, columns, rows, empty = 'Nothing yet.') {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'table',
    {},
    h('caption', { class: 'visually-hidden' }, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map(([name]) => h('th', { scope: 'col' }, name)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((row) =>
        h(
          'tr',
          {},
          columns.map(([, cell]) => h('td', {}, cell(row))),
        ),
      ),
    ),
  );
}

/** Calls `fn` at most once per `ms`, after the last call (for refreshes on bursts of events). */
export function debounce(fn, ms) {
  let timer;
  const debounced = () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

/** A form's fields as an object of trimmed strings. */
export const formValues = (form) =>
  Object.fromEntries([...new FormData(form)].map(([k, v]) => [k, String(v).trim()]));
