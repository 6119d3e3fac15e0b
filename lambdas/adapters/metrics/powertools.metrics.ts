/**
 * Metrics in Lambda: Powertools Metrics, written as CloudWatch embedded metric format (EMF) on
 * stdout, namespace and service from POWERTOOLS_METRICS_NAMESPACE / POWERTOOLS_SERVICE_NAME.
 * Counts without a dimension, and gauges, are stored and flushed once per invocation; a dimensioned
 * count is a single metric of its own (its dimension set is `service` plus that one).
 */
import { MetricUnit, Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { Metrics } from '../../core/metrics.ts';

export function createPowertoolsMetrics(options: {
  namespace: string;
  serviceName: string;
}): Metrics & { flush(): void } {
  const metrics = new PowertoolsMetrics({ namespace: options.namespace, serviceName: options.serviceName });
  return {
    count(name, value = 1, dimension) {
      if (!dimension) {
        metrics.addMetric(name, MetricUnit.Count, value);
        return;
      }
      const single = metrics.singleMetric();
      single.addDimension(dimension.name, dimension.value);
      single.addMetric(name, MetricUnit.Count, value);
    },
    gauge(name, seconds) {
      metrics.addMetric(name, MetricUnit.Seconds, seconds);
    },
    flush() {
      metrics.publishStoredMetrics();
    },
  };
}
