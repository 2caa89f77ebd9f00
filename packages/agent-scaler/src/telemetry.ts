import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export const METRICS_NAMESPACE = 'Buildkite';
export const SERVICE_NAME = 'elastic-ci-agent-scaler';

export interface Telemetry {
  logger: Logger;
  /** Emits one EMF record per pass; a no-op when metrics are off. */
  publishPassMetrics(figures: PassMetrics): void;
}

export interface PassMetrics {
  organizationSlug: string;
  queue: string;
  jobs?: { scheduled: number; running: number; waiting: number } | undefined;
  desiredCapacity?: number | undefined;
  action?: 'scale-out' | 'scale-in' | 'hold' | undefined;
  drainedInstances?: number | undefined;
  /** Instances the zombie check marked unhealthy; `undefined` when the check is off (no metric). */
  zombieInstancesReplaced?: number | undefined;
  error: boolean;
}

/**
 * Structured JSON logs and EMF metrics through AWS Lambda Powertools. Metrics use Buildkite's namespace and
 * dimensions (`Org`, `Queue`) so existing dashboards keep working; Powertools' default `service` dimension is removed
 * for the same reason.
 */
export function createTelemetry(options: { publishMetrics: boolean; logLevel?: string }): Telemetry {
  const logger = new Logger({
    serviceName: SERVICE_NAME,
    ...(options.logLevel ? { logLevel: options.logLevel as 'INFO' } : {}),
  });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
  metrics.clearDefaultDimensions();
  return {
    logger,
    publishPassMetrics(figures) {
      if (!options.publishMetrics) return;
      metrics.addDimensions({ Org: figures.organizationSlug, Queue: figures.queue });
      if (figures.jobs) {
        metrics.addMetric('ScheduledJobsCount', MetricUnit.Count, figures.jobs.scheduled);
        metrics.addMetric('RunningJobsCount', MetricUnit.Count, figures.jobs.running);
        metrics.addMetric('WaitingJobsCount', MetricUnit.Count, figures.jobs.waiting);
      }
      if (figures.desiredCapacity !== undefined) {
        metrics.addMetric('DesiredCapacity', MetricUnit.Count, figures.desiredCapacity);
      }
      metrics.addMetric('ScaleOutDecisions', MetricUnit.Count, figures.action === 'scale-out' ? 1 : 0);
      metrics.addMetric('ScaleInDecisions', MetricUnit.Count, figures.action === 'scale-in' ? 1 : 0);
      metrics.addMetric('HoldDecisions', MetricUnit.Count, figures.action === 'hold' ? 1 : 0);
      metrics.addMetric('DrainedInstances', MetricUnit.Count, figures.drainedInstances ?? 0);
      if (figures.zombieInstancesReplaced !== undefined) {
        metrics.addMetric('ZombieInstancesReplaced', MetricUnit.Count, figures.zombieInstancesReplaced);
      }
      metrics.addMetric('ScalingErrors', MetricUnit.Count, figures.error ? 1 : 0);
      metrics.publishStoredMetrics();
    },
  };
}
