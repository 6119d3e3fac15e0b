/**
 * A tool's input as JSON Schema, from its zod schema: what a caller writes (fields with a default
 * are optional). One conversion for every place a tool is described to the outside: the MCP
 * servers, the model's tools in the agent loop, the API's catalogue.
 */
import * as z from 'zod';
import type { JsonSchema } from './llm.ts';

const known = new WeakMap<z.ZodType, JsonSchema>();

export function toolInputSchema(input: z.ZodType): JsonSchema & { type: 'object' } {
  let schema = known.get(input);
  if (!schema) {
    const { $schema: _dialect, ...rest } = z.toJSONSchema(input, { io: 'input', unrepresentable: 'any' });
    schema = { ...rest, type: 'object' };
    known.set(input, schema);
  }
  return schema as JsonSchema & { type: 'object' };
}
