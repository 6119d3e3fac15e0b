/**
 * The organization's behaviour: what an agent does with each message it is delivered, in two
 * steps. `think` runs with no transaction open: it reads (the message's thread, the decision, what
 * the role recalls) and asks the role's mind (its model, or the rules), which may take seconds. `act`
 * runs in the transaction that completes the delivery and commits every effect of the thought.
 *
 *   request      a tool of the role in `subject` runs with `content` as input (invalid input: an
 *                `error` reply naming the field); `discuss_decision`, `cast_vote`,
 *                `synthesize_decision` and `assign_lead` are the organization's own requests; any
 *                other request runs the agent loop: the mind calls the role's tools (previewed while
 *                it thinks, applied when it acts) and answers, with the actions taken
 *   escalation   the superior decides the escalated decision, within its authority on its merits
 *   broadcast    self-selection: join as lead or assist, observe, or decline, with a reason; a lead
 *                of a plain broadcast says its take (the agent loop); in a collaborative decision
 *                the joiner states its position or votes; a broadcast nobody joins goes to the CEO
 *   participation / vote   recorded on the collaborative decision they belong to
 * Every reply carries metadata.inReplyTo.
 */
import * as z from 'zod';
import { parseWith } from '../../events/validate.ts';
import { type ActContext, type Behaviour, replyCommand, type ThinkContext } from './agent.ts';
import { gatherContext, LOOP_EXCLUDED_TOOLS, requestText, systemPrompt } from './context.ts';
import type { Decision } from './decision-types.ts';
import {
  authorityOf,
  discussionOf,
  escalationFacts,
  handleEscalation,
  openCollaborative,
  openDecision,
  overrideDecision,
  proposalOf,
  recordParticipation,
  recordPosition,
  recordVote,
} from './decisions.ts';
import { EchoError, ValidationError } from './errors.ts';
import type { ToolCall, ToolSpec } from './llm.ts';
import { DEFAULT_LOOP_TOKENS, DEFAULT_LOOP_TURNS, type ToolRun } from './loop.ts';
import type { JsonObject, Message } from './messages.ts';
import {
  type Consulted,
  type LoopResult,
  type Mind,
  type MindCall,
  type Position,
  rulesMind,
  type VoteJudgement,
} from './mind.ts';
import type { Judgement, VoteRecord } from './org/merits.ts';
import { purposeKey, vendorKey } from './org/purpose.ts';
import { REGISTRY } from './org/registry.ts';
import { closestRoles, flattenText as flatten, selfSelect } from './org/relevance.ts';
import { findTool, runTool } from './org/tools/index.ts';
import type { DecisionProposal, ToolOutcome } from './org/tools/types.ts';
import { isRole, ROLES, type Role } from './roles.ts';
import { toolInputSchema } from './tool-schema.ts';

const SESSION_IDLE_MS = 60 * 60_000;
const SESSION_KEPT_TURNS = 20;
const SESSION_WARN_TOKENS = 6000;

const DecisionRef = z.object({ decisionId: z.uuid('must be a decision id (uuid)') }).loose();
/** A request to vote: the decision, and what the asker wants the voter to weigh (a human's briefing). */
const VoteRequest = DecisionRef.extend({
  note: z.string().max(2000, 'must be at most 2000 characters').optional(),
});
const BroadcastRef = z.object({ broadcastId: z.uuid('must be a message id (uuid)') }).loose();
const VoteContent = z.object({
  decisionId: z.uuid('must be a decision id (uuid)'),
  vote: z.enum(['approve', 'reject', 'abstain'], { error: 'must be approve, reject or abstain' }),
  confidence: z.number().min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1').default(0.8),
  rationale: z.string().max(2000, 'must be at most 2000 characters').default(''),
});
const ParticipationContent = z.object({
  join: z.boolean(),
  as: z.enum(['lead', 'assist', 'observe']).nullable(),
  reason: z.string(),
});

const text = (subject: string, content: JsonObject) => `${subject}\n${flatten(content)}`;

function decisionReply(d: Decision): JsonObject {
  return {
    decisionId: d.id,
    status: d.status,
    mode: d.mode,
    owner: d.owner,
    reason: d.reason,
    budgetUsd: d.budgetUsd,
  };
}

/** The tools a role's loop is offered: its registry tools with their JSON Schemas, no consulting. */
export function loopTools(role: Role): ToolSpec[] {
  return REGISTRY[role].tools
    .filter((t) => !LOOP_EXCLUDED_TOOLS.has(t.name))
    .map((t) => ({ name: t.name, description: t.description, inputSchema: toolInputSchema(t.input) }));
}

/** What an agent concluded while it thought; `act` applies it. */
type Thought =
  | { kind: 'none' }
  | { kind: 'refused'; error: EchoError }
  | { kind: 'tool'; outcome: ToolOutcome; consult?: Consulted }
  | { kind: 'loop'; result: LoopResult; actions: { call: ToolCall; outcome?: ToolOutcome }[] }
  | { kind: 'position'; decisionId: string; position: Position }
  | { kind: 'vote'; decisionId: string; judgement: VoteJudgement; as?: string | null }
  | { kind: 'synthesis'; decisionId: string; synthesis: JsonObject }
  | { kind: 'escalation'; decisionId: string; judgement?: Judgement }
  | {
      kind: 'broadcast';
      verdict: { join: boolean; as: 'lead' | 'assist' | 'observe' | null; reason: string };
      followUp?: Thought;
    }
  | { kind: 'lead'; broadcastId: string; lead: Role; reason: string };

export interface OrganizationOptions {
  mind?: Mind;
  /** Bounds of the agent loop (turns and tokens per delivery). */
  loop?: { maxTurns?: number; maxTokens?: number };
}

export function organization(options: OrganizationOptions = {}): Behaviour {
  const mind = options.mind ?? rulesMind;
  const maxTurns = options.loop?.maxTurns ?? DEFAULT_LOOP_TURNS;
  const maxTokens = options.loop?.maxTokens ?? DEFAULT_LOOP_TOKENS;

  const reply = (ctx: ActContext, content: JsonObject, type: 'response' | 'error' = 'response') =>
    ctx.post(replyCommand(ctx.message, ctx.role, { type, content }));

  const errorContent = (error: EchoError) => ({
    error: {
      code: error.code,
      message: error.message,
      ...(error instanceof ValidationError ? { field: error.field } : {}),
    },
  });

  /** Errors the organization answers (bad input, a refusal): anything else is a failure, retried. */
  const answerable = (error: unknown): error is EchoError =>
    error instanceof EchoError &&
    !['Conflict', 'DatabaseUnavailable', 'SqlError', 'LeaseLost', 'HandlerTimeout'].includes(error.code);

  // --- thinking -------------------------------------------------------------------------------

  async function think(ctx: ThinkContext): Promise<Thought> {
    const { message } = ctx;
    try {
      switch (message.type) {
        case 'request':
          return await thinkRequest(ctx);
        case 'escalation':
          return await thinkEscalation(ctx);
        case 'broadcast':
          return await thinkBroadcast(ctx);
        default:
          return { kind: 'none' };
      }
    } catch (error) {
      if (answerable(error)) return { kind: 'refused', error };
      throw error;
    }
  }

  const callOf = (ctx: ThinkContext, decisionId?: string): MindCall => ({
    messageId: ctx.message.id,
    ...(decisionId ? { decisionId } : {}),
  });

  async function votingDecision(ctx: ThinkContext, decisionId: string): Promise<Decision> {
    const d = await ctx.store.getDecision(decisionId);
    if (!d) throw new ValidationError('decisionId', `decisionId: no decision ${decisionId}`);
    if (d.status !== 'voting')
      throw new ValidationError('decisionId', `decision ${decisionId} is ${d.status}, no longer voting`);
    if (!d.broadcastId && !d.participants.includes(ctx.role))
      throw new ValidationError('decisionId', `${ctx.role} is not a participant of decision ${decisionId}`);
    return d;
  }

  async function thinkVote(
    ctx: ThinkContext,
    d: Decision,
    note?: string,
    as?: string | null,
  ): Promise<Thought> {
    const proposal = proposalOf(d);
    const judgement = await mind.vote(
      ctx.role,
      note ? { ...proposal, details: { ...proposal.details, briefing: note } } : proposal,
      callOf(ctx, d.id),
      discussionOf(d)?.entries,
    );
    return { kind: 'vote', decisionId: d.id, judgement, ...(as !== undefined ? { as } : {}) };
  }

  async function thinkPosition(ctx: ThinkContext, d: Decision): Promise<Thought> {
    const position = await mind.discuss(
      ctx.role,
      proposalOf(d),
      discussionOf(d)?.entries ?? [],
      callOf(ctx, d.id),
    );
    return { kind: 'position', decisionId: d.id, position };
  }

  async function thinkRequest(ctx: ThinkContext): Promise<Thought> {
    const { role, message, store } = ctx;
    switch (message.subject) {
      case 'cast_vote': {
        const { decisionId, note } = parseWith(VoteRequest, message.content);
        return thinkVote(ctx, await votingDecision(ctx, decisionId), note);
      }
      case 'discuss_decision': {
        const { decisionId } = parseWith(DecisionRef, message.content);
        const d = await votingDecision(ctx, decisionId);
        if (discussionOf(d)?.phase !== 'discussing')
          throw new ValidationError('decisionId', `decision ${decisionId} is not being discussed`);
        return thinkPosition(ctx, d);
      }
      case 'synthesize_decision': {
        if (role !== 'ceo') break;
        const { decisionId } = parseWith(DecisionRef, message.content);
        const d = await store.getDecision(decisionId);
        const vote = d?.context.vote as VoteRecord | undefined;
        // only a vote that came to an outcome is synthesised, once
        if (!d || d.outcome || (vote?.outcome !== 'approved' && vote?.outcome !== 'rejected'))
          return { kind: 'none' };
        const votes = await store.listVotes(d.id);
        const synthesis = await mind.synthesize(
          {
            title: d.title,
            participants: d.participants,
            votes: votes.map((v) => ({ ...v, castAt: new Date(v.castAt) })),
            outcome: vote.outcome,
            consensusScore: d.consensusScore,
            discussion: discussionOf(d)?.entries ?? [],
          },
          callOf(ctx, d.id),
        );
        return { kind: 'synthesis', decisionId: d.id, synthesis };
      }
      case 'assign_lead': {
        if (role !== 'ceo') break;
        const { broadcastId } = parseWith(BroadcastRef, message.content);
        const broadcast = await store.getMessage(broadcastId);
        if (!broadcast) throw new ValidationError('broadcastId', `broadcastId: no message ${broadcastId}`);
        return thinkLead(ctx, broadcast);
      }
    }
    const outcome = runTool(role, message.subject, message.content, {
      role,
      from: message.from,
      requestId: message.id,
      now: ctx.now,
    });
    if (!outcome) return thinkLoop(ctx, message.subject, message.content);
    if (outcome.kind !== 'consult') return { kind: 'tool', outcome };
    const { turns } = await consultation(store, ctx, outcome);
    return {
      kind: 'tool',
      outcome,
      consult: await mind.consult(
        role,
        turns.map(({ role: r, content }) => ({ role: r, content })),
        callOf(ctx),
      ),
    };
  }

  /**
   * A consultation's session (when it is the role's and alive) and its turns: the session's so far
   * and the prompt. Read while thinking (to ask the model), and again when acting (to save it).
   */
  async function consultation(
    reader: Pick<ActContext['tx'], 'getSession'>,
    ctx: { role: Role; now: Date },
    outcome: Extract<ToolOutcome, { kind: 'consult' }>,
  ) {
    const existing =
      outcome.mode === 'session' && outcome.sessionId
        ? await reader.getSession(outcome.sessionId)
        : undefined;
    const live =
      existing && existing.role === ctx.role && new Date(existing.expiresAt) > ctx.now ? existing : undefined;
    const turns = [
      ...(live?.turns ?? []),
      { role: 'user' as const, content: outcome.prompt, at: ctx.now.toISOString() },
    ];
    return { live, turns };
  }

  /**
   * The agent loop: the mind reads the role's context and calls its tools; each call is validated
   * and previewed now (a decision's authority judged without locks), its effect applied when the
   * agent acts.
   */
  async function thinkLoop(
    ctx: ThinkContext,
    subject: string,
    content: JsonObject,
    decisionId?: string,
  ): Promise<Thought> {
    const { role, message, store } = ctx;
    const gathered = await gatherContext(store, role, message);
    const actions: { call: ToolCall; outcome?: ToolOutcome }[] = [];
    const run = async (call: ToolCall): Promise<ToolRun> => {
      const refuse = (result: JsonObject): ToolRun => ({
        callId: call.id,
        tool: call.name,
        input: call.arguments,
        ok: false,
        result,
      });
      const tool = findTool(role, call.name);
      if (!tool || LOOP_EXCLUDED_TOOLS.has(call.name))
        return refuse({
          error: `no tool ${call.name}; yours are ${loopTools(role)
            .map((t) => t.name)
            .join(', ')}`,
        });
      if (typeof call.arguments === 'string')
        return refuse({
          error: `the arguments of ${call.name} are not a JSON object: ${call.arguments.slice(0, 200)}`,
        });
      let outcome: ToolOutcome | undefined;
      try {
        outcome = runTool(role, call.name, (call.arguments ?? {}) as JsonObject, {
          role,
          from: message.from,
          requestId: message.id,
          now: ctx.now,
        });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return refuse({ error: { field: error.field, message: error.message } });
      }
      const result = await preview(ctx, outcome!);
      actions.push({
        call,
        ...(outcome!.kind === 'reply' || outcome!.kind === 'memory.read' ? {} : { outcome: outcome! }),
      });
      return { callId: call.id, tool: call.name, input: call.arguments, ok: true, result };
    };
    const result = await mind.loop({
      role,
      subject,
      content,
      system: systemPrompt(role, { now: ctx.now, ...gathered }),
      user: requestText(subject, content),
      tools: loopTools(role),
      run,
      limits: { maxTurns, maxTokens, deadline: ctx.deadline },
      now: () => new Date(Math.max(Date.now(), ctx.now.getTime())),
      call: callOf(ctx, decisionId),
    });
    return { kind: 'loop', result, actions };
  }

  /** What a tool call will do, as the model reads it while it thinks: nothing is written yet. */
  async function preview(ctx: ThinkContext, outcome: ToolOutcome): Promise<JsonObject> {
    const { role, store } = ctx;
    switch (outcome.kind) {
      case 'reply':
        return outcome.content;
      case 'memory.read':
        return { memories: await store.findMemories({ ...outcome, limit: 20 }) };
      case 'memory.write':
        return { will: `remember "${outcome.key}" when I act` };
      case 'override':
        return {
          will: `ask to override decision ${outcome.decisionId} to ${outcome.status}; the override is judged against my authority when I act`,
        };
      case 'collaborative':
        return {
          will: `open the collaborative decision "${outcome.title}"`,
          participants: outcome.participants ?? 'those who join a broadcast',
        };
      case 'escalation':
        return { will: `escalate "${outcome.proposal.title}" to ${outcome.to}`, reason: outcome.reason };
      case 'decision': {
        const d = { ...draftDecision(role, outcome.proposal) };
        const check = await authorityOf(store, role, d, {
          escalated: false,
          now: ctx.now,
          windowDays: ctx.governance.splitWindowDays,
          lock: false,
        });
        return check.ok
          ? {
              will: `open decision "${outcome.proposal.title}"`,
              authority: `within ${role} authority: it will be approved`,
            }
          : {
              will: `open decision "${outcome.proposal.title}"`,
              authority: `it will escalate to ${check.to}: ${check.reason}`,
            };
      }
      case 'consult':
        return { error: 'consulting is not a tool of the loop' };
    }
  }

  async function thinkEscalation(ctx: ThinkContext): Promise<Thought> {
    const { role, message, store } = ctx;
    if (!isRole(message.from)) return { kind: 'none' }; // an escalation comes only from the role below
    const { decisionId } = parseWith(DecisionRef, message.content);
    const d = await store.getDecision(decisionId);
    if (!d || d.owner !== role || d.status !== 'pending') return { kind: 'escalation', decisionId };
    const check = await authorityOf(store, role, d, {
      escalated: true,
      now: ctx.now,
      windowDays: ctx.governance.splitWindowDays,
      lock: false,
    });
    if (!check.ok) return { kind: 'escalation', decisionId };
    const facts = await escalationFacts(store, d);
    return { kind: 'escalation', decisionId, judgement: await mind.judge(role, facts, callOf(ctx, d.id)) };
  }

  async function thinkBroadcast(ctx: ThinkContext): Promise<Thought> {
    const { role, message, store } = ctx;
    const body = text(message.subject, message.content);
    const decisionId =
      typeof message.content.decisionId === 'string' ? message.content.decisionId : undefined;
    const keyword = selfSelect(role, body, {});
    const verdict = keyword.needsLlm
      ? selfSelect(role, body, { llmVerdict: await mind.relevance(role, body, callOf(ctx, decisionId)) })
      : keyword;
    const said = { join: verdict.join, as: verdict.as, reason: verdict.reason };
    if (!verdict.join) return { kind: 'broadcast', verdict: said };
    if (decisionId) {
      // only the decision this broadcast opened: its content cannot point a joiner at another
      const d = await store.getDecision(decisionId);
      if (d?.status !== 'voting' || d.broadcastId !== message.id) return { kind: 'broadcast', verdict: said };
      const followUp =
        discussionOf(d)?.phase === 'discussing'
          ? await thinkPosition(ctx, d)
          : await thinkVote(ctx, d, undefined, verdict.as);
      return { kind: 'broadcast', verdict: said, followUp };
    }
    // the lead of a plain broadcast says its take, and may act on it
    if (verdict.as === 'lead')
      return {
        kind: 'broadcast',
        verdict: said,
        followUp: await thinkLoop(ctx, message.subject, message.content),
      };
    return { kind: 'broadcast', verdict: said };
  }

  /** The CEO picks a lead for a broadcast nobody joined: its model, or the role with the closest domains. */
  async function thinkLead(ctx: ThinkContext, broadcast: Message): Promise<Thought> {
    const body = text(broadcast.subject, broadcast.content);
    const best = closestRoles(body, isRole(broadcast.from) ? [broadcast.from] : [])[0];
    const closest: { lead: Role; reason: string } = best?.matched.length
      ? { lead: best.role, reason: `closest domains: ${best.matched.join(', ')}` }
      : { lead: 'ceo', reason: "no role's domains touch it: the CEO leads it" };
    const picked = await mind.pickLead(
      ctx.role,
      body,
      ROLES.filter((r) => r !== broadcast.from),
      closest,
      callOf(ctx),
    );
    return { kind: 'lead', broadcastId: broadcast.id, lead: picked.lead, reason: picked.reason };
  }

  // --- acting -----------------------------------------------------------------------------------

  /** Applies a tool's outcome in the delivery's transaction: the reply content (or the error) it comes to. */
  async function perform(
    ctx: ActContext,
    tool: string,
    outcome: ToolOutcome,
    consulted?: Consulted,
  ): Promise<{ type: 'response' | 'error'; content: JsonObject }> {
    const { role, message, tx } = ctx;
    const ok = (content: JsonObject) => ({ type: 'response' as const, content: { tool, ...content } });
    switch (outcome.kind) {
      case 'reply':
        return ok(outcome.content);
      case 'decision':
      case 'escalation': {
        const d = await openDecision(ctx, {
          owner: role,
          initiator: message.from,
          proposal: outcome.proposal,
          messageId: message.id,
          ...(outcome.kind === 'escalation'
            ? { escalateTo: { to: outcome.to, reason: outcome.reason } }
            : {}),
        });
        return ok(decisionReply(d));
      }
      case 'collaborative': {
        const d = await openCollaborative(ctx, {
          owner: role,
          initiator: message.from,
          proposal: outcome.proposal,
          participants: outcome.participants,
          deadlineMinutes: outcome.deadlineMinutes,
          messageId: message.id,
          idempotencyKey: message.idempotencyKey ?? message.id,
        });
        return ok({ ...decisionReply(d), participants: d.participants, broadcastId: d.broadcastId });
      }
      case 'override': {
        const done = await overrideDecision(ctx, {
          by: role,
          requestedBy: message.from,
          decisionId: outcome.decisionId,
          status: outcome.status,
          reason: outcome.reason,
          messageId: message.id,
        });
        if (done.refused)
          return {
            type: 'error',
            content: {
              tool,
              error: { code: 'Forbidden', field: 'decisionId', message: done.refused },
              overrideId: done.override.id,
            },
          };
        return ok({ ...decisionReply(done.target), overrideId: done.override.id });
      }
      case 'memory.write':
        return ok({ stored: await tx.putMemory({ ...outcome, author: role, now: ctx.now }) });
      case 'memory.read':
        return ok({ memories: await tx.findMemories({ ...outcome, limit: 20 }) });
      case 'consult':
        return ok(await saveConsultation(ctx, outcome, consulted!));
    }
  }

  async function saveConsultation(
    ctx: ActContext,
    outcome: Extract<ToolOutcome, { kind: 'consult' }>,
    answer: Consulted,
  ): Promise<JsonObject> {
    const data = answer.data ? { data: answer.data } : {};
    if (outcome.mode === 'once') return { answer: answer.text, ...data, tokens: answer.tokens };
    const { live, turns } = await consultation(ctx.tx, ctx, outcome);
    const kept = [
      ...turns,
      { role: 'assistant' as const, content: answer.text, at: ctx.now.toISOString() },
    ].slice(-SESSION_KEPT_TURNS);
    const session = {
      id: live?.id ?? ctx.newId(),
      role: ctx.role,
      turns: kept,
      tokensUsed: (live?.tokensUsed ?? 0) + answer.tokens,
      createdAt: live?.createdAt ?? ctx.now.toISOString(),
      lastUsedAt: ctx.now.toISOString(),
      expiresAt: new Date(ctx.now.getTime() + SESSION_IDLE_MS).toISOString(),
    };
    await ctx.tx.saveSession(session);
    const warnings: string[] = [];
    if (outcome.sessionId && !live)
      warnings.push(`session ${outcome.sessionId} expired or unknown; a new one was started`);
    if (session.tokensUsed > SESSION_WARN_TOKENS)
      warnings.push(`context is large (${session.tokensUsed} tokens); start a new session soon`);
    if (turns.length + 1 > SESSION_KEPT_TURNS)
      warnings.push(`only the last ${SESSION_KEPT_TURNS} turns are kept`);
    return {
      sessionId: session.id,
      answer: answer.text,
      ...data,
      turns: session.turns.length,
      tokensUsed: session.tokensUsed,
      warnings,
    };
  }

  /** A loop's reply: the answer, and each action with what it really came to (its decision, now committed). */
  async function loopReply(
    ctx: ActContext,
    thought: Extract<Thought, { kind: 'loop' }>,
  ): Promise<JsonObject> {
    const { result } = thought;
    const applied = new Map<string, JsonObject>();
    for (const { call, outcome } of thought.actions) {
      if (outcome) applied.set(call.id, (await perform(ctx, call.name, outcome)).content);
    }
    const actions = result.runs.map((r) => ({
      tool: r.tool,
      input: r.input,
      ok: r.ok,
      result: applied.get(r.callId) ?? r.result,
    }));
    return {
      ...(result.extra ?? {}),
      answer: result.refusal
        ? `${REGISTRY[ctx.role].title}: I cannot take this on (the model declined it).`
        : result.answer,
      ...(result.refusal ? { refused: { by: result.by, text: result.refusal } } : {}),
      actions,
      stop: result.stop,
      by: result.by,
      ...(result.turns ? { turns: result.turns, tokens: result.tokens } : {}),
    };
  }

  async function actVote(ctx: ActContext, thought: Extract<Thought, { kind: 'vote' }>): Promise<void> {
    const d = await ctx.tx.getDecision(thought.decisionId);
    if (d?.status !== 'voting')
      throw new ValidationError(
        'decisionId',
        `decision ${thought.decisionId} is ${d?.status ?? 'gone'}, no longer voting`,
      );
    await ctx.post({
      from: ctx.role,
      to: d.owner ?? 'ceo',
      type: 'vote',
      subject: `Vote: ${d.title}`.slice(0, 500),
      content: {
        decisionId: d.id,
        ...thought.judgement,
        ...(thought.as !== undefined ? { as: thought.as } : {}),
      },
      priority: 'normal',
      metadata: {},
      inReplyTo: ctx.message.id,
    });
  }

  async function actPosition(
    ctx: ActContext,
    thought: Extract<Thought, { kind: 'position' }>,
  ): Promise<void> {
    const d = await ctx.tx.getDecision(thought.decisionId);
    if (d?.status !== 'voting' || discussionOf(d)?.phase !== 'discussing')
      throw new ValidationError('decisionId', `decision ${thought.decisionId} is no longer being discussed`);
    // said first, then recorded: the last position of a round asks for the votes, after it
    await ctx.post({
      from: ctx.role,
      to: d.owner ?? 'ceo',
      type: 'response',
      subject: `Position: ${d.title}`.slice(0, 500),
      content: { decisionId: d.id, ...thought.position },
      priority: 'normal',
      metadata: { decisionId: d.id },
      inReplyTo: ctx.message.id,
    });
    await recordPosition(ctx, d.id, { role: ctx.role, ...thought.position });
  }

  async function actSynthesis(
    ctx: ActContext,
    thought: Extract<Thought, { kind: 'synthesis' }>,
  ): Promise<void> {
    const d = await ctx.tx.getDecision(thought.decisionId, { lock: true });
    if (!d || d.outcome) return;
    // the decision completes with its synthesis when the vote ended it; an approval that climbs the
    // chain completes where the chain ends
    const ended = (d.status === 'approved' || d.status === 'rejected') && !d.completedAt;
    const done = await ctx.tx.updateDecision(d.id, d.version, {
      outcome: thought.synthesis,
      ...(ended ? { completedAt: ctx.now } : {}),
    });
    await ctx.emit(
      'DecisionCompleted',
      { decisionId: d.id, status: d.status, consensusScore: d.consensusScore },
      'decisions:completed',
    );
    await ctx.post({
      from: 'ceo',
      to: 'all',
      type: 'decision',
      subject: `Synthesis: ${d.title}`,
      content: { decisionId: d.id, status: done?.status ?? d.status, ...thought.synthesis },
      priority: 'high',
      metadata: { decisionId: d.id },
      inReplyTo: ctx.message.id,
    });
  }

  async function actBroadcast(
    ctx: ActContext,
    thought: Extract<Thought, { kind: 'broadcast' }>,
  ): Promise<void> {
    const { role, message } = ctx;
    const take = thought.followUp?.kind === 'loop' ? await loopReply(ctx, thought.followUp) : undefined;
    await ctx.post({
      from: role,
      to: isRole(message.from) ? message.from : 'human',
      type: 'participation',
      subject: `Participation: ${message.subject}`.slice(0, 500),
      content: { ...thought.verdict, ...(take ? { take } : {}) },
      priority: 'normal',
      metadata: {},
      inReplyTo: message.id,
    });
    if (thought.followUp?.kind === 'vote') await actVote(ctx, thought.followUp);
    if (thought.followUp?.kind === 'position') await actPosition(ctx, thought.followUp);
    if (typeof message.content.decisionId !== 'string') await ownerless(ctx);
  }

  /** The last verdict on a plain broadcast that nobody joined sends it to the CEO, who assigns a lead. */
  async function ownerless(ctx: ActContext): Promise<void> {
    const { message } = ctx;
    const verdicts = await ctx.tx.verdictsOn(message.id);
    const mine = verdicts.some((v) => v.role === ctx.role)
      ? verdicts
      : [...verdicts, { role: ctx.role, join: false }];
    if (mine.length < message.recipients.length || mine.some((v) => v.join)) return;
    await ctx.post({
      from: 'system',
      to: 'ceo',
      type: 'request',
      subject: 'assign_lead',
      // about the broadcast, not an answer to it (every recipient answered it, with its verdict)
      content: { broadcastId: message.id, subject: message.subject, declined: mine.map((v) => v.role) },
      priority: message.priority,
      metadata: { broadcastId: message.id },
      idempotencyKey: `assign-lead:${message.id}`,
    });
  }

  async function actLead(ctx: ActContext, thought: Extract<Thought, { kind: 'lead' }>): Promise<void> {
    const broadcast = await ctx.tx.getMessage(thought.broadcastId);
    if (!broadcast) return;
    await ctx.post({
      from: 'ceo',
      to: thought.lead,
      type: 'request',
      subject: `Lead: ${broadcast.subject}`.slice(0, 500),
      content: {
        broadcastId: broadcast.id,
        assignedBy: 'ceo',
        reason: thought.reason,
        request: broadcast.content,
      },
      priority: broadcast.priority,
      metadata: {},
      // in the thread of the CEO's assignment: the CEO answered the broadcast once, with its verdict
      inReplyTo: ctx.message.id,
    });
    await ctx.post({
      from: 'ceo',
      to: isRole(broadcast.from) ? broadcast.from : 'human',
      type: 'notification',
      subject: `Lead assigned: ${broadcast.subject}`.slice(0, 500),
      content: {
        broadcastId: broadcast.id,
        lead: thought.lead,
        reason: thought.reason,
        note: 'nobody joined it',
      },
      priority: 'normal',
      metadata: {},
      inReplyTo: ctx.message.id,
    });
  }

  async function actRequest(ctx: ActContext, thought: Thought): Promise<void> {
    switch (thought.kind) {
      case 'refused':
        await reply(ctx, { tool: ctx.message.subject, ...errorContent(thought.error) }, 'error');
        return;
      case 'vote':
        return actVote(ctx, thought);
      case 'position':
        return actPosition(ctx, thought);
      case 'synthesis':
        return actSynthesis(ctx, thought);
      case 'lead':
        return actLead(ctx, thought);
      case 'tool': {
        const done = await perform(ctx, ctx.message.subject, thought.outcome, thought.consult);
        await reply(ctx, done.content, done.type);
        return;
      }
      case 'loop':
        await reply(ctx, await loopReply(ctx, thought));
        return;
      default:
        return;
    }
  }

  async function act(ctx: ActContext): Promise<void> {
    const { role, message } = ctx;
    const thought = (ctx.thought as Thought | undefined) ?? { kind: 'none' };
    try {
      switch (message.type) {
        case 'request':
          return await actRequest(ctx, thought);
        case 'escalation': {
          if (thought.kind !== 'escalation') return;
          await handleEscalation(ctx, role, thought.decisionId, thought.judgement);
          return;
        }
        case 'broadcast':
          if (thought.kind === 'broadcast') await actBroadcast(ctx, thought);
          return;
        case 'participation': {
          if (!isRole(message.from) || !message.metadata.inReplyTo) return;
          const p = parseWith(ParticipationContent, message.content);
          await recordParticipation(ctx, message.metadata.inReplyTo, message.from, p.join, p.as);
          return;
        }
        case 'vote': {
          if (!isRole(message.from)) throw new ValidationError('from', 'from: a vote must come from a role');
          const v = parseWith(VoteContent, message.content);
          await recordVote(ctx, v.decisionId, {
            voter: message.from as Role,
            vote: v.vote,
            confidence: v.confidence,
            rationale: v.rationale,
          });
          return;
        }
        default:
          return; // notifications, responses, decisions, errors: read and recorded
      }
    } catch (error) {
      // a malformed or refused organizational message is answered, not retried forever
      if (!answerable(error)) throw error;
      if (message.type === 'request' || message.type === 'vote')
        await reply(ctx, errorContent(error), 'error');
    }
  }

  return { think, act };
}

/** A decision as it would be opened from a proposal: what a preview of its authority reads. */
function draftDecision(role: Role, p: DecisionProposal): Decision {
  return {
    id: '00000000-0000-0000-0000-000000000000',
    parentId: null,
    type: p.kind,
    category: p.category ?? null,
    domain: p.domain,
    mode: 'autonomous',
    status: 'pending',
    owner: role,
    initiator: 'human',
    title: p.title,
    budgetUsd: p.budgetUsd ?? null,
    confidence: p.confidence,
    reason: null,
    participants: [],
    consensusScore: null,
    outcome: null,
    context: p.details,
    messageId: null,
    broadcastId: null,
    purposeKey: purposeKey(p.title),
    vendorKey: vendorKey(p.details),
    deadlineAt: null,
    version: 0,
    createdAt: new Date(0).toISOString(),
    completedAt: null,
  };
}
