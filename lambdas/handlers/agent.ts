/**
 * The agent Lambda: one per role (lambdas/handlers/agents/<role>.ts), triggered by its role's rule
 * for `MessagePosted` and by a schedule for `CatchUp`. A seam only: parse, then call the core.
 */
import { MessagePostedSchema } from '../../events/message-posted.ts';
import type { EventEnvelope } from '../adapters/bus/port.ts';
import { type AgentDeps, catchUp, processDelivery } from '../core/agent.ts';
import { ValidationError } from '../core/errors.ts';
import type { Role } from '../core/roles.ts';
import { CATCH_UP_DETAIL_TYPE } from '../core/rules.ts';
import { lambdaDeps, lambdaEntry } from './deps.ts';

export function createAgentHandler(role: Role, deps: () => Promise<AgentDeps>) {
  return async (event: EventEnvelope): Promise<void> => {
    const d = await deps();
    if (event['detail-type'] === CATCH_UP_DETAIL_TYPE) {
      const result = await catchUp(d, role);
      d.logger.info('catch-up done', { role, ...result });
      return;
    }
    const detail = MessagePostedSchema.safeParse(event.detail);
    if (!detail.success) {
      // name the field, as every other refusal does: `detail.messageId: ...`, not only zod's message
      const issue = detail.error.issues[0];
      const field = ['detail', ...(issue?.path ?? []).map(String)].join('.');
      throw new ValidationError(
        field,
        `event ${event.id}: not a MessagePosted detail: ${field}: ${issue?.message ?? 'malformed'}`,
      );
    }
    if (!detail.data.recipients.includes(role)) return;
    await processDelivery(d, role, detail.data.messageId);
  };
}

/** The Lambda entry of a role: dependencies from the environment, built once per container. */
export const lambdaAgent = (role: Role) => lambdaEntry(createAgentHandler(role, lambdaDeps));
