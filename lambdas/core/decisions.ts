/**
 * Decisions in motion: opened, resolved within authority or escalated hop by hop, voted on,
 * closed, synthesised, and resolved by a human. Every step runs inside one transaction (a
 * TxContext) and leaves its trace as decision rows, messages and lifecycle events. The rules come
 * from the pure organization modules (lambdas/core/org); this module only applies them.
 */
import type { TxContext } from './agent.ts';
import type { Decision, DecisionPatch, NewDecision, StoredVote, VoteChoice } from './decision-types.ts';
import { EchoError, ForbiddenError, NotFoundError, ValidationError } from './errors.ts';
import { clipText, type JsonObject } from './messages.ts';
import { METRICS } from './metrics.ts';
import type { DiscussionEntry } from './mind.ts';
import { type AuthorityCheck, checkAuthority } from './org/authority.ts';
import {
  describeVote,
  type EscalationFacts,
  type Judgement,
  judgeEscalation,
  type VoteRecord,
} from './org/merits.ts';
import { purposeKey, vendorKey } from './org/purpose.ts';
import { chainAbove } from './org/registry.ts';
import type { DecisionProposal } from './org/tools/types.ts';
import { closeVoting, escalationTargetFor, tally } from './org/votes.ts';
import { type Address, isRole, type Role, recipientsOf, type Sender } from './roles.ts';
import type { StoreTx } from './store.ts';

export const DEFAULT_DEADLINE_MINUTES = 5;
/** The longest decision title kept (as the decisions table has it); a longer composed title is clipped. */
export const MAX_DECISION_TITLE_CHARS = 500;

/** A decision that moved on while this step ran; the step is not applied. */
export class ConflictError extends EchoError {
  constructor(message: string) {
    super('Conflict', message);
  }
}

/** What was proposed: the decision's facts and details, without what the organization keeps on it. */
export function proposalOf(d: Decision): DecisionProposal {
  const details = { ...d.context };
  for (const key of SYSTEM_CONTEXT_KEYS) delete details[key];
  return {
    kind: d.type,
    title: d.title,
    domain: d.domain ?? 'strategy',
    ...(d.category ? { category: d.category } : {}),
    ...(d.budgetUsd !== null ? { budgetUsd: d.budgetUsd } : {}),
    confidence: d.confidence ?? 1,
    details,
  };
}

/**
 * Keys of a decision's context that only the organization writes (how its vote ended, who
 * overrode it); a proposal's details never set them.
 */
const SYSTEM_CONTEXT_KEYS = ['vote', 'overriddenBy', 'overrides', 'discussion', 'verdicts'] as const;

/**
 * A collaborative decision's discussion: rounds of positions before the vote. `phase` moves from
 * `discussing` to `voting` once every participant has spoken in the last round.
 */
export interface Discussion {
  rounds: number;
  round: number;
  phase: 'discussing' | 'voting';
  entries: DiscussionEntry[];
}

export const discussionOf = (d: Decision): Discussion | undefined =>
  d.context.discussion as Discussion | undefined;

function detailsOf(p: DecisionProposal): JsonObject {
  const details = { ...p.details };
  for (const key of SYSTEM_CONTEXT_KEYS) delete details[key];
  return details;
}

const channel = (event: string) => `decisions:${event}`;

function summary(d: Decision): JsonObject {
  return {
    decisionId: d.id,
    parentId: d.parentId,
    type: d.type,
    mode: d.mode,
    status: d.status,
    owner: d.owner,
    initiator: d.initiator,
    title: d.title,
    budgetUsd: d.budgetUsd,
    reason: d.reason,
    consensusScore: d.consensusScore,
  };
}

async function update(ctx: TxContext, d: Decision, patch: DecisionPatch): Promise<Decision> {
  const next = await ctx.tx.updateDecision(d.id, d.version, patch);
  if (!next) throw new ConflictError(`decision ${d.id} changed while it was being updated; retry`);
  if (patch.status && patch.status !== d.status) counted(ctx, next);
  return next;
}

/** Decisions reaching a status, for the dashboard. */
function counted(ctx: TxContext, d: Decision): Decision {
  ctx.count(METRICS.decisions.name, 1, { name: METRICS.decisions.dimension, value: d.status });
  return d;
}

/** Inserts a decision with its purpose and vendor keys (the split-budget rule reads them). */
async function insert(ctx: TxContext, d: NewDecision): Promise<Decision> {
  return counted(
    ctx,
    await ctx.tx.insertDecision({
      ...d,
      purposeKey: d.purposeKey ?? purposeKey(d.title),
      vendorKey: d.vendorKey !== undefined ? d.vendorKey : vendorKey(d.context ?? {}),
    }),
  );
}

/** Who hears about a decision's outcome: its initiator (a role, or the humans watching). */
const audience = (initiator: Sender): Address => (isRole(initiator) ? initiator : 'human');

/**
 * May `role` decide `d` alone? Its authority (lambdas/core/org/authority.ts), with the budget summed
 * over what the role approved for the same purpose within the window. With `lock` (in the
 * transaction that acts on it) the role's budget lock is taken, so two parts are never judged at once;
 * without (a preview while an agent thinks), nothing is locked and the act judges again.
 */
export async function authorityOf(
  reader: Pick<StoreTx, 'priorApprovals'>,
  role: Role,
  d: Decision,
  options: { escalated: boolean; now: Date; windowDays: number; lock: boolean },
): Promise<AuthorityCheck> {
  const proposal = proposalOf(d);
  if (!proposal.budgetUsd || !d.purposeKey) return checkAuthority(role, proposal, options);
  const decisions = await reader.priorApprovals(
    {
      owner: role,
      purposeKey: d.purposeKey,
      vendorKey: d.vendorKey,
      since: new Date(options.now.getTime() - options.windowDays * 86_400_000),
      excludeId: d.id,
    },
    { lock: options.lock },
  );
  const totalUsd = decisions.reduce((sum, p) => sum + p.budgetUsd, 0);
  return checkAuthority(role, proposal, {
    escalated: options.escalated,
    prior: { totalUsd, decisions, windowDays: options.windowDays },
  });
}

const judgeAuthority = (ctx: TxContext, role: Role, d: Decision, escalated: boolean) =>
  authorityOf(ctx.tx, role, d, {
    escalated,
    now: ctx.now,
    windowDays: ctx.governance.splitWindowDays,
    lock: true,
  });

/** Ends a decision (approved or rejected) and tells its initiator. */
async function complete(
  ctx: TxContext,
  d: Decision,
  outcome: { status: 'approved' | 'rejected'; mode: Decision['mode']; reason: string; by: Sender },
  extra: DecisionPatch = {},
): Promise<Decision> {
  const done = await update(ctx, d, {
    ...extra,
    status: outcome.status,
    mode: outcome.mode,
    reason: outcome.reason,
    completedAt: ctx.now,
  });
  await ctx.emit('DecisionCompleted', summary(done), channel('completed'));
  await ctx.post({
    from: outcome.by,
    to: audience(d.initiator),
    type: 'decision',
    subject: `${outcome.status === 'approved' ? 'Approved' : 'Rejected'}: ${d.title}`,
    content: { ...summary(done) },
    priority: 'normal',
    metadata: { decisionId: d.id },
  });
  return done;
}

/** Opens a decision owned by `owner` and resolves it at once against the owner's authority. */
export async function openDecision(
  ctx: TxContext,
  input: {
    owner: Role;
    initiator: Sender;
    proposal: DecisionProposal;
    messageId?: string | null;
    parentId?: string | null;
    /** The tool asked to hand it up (escalate_to_*, a blocked release): no authority check. */
    escalateTo?: { to: Role | 'human'; reason: string };
  },
): Promise<Decision> {
  const p = input.proposal;
  const d = await insert(ctx, {
    id: ctx.newId(),
    parentId: input.parentId ?? null,
    type: p.kind,
    category: p.category ?? null,
    domain: p.domain,
    mode: 'autonomous',
    status: 'pending',
    owner: input.owner,
    initiator: input.initiator,
    title: clipText(p.title, MAX_DECISION_TITLE_CHARS),
    budgetUsd: p.budgetUsd ?? null,
    confidence: p.confidence,
    context: detailsOf(p),
    messageId: input.messageId ?? null,
    createdAt: ctx.now,
  });
  await ctx.emit('DecisionCreated', summary(d), channel('created'));
  if (input.escalateTo) return escalate(ctx, d, input.escalateTo.to, input.escalateTo.reason);
  const check = await judgeAuthority(ctx, input.owner, d, false);
  if (!check.ok) return escalate(ctx, d, check.to, check.reason);
  return complete(ctx, d, {
    status: 'approved',
    mode: 'autonomous',
    reason: `within ${input.owner} authority`,
    by: input.owner,
  });
}

/** What the superior reads of an escalated decision: the proposal, the hops below, the vote. */
export async function escalationFacts(
  reader: Pick<StoreTx, 'decisionChain'>,
  d: Decision,
): Promise<EscalationFacts> {
  const chain = await reader.decisionChain(d.id);
  const below = chain.slice(
    0,
    chain.findIndex((c) => c.id === d.id),
  );
  const root = below[0] ?? d;
  return {
    decisionId: d.id,
    proposal: proposalOf(d),
    proposer: { role: root.owner, confidence: root.confidence },
    chain: below.map((c) => ({ owner: c.owner, reason: c.reason })),
    vote: d.context.vote as VoteRecord | undefined,
  };
}

/**
 * The superior's turn: an escalated decision reaches its new owner. Outside its authority it climbs
 * on; within it, the owner decides on the merits: `judgement` is what its mind concluded while it
 * thought (the model, or the rules); where it has none (its preview of the authority differed from
 * the locked one), the rules judge now. The reason says whose judgement it was.
 */
export async function handleEscalation(
  ctx: TxContext,
  role: Role,
  decisionId: string,
  judgement: Judgement | undefined,
): Promise<Decision> {
  const d = await ctx.tx.getDecision(decisionId, { lock: true });
  if (!d) throw new NotFoundError('decision', decisionId);
  if (d.owner !== role || d.status !== 'pending') return d; // already handled or not ours
  const check = await judgeAuthority(ctx, role, d, true);
  if (!check.ok) return escalate(ctx, d, check.to, check.reason);
  const merits = judgement ?? judgeEscalation(role, await escalationFacts(ctx.tx, d));
  const status = merits.verdict === 'approve' ? 'approved' : 'rejected';
  return complete(ctx, d, {
    status,
    mode: 'hierarchical',
    reason: `${status} by ${role} on its merits (${merits.by}): ${merits.rationale}`,
    by: role,
  });
}

/**
 * Hands a decision up: to a role as a child decision (pointing at its parent, with the reason) and
 * an escalation message; to a human as an approval item and HumanApprovalRequested.
 */
export async function escalate(
  ctx: TxContext,
  d: Decision,
  to: Role | 'human',
  reason: string,
): Promise<Decision> {
  const from = d.owner ?? 'ceo';
  if (to === 'human') {
    const waiting = await update(ctx, d, { status: 'awaiting_human', reason });
    const approval = await ctx.tx.insertApproval({ id: ctx.newId(), decisionId: d.id, reason, now: ctx.now });
    await ctx.emit(
      'HumanApprovalRequested',
      { ...summary(waiting), approvalId: approval.id },
      channel('human-approval-requested'),
    );
    await ctx.post({
      from,
      to: 'human',
      type: 'escalation',
      subject: `Needs a human: ${d.title}`,
      content: {
        ...summary(waiting),
        approvalId: approval.id,
        howTo: `echoctl approve ${d.id} --reason ... or echoctl reject ${d.id} --reason ...`,
      },
      priority: 'high',
      metadata: {},
    });
    return waiting;
  }
  const escalated = await update(ctx, d, { status: 'escalated', reason });
  const child = await insert(ctx, {
    id: ctx.newId(),
    parentId: d.id,
    type: d.type,
    category: d.category,
    domain: d.domain,
    mode: 'hierarchical',
    status: 'pending',
    owner: to,
    initiator: d.initiator,
    title: d.title,
    budgetUsd: d.budgetUsd,
    confidence: null,
    reason,
    context: d.context,
    messageId: d.messageId,
    purposeKey: d.purposeKey,
    vendorKey: d.vendorKey,
    createdAt: ctx.now,
  });
  await ctx.emit('DecisionEscalated', { ...summary(escalated), to, childId: child.id }, channel('escalated'));
  await ctx.post({
    from,
    to,
    type: 'escalation',
    subject: d.title,
    content: { decisionId: child.id, parentId: d.id, reason, budgetUsd: d.budgetUsd },
    priority: 'high',
    metadata: {},
  });
  return escalated;
}

/**
 * A question only a human answers (a workflow's pause): a decision owned by `owner` that awaits a
 * human at once, with its approval item, like any decision escalated above the CEO.
 */
export async function requestHumanApproval(
  ctx: TxContext,
  input: { owner: Role; initiator: Sender; title: string; reason: string; context: JsonObject },
): Promise<Decision> {
  const d = await insert(ctx, {
    id: ctx.newId(),
    type: 'human_approval',
    mode: 'human',
    status: 'pending',
    owner: input.owner,
    initiator: input.initiator,
    title: clipText(input.title, MAX_DECISION_TITLE_CHARS),
    context: input.context,
    createdAt: ctx.now,
  });
  await ctx.emit('DecisionCreated', summary(d), channel('created'));
  return escalate(ctx, d, 'human', input.reason);
}

/**
 * Withdraws a pending approval item whose asker (a workflow run) no longer waits for it: it leaves
 * the inbox and its decision expires. A human resolving it afterwards is told why it is gone.
 */
export async function withdrawApproval(ctx: TxContext, decisionId: string, reason: string): Promise<void> {
  const approval = await ctx.tx.getApproval(decisionId, { lock: true });
  if (approval?.status !== 'pending') return;
  const d = await ctx.tx.getDecision(decisionId, { lock: true });
  if (!d) throw new NotFoundError('decision', decisionId);
  await ctx.tx.resolveApproval(approval.id, {
    status: 'withdrawn',
    principal: 'system',
    resolution: reason,
    now: ctx.now,
  });
  const done = await update(ctx, d, {
    status: 'expired',
    reason: `withdrawn: ${reason}`,
    completedAt: ctx.now,
  });
  await ctx.emit('DecisionCompleted', summary(done), channel('completed'));
}

/**
 * Why an agent may not override `target`, or undefined when it may: a decision a human owns, has
 * resolved, or waits on (anywhere in its chain) is the human's; the overrider must own it or stand
 * above its owner; only a settled decision has an outcome to change.
 */
async function overrideRefusal(ctx: TxContext, by: Role, target: Decision, status: string) {
  const chain = await ctx.tx.decisionChain(target.id);
  for (const c of chain) {
    const approval = await ctx.tx.getApproval(c.id);
    if (approval) {
      const state =
        approval.status === 'pending'
          ? 'waits for a human'
          : `was ${approval.status} by ${approval.principal}`;
      return `decision ${target.id} is in a chain with a human item (decision ${c.id} ${state}): only a human may change it, an agent never can`;
    }
  }
  if (target.mode === 'human' || target.status === 'awaiting_human')
    return `decision ${target.id} belongs to a human: only a human may change it, an agent never can`;
  if (!['approved', 'rejected', 'expired'].includes(target.status))
    return `decision ${target.id} is ${target.status}: only a settled decision (approved, rejected or expired) can be overridden; act on the decision where its chain ends`;
  if (target.status === status) return `decision ${target.id} is already ${status}`;
  if (target.owner && target.owner !== by && !chainAbove(target.owner).includes(by))
    return `${by} does not stand above ${target.owner}, the owner of decision ${target.id}`;
  return undefined;
}

/**
 * An agent overrides a settled decision. The override is itself a decision of the overrider's,
 * bounded by its authority (budget, summed for the purpose; what always goes to a human) and
 * recorded with who asked and why, pointing at the decision it would change. A refused override is
 * recorded too (rejected, with the reason), and changes nothing else.
 */
export async function overrideDecision(
  ctx: TxContext,
  input: {
    by: Role;
    requestedBy: Sender;
    decisionId: string;
    status: 'approved' | 'rejected';
    reason: string;
    messageId: string | null;
  },
): Promise<{ override: Decision; target: Decision; refused?: string }> {
  const target = await ctx.tx.getDecision(input.decisionId, { lock: true });
  if (!target) throw new ValidationError('decisionId', `decisionId: no decision ${input.decisionId}`);
  // an approval spends the target's budget on the overrider's authority; a rejection spends nothing
  const budgetUsd = input.status === 'approved' ? target.budgetUsd : null;
  let refused = await overrideRefusal(ctx, input.by, target, input.status);
  if (!refused) {
    const check = await judgeAuthority(ctx, input.by, { ...target, budgetUsd, confidence: 1 }, false);
    if (!check.ok) refused = `it is beyond ${input.by} authority: ${check.reason}`;
  }
  const override = await insert(ctx, {
    id: ctx.newId(),
    type: 'override_decision',
    category: target.category,
    domain: target.domain,
    mode: 'hierarchical',
    status: 'pending',
    owner: input.by,
    initiator: input.requestedBy,
    title: clipText(`Override to ${input.status}: ${target.title}`, MAX_DECISION_TITLE_CHARS),
    budgetUsd,
    confidence: 1,
    context: {
      overrides: { decisionId: target.id, from: target.status, to: input.status, reason: input.reason },
    },
    messageId: input.messageId,
    purposeKey: target.purposeKey,
    vendorKey: target.vendorKey,
    createdAt: ctx.now,
  });
  if (refused) {
    const done = await complete(ctx, override, {
      status: 'rejected',
      mode: 'hierarchical',
      reason: `override refused: ${refused}`,
      by: input.by,
    });
    return { override: done, target, refused: done.reason! };
  }
  const done = await complete(ctx, override, {
    status: 'approved',
    mode: 'hierarchical',
    reason: `override within ${input.by} authority: ${input.reason}`,
    by: input.by,
  });
  const overriddenBy = {
    decisionId: done.id,
    by: input.by,
    requestedBy: input.requestedBy,
    from: target.status,
    reason: input.reason,
    at: ctx.now.toISOString(),
  };
  const changed = await complete(
    ctx,
    target,
    {
      status: input.status,
      mode: target.mode,
      reason: `overridden by ${input.by} (decision ${done.id}, asked by ${input.requestedBy}): ${input.reason}`,
      by: input.by,
    },
    { context: { ...target.context, overriddenBy } },
  );
  return { override: done, target: changed };
}

/** Opens a collaborative decision: named participants get vote requests; otherwise a broadcast asks who joins. */
export async function openCollaborative(
  ctx: TxContext,
  input: {
    owner: Role;
    initiator: Sender;
    proposal: DecisionProposal;
    participants?: Role[] | undefined;
    deadlineMinutes?: number | undefined;
    messageId?: string | null;
    requestVotes?: boolean;
    idempotencyKey?: string | undefined;
  },
): Promise<Decision> {
  const p = input.proposal;
  const id = ctx.newId();
  const named = input.participants?.length ? [...new Set(input.participants)] : undefined;
  const rounds = ctx.governance.discussionRounds;
  // a discussion before the vote, unless the asker collects the votes itself
  const discuss = rounds > 0 && input.requestVotes !== false;
  let broadcastId: string | null = null;
  if (!named) {
    const broadcast = await ctx.post({
      from: input.owner,
      to: 'all',
      type: 'broadcast',
      subject: p.title,
      content: { decisionId: id, ...p.details, budget_usd: p.budgetUsd ?? null },
      priority: 'high',
      metadata: { decisionId: id },
      ...(input.idempotencyKey ? { idempotencyKey: `broadcast:${input.idempotencyKey}` } : {}),
    });
    broadcastId = broadcast.id;
  }
  const d = await insert(ctx, {
    id,
    type: p.kind,
    category: p.category ?? null,
    domain: p.domain,
    mode: 'collaborative',
    status: 'voting',
    owner: input.owner,
    initiator: input.initiator,
    title: clipText(p.title, MAX_DECISION_TITLE_CHARS),
    budgetUsd: p.budgetUsd ?? null,
    confidence: p.confidence,
    participants: named ?? [],
    context: {
      ...detailsOf(p),
      ...(broadcastId ? { verdicts: {} } : {}),
      ...(discuss
        ? { discussion: { rounds, round: 1, phase: 'discussing', entries: [] } satisfies Discussion }
        : {}),
    },
    messageId: input.messageId ?? null,
    broadcastId,
    deadlineAt: new Date(ctx.now.getTime() + (input.deadlineMinutes ?? DEFAULT_DEADLINE_MINUTES) * 60_000),
    createdAt: ctx.now,
  });
  await ctx.emit('DecisionCreated', summary(d), channel('created'));
  if (named && input.requestVotes !== false)
    await ask(ctx, d, named, discuss ? 'discuss_decision' : 'cast_vote');
  return d;
}

/** Asks each participant to speak in the discussion (`discuss_decision`) or to vote (`cast_vote`). */
async function ask(
  ctx: TxContext,
  d: Decision,
  roles: readonly Role[],
  subject: 'discuss_decision' | 'cast_vote',
) {
  const discussion = discussionOf(d);
  for (const role of roles) {
    await ctx.post({
      from: d.owner ?? 'ceo',
      to: role,
      type: 'request',
      subject,
      content: {
        decisionId: d.id,
        title: d.title,
        budgetUsd: d.budgetUsd,
        ...(discussion ? { round: discussion.round, discussion: discussion.entries } : {}),
      },
      priority: 'normal',
      metadata: { decisionId: d.id },
    });
    if (subject === 'cast_vote')
      await ctx.emit('VoteRequested', { ...summary(d), voter: role }, channel('vote-requested'));
    else
      await ctx.emit(
        'DiscussionRequested',
        { ...summary(d), participant: role, round: discussion?.round ?? 1 },
        channel('discussion-requested'),
      );
  }
}

/** A participant joins a broadcast decision by taking part in it (a verdict may arrive after its word). */
async function joined(ctx: TxContext, d: Decision, role: Role): Promise<Decision> {
  if (d.participants.includes(role)) return d;
  if (!d.broadcastId) throw new ValidationError('voter', `${role} is not a participant of decision ${d.id}`);
  const verdicts = {
    ...((d.context.verdicts as JsonObject | undefined) ?? {}),
    [role]: { join: true, as: 'assist' },
  };
  return update(ctx, d, { participants: [...d.participants, role], context: { ...d.context, verdicts } });
}

/**
 * A participant's position in the current round of the discussion. When every participant has
 * spoken (and, for a broadcast, every role has given its verdict), the next round starts, or the
 * vote: each participant is asked to vote, with the discussion to read.
 */
export async function recordPosition(
  ctx: TxContext,
  decisionId: string,
  entry: Omit<DiscussionEntry, 'round'>,
): Promise<Decision> {
  let d = await ctx.tx.getDecision(decisionId, { lock: true });
  if (!d) throw new NotFoundError('decision', decisionId);
  const discussion = discussionOf(d);
  if (d.status !== 'voting' || discussion?.phase !== 'discussing')
    throw new ValidationError(
      'decisionId',
      `decision ${decisionId} is not being discussed (it is ${d.status})`,
    );
  d = await joined(ctx, d, entry.role);
  const entries = [
    ...discussion.entries.filter((e) => !(e.role === entry.role && e.round === discussion.round)),
    { ...entry, round: discussion.round },
  ];
  d = await update(ctx, d, { context: { ...d.context, discussion: { ...discussion, entries } } });
  await ctx.emit(
    'PositionStated',
    { ...summary(d), participant: entry.role, stance: entry.stance, round: discussion.round },
    channel('position-stated'),
  );
  return advanceDiscussion(ctx, d);
}

/** Moves a discussion on when its round is complete: the next round, or the vote. */
export async function advanceDiscussion(ctx: TxContext, d: Decision): Promise<Decision> {
  const discussion = discussionOf(d);
  if (d.status !== 'voting' || discussion?.phase !== 'discussing') return d;
  if (d.broadcastId && !(await everyVerdictIn(ctx, d))) return d;
  const degraded = (await ctx.tx.agentHealth()).filter((a) => a.status === 'degraded').map((a) => a.role);
  const spoken = new Set(discussion.entries.filter((e) => e.round === discussion.round).map((e) => e.role));
  const waiting = d.participants.filter((p) => !spoken.has(p) && !degraded.includes(p));
  if (waiting.length > 0 || d.participants.length === 0) return d;
  const next: Discussion =
    discussion.round < discussion.rounds
      ? { ...discussion, round: discussion.round + 1 }
      : { ...discussion, phase: 'voting' };
  const moved = await update(ctx, d, { context: { ...d.context, discussion: next } });
  await ask(ctx, moved, moved.participants, next.phase === 'voting' ? 'cast_vote' : 'discuss_decision');
  return moved;
}

/** Whether every role a broadcast decision went to has given its verdict (or the deadline has passed). */
async function everyVerdictIn(ctx: TxContext, d: Decision): Promise<boolean> {
  if (d.deadlineAt && ctx.now >= new Date(d.deadlineAt)) return true;
  const verdicts = (d.context.verdicts as JsonObject | undefined) ?? {};
  return Object.keys(verdicts).length >= recipientsOf('all', d.owner ?? 'system').length;
}

/** A role's verdict on the broadcast of a collaborative decision: a join adds it to the participants. */
export async function recordParticipation(
  ctx: TxContext,
  broadcastId: string,
  from: Role,
  join: boolean,
  as: string | null,
): Promise<void> {
  const d = await ctx.tx.findDecisionByBroadcast(broadcastId, { lock: true });
  if (d?.status !== 'voting') return;
  const verdicts = { ...((d.context.verdicts as JsonObject | undefined) ?? {}), [from]: { join, as } };
  const participants = join && !d.participants.includes(from) ? [...d.participants, from] : d.participants;
  const next = await update(ctx, d, { context: { ...d.context, verdicts }, participants });
  await maybeClose(ctx, await advanceDiscussion(ctx, next));
}

/** A participant's vote; a second vote by the same role replaces the first. */
export async function recordVote(
  ctx: TxContext,
  decisionId: string,
  vote: { voter: Role; vote: VoteChoice; confidence: number; rationale: string },
): Promise<Decision> {
  let d = await ctx.tx.getDecision(decisionId, { lock: true });
  if (!d) throw new NotFoundError('decision', decisionId);
  if (d.status !== 'voting')
    throw new ValidationError('decisionId', `decision ${decisionId} is ${d.status}, no longer voting`);
  d = await joined(ctx, d, vote.voter); // a vote can overtake its participation verdict: voting is joining
  const stored: StoredVote = { ...vote, castAt: ctx.now.toISOString() };
  await ctx.tx.upsertVote(d.id, stored);
  await ctx.emit(
    'VoteCast',
    { ...summary(d), voter: vote.voter, vote: vote.vote, confidence: vote.confidence },
    channel('vote-cast'),
  );
  return maybeClose(ctx, d);
}

/**
 * Closes voting when the rule says so. The vote's outcome is a recommendation: a rejection ends
 * the decision; an approval stands where it is within its owner's authority and otherwise climbs
 * the chain with the vote attached, to a human above the CEO; a tie, or no quorum at the deadline,
 * goes to the owner's superior. The vote is kept on the decision (`context.vote`) and the CEO writes
 * the synthesis of every vote that came to an outcome. A broadcast decision waits for every
 * recipient's verdict before it can close early.
 */
export async function maybeClose(ctx: TxContext, d: Decision): Promise<Decision> {
  if (d.status !== 'voting') return d;
  const deadline = d.deadlineAt ? new Date(d.deadlineAt) : ctx.now;
  if (d.broadcastId && ctx.now < deadline) {
    const verdicts = (d.context.verdicts as JsonObject | undefined) ?? {};
    const expected = recipientsOf('all', d.owner ?? 'system').length;
    if (Object.keys(verdicts).length < expected) return d;
  }
  const stored = await ctx.tx.listVotes(d.id);
  const votes = stored.map((v) => ({ ...v, castAt: new Date(v.castAt) }));
  const degraded = (await ctx.tx.agentHealth()).filter((a) => a.status === 'degraded').map((a) => a.role);
  const result = closeVoting(d.participants, votes, { now: ctx.now, deadline, degraded });
  if (result.status === 'open') return d;
  const t = tally(d.participants, votes, { degraded });
  const vote: VoteRecord = {
    outcome: result.status === 'escalate' ? result.reason : result.status,
    approvals: t.approvals,
    rejections: t.rejections,
    abstentions: t.abstentions,
    eligible: t.eligible,
    consensusScore: t.consensusScore,
    votes: stored.map(({ voter, vote, confidence, rationale }) => ({ voter, vote, confidence, rationale })),
  };
  const owner = d.owner ?? 'ceo';
  const voted = await update(ctx, d, {
    consensusScore: t.consensusScore,
    context: { ...d.context, vote } as JsonObject,
  });
  if (result.status === 'escalate') {
    const to = escalationTargetFor(owner);
    return escalate(ctx, voted, to, `${result.detail}; escalated to ${to}`);
  }
  let closed: Decision;
  if (result.status === 'rejected') {
    closed = await update(ctx, voted, {
      status: 'rejected',
      reason: `rejected by vote: ${describeVote(vote)}`,
    });
  } else {
    const check = await judgeAuthority(ctx, owner, voted, false);
    closed = check.ok
      ? await update(ctx, voted, {
          status: 'approved',
          reason: `approved by vote (${describeVote(vote)}), within ${owner} authority`,
        })
      : await escalate(
          ctx,
          voted,
          check.to,
          `approved by vote (${describeVote(vote)}) as a recommendation; ${check.reason}`,
        );
  }
  await ctx.post({
    from: owner,
    to: 'ceo',
    type: 'request',
    subject: 'synthesize_decision',
    content: { decisionId: d.id },
    priority: 'normal',
    metadata: { decisionId: d.id },
  });
  return closed;
}

/** A human resolves a decision awaiting one. Only an authenticated human principal may; an agent never can. */
export async function resolveByHuman(
  ctx: TxContext,
  input: {
    idOrDecisionId: string;
    principal: { kind: 'human' | 'agent'; id: string };
    approve: boolean;
    reason: string;
  },
): Promise<Decision> {
  if (input.principal.kind !== 'human') {
    throw new ForbiddenError(
      `${input.principal.id} is an agent: only an authenticated human may resolve a human-approval item`,
      { field: 'principal' },
    );
  }
  const approval = await ctx.tx.getApproval(input.idOrDecisionId, { lock: true });
  if (!approval) throw new NotFoundError('human approval for', input.idOrDecisionId);
  if (approval.status !== 'pending') {
    throw new ValidationError(
      'id',
      `approval ${approval.id} was already ${approval.status} by ${approval.principal}`,
    );
  }
  const d = await ctx.tx.getDecision(approval.decisionId, { lock: true });
  if (!d) throw new NotFoundError('decision', approval.decisionId);
  const status = input.approve ? 'approved' : 'rejected';
  await ctx.tx.resolveApproval(approval.id, {
    status,
    principal: input.principal.id,
    resolution: input.reason,
    now: ctx.now,
  });
  const done = await update(ctx, d, {
    status,
    mode: 'human',
    reason: `${status} by ${input.principal.id}: ${input.reason}`,
    completedAt: ctx.now,
  });
  await ctx.emit(
    'DecisionCompleted',
    { ...summary(done), principal: input.principal.id },
    channel('completed'),
  );
  for (const to of new Set<Address>([d.owner ?? 'ceo', audience(d.initiator)])) {
    await ctx.post({
      from: 'system',
      to,
      type: 'notification',
      subject: `${status === 'approved' ? 'Approved' : 'Rejected'} by a human: ${d.title}`,
      content: { ...summary(done), principal: input.principal.id, resolution: input.reason },
      priority: 'high',
      metadata: { decisionId: d.id },
    });
  }
  return done;
}

/** Collaborative decisions past their deadline close now (no quorum or a tie escalates). */
export async function expireDue(ctx: TxContext, decisionId: string): Promise<Decision | undefined> {
  const d = await ctx.tx.getDecision(decisionId, { lock: true });
  if (d?.status !== 'voting') return d;
  return maybeClose(ctx, d);
}
