/** Column values as the domain shows them: timestamps as ISO strings, NULL as null. */
export const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));
export const isoOrNull = (v: unknown): string | null => (v == null ? null : iso(v));
export const numOrNull = (v: unknown): number | null => (v == null ? null : Number(v));
