/**
 * The system's custom metrics, named once: the dashboard reads them and the handlers can emit them
 * (Powertools Metrics, as CloudWatch embedded metric format on stdout). Pure data, no CDK: a handler
 * may import this module without pulling the CDK into its bundle.
 *
 * Every function runs with POWERTOOLS_METRICS_NAMESPACE = METRICS_NAMESPACE and
 * POWERTOOLS_SERVICE_NAME = `echo-<stage>` (serviceName below). Powertools adds the `service`
 * dimension to every metric, so a metric's dimension set is `service` plus the one listed here, and
 * the dashboard graphs exactly those sets.
 */
import { DECISION_STATUSES } from '../lambdas/core/decision-types.ts';

export const METRICS_NAMESPACE = 'ECHO';

export const serviceName = (stage: string) => `echo-${stage}`;

export const METRICS = {
  /** A message committed by postMessage (count, created only: an idempotent repeat is not counted). */
  messagesPosted: { name: 'MessagesPosted', unit: 'Count' },
  /** An agent's delivery, by how it ended (the outcomes of the agent_activity records). */
  deliveries: {
    name: 'Deliveries',
    unit: 'Count',
    dimension: 'outcome',
    values: ['processed', 'duplicate', 'failed'],
  },
  /** A decision reaching a status. */
  decisions: {
    name: 'Decisions',
    unit: 'Count',
    dimension: 'status',
    values: DECISION_STATUSES,
  },
  /** Fan-out rows the relay or the sweeper published / left pending after a failure. */
  fanOutPublished: { name: 'FanOutPublished', unit: 'Count' },
  fanOutFailed: { name: 'FanOutFailed', unit: 'Count' },
} as const;
