/**
 * Post-to-subscriber latency on the real-time channel: from just before postMessage until the
 * project's real-time subscriber (ioredis, or the in-process hub) hands the message to its handler,
 * one message at a time, against the raw baseline: PUBLISH of the same payload to the same
 * subscriber. The two alternate sample by sample.
 */
import { postMessage } from '../lambdas/core/pipeline.ts';
import type { BenchServices } from './services.ts';
import { type LatencySummary, progress, summarize, withTicker } from './stats.ts';
import { type BenchPipeline, benchCommand, rawPost } from './workload.ts';

const RAW_CHANNEL = 'bench:latency';
const TIMEOUT_MS = 5_000;

export interface LatencyRun extends LatencySummary {
  /** Samples that never reached the subscriber within 5 s. */
  lost: number;
  baseline: LatencySummary & { lost: number; what: string };
}

let runs = 0;

export async function measureLatency(
  services: BenchServices,
  pipeline: BenchPipeline,
  options: {
    samples: number;
    warmup: number;
    label: string;
    /** Where to add each measured sample too (the stored-messages run pools its rounds). */
    collect?: { pipeline: number[]; baseline: number[] };
    /** No progress line with the result (a warm-up). */
    quiet?: boolean;
  },
): Promise<LatencyRun> {
  const run = ++runs;
  const waiting = new Map<string, (at: bigint) => void>();
  const subscription = await services.subscriber.subscribe(
    ['messages:all', RAW_CHANNEL],
    (_channel, payload) => {
      const at = process.hrtime.bigint();
      const subject = (payload as { subject?: unknown }).subject;
      if (typeof subject === 'string') waiting.get(subject)?.(at);
    },
  );
  const arrival = (subject: string) => {
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<bigint | undefined>((resolve) => {
      waiting.set(subject, resolve);
      timer = setTimeout(() => resolve(undefined), TIMEOUT_MS);
    }).finally(() => {
      clearTimeout(timer);
      waiting.delete(subject);
    });
    return promise;
  };
  const pipelineMs: number[] = [];
  const baselineMs: number[] = [];
  let lost = 0;
  let baselineLost = 0;
  try {
    const total = options.warmup + options.samples;
    let i = 0;
    await withTicker(
      () => `${options.label}: ${Math.max(0, i - options.warmup)}/${options.samples} samples`,
      async () => {
        for (; i < total; i++) {
          const measured = i >= options.warmup;
          {
            const command = benchCommand(i, `bench-l-${run}`);
            const arrived = arrival(command.subject);
            const t0 = process.hrtime.bigint();
            const posted = postMessage(pipeline.deps, command);
            const at = await arrived;
            await posted;
            if (measured) {
              if (at === undefined) lost++;
              else pipelineMs.push(Number(at - t0) / 1e6);
            }
          }
          {
            const tag = `bench-r-${run}`;
            const arrived = arrival(`${tag} ${i}`);
            const t0 = process.hrtime.bigint();
            // Only the PUBLISH is timed: the raw row's INSERT is not part of a publish-to-subscriber path.
            const published = rawPost(async () => undefined, services.rawPublish, RAW_CHANNEL, i, tag);
            const at = await arrived;
            await published;
            if (measured) {
              if (at === undefined) baselineLost++;
              else baselineMs.push(Number(at - t0) / 1e6);
            }
          }
        }
      },
    );
  } finally {
    await subscription.close();
  }
  options.collect?.pipeline.push(...pipelineMs);
  options.collect?.baseline.push(...baselineMs);
  const result = summarize(pipelineMs);
  if (!options.quiet) progress(`${options.label}: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`);
  return {
    ...result,
    lost,
    baseline: {
      ...summarize(baselineMs),
      lost: baselineLost,
      what: 'PUBLISH of the same message (JSON) to the same subscriber on the same server, no database',
    },
  };
}
