/**
 * `npm run bench`: measures the message path on this machine, each figure against a baseline
 * measured in the same run, and prints one JSON object on stdout (a short summary and progress
 * lines on stderr). See BENCHMARKS.md for what each figure means and the last full run.
 */
import os from 'node:os';
import { fanOutSettled } from '../lambdas/core/pipeline.ts';
import { type AgentsRun, measureAgents } from './agents.ts';
import { type BroadcastRun, measureBroadcast } from './broadcast.ts';
import { type BundlesRun, measureBundles } from './bundles.ts';
import { type LatencyRun, measureLatency } from './latency.ts';
import { type BenchOptions, parseOptions, USAGE } from './options.ts';
import { GOALS, goalLines, type StoredReport, storedReport, summaryText } from './report.ts';
import { type BenchServices, openServices } from './services.ts';
import { progress, round } from './stats.ts';
import { measureStored } from './stored.ts';
import { measureThroughput, type ThroughputRun } from './throughput.ts';
import { benchPipeline } from './workload.ts';

type PipelineReport = ThroughputRun & {
  goal: { ratioAtLeast: number };
  met: boolean;
  poolSize: number;
  fanOut: { posted: number; busEvents: number; outboxLeft: number };
};
type RealtimeReport = LatencyRun & { goal: { p99MsBelow: number }; met: boolean };

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stderr.write(`${USAGE}\n`);
    return 0;
  }
  const opts = options;

  // stdout carries the one JSON object: anything else written there while running goes to stderr.
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;

  const startedAt = new Date();
  const loadAtStart = os.loadavg().map((v) => round(v, 2));
  const wants = (s: BenchOptions['sections'][number]) => opts.sections.includes(s);
  const needsServices = opts.sections.some((s) => s !== 'bundles');

  let services: BenchServices | undefined;
  const interrupted = async () => {
    process.stderr.write('\ninterrupted: dropping the bench database\n');
    await services?.close();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  let pipeline: PipelineReport | null = null;
  let realtime: RealtimeReport | null = null;
  let broadcast: BroadcastRun | null = null;
  let agents: AgentsRun | null = null;
  let stored: StoredReport | null = null;
  let bundles: BundlesRun | null = null;
  try {
    if (needsServices) {
      services = await openServices(process.env, opts.pool, progress);
      const svc = services;
      lastServices.database = svc.database;
      lastServices.realtime = svc.realtime;
      const bench = benchPipeline(svc);
      try {
        if (wants('pipeline')) {
          progress(
            `pipeline: ${opts.messages} messages a side, ${opts.producers} producers, ${opts.rounds} rounds`,
          );
          const before = bench.busEvents();
          const warmup = Math.min(200, Math.ceil(opts.messages / 10));
          const run = await measureThroughput(svc, bench, {
            messages: opts.messages,
            producers: opts.producers,
            rounds: opts.rounds,
            warmup,
            label: 'pipeline',
          });
          await bench.idle();
          await fanOutSettled(bench.deps);
          const posted = warmup + run.messages;
          pipeline = {
            ...run,
            poolSize: opts.pool,
            goal: { ratioAtLeast: GOALS.pipelineRatio },
            met: run.ratio >= GOALS.pipelineRatio,
            fanOut: {
              posted,
              busEvents: bench.busEvents() - before,
              outboxLeft: await bench.deps.store.countPendingFanOut(),
            },
          };
        }
        if (wants('realtime')) {
          progress(`realtime: ${opts.samples} samples a side`);
          const run = await measureLatency(svc, bench, {
            samples: opts.samples,
            warmup: Math.min(200, Math.ceil(opts.samples / 10)),
            label: 'realtime',
          });
          realtime = {
            ...run,
            goal: { p99MsBelow: GOALS.realtimeP99Ms },
            met: run.lost === 0 && run.p99Ms < GOALS.realtimeP99Ms,
          };
        }
        if (wants('broadcast')) {
          progress(`broadcast: ${opts.broadcasts} broadcasts`);
          broadcast = await measureBroadcast(svc, {
            broadcasts: opts.broadcasts,
            warmup: Math.min(5, opts.broadcasts),
          });
        }
        if (wants('agents')) {
          progress(
            `agents: ${opts.agentSamples} rounds, scripted model of ${opts.modelLatencyMs} ms per call against the rules engine`,
          );
          agents = await measureAgents(svc, {
            samples: opts.agentSamples,
            warmup: Math.min(2, opts.agentSamples),
            latencyMs: opts.modelLatencyMs,
          });
        }
        if (wants('stored')) {
          progress(`stored: sizes ${opts.sizes.join(', ')}`);
          stored = storedReport(
            await measureStored(svc, {
              env: process.env,
              sizes: opts.sizes,
              producers: opts.producers,
              messages: opts.storedMessages,
              samples: opts.storedSamples,
              rounds: opts.rounds,
            }),
          );
        }
      } finally {
        await bench.idle();
        bench.close();
        await svc.close();
        services = undefined;
      }
    }
    if (wants('bundles')) bundles = await measureBundles({ runs: opts.loadRuns });
  } catch (error) {
    await services?.close();
    process.stdout.write = stdoutWrite;
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }

  const finishedAt = new Date();
  const cpus = os.cpus();
  const facts = (kind: string | undefined) =>
    kind === 'postgresql'
      ? 'DATABASE_URL'
      : kind === 'pglite'
        ? 'PGlite in memory (DATABASE_URL not set)'
        : 'not used (--only bundles)';
  const report = {
    bench: 'npm run bench',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? 'unknown',
      memoryGb: round(os.totalmem() / 2 ** 30, 1),
      platform: `${process.platform} ${process.arch}`,
      node: process.version,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: os.loadavg().map((v) => round(v, 2)),
    },
    database: lastServices.database
      ? {
          kind: lastServices.database.kind,
          source: facts(lastServices.database.kind),
          facts: lastServices.database.facts,
        }
      : { kind: 'none', source: facts(undefined), facts: {} },
    realtimeChannel: lastServices.realtime
      ? { kind: lastServices.realtime.kind, facts: lastServices.realtime.facts }
      : { kind: 'none', facts: {} },
    bus: 'the local EventBridge (lambdas/local/eventbridge/bus.ts) through its in-process publisher',
    options: {
      quick: opts.quick,
      sections: opts.sections,
      producers: opts.producers,
      pool: opts.pool,
      messages: opts.messages,
      rounds: opts.rounds,
      samples: opts.samples,
      broadcasts: opts.broadcasts,
      agentSamples: opts.agentSamples,
      modelLatencyMs: opts.modelLatencyMs,
      storedMessages: opts.storedMessages,
      storedSamples: opts.storedSamples,
      loadRuns: opts.loadRuns,
    },
    sizes: { stored: opts.sizes, reduced: opts.sizesNote !== undefined, note: opts.sizesNote ?? null },
    pipeline,
    realtime,
    broadcast: broadcast ? { ...broadcast, goal: null, met: null } : null,
    agents,
    stored,
    bundles,
    goals: goalLines({ pipeline, realtime, broadcast, agents, stored, bundles }),
  };
  process.stdout.write = stdoutWrite;
  process.stderr.write(summaryText({ ...report, broadcast, agents, bundles }));
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return 0;
}

/** What the report says about the services, kept after they are closed. */
const lastServices: { database?: BenchServices['database']; realtime?: BenchServices['realtime'] } = {};

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
