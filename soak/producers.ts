/**
 * Producers as a careful client writes them: every post carries an idempotency key, and a post that
 * was not acknowledged (503 while the database is down, a connection refused while the runtime is
 * down, a 5xx) is sent again with the same key until it is, so a retry never makes a second message.
 * What each producer saw is recorded for the checker (soak/check.ts): the key of every post and the
 * message id of those acknowledged (201, or 200 for a key already seen).
 */

export interface ProducerLog {
  /** Idempotency key -> the acknowledged message id (undefined until acknowledged). */
  posts: Map<string, string | undefined>;
  /** Answers by status (`503`, `201`, ...) and `network` for a failed connection. */
  statuses: Record<string, number>;
  /** The first answer of each kind that was not an acknowledgement, for the report. */
  samples: Record<string, unknown>;
}

export function newProducerLog(): ProducerLog {
  return { posts: new Map(), statuses: {}, samples: {} };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Posts `body` with `key` until it is acknowledged; undefined when `giveUpAfterMs` passes first.
 * A 400 is a mistake of the producer, not a fault: it throws.
 */
export async function postUntilAcknowledged(
  apiUrl: () => string,
  key: string,
  body: Record<string, unknown>,
  log: ProducerLog,
  options: { giveUpAfterMs?: number } = {},
): Promise<string | undefined> {
  const deadline = Date.now() + (options.giveUpAfterMs ?? 120_000);
  log.posts.set(key, log.posts.get(key));
  const count = (status: string, sample?: unknown) => {
    log.statuses[status] = (log.statuses[status] ?? 0) + 1;
    if (sample !== undefined && !(status in log.samples)) log.samples[status] = sample;
  };
  for (let attempt = 1; Date.now() < deadline; attempt++) {
    let status: number;
    let answer: { message?: { id: string }; error?: { code?: string; message?: string } };
    try {
      const res = await fetch(`${apiUrl()}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, idempotencyKey: key }),
        signal: AbortSignal.timeout(30_000),
      });
      status = res.status;
      answer = (await res.json()) as typeof answer;
    } catch (error) {
      count('network', String(error));
      await sleep(Math.min(1000, 25 * 2 ** attempt));
      continue;
    }
    if ((status === 201 || status === 200) && answer.message) {
      count(String(status));
      log.posts.set(key, answer.message.id);
      return answer.message.id;
    }
    count(String(status), answer.error);
    if (status === 400) throw new Error(`post ${key} refused: ${JSON.stringify(answer.error)}`);
    await sleep(Math.min(1000, 25 * 2 ** attempt));
  }
  return undefined;
}

/**
 * `producers` concurrent loops posting message 0..count-1 (`make(i)` builds the body), each
 * until acknowledged. Resolves when every post is acknowledged or given up.
 */
export async function runProducers(options: {
  apiUrl: () => string;
  count: number;
  producers: number;
  keyOf: (i: number) => string;
  make: (i: number) => Record<string, unknown>;
  log: ProducerLog;
  giveUpAfterMs?: number;
  onAcknowledged?: (i: number) => void;
}): Promise<void> {
  let next = 0;
  const loop = async () => {
    for (let i = next++; i < options.count; i = next++) {
      const id = await postUntilAcknowledged(options.apiUrl, options.keyOf(i), options.make(i), options.log, {
        ...(options.giveUpAfterMs ? { giveUpAfterMs: options.giveUpAfterMs } : {}),
      });
      if (id) options.onAcknowledged?.(i);
    }
  };
  await Promise.all(Array.from({ length: options.producers }, loop));
}
