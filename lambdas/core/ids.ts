/**
 * Ids a person can type. Ids are UUIDv7: their first 8 characters are the same for everything made
 * in the same minute, so people are shown a short form that differs (a message's `#seq`; for
 * anything else the id's random tail) and may give, wherever an id is taken, the whole id, a unique
 * prefix or suffix of at least MIN_ID_FRAGMENT characters, or (for a message) its `#seq`.
 * Pure: the lookup of candidates is the store's (IdStore).
 */
import { EchoError, NotFoundError, ValidationError } from './errors.ts';

export const MIN_ID_FRAGMENT = 6;
/** How many candidates an ambiguous reference lists. */
export const MAX_CANDIDATES = 10;

export const ID_KINDS = ['message', 'decision', 'approval', 'workflow run', 'dead letter'] as const;
export type IdKind = (typeof ID_KINDS)[number];

/** A row an id reference may stand for, as a person would tell it apart. */
export interface IdCandidate {
  id: string;
  /** The message's seq, for a message. */
  seq?: number | undefined;
  /** What it is: a subject, a title, a workflow's name, a reason. */
  label: string;
  createdAt: string;
}

/** What the store is asked: ids with this prefix or this suffix (hex, no dashes), or this seq. */
export interface IdQuery {
  prefix?: string | undefined;
  suffix?: string | undefined;
  seq?: number | undefined;
  limit: number;
}

export interface IdStore {
  findIds(kind: IdKind, query: IdQuery): Promise<IdCandidate[]>;
}

/** The short form of an id that differs between rows: its last 8 characters (the random tail). */
export const shortId = (id: string): string => id.slice(-8);

/** More than one row answers to a reference: the candidates are listed so the caller can pick. */
export class AmbiguousIdError extends EchoError {
  readonly field: string;
  constructor(
    field: string,
    readonly kind: IdKind,
    readonly ref: string,
    readonly candidates: IdCandidate[],
  ) {
    super(
      'AmbiguousId',
      `${field}: "${ref}" matches ${candidates.length >= MAX_CANDIDATES ? `${MAX_CANDIDATES} or more` : candidates.length} ${kind}s: ${candidates
        .map((c) => `${c.seq !== undefined ? `#${c.seq} ` : ''}${c.id} (${c.label})`)
        .join('; ')}; give more characters`,
    );
    this.field = field;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type IdRef =
  | { kind: 'uuid'; id: string }
  | { kind: 'fragment'; hex: string | undefined; seq: number | undefined };

/**
 * What a reference is, or a ValidationError naming `field` and the limit: a whole id; a fragment
 * (hex, dashes ignored, at least MIN_ID_FRAGMENT characters); for a message also `#<seq>` or digits.
 */
export function parseIdRef(raw: string, kind: IdKind, field = 'id'): IdRef {
  const ref = raw.trim();
  if (UUID.test(ref)) return { kind: 'uuid', id: ref.toLowerCase() };
  const seqForm = kind === 'message' ? /^#?(\d{1,15})$/.exec(ref) : null;
  const seq = seqForm ? Number(seqForm[1]) : undefined;
  const hex = ref.replace(/-/g, '').toLowerCase();
  const hexOk =
    !ref.startsWith('#') && /^[0-9a-f]+$/.test(hex) && hex.length >= MIN_ID_FRAGMENT && hex.length < 32;
  if (seq !== undefined || hexOk) return { kind: 'fragment', hex: hexOk ? hex : undefined, seq };
  const forms = `the whole id, or at least ${MIN_ID_FRAGMENT} of its first or last characters${kind === 'message' ? ", or the message's #seq" : ''}`;
  if (/^[0-9a-f-]*$/i.test(ref) && hex.length < MIN_ID_FRAGMENT)
    throw new ValidationError(field, `${field}: "${ref}" is too short to name a ${kind}: give ${forms}`, {
      limit: `at least ${MIN_ID_FRAGMENT} characters`,
    });
  throw new ValidationError(field, `${field}: "${clip(ref)}" is not a ${kind} id: give ${forms}`, {
    limit: `at least ${MIN_ID_FRAGMENT} characters`,
  });
}

const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 59)}…` : s);

/**
 * The whole id a reference stands for: a whole id as it is (whether it exists is the caller's
 * question), else the one row whose id starts or ends with the fragment (or whose seq it is).
 * NotFoundError when none does, AmbiguousIdError (listing them) when several do.
 */
export async function resolveIdRef(store: IdStore, kind: IdKind, raw: string, field = 'id'): Promise<string> {
  const ref = parseIdRef(raw, kind, field);
  if (ref.kind === 'uuid') return ref.id;
  const found = new Map<string, IdCandidate>();
  if (ref.seq !== undefined)
    for (const c of await store.findIds(kind, { seq: ref.seq, limit: MAX_CANDIDATES })) found.set(c.id, c);
  if (ref.hex !== undefined)
    for (const c of await store.findIds(kind, { prefix: ref.hex, suffix: ref.hex, limit: MAX_CANDIDATES }))
      found.set(c.id, c);
  const candidates = [...found.values()].slice(0, MAX_CANDIDATES);
  if (candidates.length === 0) throw new NotFoundError(kind, `matching "${raw.trim()}"`);
  if (candidates.length > 1) throw new AmbiguousIdError(field, kind, raw.trim(), candidates);
  return candidates[0]!.id;
}
