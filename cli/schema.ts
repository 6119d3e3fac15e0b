/**
 * A JSON Schema's fields as a person reads them: one line each with its type, limits, default and
 * whether it is required (what a tool or a workflow wants, without guessing from the errors).
 */
export interface JsonSchemaLike {
  type?: string | string[];
  properties?: Record<string, JsonSchemaLike>;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchemaLike;
  additionalProperties?: unknown;
}

/** Bounds as big as Number.MAX_SAFE_INTEGER or the money cap say nothing to a person. */
const MEANINGFUL = (n: number | undefined): n is number => n !== undefined && Math.abs(n) < 1e12;

/** A field's type and limits: `string, 1 to 200 characters`, `integer ≥ 0`, `one of a, b`. */
export function describeType(s: JsonSchemaLike): string {
  if (s.enum) return `one of ${s.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  const type = Array.isArray(s.type) ? s.type.join(' or ') : (s.type ?? 'any');
  const limits: string[] = [];
  if (type === 'string') {
    if (s.minLength !== undefined && s.maxLength !== undefined)
      limits.push(`${s.minLength} to ${s.maxLength} characters`);
    else if (s.maxLength !== undefined) limits.push(`at most ${s.maxLength} characters`);
    else if (s.minLength) limits.push(`at least ${s.minLength} character${s.minLength === 1 ? '' : 's'}`);
  }
  if (type === 'number' || type === 'integer') {
    const low = MEANINGFUL(s.minimum)
      ? `≥ ${s.minimum}`
      : MEANINGFUL(s.exclusiveMinimum)
        ? `> ${s.exclusiveMinimum}`
        : '';
    const high = MEANINGFUL(s.maximum)
      ? `≤ ${s.maximum}`
      : MEANINGFUL(s.exclusiveMaximum)
        ? `< ${s.exclusiveMaximum}`
        : '';
    if (low) limits.push(low);
    if (high) limits.push(high);
  }
  if (type === 'array') {
    // The items' own limits in parentheses, so the array's do not read as theirs.
    const items = s.items ? describeType(s.items) : undefined;
    const counts = [
      ...(s.minItems ? [`at least ${s.minItems}`] : []),
      ...(s.maxItems !== undefined ? [`at most ${s.maxItems}`] : []),
    ];
    return [
      `array${items ? ` of ${/[,{]/.test(items) ? `(${items})` : items}` : ''}`,
      ...(counts.length ? [`${counts.join(' and ')} item${s.maxItems === 1 ? '' : 's'}`] : []),
    ].join(', ');
  }
  if (type === 'object' && s.properties) {
    const req = new Set(s.required ?? []);
    limits.push(
      `{ ${Object.entries(s.properties)
        .map(([k, v]) => `${k}${req.has(k) ? '' : '?'}: ${describeType(v)}`)
        .join('; ')} }`,
    );
  }
  return [type, ...limits].join(type === 'object' || type === 'array' ? ' ' : ', ');
}

/** One line per field, required ones first, aligned: `  name  type, limits  required|default x`. */
export function fieldLines(schema: JsonSchemaLike, indent = '    '): string[] {
  const props = Object.entries(schema.properties ?? {});
  if (props.length === 0) return [`${indent}(no fields)`];
  const required = new Set(schema.required ?? []);
  props.sort(([a], [b]) => Number(required.has(b)) - Number(required.has(a)));
  const width = Math.max(...props.map(([k]) => k.length));
  return props.map(([name, s]) => {
    const tail = required.has(name)
      ? 'required'
      : s.default !== undefined
        ? `default ${JSON.stringify(s.default)}`
        : 'optional';
    return `${indent}${name.padEnd(width)}  ${describeType(s)}  (${tail})${s.description ? `  ${s.description}` : ''}`;
  });
}

/** The smallest input that passes: each required field with a placeholder of its type. */
export function exampleInput(schema: JsonSchemaLike): string {
  const value = (s: JsonSchemaLike): unknown => {
    if (s.enum) return s.enum[0];
    const type = Array.isArray(s.type) ? s.type[0] : s.type;
    if (type === 'string') return '...';
    if (type === 'number' || type === 'integer')
      return MEANINGFUL(s.minimum) && s.minimum > 0 ? s.minimum : 1000;
    if (type === 'boolean') return true;
    if (type === 'array') return [];
    if (type === 'object') return required(s);
    return null;
  };
  const required = (s: JsonSchemaLike) =>
    Object.fromEntries((s.required ?? []).map((k) => [k, value(s.properties?.[k] ?? {})]));
  return JSON.stringify(required(schema));
}
