/**
 * An agent's judgement where rules leave room for it: answering free text, deciding whether a
 * broadcast concerns it (only between the keyword thresholds), and voting. The rules engine is
 * the default and the fallback; an LLM mind asks the role's model and falls back to the rules
 * when the model fails, unless failures are configured as fatal.
 */
import * as z from 'zod';
import {
  type ChatMessage,
  type ChatRequest,
  estimateRequestTokens,
  type Llm,
  TokenBudgetExceededError,
  TokenLedger,
} from './llm.ts';
import type { JsonObject } from './messages.ts';
import { roleDefinition } from './org/registry.ts';
import { answerFreeText, decideVote } from './org/rules-agent.ts';
import type { DecisionProposal } from './org/tools/types.ts';
import type { Logger } from './pipeline.ts';
import type { Role } from './roles.ts';

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

export interface Mind {
  answer(role: Role, subject: string, content: JsonObject): Promise<JsonObject>;
  /** Undefined when it has no opinion: the keyword score decides. `decisionId` charges its token budget. */
  relevance(role: Role, text: string, decisionId?: string): Promise<RelevanceJudgement | undefined>;
  vote(role: Role, proposal: DecisionProposal, decisionId?: string): Promise<VoteJudgement>;
  consult(role: Role, turns: ChatMessage[]): Promise<{ text: string; tokens: number }>;
}

export const rulesMind: Mind = {
  answer: async (role, subject, content) => answerFreeText(role, subject, content),
  relevance: async () => undefined,
  vote: async (role, proposal) => decideVote(role, proposal),
  consult: async (role, turns) => {
    const last = turns.filter((t) => t.role === 'user').at(-1)?.content ?? '';
    const text = `${roleDefinition(role).title}: noted "${last.slice(0, 200)}". ${JSON.stringify(answerFreeText(role, last, {}))}`;
    return { text, tokens: Math.ceil((last.length + text.length) / 4) };
  },
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

function parseJson<S extends z.ZodType>(schema: S, text: string): z.output<S> {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  return schema.parse(JSON.parse(text.slice(start, end + 1)));
}

export const DEFAULT_DECISION_TOKEN_BUDGET = 50_000;

/**
 * A mind that asks the role's model; `fatal` makes a model failure fail the delivery (it is
 * retried). Every call's tokens are logged; the calls made for one decision share its budget, past
 * which the rules engine answers (never fatal: it is a policy, not a failure).
 */
export function llmMind(
  llm: Llm,
  options: { logger: Logger; fatal?: boolean; timeoutMs?: number; decisionTokenBudget?: number },
): Mind {
  const ledger = new TokenLedger(options.decisionTokenBudget ?? DEFAULT_DECISION_TOKEN_BUDGET);
  const system = (role: Role) => {
    const def = roleDefinition(role);
    return `You are the ${def.title} of ECHO, an AI organization. ${def.persona} Your domains: ${def.domains.join(', ')}.`;
  };
  const ask = async <T>(
    role: Role,
    user: string | ChatMessage[],
    json: boolean,
    parse: (text: string) => T,
    fallback: () => Promise<T>,
    decisionId?: string,
  ): Promise<T> => {
    const def = roleDefinition(role);
    const request: ChatRequest = {
      model: def.llm.model,
      temperature: def.llm.temperature,
      maxTokens: def.llm.maxTokens,
      json,
      messages: [
        { role: 'system', content: system(role) },
        ...(typeof user === 'string' ? [{ role: 'user' as const, content: user }] : user),
      ],
    };
    try {
      if (decisionId) ledger.assertAvailable(decisionId, estimateRequestTokens(request));
    } catch (error) {
      if (!(error instanceof TokenBudgetExceededError)) throw error;
      options.logger.warn('decision token budget spent; the rules engine answers', {
        role,
        decisionId,
        error: error.message,
      });
      return fallback();
    }
    try {
      const response = await llm.chat(request, options.timeoutMs ? { timeoutMs: options.timeoutMs } : {});
      if (decisionId) ledger.charge(decisionId, response.usage);
      options.logger.info('llm call', {
        role,
        provider: response.provider,
        model: response.model,
        ...response.usage,
      });
      if (response.provider === 'rules' && llm.provider !== 'rules')
        throw new Error(`${llm.provider} failed; its rules fallback answered`);
      return parse(response.text);
    } catch (error) {
      if (options.fatal) throw error;
      options.logger.warn('llm failed; the rules engine answers', { role, error: String(error) });
      return fallback();
    }
  };
  return {
    answer: (role, subject, content) =>
      ask(
        role,
        `Request "${subject}": ${JSON.stringify(content)}`,
        false,
        (text) => ({ answer: text, role }),
        () => rulesMind.answer(role, subject, content),
      ),
    relevance: (role, text, decisionId) =>
      ask(
        role,
        `Does this broadcast need your expertise? Answer JSON {"join": boolean, "as": "lead"|"assist"|"observe"|null, "reason": string}.\n\n${text}`,
        true,
        (t) => parseJson(RelevanceSchema, t),
        async () => undefined,
        decisionId,
      ),
    vote: (role, proposal, decisionId) =>
      ask(
        role,
        `Vote on this proposal. Answer JSON {"vote": "approve"|"reject"|"abstain", "confidence": 0..1, "rationale": string}.\n\n${JSON.stringify(proposal)}`,
        true,
        (t) => parseJson(VoteSchema, t),
        () => rulesMind.vote(role, proposal),
        decisionId,
      ),
    consult: (role, turns) =>
      ask(
        role,
        turns,
        false,
        (text) => ({ text, tokens: Math.ceil(text.length / 4) }),
        () => rulesMind.consult(role, turns),
      ),
  };
}
