/**
 * Who the dashboard acts as. Locally: the human token the runtime wrote to `.echo/human-token`,
 * pasted by its user and kept in sessionStorage (this tab only, gone when it closes); it is sent as
 * `Authorization: Bearer` only on the calls that need a human (approve, reject, cancel). Deployed on
 * the HTTP API: AWS credentials, with which every call is SigV4-signed (the IAM caller is the human).
 */
import { formValues, h } from './dom.js';
import { awsTarget } from './sigv4.js';

const TOKEN = 'echo.humanToken';
const NAME = 'echo.humanName';
const AWS = 'echo.awsCredentials';

/** sessionStorage; where the browser refuses it (storage blocked), memory until the tab closes. */
const store = (() => {
  try {
    return globalThis.sessionStorage ?? memoryStore();
  } catch {
    return memoryStore();
  }
})();
function memoryStore() {
  const items = new Map();
  return {
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => items.set(k, String(v)),
    removeItem: (k) => items.delete(k),
  };
}
const listeners = new Set();

export const authority = {
  /** The deployed API's service and Region, from the page's host name; undefined locally. */
  target: awsTarget(location.hostname),
  token: () => store.getItem(TOKEN) ?? '',
  name: () => store.getItem(NAME) || 'local',
  aws() {
    try {
      return JSON.parse(store.getItem(AWS) ?? 'null') ?? undefined;
    } catch {
      return undefined;
    }
  },
  /** Whether approve and reject can be sent. */
  ready() {
    return this.target ? Boolean(this.aws()) : Boolean(this.token());
  },
  save(values) {
    if (this.target) store.setItem(AWS, JSON.stringify(values));
    else {
      store.setItem(TOKEN, values.token);
      store.setItem(NAME, values.name);
    }
    for (const fn of listeners) fn();
  },
  forget() {
    for (const key of [TOKEN, NAME, AWS]) store.removeItem(key);
    for (const fn of listeners) fn();
  },
  onChange(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
};

const field = (label, name, attrs = {}) =>
  h('label', { class: 'field' }, h('span', {}, label), h('input', { name, autocomplete: 'off', ...attrs }));

/** The form that sets (or forgets) the dashboard's authority. */
export function authorityForm() {
  const status = h('p', { class: 'note', role: 'status' });
  const local = !authority.target;
  const saved = authority.aws() ?? {};
  const fields = local
    ? [
        field('Human token', 'token', { type: 'password', required: true, spellcheck: 'false' }),
        field('Your name (recorded with each approval)', 'name', { value: authority.name(), maxlength: 64 }),
      ]
    : [
        field('Access key id', 'accessKeyId', { required: true, value: saved.accessKeyId ?? '' }),
        field('Secret access key', 'secretAccessKey', { type: 'password', required: true }),
        field('Session token (temporary credentials)', 'sessionToken', { type: 'password' }),
        field('Region', 'region', { required: true, value: saved.region ?? authority.target.region }),
      ];
  const show = () => {
    status.textContent = authority.ready()
      ? local
        ? `Acting as human:${authority.name()}.`
        : `Signing requests as ${authority.aws().accessKeyId}.`
      : 'Not set.';
  };
  const form = h(
    'form',
    {
      class: 'authority',
      'aria-label': 'Authority',
      onsubmit: (e) => {
        e.preventDefault();
        authority.save(formValues(form));
        for (const secret of form.querySelectorAll('input[type="password"]')) secret.value = '';
        show();
      },
    },
    h(
      'p',
      { class: 'note' },
      local
        ? 'Approving and rejecting need the human token: paste the contents of .echo/human-token (or ECHO_HUMAN_TOKEN). It is kept in this tab only.'
        : 'The API authorizes every call by IAM: give credentials allowed execute-api:Invoke. They are kept in this tab only and sign each request here.',
    ),
    fields,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit' }, 'Save'),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () => {
            authority.forget();
            show();
          },
        },
        'Forget',
      ),
    ),
    status,
  );
  show();
  return form;
}
