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
import { DECISION_STATUSES } from './decision-types.ts';
import { RUN_STATUSES } from './workflows/types.ts';

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
    values: ['processed', 'duplicate', 'failed', 'given_up'],
  },
  /** A decision reaching a status. */
  decisions: {
    name: 'Decisions',
    unit: 'Count',
    dimension: 'status',
    values: DECISION_STATUSES,
  },
  /** A workflow run started (`running`) or reaching a status. */
  workflowRuns: {
    name: 'WorkflowRuns',
    unit: 'Count',
    dimension: 'status',
    values: RUN_STATUSES,
  },
  /** Fan-out rows the relay or the sweeper published / left pending after a failure. */
  fanOutPublished: { name: 'FanOutPublished', unit: 'Count' },
  fanOutFailed: { name: 'FanOutFailed', unit: 'Count' },
  /**
   * Age of the oldest outbox row left after a sweep (0 when the outbox is empty), in seconds: a
   * gauge the sweeper reports on every run. Rows live for milliseconds when fan-out works; an old
   * one means EventBridge or Redis has been failing (the stage's alarm on it is in
   * infra/constructs/monitoring.ts).
   */
  outboxOldestAge: { name: 'OutboxOldestAgeSeconds', unit: 'Seconds' },
  /**
   * A `GET /events` client disconnected for reading too slowly: its stream held more than
   * ECHO_SSE_MAX_BUFFER_BYTES (the local runtime; it resumes with Last-Event-ID).
   */
  sseSlowClientDisconnects: { name: 'SseSlowClientDisconnects', unit: 'Count' },
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS]['name'];

/**
 * The metrics port: counters with at most one dimension, and gauges (a value as measured now). In
 * Lambda, Powertools Metrics writes them as CloudWatch embedded metric format; locally they are
 * kept in memory (GET /health shows them).
 */
export interface Metrics {
  count(name: MetricName, value?: number, dimension?: { name: string; value: string }): void;
  /** A measured value in seconds (the unit the metric names in METRICS). */
  gauge(name: MetricName, seconds: number): void;
}

/** Counts in memory, keyed `Name` or `Name{dimension=value}`; a gauge keeps its last value. */
export function createInMemoryMetrics(): Metrics & { snapshot(): Record<string, number> } {
  const counts = new Map<string, number>();
  return {
    count(name, value = 1, dimension) {
      const key = dimension ? `${name}{${dimension.name}=${dimension.value}}` : name;
      counts.set(key, (counts.get(key) ?? 0) + value);
    },
    gauge(name, seconds) {
      counts.set(name, seconds);
    },
    snapshot: () => Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b))),
  };
}
