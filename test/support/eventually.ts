/**
 * How much longer than its stated bound a wait may take: the bounds are written for a quiet machine,
 * and a busy one (a loaded CI host, scripts/test-under-load.sh) may take a few times as long without
 * anything being wrong. ECHO_TEST_PATIENCE sets it (default 3).
 */
const PATIENCE = Math.max(1, Number(process.env.ECHO_TEST_PATIENCE ?? 3) || 3);

/**
 * Polls until `fn` returns a value that is not undefined (or stops throwing); fails after
 * `timeoutMs` times the patience.
 */
export async function eventually<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  stated = 10_000,
  what = 'condition',
): Promise<T> {
  const timeoutMs = stated * PATIENCE;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 20));
  }
}
