/**
 * PostgreSQL types as the SQL port sees them. Result direction: one table from type (by OID or
 * by name) to its kind, its JDBC type code (what the Data API reports) and its array type; and
 * one normaliser per kind turning PostgreSQL's text output into the port's value.
 */

export type Kind = 'int' | 'float' | 'numeric' | 'bool' | 'json' | 'timestamp' | 'bytea' | 'text';

export interface PgType {
  oid: number;
  name: string;
  kind: Kind;
  /** java.sql.Types code, as the Data API reports it in columnMetadata.type. */
  jdbc: number;
  arrayOid: number;
}

const JDBC_ARRAY = 2003;
const JDBC_OTHER = 1111;

// oid, name, kind, jdbc, array oid
const table: [number, string, Kind, number, number][] = [
  [16, 'bool', 'bool', -7, 1000],
  [17, 'bytea', 'bytea', -2, 1001],
  [18, 'char', 'text', 1, 1002],
  [19, 'name', 'text', 12, 1003],
  [20, 'int8', 'int', -5, 1016],
  [21, 'int2', 'int', 5, 1005],
  [23, 'int4', 'int', 4, 1007],
  [25, 'text', 'text', 12, 1009],
  [26, 'oid', 'int', -5, 1028],
  [114, 'json', 'json', JDBC_OTHER, 199],
  [700, 'float4', 'float', 7, 1021],
  [701, 'float8', 'float', 8, 1022],
  [1042, 'bpchar', 'text', 1, 1014],
  [1043, 'varchar', 'text', 12, 1015],
  [1082, 'date', 'text', 91, 1182],
  [1083, 'time', 'text', 92, 1183],
  [1114, 'timestamp', 'timestamp', 93, 1115],
  [1184, 'timestamptz', 'timestamp', 93, 1185],
  [1266, 'timetz', 'text', 92, 1270],
  [1700, 'numeric', 'numeric', 2, 1231],
  [2950, 'uuid', 'text', JDBC_OTHER, 2951],
  [3802, 'jsonb', 'json', JDBC_OTHER, 3807],
];

export const pgTypes: readonly PgType[] = table.map(([oid, name, kind, jdbc, arrayOid]) => ({
  oid,
  name,
  kind,
  jdbc,
  arrayOid,
}));
const byOid = new Map(pgTypes.map((t) => [t.oid, t]));
const byArrayOid = new Map(pgTypes.map((t) => [t.arrayOid, t]));
const byName = new Map<string, PgType>(pgTypes.map((t) => [t.name, t]));
// Names the Data API (through PgJDBC) may report for the same types.
for (const [alias, name] of [
  ['serial', 'int4'],
  ['bigserial', 'int8'],
  ['smallserial', 'int2'],
] as const) {
  byName.set(alias, byName.get(name) as PgType);
}

/** A result column's type: the scalar type, or the element type when it is an array. */
export function typeOfOid(oid: number): { type: PgType | undefined; array: boolean } {
  const array = byArrayOid.get(oid);
  return array ? { type: array, array: true } : { type: byOid.get(oid), array: false };
}

/** The same from a type name ('int4', '_int4' for arrays, 'serial'...). */
export function typeOfName(name: string | undefined): { type: PgType | undefined; array: boolean } {
  const n = (name ?? '').toLowerCase();
  if (n.startsWith('_')) return { type: byName.get(n.slice(1)), array: true };
  return { type: byName.get(n), array: false };
}

export function jdbcType(oid: number): number {
  const { type, array } = typeOfOid(oid);
  return array ? JDBC_ARRAY : (type?.jdbc ?? JDBC_OTHER);
}

/** 'YYYY-MM-DD HH:MM:SS[.ffffff][zone]' (or with a 'T'): a zone-less timestamp is UTC. */
const timestampPattern =
  /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:(Z)|([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?$/;

export function parseTimestamp(text: string): Date | string {
  const m = timestampPattern.exec(text);
  if (!m) return text; // 'infinity', BC dates: no JS Date for them
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const offset = m[9]
    ? (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 3600 + Number(m[11] ?? 0) * 60 + Number(m[12] ?? 0))
    : 0;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  return new Date(date.getTime() - offset * 1000);
}

/** The Data API's timestamp text: 'YYYY-MM-DD HH:MM:SS.mmm' in UTC. */
export function formatTimestamp(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/** PostgreSQL's text output for one value of a kind -> the port's normalised value. */
export const normalise: Record<Kind, (text: string) => unknown> = {
  int: Number,
  float: Number,
  numeric: Number,
  bool: (t) => t === 't' || t === 'true',
  json: (t) => JSON.parse(t),
  timestamp: parseTimestamp,
  bytea: (t) => t,
  text: (t) => t,
};

/** Parses an array literal ('{1,NULL,"a b"}', nested, with an optional '[1:2]=' prefix). */
export function parseArray(text: string, element: (text: string) => unknown): unknown {
  let i = text.startsWith('[') ? text.indexOf('=') + 1 : 0;
  const list = (): unknown[] => {
    const out: unknown[] = [];
    i++; // '{'
    while (i < text.length) {
      const c = text[i];
      if (c === '}') {
        i++;
        break;
      }
      if (c === ',') {
        i++;
        continue;
      }
      if (c === '{') out.push(list());
      else if (c === '"') {
        let s = '';
        for (i++; i < text.length && text[i] !== '"'; i++) s += text[text[i] === '\\' ? ++i : i];
        i++;
        out.push(element(s));
      } else {
        const start = i;
        while (i < text.length && text[i] !== ',' && text[i] !== '}') i++;
        const raw = text.slice(start, i);
        out.push(raw === 'NULL' ? null : element(raw));
      }
    }
    return out;
  };
  return list();
}

/** The normaliser for a result column of type `oid` (unknown types stay text). */
export function textParser(oid: number): (text: string) => unknown {
  const { type, array } = typeOfOid(oid);
  const scalar = normalise[type?.kind ?? 'text'];
  return array ? (text) => parseArray(text, scalar) : scalar;
}
