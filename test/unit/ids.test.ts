/**
 * UUIDv7 ids (lambdas/adapters/ids.ts): version 7, variant 10, their time the clock's, and strictly
 * increasing within the process whatever the clock does: the same millisecond many times over, or a
 * step back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../lambdas/adapters/ids.ts';
import { runs } from '../hostile/arbitraries.ts';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const timeOf = (id: string) => Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);

describe('uuidv7', () => {
  it('carries the time it was made at, to the millisecond', () => {
    const now = Date.now() + 60_000;
    const id = uuidv7(now);
    expect(id).toMatch(V7);
    expect(timeOf(id)).toBe(now);
  });

  it('100,000 ids in one millisecond are distinct, increasing, and of that millisecond', () => {
    const now = Date.now() + 120_000;
    let previous = uuidv7(now);
    for (let i = 0; i < 100_000; i++) {
      const id = uuidv7(now);
      if (!(id > previous) || !V7.test(id) || timeOf(id) !== now)
        expect.fail(`id ${i}: ${id} after ${previous}`);
      previous = id;
    }
  });

  it('increase whatever times the clock gives, a step back included, and never run behind it', () => {
    let previous = uuidv7();
    let latest = timeOf(previous);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: latest - 5_000, max: latest + 5_000 }), { maxLength: 200 }),
        (times) => {
          for (const now of times) {
            const id = uuidv7(now);
            expect(id).toMatch(V7);
            expect(id > previous, `${id} after ${previous}`).toBe(true);
            latest = Math.max(latest, now);
            expect(timeOf(id)).toBeGreaterThanOrEqual(latest);
            previous = id;
          }
        },
      ),
      runs(100),
    );
  });
});
