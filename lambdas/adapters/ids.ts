/**
 * Ids for the organization's records: UUIDv7 (RFC 9562), a millisecond timestamp followed by random
 * bits. Ordered by creation time, each new key lands at the right edge of its primary-key index instead
 * of on a random page of it, which keeps inserts as cheap with a million messages stored as with ten
 * thousand (BENCHMARKS.md). They are ordinary UUIDs everywhere else: the core gets them as `newId`.
 */
import { randomFillSync } from 'node:crypto';

const bytes = Buffer.alloc(16);

export function uuidv7(now: number = Date.now()): string {
  randomFillSync(bytes, 6, 10);
  bytes.writeUIntBE(now, 0, 6); // 48-bit Unix time in ms
  bytes[6] = (bytes[6]! & 0x0f) | 0x70; // version 7
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
