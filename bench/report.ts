/** The report: goals, the slowdown with stored messages, and the human summary for stderr. */
import type { AgentsRun } from './agents.ts';
import type { BroadcastRun } from './broadcast.ts';
import type { BundlesRun } from './bundles.ts';
import type { LatencyRun } from './latency.ts';
import { round } from './stats.ts';
import type { StoredStep } from './stored.ts';
import type { ThroughputRun } from './throughput.ts';

export const GOALS = {
  pipelineRatio: 0.5,
  realtimeP99Ms: 5,
  storedSlowdown: 0.1,
  storedAt: 1_000_000,
} as const;

export interface GoalLine {
  figure: string;
  value: number | null;
  goal: string;
  met: boolean | null;
  note?: string;
}

export interface StoredReport {
  steps: StoredStep[];
  reference: number;
  largest: number;
  /** 1 - throughput(largest) / throughput(reference). */
  throughputSlowdown: number;
  /** p50(largest) / p50(reference) - 1. */
  latencyP50Slowdown: number;
  /** The throughput slowdown of the pipeline/baseline ratio: less sensitive to a noisy machine. */
  ratioSlowdown: number;
  goal: { maxSlowdown: number; atStoredMessages: number; measures: string };
  met: boolean | null;
  note?: string;
}

export function storedReport(steps: StoredStep[]): StoredReport | null {
  const first = steps[0];
  const last = steps.at(-1);
  if (!first || !last) return null;
  const throughputSlowdown = round(1 - last.throughput.msgsPerSec / first.throughput.msgsPerSec, 3);
  const latencyP50Slowdown = round(last.realtime.p50Ms / first.realtime.p50Ms - 1, 3);
  const ratioSlowdown = round(1 - last.throughput.ratio / first.throughput.ratio, 3);
  const atGoalSize = last.storedMessages >= GOALS.storedAt;
  const within = throughputSlowdown <= GOALS.storedSlowdown && latencyP50Slowdown <= GOALS.storedSlowdown;
  return {
    steps,
    reference: first.storedMessages,
    largest: last.storedMessages,
    throughputSlowdown,
    latencyP50Slowdown,
    ratioSlowdown,
    goal: {
      maxSlowdown: GOALS.storedSlowdown,
      atStoredMessages: GOALS.storedAt,
      measures: 'throughput and real-time p50 at the largest size against the smallest size of the same run',
    },
    met: atGoalSize && steps.length > 1 ? within : null,
    ...(atGoalSize
      ? {}
      : {
          note: `not measured at ${GOALS.storedAt} stored messages (largest: ${last.storedMessages}): no verdict; within 10% at ${last.storedMessages}: ${within}`,
        }),
  };
}

export function goalLines(r: {
  pipeline: (ThroughputRun & { met: boolean }) | null;
  realtime: (LatencyRun & { met: boolean }) | null;
  broadcast: BroadcastRun | null;
  agents: AgentsRun | null;
  stored: StoredReport | null;
  bundles: BundlesRun | null;
}): GoalLine[] {
  const lines: GoalLine[] = [];
  if (r.pipeline)
    lines.push({
      figure: 'pipeline.ratio',
      value: r.pipeline.ratio,
      goal: `>= ${GOALS.pipelineRatio}`,
      met: r.pipeline.met,
    });
  if (r.realtime)
    lines.push({
      figure: 'realtime.p99Ms',
      value: r.realtime.p99Ms,
      goal: `< ${GOALS.realtimeP99Ms}`,
      met: r.realtime.met,
    });
  if (r.stored)
    lines.push({
      figure: 'stored.throughputSlowdown, stored.latencyP50Slowdown',
      value: Math.max(r.stored.throughputSlowdown, r.stored.latencyP50Slowdown),
      goal: `<= ${GOALS.storedSlowdown} at ${GOALS.storedAt} stored messages`,
      met: r.stored.met,
      ...(r.stored.note ? { note: r.stored.note } : {}),
    });
  if (r.broadcast)
    lines.push({
      figure: 'broadcast.p99Ms',
      value: r.broadcast.p99Ms,
      goal: 'none set (DESIGN.md §9 asks for p50/p99 only)',
      met: null,
    });
  if (r.agents) {
    const none = 'none set (issue 13 asks for the figures, not a bound)';
    const a = r.agents;
    lines.push(
      { figure: 'agents.request.model.calls', value: a.request.model.calls, goal: none, met: null },
      { figure: 'agents.request.model.tokensIn', value: a.request.model.tokensIn, goal: none, met: null },
      {
        figure: 'agents.request.overheadMsPerCall',
        value: a.request.overheadMsPerCall,
        goal: none,
        met: null,
      },
      { figure: 'agents.broadcast.model.calls', value: a.broadcast.model.calls, goal: none, met: null },
      { figure: 'agents.broadcast.model.tokensIn', value: a.broadcast.model.tokensIn, goal: none, met: null },
      { figure: 'agents.decision.model.calls', value: a.decision.model.calls, goal: none, met: null },
      { figure: 'agents.decision.model.tokensIn', value: a.decision.model.tokensIn, goal: none, met: null },
    );
  }
  if (r.bundles) {
    const agents = r.bundles.entries.filter((e) => e.name.startsWith('agent-'));
    lines.push({
      figure: 'bundles.entries[agent-*].bytes, loadMs',
      value: agents.length ? Math.max(...agents.map((e) => e.bytes)) : null,
      goal: `every agent <= ${r.bundles.goal.agentBytesAtMost / 1024} KB minified and loads in <= ${r.bundles.goal.agentLoadMsAtMost} ms (median)`,
      met: r.bundles.met,
    });
  }
  return lines;
}

const verdict = (met: boolean | null) => (met === null ? 'no verdict' : met ? 'MET' : 'MISSED');
const kb = (bytes: number) => `${round(bytes / 1024, 0)} KB`;

export function summaryText(report: {
  machine: { cpus: number; node: string };
  database: { kind: string; facts: Record<string, string> };
  realtimeChannel: { kind: string; facts: Record<string, string> };
  sizes: { stored: number[]; note: string | null };
  pipeline: (ThroughputRun & { met: boolean }) | null;
  realtime: (LatencyRun & { met: boolean }) | null;
  broadcast: BroadcastRun | null;
  agents: AgentsRun | null;
  stored: StoredReport | null;
  bundles: BundlesRun | null;
  durationSeconds: number;
}): string {
  const out: string[] = [];
  const db = report.database;
  const rt = report.realtimeChannel;
  out.push(
    `ECHO bench: ${[db.kind, db.facts.serverVersion].filter(Boolean).join(' ')} ` +
      `(synchronous_commit ${db.facts.synchronousCommit ?? '?'}), ` +
      `real-time ${[rt.kind, rt.facts.version].filter(Boolean).join(' ')}, ` +
      `node ${report.machine.node}, ${report.machine.cpus} cpus, ${report.durationSeconds} s`,
  );
  const p = report.pipeline;
  if (p)
    out.push(
      `  pipeline   ${p.msgsPerSec} msg/s vs raw ${p.baseline.msgsPerSec} msg/s, ${p.producers} producers: ` +
        `ratio ${p.ratio} (goal >= ${GOALS.pipelineRatio}) ${verdict(p.met)}`,
    );
  const l = report.realtime;
  if (l)
    out.push(
      `  realtime   post-to-subscriber p50 ${l.p50Ms} / p95 ${l.p95Ms} / p99 ${l.p99Ms} ms ` +
        `(raw PUBLISH p50 ${l.baseline.p50Ms} / p99 ${l.baseline.p99Ms} ms) (goal p99 < ${GOALS.realtimeP99Ms} ms) ${verdict(l.met)}`,
    );
  const b = report.broadcast;
  if (b)
    out.push(
      `  broadcast  to all ${b.recipients} done p50 ${b.p50Ms} / p99 ${b.p99Ms} ms over ${b.samples} ` +
        `(one-recipient request p50 ${b.baseline.p50Ms} / p99 ${b.baseline.p99Ms} ms) (no goal set)`,
    );
  const a = report.agents;
  if (a) {
    const line = (name: string, w: AgentsRun['broadcast']) =>
      `${name} ${w.model.calls} calls, ${w.model.tokensIn} tokens in / ${w.model.tokensOut} out, ` +
      `p50 ${w.p50Ms} ms (rules engine ${w.baseline.p50Ms} ms)`;
    out.push(
      `  agents     model of ${a.model.latencyMs} ms a call: ${line('request', a.request)}, ` +
        `loop overhead ${a.request.overheadMsPerCall} ms/call (no goal set)`,
    );
    out.push(`             ${line('broadcast', a.broadcast)}; ${line('decision', a.decision)}`);
  }
  const s = report.stored;
  if (s) {
    const steps = s.steps
      .map((st) => `${st.storedMessages}: ${st.throughput.msgsPerSec} msg/s, p50 ${st.realtime.p50Ms} ms`)
      .join('; ');
    out.push(`  stored     ${steps}`);
    out.push(
      `             slowdown at ${s.largest}: throughput ${round(s.throughputSlowdown * 100, 1)}%, ` +
        `p50 ${round(s.latencyP50Slowdown * 100, 1)}% (goal <= 10% at ${GOALS.storedAt}) ${verdict(s.met)}` +
        (s.note ? ` (${s.note})` : ''),
    );
  }
  const bu = report.bundles;
  if (bu) {
    const agents = bu.entries.filter((e) => e.name.startsWith('agent-'));
    const others = bu.entries.filter((e) => !e.name.startsWith('agent-'));
    if (agents.length) {
      const max = agents.reduce((m, e) => (e.bytes > m.bytes ? e : m));
      const loads = agents.map((e) => e.loadMs).sort((x, y) => x - y);
      out.push(
        `  bundles    ${agents.length} agents: ${kb(max.bytes)} (${kb(max.gzipBytes)} gzip), load ${loads[0]}..${loads.at(-1)} ms` +
          ` (empty module ${bu.baseline.loadMs} ms) (goal <= ${kb(bu.goal.agentBytesAtMost)}, <= ${bu.goal.agentLoadMsAtMost} ms) ${verdict(bu.met)}`,
      );
      out.push(
        `             floor: the AWS SDK clients alone (bench/sdk-floor.ts) ${kb(bu.floor.bytes)}, load ${bu.floor.loadMs} ms`,
      );
      if (bu.breakdown) {
        out.push(
          `             bytes: ${bu.breakdown.bytes
            .slice(0, 6)
            .map((b) => `${b.what} ${kb(b.bytes)}`)
            .join(', ')}`,
        );
        out.push(
          `             load (CPU profile, ${bu.breakdown.totalMs} ms): ${bu.breakdown.ms
            .slice(0, 6)
            .map((m) => `${m.what} ${Math.round(m.share * 100)}%`)
            .join(', ')}`,
        );
      }
    }
    for (const e of others)
      out.push(`             ${e.name}: ${kb(e.bytes)} (${kb(e.gzipBytes)} gzip), load ${e.loadMs} ms`);
  }
  if (report.sizes.note) out.push(`  note       ${report.sizes.note}`);
  return `${out.join('\n')}\n`;
}
