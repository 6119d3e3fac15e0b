/**
 * Throughput: messages posted, committed and fanned out per second by N concurrent producers
 * through postMessage (commit, then PutEvents to the local EventBridge and PUBLISH to the real-time
 * channel, then the message's outbox row deleted: a DELETE postMessage leaves running), against the
 * raw baseline: the same row plainly INSERTed into a table of the same shape and one PUBLISH, with
 * the same pool size and durability settings.
 * The two alternate in rounds, so that a noisy neighbour on the machine hits both alike.
 */
import { postMessage } from '../lambdas/core/pipeline.ts';
import type { BenchServices } from './services.ts';
import { type Counter, drive, progress, round, withTicker } from './stats.ts';
import { type BenchPipeline, benchCommand, rawPost } from './workload.ts';

export interface ThroughputRun {
  producers: number;
  /** Messages per side, over all rounds (warm-up excluded). */
  messages: number;
  rounds: number;
  msgsPerSec: number;
  baseline: { msgsPerSec: number; what: string };
  ratio: number;
  perRound: { pipelineMsgsPerSec: number; baselineMsgsPerSec: number }[];
}

export const BASELINE_WHAT =
  'the same row INSERTed (a prepared statement) into a table of the same shape (LIKE messages INCLUDING ALL) ' +
  'through a plain pg pool of the same size, then one PUBLISH of it through a plain ioredis client; same ' +
  'server, same synchronous_commit (PGlite: the same session, the in-process hub)';

let runs = 0;

export async function measureThroughput(
  services: BenchServices,
  pipeline: BenchPipeline,
  options: { messages: number; producers: number; rounds: number; warmup: number; label: string },
): Promise<ThroughputRun> {
  const run = ++runs;
  const tag = (side: string, r: number | string) => `bench-${side}-${run}-${r}`;
  const post = (r: number | string) => async (i: number) =>
    void (await postMessage(pipeline.deps, benchCommand(i, tag('p', r))));
  const raw = (r: number | string) => (i: number) =>
    rawPost(services.rawInsert, services.rawPublish, 'bench:raw', i, tag('b', r));

  if (options.warmup > 0) {
    await drive(options.warmup, options.producers, post('warm'));
    await drive(options.warmup, options.producers, raw('warm'));
  }
  const perRound: ThroughputRun['perRound'] = [];
  let pipelineSeconds = 0;
  let baselineSeconds = 0;
  let pipelineMessages = 0;
  let baselineMessages = 0;
  for (let r = 0; r < options.rounds; r++) {
    const n = Math.ceil(options.messages / options.rounds);
    const counter: Counter = { done: 0 };
    const side = async (name: 'pipeline' | 'baseline') => {
      counter.done = 0;
      return withTicker(
        () => `${options.label}: round ${r + 1}/${options.rounds}, ${name} ${counter.done}/${n} messages`,
        () => drive(n, options.producers, name === 'pipeline' ? post(r) : raw(r), counter),
      );
    };
    // Alternate which goes first, so that neither always runs on the warmer (or busier) machine.
    let p: number;
    let b: number;
    if (r % 2 === 0) {
      b = await side('baseline');
      p = await side('pipeline');
    } else {
      p = await side('pipeline');
      b = await side('baseline');
    }
    pipelineSeconds += p;
    baselineSeconds += b;
    pipelineMessages += n;
    baselineMessages += n;
    perRound.push({ pipelineMsgsPerSec: round(n / p, 1), baselineMsgsPerSec: round(n / b, 1) });
    progress(
      `${options.label}: round ${r + 1}/${options.rounds}: pipeline ${round(n / p, 0)} msg/s, baseline ${round(n / b, 0)} msg/s`,
    );
  }
  const msgsPerSec = pipelineMessages / pipelineSeconds;
  const baseline = baselineMessages / baselineSeconds;
  return {
    producers: options.producers,
    messages: pipelineMessages,
    rounds: options.rounds,
    msgsPerSec: round(msgsPerSec, 1),
    baseline: { msgsPerSec: round(baseline, 1), what: BASELINE_WHAT },
    ratio: round(msgsPerSec / baseline, 3),
    perRound,
  };
}
