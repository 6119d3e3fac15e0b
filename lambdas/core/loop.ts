/**
 * The agent loop, as a pure step: the model reads the conversation, asks for tools, reads their
 * results and answers, within bounds of turns, tokens and time. State and the model's answer (or
 * the tools' results) go in, the next action comes out: ask the model, run these tools, or done.
 * Time comes in as a parameter; nothing here calls a model, a tool or a clock.
 *
 * Authority is not the loop's business: a tool is the role's own code, and whatever the model asks
 * of it is judged there (a model asking the CTO's tool for $900,000 gets an escalation).
 */
import type { ChatMessage, ChatResponse, ToolCall } from './llm.ts';
import type { JsonObject } from './messages.ts';

export interface LoopLimits {
  /** Model calls at most (a turn: one call, and the tools it asked for). */
  maxTurns: number;
  /** Tokens (in and out, every call) at most for the delivery. */
  maxTokens: number;
  /** When thinking must be done. */
  deadline: Date;
}

export const DEFAULT_LOOP_TURNS = 6;
export const DEFAULT_LOOP_TOKENS = 20_000;

/** One tool call as it ran while the agent thought: its input, what it answered, and whether it was valid. */
export interface ToolRun {
  callId: string;
  tool: string;
  input: unknown;
  /** False when the call was refused (unknown tool, invalid arguments): the result is the error. */
  ok: boolean;
  result: JsonObject;
}

export type LoopStop =
  /** The model answered. */
  | 'answered'
  | 'turns'
  | 'tokens'
  | 'time'
  /** The model refused; its refusal is the answer. */
  | 'refusal'
  /** The model asked with invalid arguments again after being told what was wrong. */
  | 'invalid_calls';

export interface LoopState {
  messages: ChatMessage[];
  turns: number;
  tokens: number;
  /** Refused tool calls so far: the first goes back to the model as the tool's error; a second ends the loop. */
  invalid: number;
  runs: ToolRun[];
}

export type LoopNext =
  | { kind: 'ask' }
  | { kind: 'run'; calls: ToolCall[] }
  | { kind: 'done'; answer: string; stop: LoopStop };

export function startLoop(system: string, user: string): { state: LoopState; next: LoopNext } {
  return {
    state: {
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
      turns: 0,
      tokens: 0,
      invalid: 0,
      runs: [],
    },
    next: { kind: 'ask' },
  };
}

/** Why the loop must stop before another call, if it must. */
function bound(
  state: LoopState,
  limits: LoopLimits,
  now: Date,
): Exclude<LoopStop, 'answered' | 'refusal' | 'invalid_calls'> | undefined {
  if (state.turns >= limits.maxTurns) return 'turns';
  if (state.tokens >= limits.maxTokens) return 'tokens';
  if (now >= limits.deadline) return 'time';
  return undefined;
}

const STOPPED: Record<string, string> = {
  turns: 'I stopped before finishing: I used every turn I had',
  tokens: 'I stopped before finishing: I used the tokens I had for this',
  time: 'I stopped before finishing: my time for this ran out',
  invalid_calls: 'I stopped: I could not form a valid call of the tool I needed',
};

/** What is said when the loop stops on a bound: what the model said last, and why it stopped. */
function stoppedAnswer(state: LoopState, stop: keyof typeof STOPPED): string {
  const last = [...state.messages].reverse().find((m) => m.role === 'assistant' && m.content.trim());
  return last ? `${last.content.trim()}\n(${STOPPED[stop]}.)` : `${STOPPED[stop]}.`;
}

/** The model answered: a final answer, a refusal, or tools to run (if the bounds allow another turn after them). */
export function afterModel(state: LoopState, response: ChatResponse): { state: LoopState; next: LoopNext } {
  const next: LoopState = {
    ...state,
    turns: state.turns + 1,
    tokens: state.tokens + response.usage.inputTokens + response.usage.outputTokens,
    messages: [
      ...state.messages,
      {
        role: 'assistant',
        content: response.text,
        ...(response.toolCalls.length ? { toolCalls: response.toolCalls } : {}),
      },
    ],
  };
  if (response.stopReason === 'refusal')
    return {
      state: next,
      next: { kind: 'done', answer: response.refusal ?? response.text, stop: 'refusal' },
    };
  if (response.toolCalls.length === 0)
    return { state: next, next: { kind: 'done', answer: response.text, stop: 'answered' } };
  // the tools run even on the last turn: what the model asked for is done, and said in the reply
  return { state: next, next: { kind: 'run', calls: response.toolCalls } };
}

/** The tools ran: their results go back to the model, unless a bound (or a second invalid call) ends the loop. */
export function afterTools(
  state: LoopState,
  runs: ToolRun[],
  limits: LoopLimits,
  now: Date,
): { state: LoopState; next: LoopNext } {
  const refused = runs.filter((r) => !r.ok).length;
  const next: LoopState = {
    ...state,
    invalid: state.invalid + refused,
    runs: [...state.runs, ...runs],
    messages: [
      ...state.messages,
      ...runs.map(
        (r): ChatMessage => ({
          role: 'tool',
          toolCallId: r.callId,
          name: r.tool,
          content: JSON.stringify(r.result),
          ...(r.ok ? {} : { isError: true }),
        }),
      ),
    ],
  };
  if (next.invalid > 1)
    return {
      state: next,
      next: { kind: 'done', answer: stoppedAnswer(next, 'invalid_calls'), stop: 'invalid_calls' },
    };
  const stop = bound(next, limits, now);
  if (stop) return { state: next, next: { kind: 'done', answer: stoppedAnswer(next, stop), stop } };
  return { state: next, next: { kind: 'ask' } };
}

/** Before the first call: a loop whose time is already up does not call at all. */
export function beforeFirstCall(state: LoopState, limits: LoopLimits, now: Date): LoopNext {
  const stop = bound(state, limits, now);
  return stop ? { kind: 'done', answer: stoppedAnswer(state, stop), stop } : { kind: 'ask' };
}
