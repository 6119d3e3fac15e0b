/**
 * The dashboard: hash routes (#/agents, #/timeline, #/decisions[/id], #/inbox, #/workflows[/id],
 * #/dead-letters, #/messages[/id]), the live feed shared by every page, the compose box and keyboard shortcuts.
 */
import { get, post } from './lib/api.js';
import { authority, authorityForm } from './lib/authority.js';
import { fill, formValues, h } from './lib/dom.js';
import { follow } from './lib/live.js';
import { schemaForm } from './lib/schema-form.js';
import { createTimeline } from './lib/timeline.js';
import agents from './pages/agents.js';
import deadLetters from './pages/dead-letters.js';
import decisions from './pages/decisions.js';
import inbox from './pages/inbox.js';
import messages from './pages/messages.js';
import timeline from './pages/timeline.js';
import workflows from './pages/workflows.js';

const PAGES = [agents, timeline, decisions, inbox, workflows, deadLetters, messages];
const $ = (selector) => document.querySelector(selector);
const main = $('#main');

/** Says something to screen readers (again, even when it is the same words). */
function announce(text) {
  const region = $('#announce');
  region.textContent = '';
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

const ctx = { timeline: createTimeline(), announce };
let current = {};
let firstShow = true;

function show() {
  if (location.hash && !location.hash.startsWith('#/')) return; // an anchor in the page (the skip link)
  const [, id, param] = /^#\/([\w-]+)(?:\/([\w-]+))?/.exec(location.hash) ?? [];
  const page = PAGES.find((p) => p.id === id) ?? PAGES[0];
  current.dispose?.();
  for (const a of document.querySelectorAll('nav a'))
    if (a.dataset.page === page.id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  const view = h('section', { class: 'page', dataset: { page: page.id } });
  // Deployed, nothing loads until the calls can be signed.
  const banner =
    authority.target && !authority.ready()
      ? h('section', { class: 'banner', 'aria-label': 'Authority' }, authorityForm())
      : null;
  main.replaceChildren(...[banner, view].filter(Boolean));
  current = page.render(view, ctx, param) ?? {};
  document.title = `${page.title} · ECHO`;
  if (!firstShow) view.querySelector('h1')?.focus();
  firstShow = false;
}

function go(id) {
  const hash = `#/${id}`;
  if (location.hash === hash) main.querySelector('h1')?.focus();
  else location.hash = hash;
}

async function startLive() {
  let after;
  try {
    ctx.timeline.preload((await get('/messages?limit=50')).messages);
    // Resume after the newest message shown: nothing committed in between is missed.
    after = Math.max(ctx.timeline.lastSeq(), 0);
  } catch {
    // Nothing shown: the feed starts from now (and says what is wrong).
  }
  const status = $('#live-status');
  follow({
    after,
    onEvent: (e) => {
      ctx.timeline.add(e);
      current.onEvent?.(e);
    },
    onStatus: (text, mode) => {
      status.textContent = text;
      status.dataset.mode = mode;
    },
  });
}

/**
 * The compose box: to a role, its tools are offered; a tool chosen fills the subject and builds a
 * form from the tool's input schema (the JSON box stays for anything else, merged under the form).
 */
async function setUpCompose() {
  const form = $('#compose');
  const result = $('#compose-result');
  const toolSelect = $('#compose-tool');
  const fieldsBox = $('#compose-fields');
  let agents = [];
  let toolForm;

  const showTool = () => {
    const role = agents.find((a) => a.role === form.elements.to.value);
    const tool = role?.tools.find((t) => t.name === toolSelect.value);
    toolForm = tool ? schemaForm(tool.inputSchema, 'compose-field') : undefined;
    fill(
      fieldsBox,
      tool ? [h('p', { class: 'muted tool-description' }, tool.description), toolForm.el] : null,
    );
    if (tool) {
      form.elements.subject.value = tool.name;
      form.elements.type.value = 'request';
    }
  };
  const offerTools = () => {
    const role = agents.find((a) => a.role === form.elements.to.value);
    fill(
      toolSelect,
      h('option', { value: '' }, role ? 'none (free text)' : "none (tools are a role's)"),
      (role?.tools ?? []).map((t) => h('option', { value: t.name }, t.name.replace(/_/g, ' '))),
    );
    toolSelect.disabled = !role;
    showTool();
  };
  form.elements.to.addEventListener('change', offerTools);
  toolSelect.addEventListener('change', showTool);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const { content, ...fields } = formValues(form);
    if (!fields.subject) {
      result.textContent = 'Not sent: subject is required.';
      return form.elements.subject.focus();
    }
    let parsed = {};
    try {
      parsed = content ? JSON.parse(content) : {};
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Error('not an object');
    } catch {
      result.textContent = 'Not sent: content must be a JSON object, e.g. {"budget_usd": 100000}.';
      return form.elements.content.focus();
    }
    if (toolForm) {
      const read = toolForm.read();
      if (read.error) {
        result.textContent = `Not sent: ${read.error.message}.`;
        return read.error.input.focus();
      }
      parsed = { ...parsed, ...read.value };
    }
    try {
      const { message } = await post('/messages', { ...fields, content: parsed });
      result.textContent = '';
      result.append(
        'Sent ',
        h('a', { href: `#/messages/${message.id}` }, `#${message.seq}`),
        ` to ${message.to}.`,
      );
      form.elements.subject.value = '';
      form.elements.content.value = '';
      toolSelect.value = '';
      showTool();
    } catch (error) {
      result.textContent = `Not sent: ${error.message}`;
      form.elements[error.field]?.focus();
    }
  });
  try {
    agents = (await get('/agents')).agents;
    const roles = agents.map((a) => a.role);
    form.elements.to.prepend(...roles.map((r) => h('option', { value: r }, r)));
    form.elements.to.value = roles[0];
  } catch {
    // the groups are there; the agents page says what is wrong
  }
  offerTools();
}

/** g then a letter: a page; c: the compose box; ?: help. Not while typing in a field. */
function setUpKeys() {
  let leader = 0;
  const help = $('#help');
  $('#help-open').addEventListener('click', () => help.showModal());
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || help.open) return;
    if (e.target instanceof Element && e.target.closest('input, textarea, select, [contenteditable]')) return;
    if (leader && Date.now() - leader < 1500) {
      leader = 0;
      const page = PAGES.find((p) => p.key === e.key);
      if (page) {
        e.preventDefault();
        go(page.id);
      }
      return;
    }
    if (e.key === 'g') leader = Date.now();
    else if (e.key === 'c') {
      e.preventDefault();
      $('#compose').elements.to.focus();
    } else if (e.key === '?') {
      e.preventDefault();
      help.showModal();
    }
  });
}

window.addEventListener('hashchange', show);
authority.onChange(() => {
  if (authority.target) show();
});
setUpKeys();
show();
void setUpCompose();
void startLive();
