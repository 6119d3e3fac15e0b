/**
 * How throughput and latency change with the messages already stored. Each size gets a database of
 * its own, filled with set-based SQL (INSERT ... SELECT generate_series: messages, and a delivery per
 * recipient, almost all processed, so every index has its realistic size); then the throughput and
 * latency runs go round the databases in turn, several rounds, so that a busy moment on the machine
 * falls on every size alike. The smallest size is the reference the slowdown is measured against.
 */
import { postMessage } from '../lambdas/core/pipeline.ts';
import { ROLES } from '../lambdas/core/roles.ts';
import { measureLatency } from './latency.ts';
import { type BenchDatabase, type BenchServices, openBenchDatabase } from './services.ts';
import { drive, type LatencySummary, progress, round, summarize } from './stats.ts';
import { measureThroughput } from './throughput.ts';
import { type BenchPipeline, benchCommand, benchPipeline } from './workload.ts';

export interface StoredStep {
  /** Messages in its database when the runs started, and deliveries. */
  storedMessages: number;
  storedDeliveries: number;
  seedSeconds: number;
  throughput: { messages: number; msgsPerSec: number; baselineMsgsPerSec: number; ratio: number };
  realtime: LatencySummary & { baselineP50Ms: number };
}

const ROLE_ARRAY = `ARRAY[${ROLES.map((r) => `'${r}'`).join(', ')}]`;
const ALL_ROLES_JSON = JSON.stringify(ROLES);

/**
 * Messages `from`..`to` (numbers of the seeding, not ids): nine in ten to one role (a notification),
 * one in ten a broadcast to all nine, all from a human, a millisecond apart, in the past. Each gets its
 * delivery rows in the same statement, one message in a hundred still pending. Ids are UUIDv7 of
 * their creation time, as the system makes them (lambdas/adapters/ids.ts): a random UUID with the
 * time in its first 48 bits and the version set to 7.
 */
const SEED = `WITH m AS (
  INSERT INTO messages (id, from_role, to_address, type, subject, content, metadata, priority, recipients, created_at)
  SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
           PLACING substring(int8send(floor(extract(epoch FROM :origin::timestamptz + g * interval '1 millisecond')
                                            * 1000)::bigint) FROM 3)
           FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid,
         'human',
         CASE WHEN g % 10 = 0 THEN 'all' ELSE (${ROLE_ARRAY})[1 + g % 9] END,
         CASE WHEN g % 10 = 0 THEN 'broadcast' ELSE 'notification' END,
         'seeded message ' || g,
         jsonb_build_object('n', g, 'text', 'Quarterly figures are in: revenue up 12%, churn flat. Please review.'),
         '{}'::jsonb, 'normal',
         CASE WHEN g % 10 = 0 THEN '${ALL_ROLES_JSON}'::jsonb
              ELSE jsonb_build_array((${ROLE_ARRAY})[1 + g % 9]) END,
         :origin::timestamptz + g * interval '1 millisecond'
  FROM generate_series(:from::int, :to::int) AS g
  RETURNING id, seq, recipients, created_at
)
INSERT INTO deliveries (message_id, role, status, attempts, created_at, processed_at)
SELECT m.id, r.value,
       CASE WHEN m.seq % 100 = 0 THEN 'pending' ELSE 'processed' END,
       CASE WHEN m.seq % 100 = 0 THEN 0 ELSE 1 END,
       m.created_at,
       CASE WHEN m.seq % 100 = 0 THEN NULL ELSE m.created_at + interval '1 second' END
FROM m, jsonb_array_elements_text(m.recipients) AS r(value)`;

async function count(db: BenchDatabase, table: string): Promise<number> {
  const { rows } = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}

async function seed(db: BenchDatabase, size: number): Promise<number> {
  const t0 = Date.now();
  const chunk = db.kind === 'pglite' ? 10_000 : 50_000;
  // The seeded messages lie before everything the bench posts.
  const origin = new Date(Date.now() - size - 86_400_000);
  for (let done = 0; done < size; ) {
    const n = Math.min(chunk, size - done);
    await db.sql.query(SEED, { from: done + 1, to: done + n, origin });
    done += n;
    if (done === size || done % (chunk * 4) === 0) progress(`stored: seeded ${done}/${size} messages`);
  }
  // What a live system's autovacuum would have done by now; and a checkpoint, so that writing the
  // seeded pages out does not land in the middle of the runs.
  await db.sql.query('VACUUM (ANALYZE) messages');
  await db.sql.query('VACUUM (ANALYZE) deliveries');
  if (db.kind === 'postgresql')
    await db.sql.query('CHECKPOINT').catch(() => progress('stored: CHECKPOINT not allowed here; skipped'));
  return (Date.now() - t0) / 1000;
}

export async function measureStored(
  services: BenchServices,
  options: {
    env: Readonly<Record<string, string | undefined>>;
    sizes: number[];
    producers: number;
    messages: number;
    samples: number;
    rounds: number;
  },
): Promise<StoredStep[]> {
  const steps: {
    size: number;
    db: BenchDatabase;
    pipeline: BenchPipeline;
    seedSeconds: number;
    storedMessages: number;
    storedDeliveries: number;
    seconds: number;
    messages: number;
    baselineSeconds: number;
    latency: { pipeline: number[]; baseline: number[] };
  }[] = [];
  try {
    for (const size of options.sizes) {
      const db = await openBenchDatabase(options.env, services.pool, progress);
      const pipeline = benchPipeline({ sql: db.sql, publisher: services.publisher });
      steps.push({
        size,
        db,
        pipeline,
        seedSeconds: 0,
        storedMessages: 0,
        storedDeliveries: 0,
        seconds: 0,
        messages: 0,
        baselineSeconds: 0,
        latency: { pipeline: [], baseline: [] },
      });
      const step = steps.at(-1)!;
      step.seedSeconds = await seed(db, size);
      step.storedMessages = await count(db, 'messages');
      step.storedDeliveries = await count(db, 'deliveries');
      progress(`stored: ${step.storedMessages} messages, ${step.storedDeliveries} deliveries`);
    }
    // Warm every database up first (connections, prepared statements, caches), none of it measured.
    for (const step of steps) {
      progress(`stored ${step.size}: warming up`);
      await drive(Math.min(200, options.messages), options.producers, async (i) => {
        await postMessage(step.pipeline.deps, benchCommand(i, `bench-stored-warm-${step.size}`));
      });
      await measureLatency(services, step.pipeline, {
        samples: 1,
        warmup: 50,
        label: `stored ${step.size}`,
        quiet: true,
      });
    }
    const perRound = Math.max(1, Math.ceil(options.messages / options.rounds));
    const samplesPerRound = Math.max(1, Math.ceil(options.samples / options.rounds));
    for (let r = 0; r < options.rounds; r++) {
      // Each round starts with a different size, so that none always runs first.
      const order = steps.map((_, i) => steps[(i + r) % steps.length]!);
      for (const step of order) {
        const label = `stored ${step.size} (round ${r + 1}/${options.rounds})`;
        const t = await measureThroughput(services, step.pipeline, {
          messages: perRound,
          producers: options.producers,
          rounds: 1,
          warmup: 0,
          label,
        });
        step.messages += t.messages;
        step.seconds += t.messages / t.msgsPerSec;
        step.baselineSeconds += t.messages / t.baseline.msgsPerSec;
        await measureLatency(services, step.pipeline, {
          samples: samplesPerRound,
          warmup: 5,
          label,
          collect: step.latency,
        });
      }
    }
    return steps.map((s) => {
      const msgsPerSec = s.messages / s.seconds;
      const baseline = s.messages / s.baselineSeconds;
      return {
        storedMessages: s.storedMessages,
        storedDeliveries: s.storedDeliveries,
        seedSeconds: round(s.seedSeconds, 1),
        throughput: {
          messages: s.messages,
          msgsPerSec: round(msgsPerSec, 1),
          baselineMsgsPerSec: round(baseline, 1),
          ratio: round(msgsPerSec / baseline, 3),
        },
        realtime: { ...summarize(s.latency.pipeline), baselineP50Ms: summarize(s.latency.baseline).p50Ms },
      };
    });
  } finally {
    for (const s of steps) {
      await s.pipeline.idle();
      s.pipeline.close();
      await s.db.close();
    }
  }
}
