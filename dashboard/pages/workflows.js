/**
 * Workflows: the runs, newest first, and what can be run; one run with its steps drawn as a flow,
 * top to bottom, parallel branches side by side, each step marked with its status.
 */
import { get, post } from '../lib/api.js';
import { authority, authorityForm } from '../lib/authority.js';
import { badge, facts, fill, formValues, h, short, table, when } from '../lib/dom.js';
import { errorNote, heading, region } from '../lib/page.js';

const MARK = {
  completed: '✓',
  waiting: '…',
  running: '▸',
  failed: '✗',
  timed_out: '⏱',
  skipped: '–',
  cancelled: '⊘',
  pending: '○',
};

function facts1(s, st, out) {
  const items = [];
  if (s.kind === 'request' || s.kind === 'notify')
    items.push(`to ${st?.to ?? s.to}${s.tool ? ` · ${s.tool}` : ''}`);
  if (s.owner) items.push(`owner ${s.owner}`);
  if (st?.attempts > 1) items.push(`attempt ${st.attempts}`);
  if (st?.conditionMet !== undefined) items.push(st.conditionMet ? 'condition met' : 'condition not met');
  if (typeof out?.status === 'string') items.push(`answer: ${out.status}`);
  const waiting =
    st?.status === 'waiting' && st.waitingOn
      ? st.waitingOn.kind === 'decision'
        ? h(
            'a',
            { href: `#/decisions/${st.waitingOn.id}` },
            st.human
              ? 'waits for a human: approve or reject'
              : `waits for decision ${short(st.waitingOn.id)}`,
          )
        : `waits for the reply to ${short(st.waitingOn.id)}`
      : null;
  return h(
    'p',
    { class: 'meta' },
    h('code', {}, s.id),
    ` ${s.kind}`,
    items.map((i) => ` · ${i}`),
    waiting ? [' · ', waiting] : null,
    !waiting && typeof out?.decisionId === 'string'
      ? [' · ', h('a', { href: `#/decisions/${out.decisionId}` }, 'its decision')]
      : null,
    st?.error ? h('span', { class: 'error-text' }, ` · ${st.error}`) : null,
  );
}

function lane(label, steps, run) {
  return h('div', { class: 'lane' }, h('p', { class: 'lane-label' }, label), flow(steps, run));
}

/** One step as a box; a parallel step's branches and a branch step's two ways as lanes beside each other. */
function step(s, run) {
  const st = run?.steps[s.id];
  const status = st?.status ?? 'pending';
  const box = h(
    'div',
    { class: `box st-${status}`, dataset: { step: s.id, status } },
    h('span', { class: 'mark', 'aria-hidden': 'true' }, MARK[status] ?? '?'),
    h('strong', {}, s.title ?? s.id),
    ' ',
    run ? badge(st?.human && status === 'waiting' ? 'waiting for a human' : status) : null,
    facts1(s, st, run?.context.steps[s.id]),
  );
  const lanes =
    s.kind === 'parallel'
      ? s.branches.map((b, i) => lane(`branch ${i + 1}${i === 0 ? ` (join: ${s.join})` : ''}`, b, run))
      : s.kind === 'branch'
        ? [lane('if the condition holds', s.steps, run), lane('otherwise', s.otherwise, run)]
        : [];
  return h(
    'li',
    { class: `step k-${s.kind}` },
    box,
    lanes.length
      ? h('div', { class: 'lanes', role: 'group', 'aria-label': `${s.title ?? s.id}: ${s.kind}` }, lanes)
      : null,
  );
}

/** Steps in order (an outline as GET /workflows and GET /workflow-runs/{id} give it), with a run's states. */
export const flow = (steps, run) =>
  steps.length
    ? h(
        'ol',
        { class: 'flow' },
        steps.map((s) => step(s, run)),
      )
    : h('p', { class: 'muted' }, 'nothing');

const done = (run) => Object.values(run.steps).filter((s) => s.status === 'completed').length;

function list(view) {
  const runs = region(
    async () => (await get('/workflow-runs?limit=100')).runs,
    (rows) =>
      table(
        'Workflow runs',
        [
          ['Started', (r) => when(r.createdAt)],
          ['Run', (r) => h('a', { href: `#/workflows/${r.id}` }, `${r.name} ${short(r.id)}`)],
          ['Status', (r) => badge(r.status)],
          ['Steps done', done],
          ['Error', (r) => (r.error ? h('span', { class: 'error-text' }, r.error) : '')],
        ],
        rows,
        'No runs yet.',
      ),
  );
  const catalogue = region(
    async () => (await get('/workflows')).workflows,
    (defs) =>
      defs.map((w) =>
        h(
          'details',
          { class: 'definition' },
          h('summary', {}, h('strong', {}, w.name), ` · ${w.stepCount} steps · ${w.description}`),
          flow(w.steps),
        ),
      ),
  );
  view.append(
    heading('Workflows'),
    h('h2', {}, 'Runs'),
    runs.el,
    h('h2', {}, 'Available workflows'),
    catalogue.el,
  );
  void runs.refresh();
  void catalogue.refresh();
  return runs;
}

function cancelForm(run, onDone) {
  const result = h('p', { role: 'status' });
  const form = h(
    'form',
    {
      class: 'cancel',
      'aria-label': 'Cancel this run',
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await post(`/workflow-runs/${run.id}/cancel`, formValues(form), { human: true });
          onDone();
        } catch (error) {
          result.textContent = `Not cancelled: ${error.message}`;
        }
      },
    },
    h('label', { for: 'cancel-reason' }, 'Reason'),
    h('input', { id: 'cancel-reason', name: 'reason', required: true, maxlength: 2000 }),
    h('button', { type: 'submit', class: 'reject' }, 'Cancel run'),
    result,
  );
  return h(
    'details',
    {},
    h('summary', {}, 'Cancel this run…'),
    authority.ready() ? null : authorityForm(),
    form,
  );
}

function one(view, id) {
  const title = heading('Workflow run');
  const cancel = h('div');
  let cancellable;
  const run = region(
    async () => get(`/workflow-runs/${id}`),
    ({ run: r, definition }) => {
      title.textContent = `${r.name} ${short(r.id)}`;
      const open = r.status === 'running' || r.status === 'paused';
      if (open !== cancellable) {
        cancellable = open;
        fill(cancel, open ? cancelForm(r, () => void run.refresh()) : null);
      }
      return [
        facts([
          ['Status', badge(r.status)],
          ['Started', when(r.createdAt)],
          ['Updated', when(r.updatedAt)],
          ['Completed', r.completedAt ? when(r.completedAt) : undefined],
          ['Deadline', r.deadlineAt ? when(r.deadlineAt) : undefined],
          ['Error', r.error ?? undefined],
        ]),
        h('details', {}, h('summary', {}, 'Input'), h('pre', {}, JSON.stringify(r.context.input, null, 2))),
        h('h2', {}, 'Steps'),
        flow(definition, r),
      ];
    },
    { 'data-testid': 'run' },
  );
  view.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/workflows' }, 'Workflows'), ` / ${short(id)}`),
    title,
    run.el,
    cancel,
  );
  void run.refresh().catch((error) => fill(run.el, errorNote(error)));
  return run;
}

export default {
  id: 'workflows',
  title: 'Workflows',
  key: 'w',
  render(view, _ctx, id) {
    const shown = id ? one(view, id) : list(view);
    const concerns = (e) =>
      e.channel === 'gap' ||
      e.channel === 'tick' ||
      (e.channel.startsWith('workflow:') && (!id || e.data?.runId === id));
    return {
      onEvent: (e) => (concerns(e) ? shown.soon() : undefined),
      dispose: () => shown.soon.cancel(),
    };
  },
};
