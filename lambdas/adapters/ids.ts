/**
 * Ids for the organization's records: UUIDv7 (RFC 9562), a millisecond timestamp followed by random
 * bits. Ordered by creation time, each new key lands at the right edge of its primary-key index instead
 * of on a random page of it, which keeps inserts as cheap with a million messages stored as with ten
 * thousand (BENCHMARKS.md). They are ordinary UUIDs everywhere else: the core gets them as `newId`.
 *
 * Within one process they are strictly increasing (RFC 9562 §6.2, method 2, "monotonic random"): an
 * id made in the same millisecond as the one before it, or after the clock stepped back, is that
 * one's random bits plus one, so records made in one millisecond list in the order they were made.
 */
import { randomFillSync } from 'node:crypto';

/** 32 hex digits as a UUID's text. */
export const uuidText = (hex: string) =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

const bytes = Buffer.alloc(16);
let lastMs = -1;

/** Adds one to the 74 random bits (rand_a and rand_b, around the version and variant); false when they wrap. */
function increment(b: Buffer): boolean {
  for (let i = 15; i >= 6; i--) {
    const mask = i === 8 ? 0x3f : i === 6 ? 0x0f : 0xff;
    const next = (b[i]! & mask) + 1;
    b[i] = (b[i]! & ~mask & 0xff) | (next & mask);
    if (next <= mask) return true;
  }
  return false;
}

export function uuidv7(now: number = Date.now()): string {
  if (now > lastMs || !increment(bytes)) {
    lastMs = Math.max(now, lastMs + 1);
    randomFillSync(bytes, 6, 10);
  }
  bytes.writeUIntBE(lastMs, 0, 6); // 48-bit Unix time in ms
  bytes[6] = (bytes[6]! & 0x0f) | 0x70; // version 7
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10
  return uuidText(bytes.toString('hex'));
}
