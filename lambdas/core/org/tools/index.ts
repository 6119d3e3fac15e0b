/** Runs a role's tool: unknown name → undefined; invalid input → ValidationError naming the field. */
import { parseWith } from '../../../../events/validate.ts';
import type { JsonObject } from '../../messages.ts';
import type { Role } from '../../roles.ts';
import { REGISTRY } from '../registry.ts';
import type { ToolContext, ToolOutcome } from './types.ts';

export function findTool(role: Role, name: string) {
  return REGISTRY[role].tools.find((t) => t.name === name);
}

export function runTool(
  role: Role,
  name: string,
  input: JsonObject,
  ctx: ToolContext,
): ToolOutcome | undefined {
  const tool = findTool(role, name);
  if (!tool) return undefined;
  return tool.run(parseWith(tool.input, input), ctx);
}
