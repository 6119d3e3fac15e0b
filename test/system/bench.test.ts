/**
 * `npm run bench` as a smoke test: a tiny run on PGlite and the in-process hub (whatever the
 * environment says), asserting the shape of the one JSON object on stdout and that stderr carries
 * progress and the summary. Never timings: those are BENCHMARKS.md's business.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exec, root } from '../support/cli.ts';

const tsx = join(root, 'node_modules/.bin/tsx');
const embedded = { DATABASE_URL: '', REDIS_URL: '' };

describe('npm run bench', () => {
  it('prints one JSON object with every figure, its baseline, goal and verdict', async () => {
    const { code, stdout, stderr } = await exec(
      tsx,
      [
        'bench/run.ts',
        '--quick',
        '--only',
        'pipeline,realtime,broadcast,agents,stored',
        '--messages',
        '20',
        '--samples',
        '10',
        '--broadcasts',
        '1',
        '--sizes',
        '100',
        '--agent-samples',
        '1',
        '--model-latency',
        '5',
      ],
      embedded,
    );
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      machine: { cpus: expect.any(Number), node: process.version },
      database: { kind: 'pglite' },
      realtimeChannel: { kind: 'in-process' },
      sizes: { stored: [100], reduced: true, note: expect.any(String) },
      pipeline: {
        msgsPerSec: expect.any(Number),
        baseline: { msgsPerSec: expect.any(Number), what: expect.any(String) },
        ratio: expect.any(Number),
        goal: { ratioAtLeast: 0.5 },
        met: expect.any(Boolean),
        fanOut: { outboxLeft: 0 },
      },
      realtime: {
        p50Ms: expect.any(Number),
        p95Ms: expect.any(Number),
        p99Ms: expect.any(Number),
        lost: 0,
        baseline: { p99Ms: expect.any(Number) },
        goal: { p99MsBelow: 5 },
        met: expect.any(Boolean),
      },
      broadcast: {
        recipients: 8,
        p50Ms: expect.any(Number),
        p99Ms: expect.any(Number),
        incomplete: 0,
        pendingDeliveries: 0,
        baseline: { p50Ms: expect.any(Number) },
        met: null,
      },
      agents: {
        model: { latencyMs: 5, protocol: 'openai' },
        request: {
          p50Ms: expect.any(Number),
          incomplete: 0,
          overheadMsPerCall: expect.any(Number),
          baseline: { p50Ms: expect.any(Number), incomplete: 0, what: expect.any(String) },
          goal: null,
          met: null,
        },
        broadcast: { incomplete: 0, baseline: { p50Ms: expect.any(Number) }, goal: null, met: null },
        decision: { incomplete: 0, baseline: { p50Ms: expect.any(Number) }, goal: null, met: null },
      },
      stored: {
        steps: [{ storedMessages: 100, throughput: { msgsPerSec: expect.any(Number) } }],
        goal: { maxSlowdown: 0.1, atStoredMessages: 1_000_000 },
        met: null,
      },
      bundles: null,
    });
    expect(report.pipeline.fanOut.busEvents).toBe(report.pipeline.fanOut.posted);
    // the model's calls and tokens, read back from llm_calls: the loop calls the tool, then answers
    for (const work of ['request', 'broadcast', 'decision']) {
      const use = report.agents[work].model;
      expect(use.fallbacks, work).toBe(0);
      expect(use.calls, work).toBeGreaterThan(0);
      expect(use.tokensIn, work).toBeGreaterThan(0);
      expect(use.callsInCascade, work).toBe(use.calls);
    }
    expect(report.agents.request.model.calls).toBe(2);
    expect(report.goals.map((g: { figure: string }) => g.figure)).toEqual(
      expect.arrayContaining([
        'pipeline.ratio',
        'realtime.p99Ms',
        'broadcast.p99Ms',
        'agents.request.model.calls',
        'agents.request.overheadMsPerCall',
        'agents.decision.model.calls',
      ]),
    );
    expect(stderr).toMatch(/^\[bench +[\d.]+s\] pipeline/m);
    expect(stderr).toMatch(/^ECHO bench: pglite/m);
  }, 180_000);

  it('refuses an unknown section, naming it, with the usage', async () => {
    const { code, stdout, stderr } = await exec(tsx, ['bench/run.ts', '--only', 'everything'], embedded);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('--only: unknown section "everything"');
    expect(stderr).toContain('npm run -s bench');
  });
});
