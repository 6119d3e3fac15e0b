/** The four tools every role has: one-shot and session consultation, and organizational memory. */
import * as z from 'zod';
import type { ToolDefinition } from './types.ts';

const Prompt = z
  .string({ error: 'is required' })
  .trim()
  .min(1, 'must not be empty')
  .max(20_000, 'must be at most 20000 characters');
const Tag = z.string().trim().min(1).max(50);

export function commonTools(): ToolDefinition[] {
  return [
    {
      name: 'ai_consult',
      description: "Ask the role's model one question",
      input: z.object({ prompt: Prompt }).loose(),
      run: (input) => ({ kind: 'consult', mode: 'once', prompt: input.prompt }),
    },
    {
      name: 'session_consult',
      description:
        'A multi-turn consultation; pass sessionId to continue (sessions expire after an idle hour)',
      input: z
        .object({ prompt: Prompt, sessionId: z.uuid('must be a session id (uuid)').optional() })
        .loose(),
      run: (input) => ({
        kind: 'consult',
        mode: 'session',
        prompt: input.prompt,
        ...(input.sessionId ? { sessionId: input.sessionId } : {}),
      }),
    },
    {
      name: 'remember',
      description: 'Store an organizational memory under a key, with tags',
      input: z
        .object({
          key: z
            .string({ error: 'is required' })
            .trim()
            .min(1, 'must not be empty')
            .max(200, 'must be at most 200 characters'),
          content: z
            .string({ error: 'is required' })
            .min(1, 'must not be empty')
            .max(50_000, 'must be at most 50000 characters'),
          tags: z.array(Tag).max(20, 'at most 20 tags').default([]),
        })
        .loose(),
      run: (input) => ({ kind: 'memory.write', key: input.key, content: input.content, tags: input.tags }),
    },
    {
      name: 'recall',
      description: 'Find organizational memories by key or tags',
      input: z
        .object({ key: z.string().trim().min(1).max(200).optional(), tags: z.array(Tag).max(20).optional() })
        .loose(),
      run: (input) => ({
        kind: 'memory.read',
        ...(input.key ? { key: input.key } : {}),
        ...(input.tags ? { tags: input.tags } : {}),
      }),
    },
  ];
}
