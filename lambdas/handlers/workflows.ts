/**
 * The workflow coordinator Lambda: triggered by the workflow rules (replies, decisions that moved)
 * and by a schedule (WorkflowTick: lost events, deadlines). A seam only: parse, then call the core.
 */
import * as z from 'zod';
import { MessagePostedSchema } from '../../events/message-posted.ts';
import type { EventEnvelope } from '../adapters/bus/port.ts';
import { ValidationError } from '../core/errors.ts';
import type { PipelineDeps } from '../core/pipeline.ts';
import { WORKFLOW_TICK_DETAIL_TYPE } from '../core/rules.ts';
import { WORKFLOWS } from '../core/workflows/builtin/index.ts';
import { onWorkflowEvent, tickWorkflows } from '../core/workflows/coordinator.ts';
import type { Catalog } from '../core/workflows/engine.ts';
import { lambdaDeps, lambdaEntry } from './deps.ts';

const DecisionEvent = z.object({ decisionId: z.uuid() }).loose();

function detailOf<S extends z.ZodType>(schema: S, event: EventEnvelope): z.output<S> {
  const parsed = schema.safeParse(event.detail);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    'detail',
    `event ${event.id}: not a ${event['detail-type']} detail: ${parsed.error.issues[0]?.message}`,
  );
}

export function createWorkflowHandler(deps: () => Promise<PipelineDeps>, catalog: Catalog = WORKFLOWS) {
  return async (event: EventEnvelope): Promise<void> => {
    const d = await deps();
    switch (event['detail-type']) {
      case WORKFLOW_TICK_DETAIL_TYPE: {
        const result = await tickWorkflows(d, catalog);
        d.logger.info('workflows checked', { ...result });
        return;
      }
      case 'MessagePosted': {
        const detail = detailOf(MessagePostedSchema, event);
        if (detail.inReplyTo) await onWorkflowEvent(d, catalog, 'reply', detail.inReplyTo);
        return;
      }
      default: {
        const { decisionId } = detailOf(DecisionEvent, event);
        await onWorkflowEvent(d, catalog, 'decision', decisionId);
      }
    }
  };
}

export const handler = lambdaEntry(createWorkflowHandler(lambdaDeps));
