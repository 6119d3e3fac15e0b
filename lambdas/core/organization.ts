/**
 * The organization's behaviour: what an agent does with each message it is delivered.
 *   request      a tool of the role in `subject` runs with `content` as input (invalid input: an
 *                `error` reply naming the field); `cast_vote` and `synthesize_decision` are the
 *                organization's own requests; anything else is answered by the role's mind
 *   escalation   the superior decides the escalated decision within its own authority
 *   broadcast    self-selection: join as lead or assist, observe, or decline, with a reason
 *   participation / vote   recorded on the collaborative decision they belong to
 * Every reply carries metadata.inReplyTo; every effect commits with the delivery's claim.
 */
import * as z from 'zod';
import { parseWith } from '../../events/validate.ts';
import { type ActContext, type Behaviour, replyCommand } from './agent.ts';
import type { Decision } from './decision-types.ts';
import {
  handleEscalation,
  openCollaborative,
  openDecision,
  proposalOf,
  recordParticipation,
  recordVote,
} from './decisions.ts';
import { EchoError, ValidationError } from './errors.ts';
import type { JsonObject } from './messages.ts';
import { type Mind, rulesMind } from './mind.ts';
import { flattenText as flatten, selfSelect } from './org/relevance.ts';
import { synthesize } from './org/synthesis.ts';
import { runTool } from './org/tools/index.ts';
import type { ToolOutcome } from './org/tools/types.ts';
import { isRole, type Role } from './roles.ts';

const SESSION_IDLE_MS = 60 * 60_000;
const SESSION_KEPT_TURNS = 20;
const SESSION_WARN_TOKENS = 6000;

const DecisionRef = z.object({ decisionId: z.uuid('must be a decision id (uuid)') }).loose();
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

export function organization(options: { mind?: Mind } = {}): Behaviour {
  const mind = options.mind ?? rulesMind;

  const reply = (ctx: ActContext, content: JsonObject, type: 'response' | 'error' = 'response') =>
    ctx.post(replyCommand(ctx.message, ctx.role, { type, content }));

  async function apply(ctx: ActContext, outcome: ToolOutcome): Promise<void> {
    const { role, message, tx } = ctx;
    switch (outcome.kind) {
      case 'reply':
        await reply(ctx, { tool: message.subject, ...outcome.content });
        return;
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
        await reply(ctx, { tool: message.subject, ...decisionReply(d) });
        return;
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
        await reply(ctx, {
          tool: message.subject,
          ...decisionReply(d),
          participants: d.participants,
          broadcastId: d.broadcastId,
        });
        return;
      }
      case 'override': {
        const d = await tx.getDecision(outcome.decisionId, { lock: true });
        if (!d) throw new ValidationError('decisionId', `decisionId: no decision ${outcome.decisionId}`);
        if (d.status === 'awaiting_human') {
          throw new ValidationError(
            'decisionId',
            `decision ${d.id} awaits a human: only an authenticated human may resolve it, an agent never can`,
          );
        }
        const next = await tx.updateDecision(d.id, d.version, {
          status: outcome.status,
          reason: `overridden by ${role}: ${outcome.reason}`,
          completedAt: ctx.now,
        });
        await ctx.emit(
          'DecisionCompleted',
          { decisionId: d.id, status: outcome.status, overriddenBy: role },
          'decisions:completed',
        );
        await reply(ctx, { tool: message.subject, ...decisionReply(next ?? d) });
        return;
      }
      case 'memory.write': {
        const memory = await tx.putMemory({ ...outcome, author: role, now: ctx.now });
        await reply(ctx, { tool: message.subject, stored: memory });
        return;
      }
      case 'memory.read': {
        const memories = await tx.findMemories({ ...outcome, limit: 20 });
        await reply(ctx, { tool: message.subject, memories });
        return;
      }
      case 'consult':
        await reply(ctx, { tool: message.subject, ...(await consult(ctx, outcome)) });
        return;
    }
  }

  async function consult(
    ctx: ActContext,
    outcome: Extract<ToolOutcome, { kind: 'consult' }>,
  ): Promise<JsonObject> {
    if (outcome.mode === 'once') {
      const answer = await mind.consult(ctx.role, [{ role: 'user', content: outcome.prompt }]);
      return { answer: answer.text, tokens: answer.tokens };
    }
    const existing = outcome.sessionId ? await ctx.tx.getSession(outcome.sessionId) : undefined;
    const live =
      existing && existing.role === ctx.role && new Date(existing.expiresAt) > ctx.now ? existing : undefined;
    const turns = [
      ...(live?.turns ?? []),
      { role: 'user' as const, content: outcome.prompt, at: ctx.now.toISOString() },
    ];
    const answer = await mind.consult(
      ctx.role,
      turns.map((t) => ({ role: t.role, content: t.content })),
    );
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
      turns: session.turns.length,
      tokensUsed: session.tokensUsed,
      warnings,
    };
  }

  /** The role's vote on a decision still voting, sent to its owner (who records it). */
  async function voteOn(ctx: ActContext, decisionId: string, extra: JsonObject = {}): Promise<void> {
    const d = await ctx.tx.getDecision(decisionId);
    if (d?.status !== 'voting') return;
    const judgement = await mind.vote(ctx.role, proposalOf(d), d.id);
    await ctx.post({
      from: ctx.role,
      to: d.owner ?? 'ceo',
      type: 'vote',
      subject: `Vote: ${d.title}`.slice(0, 500),
      content: { decisionId, ...judgement, ...extra },
      priority: 'normal',
      metadata: {},
      inReplyTo: ctx.message.id,
    });
  }

  async function onRequest(ctx: ActContext): Promise<void> {
    const { role, message } = ctx;
    if (message.subject === 'cast_vote') {
      const { decisionId } = parseWith(DecisionRef, message.content);
      await voteOn(ctx, decisionId);
      return;
    }
    if (message.subject === 'synthesize_decision' && role === 'ceo') {
      const { decisionId } = parseWith(DecisionRef, message.content);
      const d = await ctx.tx.getDecision(decisionId, { lock: true });
      if (!d || d.completedAt) return;
      const votes = await ctx.tx.listVotes(d.id);
      const synthesis = synthesize({
        title: d.title,
        participants: d.participants,
        votes: votes.map((v) => ({ ...v, castAt: new Date(v.castAt) })),
        outcome: d.status as 'approved' | 'rejected',
        consensusScore: d.consensusScore,
      }) as unknown as JsonObject;
      const done = await ctx.tx.updateDecision(d.id, d.version, { outcome: synthesis, completedAt: ctx.now });
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
        content: { decisionId: d.id, status: done?.status ?? d.status, ...synthesis },
        priority: 'high',
        metadata: { decisionId: d.id },
        inReplyTo: message.id,
      });
      return;
    }
    let outcome: ToolOutcome | undefined;
    try {
      outcome = runTool(role, message.subject, message.content, {
        role,
        from: message.from,
        requestId: message.id,
        now: ctx.now,
      });
      if (outcome) await apply(ctx, outcome);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      await reply(
        ctx,
        { tool: message.subject, error: { code: error.code, field: error.field, message: error.message } },
        'error',
      );
      return;
    }
    if (!outcome) await reply(ctx, await mind.answer(role, message.subject, message.content));
  }

  async function onBroadcast(ctx: ActContext): Promise<void> {
    const { role, message } = ctx;
    const body = text(message.subject, message.content);
    const keyword = selfSelect(role, body, {});
    const verdict = keyword.needsLlm
      ? selfSelect(role, body, {
          llmVerdict: await mind.relevance(
            role,
            body,
            typeof message.content.decisionId === 'string' ? message.content.decisionId : undefined,
          ),
        })
      : keyword;
    const participation = { join: verdict.join, as: verdict.as, reason: verdict.reason };
    await ctx.post({
      from: role,
      to: isRole(message.from) ? message.from : 'human',
      type: 'participation',
      subject: `Participation: ${message.subject}`.slice(0, 500),
      content: participation,
      priority: 'normal',
      metadata: {},
      inReplyTo: message.id,
    });
    const decisionId = message.content.decisionId;
    if (verdict.join && typeof decisionId === 'string') await voteOn(ctx, decisionId, { as: verdict.as });
  }

  return async (ctx) => {
    const { role, message } = ctx;
    try {
      switch (message.type) {
        case 'request':
          return await onRequest(ctx);
        case 'escalation': {
          const { decisionId } = parseWith(DecisionRef, message.content);
          await handleEscalation(ctx, role, decisionId);
          return;
        }
        case 'broadcast':
          return await onBroadcast(ctx);
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
      if (
        !(error instanceof EchoError) ||
        error.code === 'Conflict' ||
        error.code === 'DatabaseUnavailable' ||
        error.code === 'SqlError'
      )
        throw error;
      if (message.type === 'request' || message.type === 'vote') {
        await reply(
          ctx,
          {
            error: {
              code: error.code,
              message: error.message,
              ...(error instanceof ValidationError ? { field: error.field } : {}),
            },
          },
          'error',
        );
      }
    }
  };
}
