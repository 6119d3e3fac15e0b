/**
 * Per-handler bundle size and cold module-load time. Each Lambda entry (lambdas/handlers/agents/*.ts
 * and the other handlers) is bundled by esbuild with the options a deployment uses (infra/bundling.ts,
 * the same values EchoFunction gives CDK's NodejsFunction) into a temporary directory; its load time is
 * the time `await import()` of the bundle takes in a fresh `node` process (median of several), with
 * NODE_OPTIONS=--enable-source-maps as the deployed functions have. The baseline: an empty ES module,
 * loaded the same way.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { BUNDLING } from '../infra/bundling.ts';
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

export interface BundlesRun {
  esbuild: string;
  options: string;
  nodeOptions: string;
  runs: number;
  entries: BundleFigure[];
  baseline: { loadMs: number; loadCpuMs: number; loadMsRuns: number[]; what: string };
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
    const built = await Promise.all(
      entries.map(async (e) => {
        const outfile = join(dir, e.name, 'index.mjs');
        mkdirSync(join(dir, e.name), { recursive: true });
        await build({
          absWorkingDir: ROOT,
          entryPoints: [join(ROOT, e.entry)],
          bundle: true,
          outfile,
          format: BUNDLING.format,
          target: BUNDLING.target,
          platform: BUNDLING.platform,
          mainFields: [...BUNDLING.mainFields],
          minify: BUNDLING.minify,
          sourcemap: BUNDLING.sourceMap,
          sourcesContent: BUNDLING.sourcesContent,
          external: [...BUNDLING.externalModules],
          banner: { js: BUNDLING.banner },
          logLevel: 'silent',
        });
        const code = readFileSync(outfile);
        return {
          ...e,
          outfile,
          bytes: code.length,
          gzipBytes: gzipSync(code).length,
          sourceMapBytes: statSync(`${outfile}.map`).size,
        };
      }),
    );
    const empty = join(dir, 'empty', 'index.mjs');
    mkdirSync(join(dir, 'empty'));
    writeFileSync(empty, 'export const handler = async () => undefined;\n');

    // Round robin over the bundles, so that a busy moment on the machine spreads over all of them.
    const times = new Map<string, Load[]>(built.map((b) => [b.outfile, []]));
    times.set(empty, []);
    for (let r = 0; r < options.runs; r++) {
      progress(`bundles: load times, round ${r + 1}/${options.runs}`);
      for (const file of times.keys()) times.get(file)!.push(await load(file));
    }
    const { version } = (await import('esbuild')) as { version: string };
    const baselineRuns = times.get(empty)!;
    return {
      esbuild: version,
      options:
        'infra/bundling.ts, as EchoFunction deploys them: ESM, node22, minified, linked source maps without sources, everything bundled',
      nodeOptions: '--enable-source-maps (as the deployed functions have)',
      runs: options.runs,
      entries: built.map((b) => {
        const runs = times.get(b.outfile)!;
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
      }),
      baseline: {
        loadMs: round(median(baselineRuns.map((r) => r.ms)), 2),
        loadCpuMs: round(median(baselineRuns.map((r) => r.cpuMs)), 2),
        loadMsRuns: baselineRuns.map((r) => round(r.ms, 2)),
        what: 'import() of an empty ES module in a fresh node process, the same way',
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
