/**
 * The workflow engine. A run's truth is its row: the state of every started step and the context
 * (input and outputs). Every transition (a start, a reply, a decision's outcome, a timeout, a
 * cancel) runs inside one transaction (a TxContext): it consumes the wait that the event satisfies,
 * applies the event, walks the definition from the top to start whatever may start now, and
 * writes the row back only if its version did not move (ConflictError otherwise, and the whole
 * transaction, messages and events included, rolls back). A redelivered event finds its wait
 * gone and changes nothing; a crash between steps leaves a row from which the next event resumes.
 */
import type { TxContext } from '../agent.ts';
import type { Decision } from '../decision-types.ts';
import { ConflictError, openCollaborative, requestHumanApproval, withdrawApproval } from '../decisions.ts';
import { EchoError, NotFoundError, ValidationError } from '../errors.ts';
import type { JsonObject, Message } from '../messages.ts';
import { METRICS } from '../metrics.ts';
import { superiorOf } from '../org/registry.ts';
import type { Role } from '../roles.ts';
import {
  allSteps,
  findStep,
  type RequestStep,
  resolveValue,
  type Step,
  type Value,
  type WorkflowDefinition,
  type WorkflowScope,
} from './definition.ts';
import {
  FINISHED,
  type RunContext,
  type RunStatus,
  type StepState,
  type WaitKind,
  type WorkflowRun,
  type WorkflowWait,
} from './types.ts';

export type Catalog = ReadonlyMap<string, WorkflowDefinition>;

type Flow = 'done' | 'blocked' | 'failed';

/** One transition in the making: the row's state, changed in memory, written once at the end. */
interface Draft {
  ctx: TxContext;
  def: WorkflowDefinition;
  run: WorkflowRun;
  steps: Record<string, StepState>;
  context: RunContext;
  /** Steps that finished in this transition, for their lifecycle events. */
  finished: string[];
  /** The run ends here whatever its steps say (a rejection, a cancel, its deadline). */
  end?: { status: 'failed' | 'cancelled'; error: string };
}

const channel = (event: string) => `workflow:${event}`;
const DECIDED = new Set(['approved', 'rejected', 'expired']);

export function definitionOf(catalog: Catalog, name: string): WorkflowDefinition {
  const def = catalog.get(name);
  if (!def)
    throw new ValidationError('name', `no workflow ${name}; known: ${[...catalog.keys()].join(', ')}`);
  return def;
}

function summary(run: Pick<WorkflowRun, 'id' | 'name' | 'status'>, extra: JsonObject = {}): JsonObject {
  return { runId: run.id, name: run.name, status: run.status, ...extra };
}

const scopeOf = (d: Draft): WorkflowScope => ({
  runId: d.run.id,
  input: d.context.input,
  steps: d.context.steps,
});

/** A definition's function that threw: the run fails naming the step, rather than the coordinator retrying forever. */
class StepFunctionError extends EchoError {
  constructor(step: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super('StepFunctionError', `step ${step}: its definition threw: ${why}`, { cause });
  }
}

function evaluate<T>(step: Step, value: Value<T>, scope: WorkflowScope): T {
  try {
    return resolveValue(value, scope);
  } catch (error) {
    throw new StepFunctionError(step.id, error);
  }
}

const minutesFrom = (now: Date, minutes: number | undefined) =>
  minutes === undefined ? null : new Date(now.getTime() + minutes * 60_000);

function setStep(d: Draft, step: Step, patch: Partial<StepState>): StepState {
  const previous = d.steps[step.id];
  const next: StepState = {
    kind: step.kind,
    ...(step.title ? { title: step.title } : {}),
    startedAt: d.ctx.now.toISOString(),
    ...previous,
    ...patch,
  } as StepState;
  for (const key of Object.keys(next) as (keyof StepState)[]) if (next[key] === undefined) delete next[key];
  d.steps[step.id] = next;
  return next;
}

function finish(
  d: Draft,
  step: Step,
  status: 'completed' | 'failed' | 'timed_out',
  output?: JsonObject,
  error?: string,
) {
  setStep(d, step, {
    status,
    error,
    completedAt: d.ctx.now.toISOString(),
    waitingOn: undefined,
    human: undefined,
    deadlineAt: undefined,
  });
  if (output) d.context.steps[step.id] = output;
  d.finished.push(step.id);
}

async function waitOn(
  d: Draft,
  step: Step,
  kind: WaitKind,
  id: string,
  options: { human?: boolean; deadlineAt?: Date | null; patch?: Partial<StepState> } = {},
) {
  const deadlineAt =
    options.deadlineAt !== undefined
      ? options.deadlineAt
      : minutesFrom(d.ctx.now, 'deadlineMinutes' in step ? step.deadlineMinutes : undefined);
  await d.ctx.tx.addWait({
    kind,
    target: id,
    runId: d.run.id,
    step: step.id,
    human: options.human ?? false,
    deadlineAt,
    now: d.ctx.now,
  });
  setStep(d, step, {
    ...options.patch,
    status: 'waiting',
    waitingOn: { kind, id },
    human: options.human || undefined,
    deadlineAt: deadlineAt?.toISOString(),
  });
}

/** Sends a request step's message (again, or up the chain) and waits for its reply. */
async function sendRequest(d: Draft, step: RequestStep, to: Role, attempt: number, note?: string) {
  const scope = scopeOf(d);
  const message = await d.ctx.post({
    from: step.from ?? 'system',
    to,
    type: 'request',
    subject: step.tool ?? evaluate(step, step.subject!, scope),
    content: step.input ? evaluate(step, step.input, scope) : {},
    priority: step.priority ?? 'normal',
    metadata: {
      workflow: d.def.name,
      workflowRunId: d.run.id,
      workflowStep: step.id,
      attempt,
      ...(note ? { note } : {}),
    },
    idempotencyKey: `workflow:${d.run.id}:${step.id}:${attempt}`,
  });
  await waitOn(d, step, 'reply', message.id, { patch: { attempts: attempt, to } });
}

/** Marks what will never run now: waiting steps cancelled (their waits dropped), the rest skipped. */
async function abandon(d: Draft, steps: readonly Step[]) {
  for (const step of allSteps(steps)) {
    const st = d.steps[step.id];
    if (st?.status === 'waiting' && st.waitingOn) {
      await d.ctx.tx.deleteWait(st.waitingOn.kind, st.waitingOn.id);
      if (step.kind === 'approval')
        await withdrawApproval(d.ctx, st.waitingOn.id, `workflow run ${d.run.id} no longer needs it`);
      setStep(d, step, {
        status: 'cancelled',
        waitingOn: undefined,
        human: undefined,
        deadlineAt: undefined,
      });
    } else if (!st) {
      setStep(d, step, { status: 'skipped' });
    } else if (st.status === 'running') {
      setStep(d, step, { status: 'cancelled' });
    }
  }
}

async function runSequence(d: Draft, steps: readonly Step[]): Promise<Flow> {
  for (const step of steps) {
    const flow = await runStep(d, step);
    if (flow !== 'done') return flow;
  }
  return 'done';
}

async function runStep(d: Draft, step: Step): Promise<Flow> {
  const st = d.steps[step.id];
  switch (st?.status) {
    case 'completed':
    case 'skipped':
    case 'cancelled':
      return 'done';
    case 'failed':
    case 'timed_out':
      return 'failed';
    case 'waiting':
      return 'blocked';
  }
  const { ctx } = d;
  const scope = scopeOf(d);
  switch (step.kind) {
    case 'request':
      await sendRequest(d, step, step.to, 1);
      return 'blocked';
    case 'notify': {
      const message = await ctx.post({
        from: step.from ?? 'system',
        to: step.to,
        type: 'notification',
        subject: evaluate(step, step.subject, scope),
        content: step.content ? evaluate(step, step.content, scope) : {},
        priority: step.priority ?? 'normal',
        metadata: { workflow: d.def.name, workflowRunId: d.run.id, workflowStep: step.id },
        idempotencyKey: `workflow:${d.run.id}:${step.id}`,
      });
      finish(d, step, 'completed', { messageId: message.id, to: step.to });
      return 'done';
    }
    case 'branch': {
      let state = st;
      if (!state) {
        const conditionMet = evaluate(step, step.when, scope);
        state = setStep(d, step, { status: 'running', conditionMet });
        await abandon(d, conditionMet ? (step.otherwise ?? []) : step.steps);
      }
      const flow = await runSequence(d, state.conditionMet ? step.steps : (step.otherwise ?? []));
      if (flow === 'done') finish(d, step, 'completed', { conditionMet: state.conditionMet ?? false });
      else if (flow === 'failed') finish(d, step, 'failed');
      return flow;
    }
    case 'parallel': {
      if (!st) setStep(d, step, { status: 'running' });
      const flows: Flow[] = [];
      for (const branch of step.branches) flows.push(await runSequence(d, branch));
      const total = step.branches.length;
      const need = !step.join || step.join === 'all' ? total : step.join.first;
      const done = flows.filter((f) => f === 'done').length;
      const failed = flows.filter((f) => f === 'failed').length;
      const unfinished = step.branches.filter((_, i) => flows[i] !== 'done');
      if (done >= need) {
        await abandon(d, unfinished.flat());
        finish(d, step, 'completed', { joined: done, of: total });
        return 'done';
      }
      if (failed > total - need) {
        await abandon(d, unfinished.flat());
        finish(d, step, 'failed', { joined: done, failed, of: total });
        return 'failed';
      }
      return 'blocked';
    }
    case 'approval': {
      const decision = await requestHumanApproval(ctx, {
        owner: step.owner ?? 'ceo',
        initiator: 'system',
        title: `${d.def.name}: ${step.title ?? step.id}`,
        reason: evaluate(step, step.reason, scope),
        context: { workflowRunId: d.run.id, workflowStep: step.id },
      });
      await waitOn(d, step, 'decision', decision.id, { human: true });
      return 'blocked';
    }
    case 'decision': {
      const participants =
        step.participants === 'broadcast' ? undefined : evaluate(step, step.participants, scope);
      const budgetUsd = evaluate(step, step.budgetUsd, scope);
      const decision = await openCollaborative(ctx, {
        owner: step.owner,
        initiator: step.owner,
        participants,
        deadlineMinutes: step.votingMinutes,
        idempotencyKey: `workflow:${d.run.id}:${step.id}`,
        proposal: {
          kind: 'workflow_decision',
          title: step.subject ? evaluate(step, step.subject, scope) : (step.title ?? step.id),
          domain: step.domain ?? 'strategy',
          ...(budgetUsd !== undefined ? { budgetUsd } : {}),
          confidence: 1,
          details: {
            ...(step.details ? evaluate(step, step.details, scope) : {}),
            workflowRunId: d.run.id,
            workflowStep: step.id,
          },
        },
      });
      await waitOn(d, step, 'decision', decision.id);
      return 'blocked';
    }
  }
}

function decisionOutput(decision: Decision, base: JsonObject = {}): JsonObject {
  return {
    ...base,
    decisionId: decision.id,
    status: decision.status,
    owner: decision.owner,
    reason: decision.reason,
    ...(decision.consensusScore !== null ? { consensusScore: decision.consensusScore } : {}),
    ...(decision.outcome ? { outcome: decision.outcome } : {}),
  };
}

/**
 * A step waiting on a decision: follows its escalation chain to the decision that settles it,
 * then finishes the step (an approval rejected ends the run), or waits on where it is now.
 */
async function followDecision(d: Draft, step: Step, decisionId: string, deadlineAt: Date | null) {
  let decision = await d.ctx.tx.getDecision(decisionId);
  while (decision?.status === 'escalated') {
    const child = await d.ctx.tx.findChildDecision(decision.id);
    if (!child) break;
    decision = child;
  }
  if (!decision) {
    finish(d, step, 'failed', undefined, `decision ${decisionId} not found`);
    return;
  }
  const base = d.context.steps[step.id] ?? {};
  if (decision.completedAt && DECIDED.has(decision.status)) {
    if (step.kind === 'approval' && decision.status !== 'approved') {
      finish(d, step, 'failed', decisionOutput(decision));
      d.end = { status: 'cancelled', error: `rejected: ${decision.reason ?? 'no reason given'}` };
      return;
    }
    if ('requireApproval' in step && step.requireApproval && decision.status !== 'approved') {
      const why = `decision ${decision.id} was ${decision.status}: ${decision.reason ?? ''}`;
      finish(d, step, 'failed', decisionOutput(decision, base), why);
      return;
    }
    finish(d, step, 'completed', decisionOutput(decision, base));
    return;
  }
  await waitOn(d, step, 'decision', decision.id, {
    human: decision.status === 'awaiting_human',
    deadlineAt,
  });
}

/** A reply reached a waiting request step: its output, a failure, or a decision to wait for. */
async function applyReply(d: Draft, step: Step, reply: Message, deadlineAt: Date | null) {
  if (reply.type === 'error') {
    const error = reply.content.error as { message?: unknown } | string | undefined;
    const why = (typeof error === 'object' ? error?.message : error) ?? JSON.stringify(reply.content);
    finish(d, step, 'failed', reply.content, String(why));
    return;
  }
  const decisionId = reply.content.decisionId;
  const status = String(reply.content.status ?? '');
  if (
    step.kind === 'request' &&
    step.await === 'decision' &&
    typeof decisionId === 'string' &&
    !DECIDED.has(status)
  ) {
    d.context.steps[step.id] = reply.content;
    await followDecision(d, step, decisionId, deadlineAt);
    return;
  }
  finish(d, step, 'completed', reply.content);
}

/**
 * Applies `change`, walks the definition, and writes the run back under its version. The status
 * follows from the walk: done, failed, or waiting (paused when every wait is on a human).
 */
async function transition(
  ctx: TxContext,
  def: WorkflowDefinition,
  run: WorkflowRun,
  change: (d: Draft) => Promise<void>,
): Promise<WorkflowRun> {
  const d: Draft = {
    ctx,
    def,
    run,
    steps: structuredClone(run.steps),
    context: structuredClone(run.context),
    finished: [],
  };
  let flow: Flow | undefined;
  try {
    await change(d);
    if (!d.end) flow = await runSequence(d, def.steps);
  } catch (thrown) {
    if (!(thrown instanceof StepFunctionError)) throw thrown;
    d.end = { status: 'failed', error: thrown.message };
  }
  let status: RunStatus;
  let error: string | null = null;
  if (d.end) {
    status = d.end.status;
    error = d.end.error;
  } else if (flow === 'done') status = 'completed';
  else if (flow === 'failed') {
    status = 'failed';
    const failed = Object.entries(d.steps).find(
      ([, s]) => (s.status === 'failed' || s.status === 'timed_out') && s.error,
    );
    error = failed ? `step ${failed[0]}: ${failed[1].error}` : 'a step failed';
  } else {
    const waiting = Object.values(d.steps).filter((s) => s.status === 'waiting');
    status = waiting.length > 0 && waiting.every((s) => s.human) ? 'paused' : 'running';
  }
  const finished = FINISHED.includes(status);
  if (finished) {
    await ctx.tx.deleteRunWaits(run.id);
    for (const step of allSteps(def.steps)) {
      const st = d.steps[step.id];
      if (step.kind === 'approval' && st?.status === 'waiting' && st.waitingOn)
        await withdrawApproval(ctx, st.waitingOn.id, `workflow run ${run.id} ended (${status}): ${error}`);
      if (st?.status === 'waiting' || st?.status === 'running')
        setStep(d, step, {
          status: 'cancelled',
          waitingOn: undefined,
          human: undefined,
          deadlineAt: undefined,
        });
    }
  }
  const next = await ctx.tx.updateRun(run.id, run.version, {
    status,
    steps: d.steps,
    context: d.context,
    error,
    updatedAt: ctx.now,
    completedAt: finished ? ctx.now : null,
  });
  if (!next) throw new ConflictError(`workflow run ${run.id} changed while it was being advanced; retry`);
  for (const id of d.finished) {
    const st = next.steps[id]!;
    await ctx.emit(
      'WorkflowStepCompleted',
      summary(next, {
        step: id,
        stepStatus: st.status,
        kind: st.kind,
        ...(st.error ? { error: st.error } : {}),
      }),
      channel('step-completed'),
    );
  }
  if (status !== run.status) {
    countRun(ctx, status);
    const event = {
      running: ['WorkflowResumed', 'resumed'],
      paused: ['WorkflowPaused', 'paused'],
      completed: ['WorkflowCompleted', 'completed'],
      failed: ['WorkflowFailed', 'failed'],
      cancelled: ['WorkflowCancelled', 'cancelled'],
    }[status];
    await ctx.emit(event[0]!, summary(next, error ? { error } : {}), channel(event[1]!));
  }
  return next;
}

function countRun(ctx: TxContext, status: RunStatus) {
  ctx.count(METRICS.workflowRuns.name, 1, { name: METRICS.workflowRuns.dimension, value: status });
}

/** Starts a run: its input validated (errors name the field), its first steps started. */
export async function startRun(
  ctx: TxContext,
  def: WorkflowDefinition,
  input: unknown,
  options: { idempotencyKey?: string | undefined } = {},
): Promise<{ run: WorkflowRun; created: boolean }> {
  const parsed = def.input.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = ['input', ...issue.path.map(String)].join('.');
    throw new ValidationError(field, `${field}: ${issue.message}`);
  }
  const inserted = await ctx.tx.insertRun({
    id: ctx.newId(),
    name: def.name,
    context: { input: parsed.data, steps: {} },
    deadlineAt: minutesFrom(ctx.now, def.deadlineMinutes)!,
    idempotencyKey: options.idempotencyKey ?? null,
    now: ctx.now,
  });
  if (!inserted.created) return inserted;
  countRun(ctx, 'running');
  await ctx.emit('WorkflowStarted', summary(inserted.run, { input: parsed.data }), channel('started'));
  // a new run "changes" from running: a first walk that pauses or finishes it says so
  return { run: await transition(ctx, def, inserted.run, async () => {}), created: true };
}

/** Whether the event a wait stands for has happened, read from the database (never the event). */
async function hasSettled(ctx: TxContext, wait: WorkflowWait): Promise<Message | Decision | undefined> {
  if (wait.kind === 'reply') return ctx.tx.findReply(wait.target);
  const decision = await ctx.tx.getDecision(wait.target);
  if (!decision) return undefined;
  const moved =
    decision.completedAt !== null ||
    decision.status === 'escalated' ||
    (decision.status === 'awaiting_human' && !wait.human);
  return moved ? decision : undefined;
}

/**
 * Takes the wait on `kind`/`target` when `ready` says its moment has come: locked (a second
 * coordinator blocks until this transaction ends, then finds it gone), consumed, its run and step
 * loaded. Undefined when there is no such wait, it is not ready, or its run has already ended.
 */
async function takeWait<T>(
  ctx: TxContext,
  catalog: Catalog,
  kind: WaitKind,
  target: string,
  ready: (wait: WorkflowWait) => Promise<T | undefined> | T | undefined,
) {
  const wait = await ctx.tx.getWait(kind, target, { lock: true });
  if (!wait) return undefined;
  const value = await ready(wait);
  if (value === undefined) return undefined;
  await ctx.tx.deleteWait(kind, target);
  const run = await ctx.tx.getRun(wait.runId);
  if (!run || FINISHED.includes(run.status)) return undefined;
  const def = definitionOf(catalog, run.name);
  const step = findStep(def, wait.step);
  if (!step) throw new NotFoundError(`step of workflow ${run.name}`, wait.step);
  return { run, def, step, value, deadlineAt: wait.deadlineAt ? new Date(wait.deadlineAt) : null };
}

/**
 * The coordinator's reaction to a reply or a decision event: if a run waits on it and it has
 * happened, the wait is consumed and the run advances. Anything else (a duplicate, a late reply
 * after a timeout, a message no run waits for) changes nothing and returns undefined.
 */
export async function settleWait(
  ctx: TxContext,
  catalog: Catalog,
  kind: WaitKind,
  target: string,
): Promise<WorkflowRun | undefined> {
  const taken = await takeWait(ctx, catalog, kind, target, (wait) => hasSettled(ctx, wait));
  if (!taken) return undefined;
  const { step, value: event, deadlineAt } = taken;
  return transition(ctx, taken.def, taken.run, (d) =>
    'seq' in event ? applyReply(d, step, event, deadlineAt) : followDecision(d, step, event.id, deadlineAt),
  );
}

/** A wait past its deadline: the step's on-timeout applies (retry, escalate up the chain, or fail). */
export async function timeOutWait(
  ctx: TxContext,
  catalog: Catalog,
  kind: WaitKind,
  target: string,
): Promise<WorkflowRun | undefined> {
  const taken = await takeWait(ctx, catalog, kind, target, (wait) =>
    wait.deadlineAt && new Date(wait.deadlineAt) <= ctx.now ? true : undefined,
  );
  if (!taken) return undefined;
  const { step } = taken;
  return transition(ctx, taken.def, taken.run, async (d) => {
    const st = d.steps[step.id]!;
    const policy = ('onTimeout' in step && step.onTimeout) || { action: 'fail' as const };
    const minutes = 'deadlineMinutes' in step ? step.deadlineMinutes : undefined;
    const attempts = st.attempts ?? 1;
    if (step.kind === 'request' && st.to && kind === 'reply') {
      if (policy.action === 'retry' && attempts < policy.attempts) {
        await sendRequest(d, step, st.to, attempts + 1, `no reply within ${minutes} minutes: sent again`);
        return;
      }
      const superior = superiorOf(st.to);
      if (policy.action === 'escalate' && superior !== 'human') {
        const note = `${st.to} did not reply within ${minutes} minutes: escalated to ${superior}`;
        await sendRequest(d, step, superior, attempts + 1, note);
        return;
      }
    }
    const tries = attempts > 1 ? ` (${attempts} attempts)` : '';
    finish(
      d,
      step,
      'timed_out',
      undefined,
      `no ${kind === 'reply' ? 'reply' : 'outcome'} within ${minutes} minutes${tries}`,
    );
  });
}

/** A run past its own deadline fails; what it waited on is dropped. */
export async function expireRun(
  ctx: TxContext,
  catalog: Catalog,
  runId: string,
): Promise<WorkflowRun | undefined> {
  const run = await ctx.tx.getRun(runId);
  if (!run || FINISHED.includes(run.status) || !run.deadlineAt || new Date(run.deadlineAt) > ctx.now)
    return undefined;
  return transition(ctx, definitionOf(catalog, run.name), run, async (d) => {
    d.end = { status: 'failed', error: `the run's deadline passed (${run.deadlineAt})` };
  });
}

/** Stops a running or paused run: nothing it waited on will advance it any more. */
export async function cancelRun(
  ctx: TxContext,
  catalog: Catalog,
  runId: string,
  input: { by: string; reason: string },
): Promise<WorkflowRun> {
  const run = await ctx.tx.getRun(runId);
  if (!run) throw new NotFoundError('workflow run', runId);
  if (FINISHED.includes(run.status))
    throw new ValidationError('id', `workflow run ${runId} is already ${run.status}; nothing to cancel`);
  return transition(ctx, definitionOf(catalog, run.name), run, async (d) => {
    d.end = { status: 'cancelled', error: `cancelled by ${input.by}: ${input.reason}` };
  });
}
