/** Timing, percentiles and the progress lines on stderr. */

/** Milliseconds since `start` (a `process.hrtime.bigint()`). */
export const msSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

export const round = (n: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / (sorted.length || 1);
  return {
    samples: sorted.length,
    p50Ms: round(percentile(sorted, 50), 3),
    p95Ms: round(percentile(sorted, 95), 3),
    p99Ms: round(percentile(sorted, 99), 3),
    maxMs: round(sorted[sorted.length - 1] ?? Number.NaN, 3),
    meanMs: round(mean, 3),
  };
}

export const median = (values: readonly number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

const started = Date.now();

/** A progress line on stderr: seconds since the bench started, then the text. */
export function progress(text: string): void {
  const s = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${s}s] ${text}\n`);
}

/** Runs `fn` while reporting `status()` every `everyMs` on stderr. */
export async function withTicker<T>(status: () => string, fn: () => Promise<T>, everyMs = 2000): Promise<T> {
  const timer = setInterval(() => progress(status()), everyMs);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

/** A counter the progress ticker can read while `drive` runs. */
export interface Counter {
  done: number;
}

/** `total` jobs, `i` from 0, run by `workers` concurrent loops; resolves with the seconds taken. */
export async function drive(
  total: number,
  workers: number,
  job: (i: number) => Promise<void>,
  counter: Counter = { done: 0 },
): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: Math.min(workers, total) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        await job(i);
        counter.done++;
      }
    }),
  );
  return msSince(t0) / 1000;
}
