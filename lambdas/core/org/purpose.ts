/**
 * What a decision is for, as a key: decisions of one role with the same key within a window are
 * judged by their sum, so a budget split into parts ("GPU cluster, part 1 of 5") escapes nothing.
 * The key of a title drops what tells the parts apart (numbers, amounts, ordinals, "part", "phase",
 * "tranche"...), case, punctuation and plural endings. Where a decision names a vendor, the vendor is
 * a second key: contracts with one vendor add up whatever their titles say.
 */
const FILLER = new Set([
  'part',
  'parts',
  'pt',
  'phase',
  'phases',
  'tranche',
  'tranches',
  'batch',
  'batches',
  'stage',
  'stages',
  'step',
  'installment',
  'instalment',
  'installments',
  'instalments',
  'round',
  'split',
  'piece',
  'portion',
  'chunk',
  'no',
  'number',
  'of',
  'and',
  'the',
  'a',
  'an',
  'for',
  'additional',
  'extra',
  'more',
  'another',
  'further',
  'continued',
  'cont',
  'follow',
  'up',
  'remaining',
  'rest',
  'first',
  'second',
  'third',
  'fourth',
  'fifth',
  'sixth',
  'seventh',
  'eighth',
  'ninth',
  'tenth',
  'final',
  'last',
  'next',
  'usd',
  'k',
  'm',
]);
const COMPANY_SUFFIXES = new Set([
  'inc',
  'ltd',
  'llc',
  'corp',
  'corporation',
  'co',
  'gmbh',
  'sa',
  'ag',
  'plc',
  'limited',
]);

function words(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[$€£¥]\s*[\d.,]+\s*[kmb]?\b/g, ' ') // amounts: "$400k", "€1.5m"
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** A word without what only counts parts: digits, ordinals (1st, 2nd), roman numerals up to x. */
const isCounter = (w: string) =>
  /^\d+(st|nd|rd|th|x)?$/.test(w) || /^(i|ii|iii|iv|v|vi|vii|viii|ix|x)$/.test(w);
const singular = (w: string) => (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w);

/** The key of a title: "GPU Cluster (part 2 of 5) — $400k" and "gpu clusters" share one. */
export function purposeKey(title: string): string {
  const kept = words(title)
    .filter((w) => !FILLER.has(w) && !isCounter(w))
    .map(singular);
  return (kept.length ? kept : words(title)).join(' ').slice(0, 200) || title.slice(0, 200);
}

/** The key of a vendor's name, without its legal suffix ("Acme, Inc." → "acme"); null when none. */
export function vendorKey(details: Record<string, unknown>): string | null {
  const raw = details.vendor ?? details.vendor_name ?? details.supplier;
  if (typeof raw !== 'string') return null;
  const kept = words(raw).filter((w) => !COMPANY_SUFFIXES.has(w));
  const key = kept.join(' ').slice(0, 200);
  return key || null;
}
