/**
 * `npm run bench` flags, and the defaults that depend on where it runs: real PostgreSQL
 * (DATABASE_URL) gets the full sizes, PGlite smaller ones, `--quick` the smallest.
 */
import { parseArgs } from 'node:util';

export const SECTIONS = ['pipeline', 'realtime', 'broadcast', 'agents', 'stored', 'bundles'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  quick: boolean;
  sections: Section[];
  /** Concurrent producers of the throughput runs. */
  producers: number;
  /** Connection pool size, the same for the pipeline and its baseline. */
  pool: number;
  /** Messages per side (pipeline, baseline) of the throughput run, over all rounds. */
  messages: number;
  /** The throughput runs alternate pipeline and baseline this many times (and go round the stored sizes). */
  rounds: number;
  /** Real-time latency samples per side. */
  samples: number;
  broadcasts: number;
  /** Rounds of the agents section (a request, a broadcast and a decision a side each). */
  agentSamples: number;
  /** The scripted model's fixed latency per call. */
  modelLatencyMs: number;
  /** Messages already stored at each step of the scaling run. */
  sizes: number[];
  /** Why `sizes` is smaller than the goal's 10k/100k/1M, if it is. */
  sizesNote: string | undefined;
  /** Messages per side and latency samples at each stored size. */
  storedMessages: number;
  storedSamples: number;
  /** Fresh `node` processes per bundle for its load time (the median is reported). */
  loadRuns: number;
}

export const FULL_SIZES = [10_000, 100_000, 1_000_000];

export const USAGE = `npm run -s bench -- [flags]

Measures the message path on this machine and prints one JSON object on stdout (a summary and
progress on stderr; -s keeps npm's own banner off stdout). Real PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set, PGlite and
the in-process real-time hub otherwise. Every run uses a fresh database of its own, dropped at the end.

  --quick                 small sizes, for a CI-speed run
  --only LIST             sections, comma-separated: ${SECTIONS.join(', ')} (default: all)
  --producers N           concurrent producers of the throughput run (default 8)
  --messages N            messages per side (pipeline and raw baseline) of the throughput run
  --samples N             real-time latency samples per side
  --broadcasts N          broadcasts to all for the broadcast latency
  --agent-samples N       rounds of the agents section: a request, a broadcast and a collaborative
                          decision, each with the scripted model and on the rules engine
  --model-latency MS      the scripted model's fixed latency per call (default 20)
  --sizes LIST            stored messages for the scaling run (default 10000,100000,1000000;
                          PGlite: 1000,10000,50000)
  --pool N                connection pool size of the pipeline and of its baseline (default 10)
  --help                  this text`;

function positiveInt(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

export function parseOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      producers: { type: 'string' },
      messages: { type: 'string' },
      samples: { type: 'string' },
      broadcasts: { type: 'string' },
      'agent-samples': { type: 'string' },
      'model-latency': { type: 'string' },
      sizes: { type: 'string' },
      pool: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const quick = values.quick === true;
  const postgres = Boolean(env.DATABASE_URL);

  let sections: Section[] = [...SECTIONS];
  if (values.only !== undefined) {
    const asked = values.only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const s of asked)
      if (!(SECTIONS as readonly string[]).includes(s))
        throw new Error(`--only: unknown section "${s}" (one of ${SECTIONS.join(', ')})`);
    if (asked.length === 0) throw new Error('--only: name at least one section');
    sections = SECTIONS.filter((s) => asked.includes(s));
  }

  let sizes: number[];
  let sizesNote: string | undefined;
  if (values.sizes !== undefined) {
    sizes = values.sizes.split(',').map((s) => positiveInt('sizes', s.trim(), 0));
    if (sizes.length === 0) throw new Error('--sizes: give at least one size');
    sizes = [...new Set(sizes)].sort((a, b) => a - b);
    if (sizes.join() !== FULL_SIZES.join()) sizesNote = 'sizes given with --sizes';
  } else if (quick) {
    sizes = [1_000, 5_000];
    sizesNote = '--quick: small sizes, not the goal sizes 10k/100k/1M';
  } else if (!postgres) {
    sizes = [1_000, 10_000, 50_000];
    sizesNote = 'PGlite (no DATABASE_URL): smaller sizes than the goal sizes 10k/100k/1M';
  } else sizes = FULL_SIZES;

  const full = !quick;
  return {
    quick,
    sections,
    producers: positiveInt('producers', values.producers, 8),
    pool: positiveInt('pool', values.pool, 10),
    messages: positiveInt('messages', values.messages, full ? (postgres ? 6_000 : 1_500) : 300),
    rounds: full ? 10 : 2,
    samples: positiveInt('samples', values.samples, full ? 2_000 : 200),
    broadcasts: positiveInt('broadcasts', values.broadcasts, full ? (postgres ? 50 : 20) : 5),
    agentSamples: positiveInt('agent-samples', values['agent-samples'], full ? 20 : 3),
    modelLatencyMs: positiveInt('model-latency', values['model-latency'], 20, 0),
    sizes,
    sizesNote,
    storedMessages: full ? (postgres ? 2_000 : 500) : 200,
    storedSamples: full ? 500 : 100,
    loadRuns: full ? 5 : 3,
  };
}
