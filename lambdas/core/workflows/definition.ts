/**
 * The workflow definition language: typed, declarative, validated when a definition is loaded.
 *
 *   request    send a request to a role (a tool of that role by name, or free text) and wait for
 *              the reply correlated by inReplyTo; with `await: 'decision'`, when the reply names a
 *              decision that is not settled yet (escalated, awaiting a human), wait for its outcome
 *   notify     post a notification and go on
 *   branch     take `steps` or `otherwise` on the run's context (its input and earlier outputs)
 *   parallel   run branches side by side and join on all of them, or on the first N
 *   approval   pause for a human: an approval item like any other; approved resumes, rejected ends
 *   decision   open a collaborative decision (named participants, or a broadcast) and wait for it
 *
 * Every waiting step has a deadline (`deadlineMinutes`) and an explicit on-timeout: retry the
 * request, escalate it to the role's superior, or fail. The run has a deadline of its own.
 * Functions in a definition read the context only; they are evaluated once, when the step starts,
 * and what they chose is stored, so a run resumes the same way after a crash.
 */
import type * as z from 'zod';
import { EchoError } from '../errors.ts';
import type { JsonObject, Priority } from '../messages.ts';
import { REGISTRY } from '../org/registry.ts';
import { ADDRESSES, type Address, isRole, type Role, SENDERS, type Sender } from '../roles.ts';

/** What a definition's functions see: the run's input and the output of every step done so far. */
export interface WorkflowScope<I = JsonObject> {
  runId: string;
  input: I;
  steps: Readonly<Record<string, JsonObject>>;
}

export type Value<T, I = JsonObject> = T | ((scope: WorkflowScope<I>) => T);

export type OnTimeout =
  | { action: 'fail' }
  /** Send the request again (a new message), up to `attempts` in all. */
  | { action: 'retry'; attempts: number }
  /** Send the request to the superior of the role that did not answer, up the chain. */
  | { action: 'escalate' };

interface StepBase {
  /** Unique in the definition: lowercase words joined by `_` or `-`. */
  id: string;
  title?: string;
}

interface Waiting {
  /** Minutes the step may wait; absent: only the run's deadline applies. */
  deadlineMinutes?: number;
  onTimeout?: OnTimeout;
}

export interface RequestStep<I = JsonObject> extends StepBase, Waiting {
  kind: 'request';
  to: Role;
  /** A tool of `to`; absent: a free-text request answered by the role's mind (`subject`). */
  tool?: string;
  subject?: Value<string, I>;
  input?: Value<JsonObject, I>;
  /** Who asks (the reply goes back to it); default `system`. */
  from?: Sender;
  priority?: Priority;
  /** `decision`: a reply naming a decision not yet settled waits for the decision's outcome. */
  await?: 'reply' | 'decision';
  /** The decision must end approved, or the step (and so the run) fails. */
  requireApproval?: boolean;
}

export interface NotifyStep<I = JsonObject> extends StepBase {
  kind: 'notify';
  from?: Sender;
  to: Address;
  subject: Value<string, I>;
  content?: Value<JsonObject, I>;
  priority?: Priority;
}

export interface BranchStep<I = JsonObject> extends StepBase {
  kind: 'branch';
  when: (scope: WorkflowScope<I>) => boolean;
  /** What runs when `when` holds (`then` would make the object a thenable). */
  steps: Step<I>[];
  otherwise?: Step<I>[];
}

export interface ParallelStep<I = JsonObject> extends StepBase {
  kind: 'parallel';
  branches: Step<I>[][];
  /** `all` (default) or the first N branches done; the others are then cancelled. */
  join?: 'all' | { first: number };
}

export interface ApprovalStep<I = JsonObject> extends StepBase, Waiting {
  kind: 'approval';
  /** The role on whose behalf the human is asked (shown in the inbox); default `ceo`. */
  owner?: Role;
  reason: Value<string, I>;
}

export interface DecisionStep<I = JsonObject> extends StepBase, Waiting {
  kind: 'decision';
  owner: Role;
  /** The decision's title, what participants judge; default the step's title. */
  subject?: Value<string, I>;
  /** Named voters, or `broadcast`: every role self-selects and those who join vote. */
  participants: Value<Role[], I> | 'broadcast';
  domain?: string;
  budgetUsd?: Value<number | undefined, I>;
  details?: Value<JsonObject, I>;
  /** The voting deadline of the decision itself (no quorum or a tie then escalates). */
  votingMinutes?: number;
  requireApproval?: boolean;
}

export type Step<I = JsonObject> =
  | RequestStep<I>
  | NotifyStep<I>
  | BranchStep<I>
  | ParallelStep<I>
  | ApprovalStep<I>
  | DecisionStep<I>;
export type StepKind = Step['kind'];

export interface WorkflowDefinition<I extends JsonObject = JsonObject> {
  /** kebab-case, how users name it: `echoctl workflow start <name>`. */
  name: string;
  description: string;
  /** Validates the input at start; errors name the field. */
  input: z.ZodType<I, JsonObject>;
  /** The run fails when it is not done within this many minutes. */
  deadlineMinutes: number;
  steps: Step<I>[];
}

/** A definition that breaks the language's rules: found at load, never at run time. */
export class WorkflowDefinitionError extends EchoError {
  constructor(workflow: string, message: string) {
    super('WorkflowDefinitionError', `workflow ${workflow}: ${message}`);
  }
}

const STEP_ID = /^[a-z][a-z0-9_-]{0,99}$/;
const MAX_MINUTES = 30 * 24 * 60;

/** Every step of a definition, depth first, each with the steps of its branches. */
export function* allSteps<I>(steps: readonly Step<I>[]): Generator<Step<I>> {
  for (const step of steps) {
    yield step;
    if (step.kind === 'branch') {
      yield* allSteps(step.steps);
      yield* allSteps(step.otherwise ?? []);
    } else if (step.kind === 'parallel') {
      for (const branch of step.branches) yield* allSteps(branch);
    }
  }
}

export const resolveValue = <T, I>(value: Value<T, I>, scope: WorkflowScope<I>): T =>
  typeof value === 'function' ? (value as (s: WorkflowScope<I>) => T)(scope) : value;

/**
 * Checks a definition against the rules of the language; throws WorkflowDefinitionError. The
 * result is typed over any input: its `input` schema guarantees `I` before any step runs.
 */
export function defineWorkflow<I extends JsonObject>(def: WorkflowDefinition<I>): WorkflowDefinition {
  const fail = (message: string): never => {
    throw new WorkflowDefinitionError(def.name, message);
  };
  if (!/^[a-z][a-z0-9-]{0,99}$/.test(def.name)) fail('the name must be kebab-case, at most 100 characters');
  if (!(def.deadlineMinutes > 0 && def.deadlineMinutes <= MAX_MINUTES))
    fail(`deadlineMinutes must be from 1 to ${MAX_MINUTES}`);
  if (def.steps.length === 0) fail('it has no steps');
  const seen = new Set<string>();
  for (const step of allSteps(def.steps)) {
    const at = `step ${step.id}`;
    if (!STEP_ID.test(step.id)) fail(`${at}: the id must be lowercase letters, digits, _ or -`);
    if (seen.has(step.id)) fail(`${at}: the id is used twice`);
    seen.add(step.id);
    if ('deadlineMinutes' in step && step.deadlineMinutes !== undefined) {
      if (!(step.deadlineMinutes > 0 && step.deadlineMinutes <= MAX_MINUTES))
        fail(`${at}: deadlineMinutes must be from 1 to ${MAX_MINUTES}`);
    }
    if ('onTimeout' in step && step.onTimeout) {
      if (step.kind !== 'request' && step.onTimeout.action !== 'fail')
        fail(`${at}: a ${step.kind} step can only fail on timeout (nothing to resend)`);
      if (
        step.onTimeout.action === 'retry' &&
        !(step.onTimeout.attempts >= 2 && step.onTimeout.attempts <= 10)
      )
        fail(`${at}: retry attempts must be from 2 to 10`);
    }
    switch (step.kind) {
      case 'request': {
        if (!isRole(step.to)) fail(`${at}: no role ${step.to}`);
        if (step.from && !SENDERS.includes(step.from)) fail(`${at}: no sender ${step.from}`);
        if (step.tool) {
          if (!REGISTRY[step.to].tools.some((t) => t.name === step.tool))
            fail(`${at}: ${step.to} has no tool ${step.tool}`);
        } else if (!step.subject) fail(`${at}: a request names a tool or a subject`);
        if (step.requireApproval && step.await !== 'decision')
          fail(`${at}: requireApproval needs await: 'decision'`);
        break;
      }
      case 'notify':
        if (!ADDRESSES.includes(step.to)) fail(`${at}: no address ${step.to}`);
        break;
      case 'branch':
        if (step.steps.length === 0 && (step.otherwise ?? []).length === 0)
          fail(`${at}: both branches are empty`);
        break;
      case 'parallel': {
        if (step.branches.length < 2) fail(`${at}: a parallel step needs at least two branches`);
        if (step.branches.some((b) => b.length === 0)) fail(`${at}: a branch is empty`);
        const join = step.join ?? 'all';
        if (
          join !== 'all' &&
          !(Number.isInteger(join.first) && join.first >= 1 && join.first <= step.branches.length)
        )
          fail(`${at}: join.first must be from 1 to ${step.branches.length}`);
        break;
      }
      case 'approval':
        if (step.owner && !isRole(step.owner)) fail(`${at}: no role ${step.owner}`);
        break;
      case 'decision':
        if (!isRole(step.owner)) fail(`${at}: no role ${step.owner}`);
        if (
          Array.isArray(step.participants) &&
          (step.participants.length === 0 || !step.participants.every(isRole))
        )
          fail(`${at}: participants must be roles, at least one`);
        if (
          step.votingMinutes !== undefined &&
          !(step.votingMinutes > 0 && step.votingMinutes <= MAX_MINUTES)
        )
          fail(`${at}: votingMinutes must be from 1 to ${MAX_MINUTES}`);
        break;
    }
  }
  return def as unknown as WorkflowDefinition;
}

/** Finds a step by id. */
export function findStep(def: WorkflowDefinition, id: string): Step | undefined {
  for (const step of allSteps(def.steps)) if (step.id === id) return step;
  return undefined;
}

/** A definition as users read it (the API, echoctl, the dashboard): each step, what it asks, what it holds. */
export interface StepOutline {
  id: string;
  kind: StepKind;
  title?: string;
  to?: string;
  tool?: string;
  owner?: string;
  participants?: Role[] | 'broadcast' | 'computed';
  steps?: StepOutline[];
  otherwise?: StepOutline[];
  join?: ParallelStep['join'];
  branches?: StepOutline[][];
}

export function outline(steps: readonly Step[]): StepOutline[] {
  return steps.map((s) => ({
    id: s.id,
    kind: s.kind,
    ...(s.title ? { title: s.title } : {}),
    ...(s.kind === 'request' ? { to: s.to, ...(s.tool ? { tool: s.tool } : {}) } : {}),
    ...(s.kind === 'notify' ? { to: s.to } : {}),
    ...(s.kind === 'decision'
      ? { owner: s.owner, participants: typeof s.participants === 'function' ? 'computed' : s.participants }
      : {}),
    ...(s.kind === 'branch' ? { steps: outline(s.steps), otherwise: outline(s.otherwise ?? []) } : {}),
    ...(s.kind === 'parallel' ? { join: s.join ?? 'all', branches: s.branches.map(outline) } : {}),
  }));
}
