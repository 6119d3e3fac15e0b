/**
 * Decisions in motion: opened, resolved within authority or escalated hop by hop, voted on,
 * closed, synthesised, and resolved by a human. Every step runs inside one transaction (a
 * TxContext) and leaves its trace as decision rows, messages and lifecycle events. The rules come
 * from the pure organization modules (lambdas/core/org); this module only applies them.
 */
import type { TxContext } from './agent.ts';
import type { Decision, DecisionPatch, StoredVote, VoteChoice } from './decision-types.ts';
import { EchoError, NotFoundError, ValidationError } from './errors.ts';
import { clipText, type JsonObject } from './messages.ts';
import { METRICS } from './metrics.ts';
import { checkAuthority } from './org/authority.ts';
import type { DecisionProposal } from './org/tools/types.ts';
import { closeVoting, escalationTargetFor } from './org/votes.ts';
import { type Address, isRole, type Role, recipientsOf, type Sender } from './roles.ts';

export const DEFAULT_DEADLINE_MINUTES = 5;
/** The longest decision title kept (as the decisions table has it); a longer composed title is clipped. */
export const MAX_DECISION_TITLE_CHARS = 500;

/** Thrown when someone who may not resolve a decision tries to. */
export class ForbiddenError extends EchoError {
  constructor(message: string) {
    super('Forbidden', message);
  }
}

/** A decision that moved on while this step ran; the step is not applied. */
export class ConflictError extends EchoError {
  constructor(message: string) {
    super('Conflict', message);
  }
}

export function proposalOf(d: Decision): DecisionProposal {
  return {
    kind: d.type,
    title: d.title,
    domain: d.domain ?? 'strategy',
    ...(d.category ? { category: d.category } : {}),
    ...(d.budgetUsd !== null ? { budgetUsd: d.budgetUsd } : {}),
    confidence: d.confidence ?? 1,
    details: d.context,
  };
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

/** Who hears about a decision's outcome: its initiator (a role, or the humans watching). */
const audience = (initiator: Sender): Address => (isRole(initiator) ? initiator : 'human');

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
  const d = counted(
    ctx,
    await ctx.tx.insertDecision({
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
      context: p.details,
      messageId: input.messageId ?? null,
      createdAt: ctx.now,
    }),
  );
  await ctx.emit('DecisionCreated', summary(d), channel('created'));
  if (input.escalateTo) return escalate(ctx, d, input.escalateTo.to, input.escalateTo.reason);
  return resolveDecision(ctx, d, { escalated: false });
}

/**
 * Applies the owner's authority to a pending decision: approved within it; otherwise escalated to
 * the superior as a child decision (with the reason), or, above the CEO and for always-human
 * kinds, left awaiting a human with an approval item.
 */
export async function resolveDecision(
  ctx: TxContext,
  d: Decision,
  options: { escalated: boolean },
): Promise<Decision> {
  const owner = d.owner!;
  const check = checkAuthority(owner, proposalOf(d), options);
  if (check.ok) {
    const done = await update(ctx, d, {
      status: 'approved',
      mode: options.escalated ? 'hierarchical' : 'autonomous',
      reason: `within ${owner} authority`,
      completedAt: ctx.now,
    });
    await ctx.emit('DecisionCompleted', summary(done), channel('completed'));
    await ctx.post({
      from: owner,
      to: audience(d.initiator),
      type: 'decision',
      subject: `Approved: ${d.title}`,
      content: { ...summary(done) },
      priority: 'normal',
      metadata: {},
    });
    return done;
  }
  return escalate(ctx, d, check.to, check.reason);
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
  const child = counted(
    ctx,
    await ctx.tx.insertDecision({
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
      createdAt: ctx.now,
    }),
  );
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
  const d = counted(
    ctx,
    await ctx.tx.insertDecision({
      id: ctx.newId(),
      type: 'human_approval',
      mode: 'human',
      status: 'pending',
      owner: input.owner,
      initiator: input.initiator,
      title: clipText(input.title, MAX_DECISION_TITLE_CHARS),
      context: input.context,
      createdAt: ctx.now,
    }),
  );
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

/** The superior's turn: an escalated decision reaches its new owner. */
export async function handleEscalation(ctx: TxContext, role: Role, decisionId: string): Promise<Decision> {
  const d = await ctx.tx.getDecision(decisionId, { lock: true });
  if (!d) throw new NotFoundError('decision', decisionId);
  if (d.owner !== role || d.status !== 'pending') return d; // already handled or not ours
  return resolveDecision(ctx, d, { escalated: true });
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
  const d = counted(
    ctx,
    await ctx.tx.insertDecision({
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
      context: { ...p.details, ...(broadcastId ? { verdicts: {} } : {}) },
      messageId: input.messageId ?? null,
      broadcastId,
      deadlineAt: new Date(ctx.now.getTime() + (input.deadlineMinutes ?? DEFAULT_DEADLINE_MINUTES) * 60_000),
      createdAt: ctx.now,
    }),
  );
  await ctx.emit('DecisionCreated', summary(d), channel('created'));
  if (named && input.requestVotes !== false) {
    for (const voter of named) {
      await ctx.post({
        from: input.owner,
        to: voter,
        type: 'request',
        subject: 'cast_vote',
        content: { decisionId: d.id, title: d.title, budgetUsd: d.budgetUsd, details: p.details },
        priority: 'normal',
        metadata: { decisionId: d.id },
      });
      await ctx.emit('VoteRequested', { ...summary(d), voter }, channel('vote-requested'));
    }
  }
  return d;
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
  await maybeClose(ctx, next);
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
  if (!d.participants.includes(vote.voter)) {
    if (!d.broadcastId)
      throw new ValidationError('voter', `${vote.voter} is not a participant of decision ${decisionId}`);
    // a vote can overtake its participation verdict on the way: voting is joining
    const verdicts = {
      ...((d.context.verdicts as JsonObject | undefined) ?? {}),
      [vote.voter]: { join: true, as: 'assist' },
    };
    d = await update(ctx, d, {
      participants: [...d.participants, vote.voter],
      context: { ...d.context, verdicts },
    });
  }
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
 * Closes voting when the rule says so: approved or rejected (then the CEO writes the synthesis),
 * or escalated on a tie or no quorum at the deadline. A broadcast decision waits for every
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
  const votes = await ctx.tx.listVotes(d.id);
  const degraded = (await ctx.tx.agentHealth()).filter((a) => a.status === 'degraded').map((a) => a.role);
  const result = closeVoting(
    d.participants,
    votes.map((v) => ({ ...v, castAt: new Date(v.castAt) })),
    { now: ctx.now, deadline, degraded },
  );
  if (result.status === 'open') return d;
  if (result.status === 'escalate') {
    const to = escalationTargetFor(d.initiator);
    return escalate(ctx, d, to, `${result.detail}; escalated to ${to}`);
  }
  const closed = await update(ctx, d, {
    status: result.status,
    consensusScore: result.consensusScore,
    reason: `${result.status} by vote`,
  });
  await ctx.post({
    from: d.owner ?? 'ceo',
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
