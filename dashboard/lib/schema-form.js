/**
 * A form built from a tool's input schema (JSON Schema, as GET /agents gives it): one labelled
 * control per field (a select for a choice, a checkbox for a yes/no, a number box with its bounds,
 * a text box with its length), required fields first and marked. `read()` gives the typed input or
 * the first problem, naming the field and the limit, as the API would.
 */
import { h } from './dom.js';

/** Bounds as big as Number.MAX_SAFE_INTEGER or the money cap say nothing to a person. */
const meaningful = (n) => typeof n === 'number' && Math.abs(n) < 1e12;
const typeOf = (s) => (Array.isArray(s.type) ? s.type[0] : s.type);

function hint(s) {
  const t = typeOf(s);
  const parts = [];
  if (t === 'string' && s.maxLength !== undefined) parts.push(`at most ${s.maxLength} characters`);
  if (t === 'number' || t === 'integer') {
    if (meaningful(s.minimum)) parts.push(`at least ${s.minimum}`);
    if (meaningful(s.exclusiveMinimum)) parts.push(`more than ${s.exclusiveMinimum}`);
    if (meaningful(s.maximum)) parts.push(`at most ${s.maximum}`);
    if (t === 'integer') parts.push('a whole number');
  }
  if (t === 'array') parts.push('comma-separated');
  if (t === 'object') parts.push('JSON object');
  return parts.join(', ');
}

function control(name, s, id) {
  const t = typeOf(s);
  const common = { id, 'data-field': name };
  if (s.enum)
    return h(
      'select',
      common,
      s.default === undefined ? h('option', { value: '' }, '—') : null,
      s.enum.map((v) => h('option', { value: JSON.stringify(v), selected: v === s.default }, String(v))),
    );
  if (t === 'boolean') return h('input', { ...common, type: 'checkbox', checked: s.default === true });
  if (t === 'number' || t === 'integer')
    return h('input', {
      ...common,
      type: 'number',
      inputmode: t === 'integer' ? 'numeric' : 'decimal',
      step: t === 'integer' ? '1' : 'any',
      min: meaningful(s.minimum) ? s.minimum : undefined,
      max: meaningful(s.maximum) ? s.maximum : undefined,
      placeholder: s.default === undefined ? undefined : String(s.default),
    });
  if (t === 'object' || (t === 'array' && typeOf(s.items ?? {}) !== 'string'))
    return h('textarea', {
      ...common,
      rows: 2,
      spellcheck: 'false',
      placeholder: s.default === undefined ? undefined : JSON.stringify(s.default),
    });
  return h('input', {
    ...common,
    autocomplete: 'off',
    maxlength: s.maxLength,
    placeholder: s.default === undefined ? undefined : String(s.default),
  });
}

/** The form for `schema`; ids start with `prefix`. */
export function schemaForm(schema, prefix = 'field') {
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).sort(
    ([a], [b]) => Number(required.has(b)) - Number(required.has(a)),
  );
  const controls = new Map();
  const el = h(
    'fieldset',
    { class: 'schema-form' },
    h('legend', {}, 'Input'),
    fields.length === 0 ? h('p', { class: 'muted' }, 'This tool takes no input.') : null,
    fields.map(([name, s]) => {
      const id = `${prefix}-${name}`;
      const input = control(name, s, id);
      controls.set(name, { input, s });
      const note = hint(s);
      return h(
        'label',
        { class: 'field', for: id },
        h(
          'span',
          {},
          name.replace(/_/g, ' '),
          required.has(name) ? h('abbr', { title: 'required' }, ' *') : null,
        ),
        input,
        note || s.description
          ? h('small', { class: 'muted' }, [s.description, note].filter(Boolean).join(' · '))
          : null,
      );
    }),
  );

  /** { value } with the fields given, typed; or { error: { field, message, input } }. */
  function read() {
    const value = {};
    for (const [name, { input, s }] of controls) {
      const t = typeOf(s);
      const fail = (message) => ({ error: { field: name, message: `${name}: ${message}`, input } });
      if (t === 'boolean' && !s.enum) {
        if (input.checked || s.default !== undefined) value[name] = input.checked;
        continue;
      }
      const raw = input.value.trim();
      if (raw === '') {
        if (required.has(name)) return fail('is required');
        continue;
      }
      if (s.enum) value[name] = JSON.parse(raw);
      else if (t === 'number' || t === 'integer') {
        const n = Number(raw);
        if (!Number.isFinite(n)) return fail('must be a number');
        if (t === 'integer' && !Number.isInteger(n)) return fail('must be a whole number');
        if (meaningful(s.minimum) && n < s.minimum) return fail(`must be at least ${s.minimum}`);
        if (meaningful(s.exclusiveMinimum) && n <= s.exclusiveMinimum)
          return fail(`must be more than ${s.exclusiveMinimum}`);
        if (meaningful(s.maximum) && n > s.maximum) return fail(`must be at most ${s.maximum}`);
        value[name] = n;
      } else if (t === 'array' && typeOf(s.items ?? {}) === 'string')
        value[name] = raw
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
      else if (t === 'object' || t === 'array') {
        try {
          value[name] = JSON.parse(raw);
        } catch {
          return fail(t === 'object' ? 'must be a JSON object' : 'must be a JSON array');
        }
      } else {
        if (s.minLength !== undefined && raw.length < s.minLength)
          return fail(`must be at least ${s.minLength} characters`);
        if (s.maxLength !== undefined && raw.length > s.maxLength)
          return fail(`must be at most ${s.maxLength} characters`);
        value[name] = raw;
      }
    }
    return { value };
  }
  return { el, read };
}
