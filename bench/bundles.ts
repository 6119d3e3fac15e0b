/**
 * Per-handler bundle size and cold module-load time. Each Lambda entry (lambdas/handlers/agents/*.ts
 * and the other handlers) is bundled by esbuild with the options an AWS deployment uses
 * (infra/bundling.ts: BUNDLING and lambdaBundling, the Data API driver, Bedrock in the agents and the
 * rules elsewhere: the values EchoFunction gives CDK's NodejsFunction for the default deployment) into a temporary directory; its load time is the time `await import()` of the
 * bundle takes in a fresh `node` process (median of several), with NODE_OPTIONS=--enable-source-maps
 * as the deployed functions have. The baseline: an empty ES module, loaded the same way. The floor:
 * the AWS SDK clients the Lambdas use and nothing else (bench/sdk-floor.ts), bundled and loaded the
 * same way: what an agent cannot go below while it calls AWS through the SDK.
 *
 * Then what an agent's bytes and milliseconds go to: its bytes by package from esbuild's metafile,
 * and its load time from V8's CPU profile of the same import (`--cpu-prof`), each sample's function
 * mapped through the bundle's source map to the package it came from, or named for what Node and V8
 * do themselves (compiling the module, reading the source map, collecting garbage).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { esbuildOptions } from '../infra/bundling.ts';
import { median, progress, round } from './stats.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface BundleFigure {
  name: string;
  entry: string;
  bytes: number;
  gzipBytes: number;
  sourceMapBytes: number;
  /** Wall time of `await import()` of the bundle: median of `runs` fresh processes. */
  loadMs: number;
  /** CPU time (user + system) the process spent in that import: median, less disturbed by neighbours. */
  loadCpuMs: number;
  loadMsRuns: number[];
}

/** The goal of issue 14: every agent bundle at most 300 KB minified, its module loaded in 50 ms or less. */
export const BUNDLE_GOALS = { agentBytesAtMost: 300 * 1024, agentLoadMsAtMost: 50 } as const;

export interface Breakdown {
  entry: string;
  /** Minified bytes by what they come from (project folders, packages grouped by purpose), largest first. */
  bytes: { what: string; bytes: number }[];
  /**
   * CPU-profile self time of the import by what ran, averaged over the profiled runs, largest first.
   * The profiler adds its own overhead: `totalMs` is the profile's, larger than `loadCpuMs`.
   */
  ms: { what: string; ms: number; share: number }[];
  totalMs: number;
  profiledRuns: number;
}

export interface BundlesRun {
  esbuild: string;
  options: string;
  nodeOptions: string;
  runs: number;
  entries: BundleFigure[];
  baseline: { loadMs: number; loadCpuMs: number; loadMsRuns: number[]; what: string };
  /** The AWS SDK clients alone (bench/sdk-floor.ts), bundled and loaded as the handlers are. */
  floor: BundleFigure & { what: string };
  breakdown: Breakdown | null;
  goal: { agentBytesAtMost: number; agentLoadMsAtMost: number };
  /** Every agent within both; null when no agent was measured. */
  met: boolean | null;
}

/** What a module of the bundle is, for the breakdown: the project's folder, or its package's purpose. */
export function groupOf(source: string): string {
  const pkg = source.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1];
  if (!pkg) {
    const rel = source.replace(/^.*?\/(lambdas|events)\//, '$1/');
    const parts = rel.split('/');
    return parts[0] === 'lambdas' ? `project: lambdas/${parts[1]}` : `project: ${parts[0]}`;
  }
  if (
    /^@(aws-sdk|smithy|aws-crypto|aws)\//.test(pkg) ||
    ['tslib', 'fast-xml-parser', 'strnum', 'bowser', 'uuid'].includes(pkg)
  )
    return 'AWS SDK v3 (EventBridge, RDS Data, Bedrock Runtime clients)';
  if (pkg.startsWith('@aws-lambda-powertools/')) return 'Powertools Logger, Metrics and commons';
  if (pkg === 'zod') return 'zod';
  return pkg;
}

/** The Lambda entries: every module under lambdas/handlers that exports `handler`. */
export function handlerEntries(): { name: string; entry: string }[] {
  const dirs = ['lambdas/handlers/agents', 'lambdas/handlers'];
  const out: { name: string; entry: string }[] = [];
  for (const dir of dirs) {
    for (const file of readdirSync(join(ROOT, dir)).sort()) {
      if (!file.endsWith('.ts')) continue;
      const entry = `${dir}/${file}`;
      if (!/export (const|async function|function) handler\b/.test(readFileSync(join(ROOT, entry), 'utf8')))
        continue;
      const name = dir.endsWith('agents') ? `agent-${basename(file, '.ts')}` : basename(file, '.ts');
      out.push({ name, entry });
    }
  }
  return out;
}

const LOADER = `
const c0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
await import(process.argv[1]);
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const cpu = process.cpuUsage(c0);
process.stdout.write(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000 }));
process.exit(0);
`;

type Load = { ms: number; cpuMs: number };

async function load(file: string): Promise<Load> {
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', LOADER, pathToFileURL(file).href],
    {
      cwd: tmpdir(),
      env: {
        PATH: process.env.PATH ?? '',
        NODE_OPTIONS: '--enable-source-maps',
        AWS_REGION: 'us-east-1',
        POWERTOOLS_SERVICE_NAME: 'echo-bench',
      },
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout) as Load;
}

export async function measureBundles(options: { runs: number; only?: string[] }): Promise<BundlesRun> {
  const dir = mkdtempSync(join(tmpdir(), 'echo-bench-bundles-'));
  try {
    const entries = handlerEntries().filter((e) => !options.only || options.only.includes(e.name));
    progress(`bundles: bundling ${entries.length} handlers with esbuild`);
    const bundleOne = async (e: { name: string; entry: string }) => {
      const outfile = join(dir, e.name, 'index.mjs');
      mkdirSync(join(dir, e.name), { recursive: true });
      const result = await build({
        absWorkingDir: ROOT,
        entryPoints: [join(ROOT, e.entry)],
        outfile,
        ...esbuildOptions({ sqlDriver: 'rds-data', llm: e.name.startsWith('agent-') ? 'bedrock' : 'rules' }),
        metafile: true,
        logLevel: 'silent',
      });
      const code = readFileSync(outfile);
      return {
        ...e,
        outfile,
        metafile: result.metafile,
        bytes: code.length,
        gzipBytes: gzipSync(code).length,
        sourceMapBytes: statSync(`${outfile}.map`).size,
      };
    };
    const built = await Promise.all(entries.map(bundleOne));
    const floor = await bundleOne({ name: 'aws-sdk-floor', entry: SDK_FLOOR_ENTRY });
    const empty = join(dir, 'empty', 'index.mjs');
    mkdirSync(join(dir, 'empty'));
    writeFileSync(empty, 'export const handler = async () => undefined;\n');

    // Round robin over the bundles, so that a busy moment on the machine spreads over all of them.
    const times = new Map<string, Load[]>([...built, floor].map((b) => [b.outfile, []]));
    times.set(empty, []);
    for (let r = 0; r < options.runs; r++) {
      progress(`bundles: load times, round ${r + 1}/${options.runs}`);
      for (const file of times.keys()) times.get(file)!.push(await load(file));
    }
    const agent = built.find((b) => b.name.startsWith('agent-'));
    const breakdown = agent ? await breakdownOf(agent, Math.max(3, options.runs)) : null;
    const { version } = (await import('esbuild')) as { version: string };
    const baselineRuns = times.get(empty)!;
    return {
      esbuild: version,
      options:
        "infra/bundling.ts, as EchoFunction deploys them on AWS by default: ESM, node22, minified, linked source maps without sources, everything bundled; lambdaBundling: the Data API driver only, the environment's credentials only, the Bedrock client in the agents only (the other functions think with the rules)",
      nodeOptions: '--enable-source-maps (as the deployed functions have)',
      runs: options.runs,
      entries: built.map((b) => figureOf(b, times.get(b.outfile)!)),
      baseline: {
        loadMs: round(median(baselineRuns.map((r) => r.ms)), 2),
        loadCpuMs: round(median(baselineRuns.map((r) => r.cpuMs)), 2),
        loadMsRuns: baselineRuns.map((r) => round(r.ms, 2)),
        what: 'import() of an empty ES module in a fresh node process, the same way',
      },
      floor: {
        ...figureOf(floor, times.get(floor.outfile)!),
        what: 'the AWS SDK clients and commands the Lambdas use (bench/sdk-floor.ts) and nothing of ECHO, bundled and loaded the same way',
      },
      breakdown,
      goal: { ...BUNDLE_GOALS },
      met: agentsMet(built, times),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The deployment's bundles as the AWS SDK alone makes them: the floor of every agent. */
const SDK_FLOOR_ENTRY = 'bench/sdk-floor.ts';

function figureOf(
  b: { name: string; entry: string; bytes: number; gzipBytes: number; sourceMapBytes: number },
  runs: Load[],
): BundleFigure {
  return {
    name: b.name,
    entry: b.entry,
    bytes: b.bytes,
    gzipBytes: b.gzipBytes,
    sourceMapBytes: b.sourceMapBytes,
    loadMs: round(median(runs.map((r) => r.ms)), 1),
    loadCpuMs: round(median(runs.map((r) => r.cpuMs)), 1),
    loadMsRuns: runs.map((r) => round(r.ms, 1)),
  };
}

function agentsMet(
  built: { name: string; outfile: string; bytes: number }[],
  times: Map<string, Load[]>,
): boolean | null {
  const agents = built.filter((b) => b.name.startsWith('agent-'));
  if (!agents.length) return null;
  return agents.every(
    (a) =>
      a.bytes <= BUNDLE_GOALS.agentBytesAtMost &&
      median(times.get(a.outfile)!.map((r) => r.ms)) <= BUNDLE_GOALS.agentLoadMsAtMost,
  );
}

/** Bytes from the metafile; milliseconds from CPU profiles of the import, through the source map. */
async function breakdownOf(
  entry: { name: string; entry: string; outfile: string; metafile: Metafile },
  runs: number,
): Promise<Breakdown> {
  const output = Object.values(entry.metafile.outputs).find((o) => o.entryPoint)!;
  const bytes = new Map<string, number>();
  for (const [file, v] of Object.entries(output.inputs)) {
    const what = groupOf(file);
    bytes.set(what, (bytes.get(what) ?? 0) + v.bytesInOutput);
  }
  const map = new SourceMap(JSON.parse(readFileSync(`${entry.outfile}.map`, 'utf8')));
  const ms = new Map<string, number>();
  let total = 0;
  for (let r = 0; r < runs; r++) {
    progress(`bundles: CPU profile of ${entry.name}, ${r + 1}/${runs}`);
    const profDir = mkdtempSync(join(tmpdir(), 'echo-bench-prof-'));
    try {
      await run(
        process.execPath,
        [
          '--cpu-prof',
          '--cpu-prof-interval',
          '100',
          '--cpu-prof-dir',
          profDir,
          '--input-type=module',
          '-e',
          `await import(${JSON.stringify(pathToFileURL(entry.outfile).href)})`,
        ],
        {
          cwd: tmpdir(),
          env: {
            PATH: process.env.PATH ?? '',
            NODE_OPTIONS: '--enable-source-maps',
            AWS_REGION: 'us-east-1',
            POWERTOOLS_SERVICE_NAME: 'echo-bench',
          },
          timeout: 60_000,
        },
      );
      const profile = JSON.parse(readFileSync(join(profDir, readdirSync(profDir)[0]!), 'utf8')) as {
        nodes: {
          id: number;
          callFrame: { url: string; functionName: string; lineNumber: number; columnNumber: number };
        }[];
        samples: number[];
        timeDeltas: number[];
      };
      const self = new Map<number, number>();
      profile.samples.forEach((id, i) => {
        self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
      });
      for (const node of profile.nodes) {
        const us = self.get(node.id);
        if (!us) continue;
        const what = sampleGroup(node.callFrame, entry.outfile, map);
        if (what === null) continue; // idle
        ms.set(what, (ms.get(what) ?? 0) + us / 1000);
        total += us / 1000;
      }
    } finally {
      rmSync(profDir, { recursive: true, force: true });
    }
  }
  const sorted = <T extends { [k: string]: unknown }>(
    m: Map<string, number>,
    f: (what: string, v: number) => T,
  ) => [...m].sort((a, b) => b[1] - a[1]).map(([what, v]) => f(what, v));
  return {
    entry: entry.entry,
    bytes: sorted(bytes, (what, b) => ({ what, bytes: b })),
    ms: sorted(ms, (what, v) => ({ what, ms: round(v / runs, 1), share: round(v / total, 3) })),
    totalMs: round(total / runs, 1),
    profiledRuns: runs,
  };
}

/** What a profile sample is: a module of the bundle (through its source map), or Node's and V8's own work. */
function sampleGroup(
  frame: { url: string; functionName: string; lineNumber: number; columnNumber: number },
  bundle: string,
  map: SourceMap,
): string | null {
  if (frame.functionName === '(idle)') return null;
  if (frame.functionName === '(garbage collector)') return 'V8: garbage collection';
  if (frame.url && pathToFileURL(bundle).href === frame.url) {
    const source = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string };
    // The module's top level (every module's top-level statements, flattened by esbuild) maps to no source.
    return source.originalSource
      ? groupOf(source.originalSource)
      : 'bundle: top-level statements of its modules';
  }
  if (/compileSourceTextModule|compileFunction/.test(frame.functionName)) return 'V8: compiling the bundle';
  if (/source_map/.test(frame.url) || /sourceURL|sourceMappingURL/.test(frame.functionName))
    return 'Node: reading the source map (--enable-source-maps)';
  if (frame.functionName === '(program)') return 'V8: other';
  // Resolving, reading and linking the bundle, and initialising the built-in modules it imports.
  return 'Node: loading the bundle and the built-in modules it imports';
}
