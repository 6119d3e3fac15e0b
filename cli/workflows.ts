/**
 * `echoctl workflow start|status|cancel` and `echoctl workflows`: runs started, followed (with
 * progress on stderr), drawn as their step tree, listed and cancelled. Every command has --json.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { JsonObject } from '../lambdas/core/messages.ts';
import { summarizeContent } from '../lambdas/core/thread.ts';
import type { StepOutline } from '../lambdas/core/workflows/definition.ts';
import type { StepState, WorkflowRun } from '../lambdas/core/workflows/types.ts';
import { jsonObject, positiveInt, print } from './args.ts';
import { api, humanClient } from './client.ts';
import { exampleInput, fieldLines, type JsonSchemaLike } from './schema.ts';

interface RunView {
  run: WorkflowRun;
  definition: StepOutline[];
}

const FINISHED = new Set(['completed', 'failed', 'cancelled']);
const MARK: Record<StepState['status'] | 'pending', string> = {
  completed: '✓',
  waiting: '…',
  running: '▸',
  failed: '✗',
  timed_out: '⏱',
  skipped: '-',
  cancelled: '⊘',
  pending: '○',
};

const time = (iso: string) => iso.slice(0, 19).replace('T', ' ');
const elapsed = (from: string, to: string) =>
  `${((new Date(to).getTime() - new Date(from).getTime()) / 1000).toFixed(1)}s`;

function timeoutSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 86_400)
    throw new InvalidArgumentError('must be 1 to 86400 seconds');
  return n;
}

/** One line per step, indented by nesting: its mark, id, who, and what it ended with. */
export function drawSteps(outline: readonly StepOutline[], run: WorkflowRun, depth = 1): string[] {
  const lines: string[] = [];
  for (const s of outline) {
    const st = run.steps[s.id];
    const output = run.context.steps[s.id];
    const who = s.kind === 'request' ? `→ ${st?.to ?? s.to}${s.tool ? ` ${s.tool}` : ''}` : s.kind;
    const facts = [
      st?.status === 'waiting' ? (st.human ? 'waiting for a human' : 'waiting') : undefined,
      typeof output?.status === 'string' ? output.status : undefined,
      st?.attempts && st.attempts > 1 ? `attempt ${st.attempts}` : undefined,
      st?.conditionMet !== undefined ? (st.conditionMet ? 'condition met' : 'condition not met') : undefined,
      st?.error,
    ].filter(Boolean);
    lines.push(
      `${'  '.repeat(depth)}${MARK[st?.status ?? 'pending']} ${s.id.padEnd(22 - 2 * depth)} ${who.padEnd(44)} ${facts.join('; ')}`.trimEnd(),
    );
    // what a finished step returned, on one line under it
    if (st?.completedAt && output && typeof output === 'object' && Object.keys(output).length)
      lines.push(`${'  '.repeat(depth)}    ↳ ${summarizeContent(output as JsonObject, 110)}`);
    if (s.steps) lines.push(...drawSteps(s.steps, run, depth + 1));
    if (s.otherwise?.length) lines.push(...drawSteps(s.otherwise, run, depth + 1));
    for (const branch of s.branches ?? []) lines.push(...drawSteps(branch, run, depth + 1));
  }
  return lines;
}

function header(run: WorkflowRun): string {
  const end = run.completedAt ?? run.updatedAt;
  return `${run.name}  ${run.id}  ${run.status}  (started ${time(run.createdAt)}, ${elapsed(run.createdAt, end)})${run.error ? `\n  ${run.error}` : ''}`;
}

/** How to resume a paused run: the approval items its steps wait on. */
function resumeHint(run: WorkflowRun): string {
  const waits = Object.entries(run.steps).filter(([, s]) => s.status === 'waiting' && s.human && s.waitingOn);
  return waits
    .map(
      ([id, s]) =>
        `step ${id} waits for a human: echoctl approve ${s.waitingOn!.id} --reason ... (or reject)`,
    )
    .join('\n');
}

export function registerWorkflowCommands(program: Command, base: string): void {
  const view = (id: string) => api<RunView>(base, 'GET', `/workflow-runs/${encodeURIComponent(id)}`);

  program
    .command('workflows')
    .description('list workflow runs, newest first (--available: the workflows you can start)')
    .option('--available', 'list the workflow definitions instead')
    .option('--status <status>', 'running, paused, completed, failed or cancelled')
    .option('--name <name>', 'runs of this workflow')
    .option('--limit <n>', 'at most n (1 to 1000)', positiveInt, 50)
    .option('--json', 'print JSON')
    .action(async (o) => {
      if (o.available) {
        const { workflows } = await api<{
          workflows: { name: string; description: string; stepCount: number; inputSchema: JsonSchemaLike }[];
        }>(base, 'GET', '/workflows');
        if (o.json) return print(workflows);
        for (const w of workflows)
          process.stdout.write(
            `${[
              `${w.name.padEnd(22)} ${String(w.stepCount).padStart(2)} steps  ${w.description}`,
              '  input:',
              ...fieldLines(w.inputSchema),
              `  start: echoctl workflow start ${w.name} --input '${exampleInput(w.inputSchema)}'`,
            ].join('\n')}\n`,
          );
        return;
      }
      const q = new URLSearchParams({ limit: String(o.limit) });
      if (o.status) q.set('status', o.status);
      if (o.name) q.set('name', o.name);
      const { runs } = await api<{ runs: WorkflowRun[] }>(base, 'GET', `/workflow-runs?${q}`);
      if (o.json) return print(runs);
      if (runs.length === 0)
        return void process.stdout.write('no workflow runs (start one: echoctl workflow start <name>)\n');
      for (const r of runs) {
        const done = Object.values(r.steps).filter((s) => s.status === 'completed').length;
        process.stdout.write(
          `${time(r.createdAt)}  ${r.id}  ${r.name.padEnd(20)} ${r.status.padEnd(10)} ${done} step(s) done${r.error ? `  ${r.error}` : ''}\n`,
        );
      }
    });

  const workflow = program.command('workflow').description('start, follow and cancel workflow runs');

  workflow
    .command('start <name>')
    .description('start a run (see `echoctl workflows --available`)')
    .option('--input <json>', 'the run input, a JSON object', jsonObject, {})
    .option('--idempotency-key <key>', 'a repeated start with the same key returns the first run')
    .option('--wait', 'follow the run until it ends or waits for a human; progress on stderr')
    .option('--timeout <seconds>', 'with --wait: give up after this long', timeoutSeconds, 600)
    .option('--json', 'print the run as JSON')
    .action(async (name: string, o) => {
      const started = await api<{ run: WorkflowRun; created: boolean }>(
        base,
        'POST',
        `/workflows/${encodeURIComponent(name)}/runs`,
        { input: o.input, ...(o.idempotencyKey ? { idempotencyKey: o.idempotencyKey } : {}) },
      );
      let run = started.run;
      if (!o.json)
        process.stderr.write(
          `${started.created ? 'started' : 'already started (same key)'}: ${run.name} ${run.id}\n`,
        );
      if (o.wait) run = await follow(run.id, o.timeout * 1000, !o.json);
      if (o.json) return print(run);
      const { definition } = await view(run.id);
      process.stdout.write(`${[header(run), ...drawSteps(definition, run)].join('\n')}\n`);
      if (run.status === 'paused') process.stdout.write(`${resumeHint(run)}\n`);
      if (run.status === 'failed' || run.status === 'cancelled') process.exitCode = 1;
    });

  /** Polls the run, printing each step as it finishes, until it ends, pauses or the time is up. */
  async function follow(id: string, timeoutMs: number, progress: boolean): Promise<WorkflowRun> {
    const seen = new Set<string>();
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { run } = await view(id);
      const finished = Object.entries(run.steps)
        .filter(([step, s]) => s.completedAt && !seen.has(step))
        .sort(([, a], [, b]) => a.completedAt!.localeCompare(b.completedAt!));
      for (const [step, s] of finished) {
        seen.add(step);
        if (progress)
          process.stderr.write(
            `  ${MARK[s.status]} ${step} ${s.status}${s.to ? ` (${s.to})` : ''} after ${elapsed(run.createdAt, s.completedAt!)}\n`,
          );
      }
      if (FINISHED.has(run.status) || run.status === 'paused') return run;
      if (Date.now() > until) {
        if (progress)
          process.stderr.write(`still ${run.status} after ${timeoutMs / 1000}s; stopped waiting\n`);
        return run;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  workflow
    .command('status <id>')
    .description("a run's status and its steps, drawn as a tree")
    .option('--json', 'print the run as JSON')
    .action(async (id: string, o) => {
      const { run, definition } = await view(id);
      if (o.json) return print(run);
      process.stdout.write(`${[header(run), ...drawSteps(definition, run)].join('\n')}\n`);
      if (run.status === 'paused') process.stdout.write(`${resumeHint(run)}\n`);
    });

  workflow
    .command('cancel <id>')
    .description('cancel a running or paused run (needs the human token)')
    .requiredOption('--reason <reason>', 'why: recorded with your name')
    .option('--as <name>', 'your name, recorded as the principal', process.env.USER || 'local')
    .option('--json', 'print the run as JSON')
    .action(async (id: string, o) => {
      const { run } = await humanClient(base, o.as).call<{ run: WorkflowRun }>(
        'POST',
        `/workflow-runs/${encodeURIComponent(id)}/cancel`,
        { reason: o.reason },
      );
      if (o.json) return print(run);
      process.stdout.write(`cancelled: ${run.name} ${run.id}  (${run.error})\n`);
    });
}
