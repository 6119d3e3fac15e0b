/**
 * An agent's judgement where rules leave room for it: a free-text request (the agent loop: the
 * model calls the role's tools and answers), whether a broadcast concerns it (only between the
 * keyword thresholds), its position in a discussion, its vote, an escalation on its merits, the
 * CEO's synthesis, and consultation. The rules engine is the default and the fallback; an LLM mind
 * asks the role's model and falls back to the rules when the model fails, refuses or answers out of
 * shape, unless failures are configured as fatal. Structured answers are asked for with a JSON Schema
 * in the provider's own way and re-asked once when they do not fit it.
 */
import * as z from 'zod';
import {
  type CallPurpose,
  type ChatMessage,
  type ChatRequest,
  type ChatResponse,
  estimateRequestTokens,
  type Llm,
  TokenBudgetExceededError,
  TokenLedger,
  type ToolCall,
  type ToolSpec,
} from './llm.ts';
import {
  afterModel,
  afterTools,
  beforeFirstCall,
  type LoopLimits,
  type LoopStop,
  startLoop,
  type ToolRun,
} from './loop.ts';
import type { JsonObject } from './messages.ts';
import { planToolCall } from './org/intent.ts';
import { type EscalationFacts, type Judgement, judgeEscalation } from './org/merits.ts';
import { roleDefinition } from './org/registry.ts';
import { answerFreeText, decideVote } from './org/rules-agent.ts';
import { type Synthesis, type SynthesisInput, synthesize } from './org/synthesis.ts';
import type { DecisionProposal } from './org/tools/types.ts';
import type { Logger } from './pipeline.ts';
import type { Role } from './roles.ts';
import { assertDecisionBudget } from './traces.ts';

export interface VoteJudgement {
  vote: 'approve' | 'reject' | 'abstain';
  confidence: number;
  rationale: string;
}

export interface RelevanceJudgement {
  join: boolean;
  as: 'lead' | 'assist' | 'observe' | null;
  reason: string;
}

/** A participant's position in a collaborative decision's discussion. */
export interface Position {
  stance: 'support' | 'oppose' | 'undecided';
  position: string;
}

/** The message and decision a judgement is for (its trace says so; its decision's budget pays). */
/** What a consultation answers: its text, what it says as JSON when structured, its tokens. */
export interface Consulted {
  text: string;
  data?: JsonObject;
  tokens: number;
}

/** The JSON object a text is (a model asked a question may answer with one), or undefined. */
export function jsonObjectIn(text: string): JsonObject | undefined {
  const t = text
    .trim()
    .replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, '$1')
    .trim();
  if (!t.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

export interface MindCall {
  messageId?: string | undefined;
  decisionId?: string | undefined;
}

/** A free-text request for the agent loop: the context it reads, its tools, and how to run one. */
export interface LoopInput {
  role: Role;
  subject: string;
  content: JsonObject;
  /** The system prompt (lambdas/core/context.ts). */
  system: string;
  /** The request as the model reads it. */
  user: string;
  tools: ToolSpec[];
  /** Runs one tool call while the agent thinks: validated, previewed; effects wait for the commit. */
  run(call: ToolCall): Promise<ToolRun>;
  limits: LoopLimits;
  now: () => Date;
  call: MindCall;
}

export interface LoopResult {
  answer: string;
  stop: LoopStop;
  runs: ToolRun[];
  turns: number;
  tokens: number;
  /** Whose thinking it was: `rules`, or `model <id>`. */
  by: string;
  /** What the model refused, when it did: recorded as a refusal, not passed on as the agent's answer. */
  refusal?: string;
  /** More of the answer (the rules engine's: title, tools). */
  extra?: JsonObject;
}

export interface Mind {
  loop(input: LoopInput): Promise<LoopResult>;
  /** Undefined when it has no opinion: the keyword score decides. */
  relevance(role: Role, text: string, call?: MindCall): Promise<RelevanceJudgement | undefined>;
  discuss(
    role: Role,
    proposal: DecisionProposal,
    discussion: DiscussionEntry[],
    call?: MindCall,
  ): Promise<Position>;
  vote(
    role: Role,
    proposal: DecisionProposal,
    call?: MindCall,
    discussion?: DiscussionEntry[],
  ): Promise<VoteJudgement>;
  /**
   * A consultation's answer: its text, and (`data`) what it says as JSON when it is structured (the
   * rules engine's analysis, or a model that answered with a JSON object), never JSON inside the text.
   */
  consult(role: Role, turns: ChatMessage[], call?: MindCall): Promise<Consulted>;
  /** An escalated decision within the role's authority, decided on its merits. */
  judge(role: Role, facts: EscalationFacts, call?: MindCall): Promise<Judgement>;
  /** The CEO's synthesis of a closed vote. */
  synthesize(input: SynthesisInput, call?: MindCall): Promise<Synthesis & JsonObject>;
  /** The CEO picks who leads a broadcast nobody joined; `closest` is the rules' pick (the closest domains). */
  pickLead(
    role: Role,
    text: string,
    candidates: readonly Role[],
    closest: { lead: Role; reason: string },
    call?: MindCall,
  ): Promise<{ lead: Role; reason: string }>;
}

/** One participant's word in a discussion round. */
export interface DiscussionEntry {
  role: Role;
  round: number;
  stance: Position['stance'];
  position: string;
}

const STANCE: Record<VoteJudgement['vote'], Position['stance']> = {
  approve: 'support',
  reject: 'oppose',
  abstain: 'undecided',
};

/** What a vote says of the discussion it read (the rules engine's way of citing it). */
function citing(discussion: DiscussionEntry[] | undefined, role: Role): string {
  const others = (discussion ?? []).filter((d) => d.role !== role);
  if (!others.length) return '';
  const count = (s: Position['stance']) => others.filter((d) => d.stance === s).length;
  return ` (having read the discussion: ${others.map((d) => `${d.role} ${d.stance}`).join(', ')}; ${count('support')} for, ${count('oppose')} against)`;
}

/** What a tool call came to, said in a sentence (the rules engine's answer after it acted). */
function sayRun(run: ToolRun): string {
  const r = run.result as { authority?: unknown; will?: unknown; error?: unknown };
  if (!run.ok) return `I could not run ${run.tool}: ${JSON.stringify(r.error ?? r)}`;
  const what = [r.will, r.authority].filter((x) => typeof x === 'string').join('; ');
  return `I ran ${run.tool} with ${JSON.stringify(run.input)}${what ? `: ${what}` : ''}.`;
}

export const rulesMind: Mind = {
  /**
   * The rules engine as the loop's mind: a free-text request that asks for one of the role's tools,
   * with the inputs it needs, runs that tool (previewed now, applied when the agent acts); anything
   * else is answered in the role's voice, saying which tool or input to send.
   */
  loop: async (input) => {
    const free = answerFreeText(input.role, input.subject, input.content);
    const plan = planToolCall(input.role, input.subject, input.content);
    if (plan.kind !== 'call')
      return {
        answer: String(free.answer),
        stop: 'answered',
        runs: [],
        turns: 0,
        tokens: 0,
        by: 'rules',
        extra: free,
      };
    const run = await input.run({ id: 'rules-1', name: plan.tool, arguments: plan.input });
    const { suggestion: _done, ...said } = free;
    return {
      answer: `${roleDefinition(input.role).title}: ${sayRun(run)}`,
      stop: 'answered',
      runs: [run],
      turns: 0,
      tokens: 0,
      by: 'rules',
      extra: { ...said, because: plan.because },
    };
  },
  relevance: async () => undefined,
  discuss: async (role, proposal) => {
    const v = decideVote(role, proposal);
    return { stance: STANCE[v.vote], position: v.rationale };
  },
  vote: async (role, proposal, _call, discussion) => {
    const v = decideVote(role, proposal);
    return { ...v, rationale: `${v.rationale}${citing(discussion, role)}` };
  },
  consult: async (role, turns) => {
    const last = turns.filter((t) => t.role === 'user').at(-1)?.content ?? '';
    const data = answerFreeText(role, last, {});
    const said = typeof data.answer === 'string' ? ` ${data.answer}` : '';
    const text = `${roleDefinition(role).title}: noted "${last.slice(0, 200)}".${said}`;
    return { text, data, tokens: Math.ceil((last.length + JSON.stringify(data).length) / 4) };
  },
  judge: async (role, facts) => judgeEscalation(role, facts),
  synthesize: async (input) => ({ ...synthesize(input), writtenBy: 'rules' }),
  pickLead: async (_role, _text, _candidates, closest) => ({
    ...closest,
    reason: `${closest.reason} (rules)`,
  }),
};

const VoteSchema = z.object({
  vote: z.enum(['approve', 'reject', 'abstain']),
  confidence: z.number().min(0).max(1),
  rationale: z.string().min(1).max(2000),
});
const RelevanceSchema = z.object({
  join: z.boolean(),
  as: z.enum(['lead', 'assist', 'observe']).nullable(),
  reason: z.string().min(1).max(1000),
});
const JudgementSchema = z.object({
  verdict: z.enum(['approve', 'reject']),
  rationale: z.string().min(1).max(2000),
});
const PositionSchema = z.object({
  stance: z.enum(['support', 'oppose', 'undecided']),
  position: z.string().min(1).max(2000),
});
const SynthesisSchema = z.object({
  summary: z.string().min(1).max(2000),
  nextSteps: z.array(z.string().min(1).max(500)).min(1).max(8),
});

/** The first JSON object in a text (models wrap JSON in prose and code fences). */
function jsonIn(text: string): unknown {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error('no JSON object in the answer');
  return JSON.parse(text.slice(start, end + 1));
}

export const DEFAULT_DECISION_TOKEN_BUDGET = 50_000;

/** A model answer the mind cannot use: the caller falls back (or fails, when failures are fatal). */
class UnusableAnswer extends Error {}

/**
 * A mind that asks the role's model; `fatal` makes a model failure fail the delivery (it is
 * retried). Every call's tokens are logged; the calls made for one decision share its budget, past
 * which the rules engine answers (never fatal: it is a policy, not a failure).
 */
export function llmMind(
  llm: Llm,
  options: {
    logger: Logger;
    fatal?: boolean;
    timeoutMs?: number;
    decisionTokenBudget?: number;
    /** The system prompt of a role for one-shot questions (the loop builds its own). */
    persona?: (role: Role) => string;
    /**
     * The tokens a decision's model calls have used, from their record (the database): the budget is
     * one for every process. Absent: kept in this process.
     */
    tokensUsed?: (decisionId: string) => Promise<number>;
  },
): Mind {
  const budget = options.decisionTokenBudget ?? DEFAULT_DECISION_TOKEN_BUDGET;
  const ledger = new TokenLedger(budget);
  const tokensUsed = options.tokensUsed;
  const persona =
    options.persona ??
    ((role: Role) => {
      const def = roleDefinition(role);
      return `You are the ${def.title} of ECHO, an AI organization. ${def.persona} Your domains: ${def.domains.join(', ')}.`;
    });

  /** One call of the role's model, its budget checked and charged; a fallback's answer is not the model's. */
  async function chat(
    role: Role,
    request: Omit<ChatRequest, 'model' | 'temperature' | 'maxTokens'>,
    purpose: CallPurpose,
    timeoutMs?: number,
  ): Promise<ChatResponse> {
    const def = roleDefinition(role);
    const full: ChatRequest = {
      model: def.llm.model,
      temperature: def.llm.temperature,
      maxTokens: def.llm.maxTokens,
      ...request,
    };
    if (purpose.decisionId) {
      const estimate = estimateRequestTokens(full);
      if (tokensUsed)
        await assertDecisionBudget({ decisionTokensUsed: tokensUsed }, purpose.decisionId, estimate, budget);
      else ledger.assertAvailable(purpose.decisionId, estimate);
    }
    // (each call is logged and recorded by the traced Llm: lambdas/adapters/llm/traced.llm.ts)
    const response = await llm.chat(full, {
      purpose,
      ...((timeoutMs ?? options.timeoutMs) ? { timeoutMs: timeoutMs ?? options.timeoutMs } : {}),
    });
    if (purpose.decisionId && !tokensUsed) ledger.charge(purpose.decisionId, response.usage);
    if (response.provider === 'rules' && llm.provider !== 'rules')
      throw new Error(`${llm.provider} failed; its rules fallback answered`);
    return response;
  }

  /** Runs `attempt`; on a model failure, a spent budget or an unusable answer, the rules answer (or the failure is fatal). */
  async function orRules<T>(
    role: Role,
    purpose: string,
    attempt: () => Promise<T>,
    fallback: () => Promise<T>,
  ): Promise<T> {
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof TokenBudgetExceededError) {
        options.logger.warn('decision token budget spent; the rules engine answers', {
          role,
          purpose,
          error: error.message,
        });
        return fallback();
      }
      if (options.fatal && !(error instanceof UnusableAnswer)) throw error;
      options.logger.warn('llm unusable; the rules engine answers', { role, purpose, error: String(error) });
      return fallback();
    }
  }

  /**
   * A structured answer: asked with its JSON Schema, parsed, re-asked once with the error when it
   * does not fit; a refusal or a second misfit is unusable (the caller falls back, the reason logged).
   */
  async function structured<S extends z.ZodType>(
    role: Role,
    name: string,
    schema: S,
    messages: ChatMessage[],
    purpose: CallPurpose,
  ): Promise<{ value: z.output<S>; model: string }> {
    const responseSchema = { name, schema: z.toJSONSchema(schema) as Record<string, unknown> };
    let conversation = messages;
    for (let attempt = 1; ; attempt++) {
      const response = await chat(role, { messages: conversation, json: true, responseSchema }, purpose);
      if (response.stopReason === 'refusal')
        throw new UnusableAnswer(`the model refused: ${response.refusal ?? response.text}`);
      let problem: string;
      try {
        const parsed = schema.safeParse(jsonIn(response.text));
        if (parsed.success) return { value: parsed.data, model: response.model };
        problem = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      } catch (error) {
        problem = error instanceof Error ? error.message : String(error);
      }
      if (attempt >= 2) throw new UnusableAnswer(`the answer did not fit ${name} twice: ${problem}`);
      conversation = [
        ...conversation,
        { role: 'assistant', content: response.text },
        {
          role: 'user',
          content: `That answer does not fit the schema ${name}: ${problem}. Answer again with the JSON object only.`,
        },
      ];
    }
  }

  const oneShot = (role: Role, user: string): ChatMessage[] => [
    { role: 'system', content: persona(role) },
    { role: 'user', content: user },
  ];

  async function modelLoop(input: LoopInput): Promise<LoopResult> {
    let { state, next } = startLoop(input.system, input.user);
    next = beforeFirstCall(state, input.limits, input.now());
    let model = '';
    let refusal: string | undefined;
    for (;;) {
      if (next.kind === 'done') {
        return {
          answer: next.answer,
          stop: next.stop,
          runs: state.runs,
          turns: state.turns,
          tokens: state.tokens,
          by: `model ${model || roleDefinition(input.role).llm.model}`,
          ...(refusal ? { refusal } : {}),
        };
      }
      if (next.kind === 'ask') {
        const remaining = input.limits.deadline.getTime() - input.now().getTime();
        const response = await chat(
          input.role,
          { messages: state.messages, tools: input.tools, toolChoice: 'auto' },
          {
            role: input.role,
            purpose: 'loop',
            messageId: input.call.messageId,
            decisionId: input.call.decisionId,
          },
          Math.max(1, Math.min(remaining, options.timeoutMs ?? remaining)),
        );
        model = response.model;
        if (response.stopReason === 'refusal') refusal = response.refusal ?? response.text;
        ({ state, next } = afterModel(state, response));
        continue;
      }
      const runs = await Promise.all(next.calls.map((call) => input.run(call)));
      ({ state, next } = afterTools(state, runs, input.limits, input.now()));
    }
  }

  return {
    loop: (input) =>
      orRules(
        input.role,
        'loop',
        () => modelLoop(input),
        () => rulesMind.loop(input),
      ),
    relevance: (role, text, call) =>
      orRules(
        role,
        'relevance',
        async () =>
          (
            await structured(
              role,
              'relevance',
              RelevanceSchema,
              oneShot(
                role,
                `Does this broadcast need your expertise? Say whether you join, as lead, assist or observe, and why.\n\n${text}`,
              ),
              { role, purpose: 'relevance', ...call },
            )
          ).value,
        async () => undefined,
      ),
    discuss: (role, proposal, discussion, call) =>
      orRules(
        role,
        'discuss',
        async () =>
          (
            await structured(
              role,
              'position',
              PositionSchema,
              oneShot(
                role,
                `A collaborative decision is under discussion before the vote. State your position: support, oppose or undecided, and why, in a few sentences.\n\nProposal: ${JSON.stringify(proposal)}${discussion.length ? `\n\nSaid so far:\n${discussion.map((d) => `- ${d.role} (${d.stance}): ${d.position}`).join('\n')}` : ''}`,
              ),
              { role, purpose: 'discuss', ...call },
            )
          ).value,
        () => rulesMind.discuss(role, proposal, discussion, call),
      ),
    vote: (role, proposal, call, discussion) =>
      orRules(
        role,
        'vote',
        async () =>
          (
            await structured(
              role,
              'vote',
              VoteSchema,
              oneShot(
                role,
                `Vote on this proposal: approve, reject or abstain, with your confidence (0 to 1) and your rationale.${discussion?.length ? ' You have read the discussion: say how it weighs on your vote.' : ''}\n\nProposal: ${JSON.stringify(proposal)}${discussion?.length ? `\n\nThe discussion:\n${discussion.map((d) => `- ${d.role} (${d.stance}): ${d.position}`).join('\n')}` : ''}`,
              ),
              { role, purpose: 'vote', ...call },
            )
          ).value,
        () => rulesMind.vote(role, proposal, call, discussion),
      ),
    consult: (role, turns, call) =>
      orRules(
        role,
        'consult',
        async () => {
          const response = await chat(
            role,
            { messages: [{ role: 'system', content: persona(role) }, ...turns] },
            { role, purpose: 'consult', ...call },
          );
          if (response.stopReason === 'refusal')
            throw new UnusableAnswer(`the model refused: ${response.refusal ?? response.text}`);
          const data = jsonObjectIn(response.text);
          return {
            text: response.text,
            ...(data ? { data } : {}),
            tokens: response.usage.inputTokens + response.usage.outputTokens,
          };
        },
        () => rulesMind.consult(role, turns, call),
      ),
    judge: (role, facts, call) =>
      orRules(
        role,
        'judge',
        async () => {
          const { value, model } = await structured(
            role,
            'judgement',
            JudgementSchema,
            oneShot(
              role,
              `An escalated decision is within your authority: decide it on its merits, not because the budget fits. Read the proposal, why each hop sent it up, and the vote if there was one; approve or reject, and say why.\n\n${JSON.stringify(facts)}`,
            ),
            { role, purpose: 'judge', decisionId: facts.decisionId, ...call },
          );
          return { ...value, by: `model ${model}` };
        },
        () => rulesMind.judge(role, facts, call),
      ),
    synthesize: (input, call) =>
      orRules(
        'ceo',
        'synthesis',
        async () => {
          const facts = synthesize(input);
          const { value, model } = await structured(
            'ceo',
            'synthesis',
            SynthesisSchema,
            oneShot(
              'ceo',
              `A collaborative decision has closed. Write its synthesis for the organization: a summary (the outcome, how the vote went, the strongest argument on each side) and the next steps.\n\n${JSON.stringify({ title: input.title, outcome: input.outcome, breakdown: facts.breakdown, consensusScore: input.consensusScore, votes: input.votes, discussion: input.discussion ?? [] })}`,
            ),
            { role: 'ceo', purpose: 'synthesis', ...call },
          );
          return {
            ...facts,
            summary: value.summary,
            nextSteps: value.nextSteps,
            writtenBy: `model ${model}`,
          };
        },
        () => rulesMind.synthesize(input, call),
      ),
    pickLead: (role, text, candidates, closest, call) =>
      orRules(
        role,
        'lead',
        async () => {
          const schema = z.object({
            lead: z.enum(candidates as [Role, ...Role[]]),
            reason: z.string().min(1).max(1000),
          });
          const { value, model } = await structured(
            role,
            'lead',
            schema,
            oneShot(
              role,
              `Nobody in the organization took up this broadcast. Pick the role that should lead it (one of ${candidates.join(', ')}) and say why in a sentence. The closest domains suggest ${closest.lead}.\n\n${text}`,
            ),
            { role, purpose: 'lead', ...call },
          );
          return { lead: value.lead, reason: `${value.reason} (model ${model})` };
        },
        () => rulesMind.pickLead(role, text, candidates, closest, call),
      ),
  };
}
