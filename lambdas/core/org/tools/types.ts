/** Tools: each role's own catalogue, every input a zod schema validated on every call. */
import type * as z from 'zod';
import type { JsonObject } from '../../messages.ts';
import type { Role, Sender } from '../../roles.ts';

export interface ToolContext {
  role: Role;
  from: Sender;
  requestId: string;
  now: Date;
}

/** What the shell is asked to do with a decision; authority is checked by code (authority.ts). */
export interface DecisionProposal {
  kind: string;
  title: string;
  domain: string;
  category?: string;
  budgetUsd?: number;
  confidence: number;
  details: JsonObject;
}

export type ToolOutcome =
  | { kind: 'reply'; content: JsonObject }
  | { kind: 'decision'; proposal: DecisionProposal }
  | { kind: 'escalation'; to: Role | 'human'; reason: string; proposal: DecisionProposal }
  | {
      kind: 'collaborative';
      title: string;
      participants?: Role[];
      deadlineMinutes?: number;
      proposal: DecisionProposal;
    }
  | { kind: 'override'; decisionId: string; status: 'approved' | 'rejected'; reason: string }
  | { kind: 'memory.write'; key: string; content: string; tags: string[] }
  | { kind: 'memory.read'; key?: string; tags?: string[] }
  | { kind: 'consult'; mode: 'once' | 'session'; sessionId?: string; prompt: string };

// biome-ignore lint/suspicious/noExplicitAny: a catalogue holds tools of every input type; each validates its own
export interface ToolDefinition<I = any> {
  name: string;
  description: string;
  input: z.ZodType<I>;
  run(input: I, ctx: ToolContext): ToolOutcome;
}
