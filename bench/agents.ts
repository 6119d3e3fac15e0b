/**
 * The agents thinking with a model (issue 13): the whole local runtime with its nine agents on the
 * OpenAI-compatible adapter, talking to the bench's scripted model (bench/scripted-model.ts) that
 * answers every call after a fixed latency. Three kinds of work, each until it is done:
 * - a free-text request from the CEO to the CTO ("can we adopt Kafka ... about $120k?"), until the
 *   CTO's reply: the agent loop (the model calls the role's tool, reads its result, answers);
 * - a broadcast from the CEO to all, until the eight recipients' participation replies;
 * - a collaborative decision opened on the HTTP API (POST /decisions, three participants), until
 *   its cascade settles: a discussion round, the votes, the CEO's synthesis.
 * Model calls and tokens per piece of work are the store's reads of the `llm_calls` records (by the
 * message, or by the decision). The loop's own overhead per call = (wall time of the request - calls
 * x the fixed latency) / calls. The baseline, in the same run, alternating sample by sample: the same
 * work through a second runtime on the rules engine (no model).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../lambdas/adapters/config.ts';
import { ROLES } from '../lambdas/core/roles.ts';
import { type LocalRuntime, startLocalRuntime } from '../lambdas/local/runtime.ts';
import { replyClock } from './replies.ts';
import { startScriptedModel } from './scripted-model.ts';
import { type BenchServices, openBenchDatabase } from './services.ts';
import { type LatencySummary, progress, round, summarize, withTicker } from './stats.ts';
import { silentLogger } from './workload.ts';

const TIMEOUT_MS = 60_000;
const SENDER = 'ceo';
const PARTICIPANTS = ['senior_architect', 'operations_head', 'product_manager'] as const;

/** Model calls and tokens of one kind of work, per piece (the mean over the samples). */
export interface ModelUse {
  calls: number;
  tokensIn: number;
  tokensOut: number;
  /** All calls recorded while the piece ran and settled, whatever they name (should equal `calls`). */
  callsInCascade: number;
  /** Calls that fell back to the rules engine (should be 0: the scripted model always answers). */
  fallbacks: number;
}

export interface AgentWork extends LatencySummary {
  what: string;
  model: ModelUse;
  /** Pieces that did not finish within 60 s. */
  incomplete: number;
  /** The same work on the rules engine, same run. */
  baseline: LatencySummary & { what: string; incomplete: number };
  /** p50 with the model / p50 with the rules engine. */
  ratio: number;
  goal: null;
  met: null;
}

export interface AgentsRun {
  model: { what: string; latencyMs: number; protocol: string };
  request: AgentWork & {
    /** (p50 wall - calls x latency) / calls: the time per call that is not the model's. */
    overheadMsPerCall: number;
    /** The same, less the rules engine's p50 for the same request (the path around the loop). */
    overheadBeyondRulesMsPerCall: number;
  };
  broadcast: AgentWork;
  /** How the decisions ended, by status, with the model and (baseline) on the rules engine. */
  decision: AgentWork & {
    statuses: Record<string, number>;
    baseline: AgentWork['baseline'] & { statuses: Record<string, number> };
  };
  note: string;
}

/** A letters-only word per sample: decision purposes are keyed by words (numbers are dropped). */
function word(i: number): string {
  let s = '';
  let n = i;
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return `zq${s}`;
}

interface Sampler {
  runtime: LocalRuntime;
  close(): Promise<void>;
  request(i: number): Promise<{ ms: number | undefined; id: string; status?: string }>;
  broadcast(i: number): Promise<{ ms: number | undefined; id: string; status?: string }>;
  decision(i: number): Promise<{ ms: number | undefined; id: string; status?: string }>;
  totalCalls(): Promise<number>;
}

async function startSampler(
  label: string,
  env: Record<string, string>,
  databaseUrl: string | undefined,
  redisUrl: string | undefined,
): Promise<Sampler> {
  const dataDir = mkdtempSync(join(tmpdir(), `echo-bench-${label}-`));
  const config = parseConfig({
    ECHO_PORT: '0',
    ECHO_AWS_PORT: '0',
    ECHO_LOG_LEVEL: 'silent',
    ECHO_LOG_FILE_LEVEL: 'silent',
    ECHO_DATA_DIR: dataDir,
    // The bench drives everything itself: no sweeps or catch-up rounds in the middle of a sample.
    ECHO_SWEEP_INTERVAL_MS: '3600000',
    ECHO_CATCHUP_INTERVAL_MS: '3600000',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    ...env,
  });
  if (!databaseUrl) config.database = { kind: 'pglite' };
  const runtime = await startLocalRuntime(config, { logger: silentLogger });
  const replies = await replyClock(runtime, SENDER, TIMEOUT_MS);
  const untilReplies = replies.untilReplies;
  return {
    runtime,
    async close() {
      await replies.close();
      await runtime.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    request: (i) =>
      untilReplies(
        {
          from: SENDER,
          to: 'cto',
          type: 'request',
          subject: `Bench ${word(i)}: we need a durable queue for the ${word(i)} event store. Can we adopt Kafka for about $120k?`,
          content: { text: 'The team is ready to run it; the budget is in the plan.' },
          priority: 'normal',
          metadata: {},
        },
        1,
      ),
    broadcast: (i) =>
      untilReplies(
        {
          from: SENDER,
          to: 'all',
          type: 'broadcast',
          subject: `Bench ${word(i)}: plan the Q3 architecture review, hiring and release schedule`,
          content: { text: 'Who should lead the Q3 architecture review and the hiring plan for it?' },
          priority: 'normal',
          metadata: {},
        },
        ROLES.length - 1,
      ),
    async decision(i) {
      const t0 = process.hrtime.bigint();
      const res = await fetch(`${runtime.apiUrl}/decisions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          initiator: 'cto',
          title: `Bench ${word(i)}: adopt PostgreSQL and Redis for the ${word(i)} event store`,
          participants: PARTICIPANTS,
          domain: 'architecture',
        }),
      });
      const body = (await res.json()) as { decision?: { id: string }; error?: unknown };
      if (res.status !== 201 || !body.decision)
        throw new Error(`POST /decisions answered ${res.status}: ${JSON.stringify(body)}`);
      const id = body.decision.id;
      const settled = await Promise.race([
        runtime.bus.idle().then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), TIMEOUT_MS).unref()),
      ]);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const d = await runtime.deps.store.getDecision(id);
      // done: the vote closed (approved, rejected, or escalated on a tie), and its cascade settled
      const done = settled && d !== undefined && d !== null && d.status !== 'voting';
      return { ms: done ? ms : undefined, id, status: d?.status ?? 'missing' };
    },
    async totalCalls() {
      const { rows } = await runtime.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM llm_calls');
      return rows[0]?.n ?? 0;
    },
  };
}

type Kind = 'request' | 'broadcast' | 'decision';

export async function measureAgents(
  services: BenchServices,
  options: { samples: number; warmup: number; latencyMs: number },
): Promise<AgentsRun> {
  const model = await startScriptedModel(options.latencyMs);
  const cleanup: (() => Promise<unknown>)[] = [() => model.close()];
  try {
    // the model runtime gets a database of its own (PostgreSQL: a second fresh one on the same server)
    let modelUrl: string | undefined;
    if (services.database.url) {
      const db = await openBenchDatabase(process.env, services.pool, progress);
      cleanup.push(() => db.close());
      modelUrl = db.url;
    }
    progress('agents: starting two local runtimes (rules engine; the scripted model)');
    const rules = await startSampler(
      'rules',
      { ECHO_LLM_PROVIDER: 'rules' },
      services.database.url,
      services.realtime.url,
    );
    cleanup.push(() => rules.close());
    const withModel = await startSampler(
      'model',
      {
        ECHO_LLM_PROVIDER: 'openai',
        ECHO_LLM_BASE_URL: model.url,
        ECHO_LLM_MAX_RETRIES: '0',
      },
      modelUrl,
      services.realtime.url,
    );
    cleanup.push(() => withModel.close());

    const kinds: Kind[] = ['request', 'broadcast', 'decision'];
    const wall = { rules: new Map<Kind, number[]>(), model: new Map<Kind, number[]>() };
    const incomplete = { rules: new Map<Kind, number>(), model: new Map<Kind, number>() };
    const statuses = { rules: {} as Record<string, number>, model: {} as Record<string, number> };
    const use = new Map<Kind, ModelUse[]>();
    for (const k of kinds) {
      wall.rules.set(k, []);
      wall.model.set(k, []);
      use.set(k, []);
    }
    const total = options.warmup + options.samples;
    let i = 0;
    await withTicker(
      () => `agents: ${Math.max(0, i - options.warmup)}/${options.samples} rounds`,
      async () => {
        for (; i < total; i++) {
          const measured = i >= options.warmup;
          for (const k of kinds) {
            const r = await rules[k](i);
            const before = await withModel.totalCalls();
            const m = await withModel[k](i);
            const after = await withModel.totalCalls();
            if (!measured) continue;
            for (const [side, s] of [
              ['rules', r],
              ['model', m],
            ] as const) {
              if (s.status) statuses[side][s.status] = (statuses[side][s.status] ?? 0) + 1;
              if (s.ms === undefined) incomplete[side].set(k, (incomplete[side].get(k) ?? 0) + 1);
              else wall[side].get(k)!.push(s.ms);
            }
            const { totals } = await withModel.runtime.deps.store.llmCalls(
              k === 'decision' ? { decisionId: m.id, limit: 1 } : { messageId: m.id, limit: 1 },
            );
            use.get(k)!.push({
              calls: totals.calls,
              tokensIn: totals.tokensIn,
              tokensOut: totals.tokensOut,
              callsInCascade: after - before,
              fallbacks: totals.outcomes.fallback + totals.outcomes.error,
            });
          }
        }
      },
    );

    const mean = (xs: number[]) => (xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length, 2) : 0);
    const what: Record<Kind, [string, string]> = {
      request: [
        "a free-text request from the CEO to the CTO (adopt Kafka, about $120k), until the CTO's reply: the agent loop, with the model",
        'the same request on the rules engine, until its reply',
      ],
      broadcast: [
        'a broadcast from the CEO to all, until the eight participation replies (relevance asked of the model where keywords do not decide; the lead runs the loop)',
        'the same broadcast on the rules engine',
      ],
      decision: [
        `a collaborative decision (POST /decisions, initiator cto, participants ${PARTICIPANTS.join(', ')}), until its cascade settles: a discussion round, the votes, the synthesis`,
        'the same decision on the rules engine, until its cascade settles (its keyword votes may differ: see statuses)',
      ],
    };
    const work = (k: Kind): AgentWork => {
      const m = summarize(wall.model.get(k)!);
      const b = summarize(wall.rules.get(k)!);
      const u = use.get(k)!;
      return {
        what: what[k][0],
        ...m,
        model: {
          calls: mean(u.map((x) => x.calls)),
          tokensIn: mean(u.map((x) => x.tokensIn)),
          tokensOut: mean(u.map((x) => x.tokensOut)),
          callsInCascade: mean(u.map((x) => x.callsInCascade)),
          fallbacks: u.reduce((s, x) => s + x.fallbacks, 0),
        },
        incomplete: incomplete.model.get(k) ?? 0,
        baseline: { what: what[k][1], ...b, incomplete: incomplete.rules.get(k) ?? 0 },
        ratio: round(m.p50Ms / b.p50Ms, 2),
        goal: null,
        met: null,
      };
    };
    const request = work('request');
    const calls = request.model.calls || 1;
    const overheadMsPerCall = round((request.p50Ms - calls * options.latencyMs) / calls, 2);
    const overheadBeyondRulesMsPerCall = round(
      (request.p50Ms - request.baseline.p50Ms - calls * options.latencyMs) / calls,
      2,
    );
    const result: AgentsRun = {
      model: {
        what: 'bench/scripted-model.ts: OpenAI-compatible Chat Completions on loopback, streamed (SSE), a fixed latency per call, tokens counted as 4 characters each',
        latencyMs: options.latencyMs,
        protocol: 'openai',
      },
      request: { ...request, overheadMsPerCall, overheadBeyondRulesMsPerCall },
      broadcast: work('broadcast'),
      decision: {
        ...work('decision'),
        statuses: statuses.model,
        baseline: { ...work('decision').baseline, statuses: statuses.rules },
      },
      note: 'issue 13 sets no goal for these figures: they are reported, with no verdict',
    };
    progress(
      `agents: request ${request.model.calls} calls, p50 ${request.p50Ms} ms (rules ${request.baseline.p50Ms} ms), overhead ${overheadMsPerCall} ms/call`,
    );
    return result;
  } finally {
    for (const fn of cleanup.reverse())
      await fn().catch((e) => progress(`cleanup step failed: ${String(e)}`));
  }
}
