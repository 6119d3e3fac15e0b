/**
 * The organization as a chart (SVG): who reports to whom, from the board (a human) down; each
 * agent's live state on its box; the last hour's messages as curves between roles, thicker with
 * their count; the hops of decisions climbing the chain lit up on the reporting lines.
 */
const NS = 'http://www.w3.org/2000/svg';
const W = 176;
const H = 52;
const GAP_X = 24;
const GAP_Y = 46;

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs))
    if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat())
    if (c !== undefined && c !== null) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** Positions: depth from the board down; leaves spread left to right, a parent over its children. */
function layout(agents) {
  const children = new Map([['human', []]]);
  for (const a of agents) children.set(a.role, []);
  for (const a of agents) children.get(a.reportsTo ?? 'human')?.push(a.role);
  const pos = new Map();
  let leaf = 0;
  const place = (id, depth) => {
    const kids = children.get(id) ?? [];
    if (kids.length === 0) pos.set(id, { x: leaf++, depth });
    else {
      for (const k of kids) place(k, depth + 1);
      const xs = kids.map((k) => pos.get(k).x);
      pos.set(id, { x: (Math.min(...xs) + Math.max(...xs)) / 2, depth });
    }
  };
  place('human', 0);
  const at = new Map();
  for (const [id, p] of pos) at.set(id, { x: 12 + p.x * (W + GAP_X), y: 12 + p.depth * (H + GAP_Y) });
  const depth = Math.max(...[...pos.values()].map((p) => p.depth));
  return { at, width: 24 + leaf * (W + GAP_X) - GAP_X, height: 24 + (depth + 1) * (H + GAP_Y) - GAP_Y };
}

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `agents` as GET /agents gives them; `activity` as GET /organization/activity. */
export function orgChart(agents, activity) {
  const { at, width, height } = layout(agents);
  const center = (id) => ({ x: at.get(id).x + W / 2, y: at.get(id).y + H / 2 });
  const climbs = new Map(activity.escalations.map((e) => [`${e.from}>${e.to}`, e.count]));
  const reports = agents.map((a) => {
    const parent = a.reportsTo ?? 'human';
    const c = at.get(a.role);
    const p = at.get(parent);
    const midY = p.y + H + GAP_Y / 2;
    const climbed = climbs.get(`${a.role}>${parent}`);
    if (climbed) climbs.delete(`${a.role}>${parent}`);
    return s(
      'path',
      {
        class: climbed ? 'reports escalation' : 'reports',
        d: `M${c.x + W / 2},${c.y} V${midY} H${p.x + W / 2} V${p.y + H}`,
        'data-from': a.role,
        'data-to': parent,
        'data-count': climbed,
      },
      climbed ? s('title', {}, `${a.role} → ${parent}: ${plural(climbed, 'decision')} escalated`) : null,
    );
  });
  // escalations that skip a level (straight to the board): lit curves of their own
  const skips = [...climbs].flatMap(([key, count]) => {
    const [from, to] = key.split('>');
    if (!at.has(from) || !at.has(to)) return [];
    const a = center(from);
    const b = center(to);
    return [
      s(
        'path',
        {
          class: 'escalation skip',
          d: `M${a.x},${a.y} Q${Math.max(a.x, b.x) + 80},${(a.y + b.y) / 2} ${b.x},${b.y}`,
          'data-from': from,
          'data-to': to,
          'data-count': count,
        },
        s('title', {}, `${from} → ${to}: ${plural(count, 'decision')} escalated`),
      ),
    ];
  });
  const most = Math.max(1, ...activity.messages.map((m) => m.count));
  const traffic = activity.messages.flatMap((m) => {
    if (!at.has(m.from) || !at.has(m.to)) return [];
    const a = center(m.from);
    const b = center(m.to);
    // bend each direction to its own side, so a → b and b → a do not overlap
    const bend = 0.25;
    const cx = (a.x + b.x) / 2 + (b.y - a.y) * bend;
    const cy = (a.y + b.y) / 2 - (b.x - a.x) * bend;
    return [
      s(
        'path',
        {
          class: 'traffic',
          d: `M${a.x},${a.y} Q${cx},${cy} ${b.x},${b.y}`,
          'stroke-width': (1 + 5 * Math.sqrt(m.count / most)).toFixed(1),
          'data-from': m.from,
          'data-to': m.to,
          'data-count': m.count,
        },
        s('title', {}, `${m.from} → ${m.to}: ${plural(m.count, 'message')} in the last hour`),
      ),
    ];
  });
  const box = (id, title, status, extra) => {
    const { x, y } = at.get(id);
    return s(
      'g',
      {
        class: `node s-${status}`,
        'data-role': id,
        'data-status': status,
        transform: `translate(${x},${y})`,
      },
      s('title', {}, `${title}: ${status}`),
      s('rect', { width: W, height: H, rx: 8 }),
      s('text', { x: W / 2, y: 20, class: 'title' }, title),
      s('text', { x: W / 2, y: 38, class: 'state' }, extra),
    );
  };
  const nodes = [
    box(
      'human',
      'The board (a human)',
      'human',
      `${plural(
        activity.escalations.filter((e) => e.to === 'human').reduce((n, e) => n + e.count, 0),
        'decision',
      )} waiting`,
    ),
    ...agents.map((a) => box(a.role, a.title, a.status, `${a.role} · ${a.status}`)),
  ];
  const total = activity.messages.reduce((n, m) => n + m.count, 0);
  return s(
    'svg',
    {
      class: 'org-chart',
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: 'img',
      'aria-label': `Organization chart: the board, then the ${agents.length} agents by whom they report to; ${plural(total, 'message')} in the last hour; ${plural(
        activity.escalations.reduce((n, e) => n + e.count, 0),
        'escalation',
      )}`,
    },
    s('g', { class: 'edges' }, reports, traffic, skips),
    s('g', { class: 'nodes' }, nodes),
  );
}
