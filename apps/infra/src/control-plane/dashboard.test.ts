import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolvePlaceholders } from '../test-support/resolve-placeholders';
import { MAXIMAL_PROPS, resourcesOfType, synthesizeStack } from '../test-support/synthesize';
import { SCALER_METRICS_DIMENSIONS, SCALER_METRICS_NAMESPACE } from './dashboard';
import { resolveLambdaBundle } from './lambda-bundles';

// The dashboard must show what agent-scaler really emits: every scaler metric it names is read back from the
// scaler's own source and from the bundle that is deployed.
const scalerPackage = join(resolveLambdaBundle('scalerScheduled').assetDirectory, '..', '..');
const telemetrySource = readFileSync(join(scalerPackage, 'src', 'telemetry.ts'), 'utf8');
const scheduledBundle = readFileSync(join(scalerPackage, 'dist', 'lambda', 'scheduled.mjs'), 'utf8');

interface DashboardMetric {
  namespace: string;
  metricName: string;
  dimensions: string[];
}

let metrics: DashboardMetric[];

beforeAll(() => {
  const { json } = synthesizeStack(MAXIMAL_PROPS);
  const [dashboard] = Object.values(resourcesOfType(json, 'AWS::CloudWatch::Dashboard'));
  const body = JSON.parse(resolvePlaceholders(dashboard.Properties.DashboardBody, json.Resources) as string);
  metrics = [];
  for (const widget of body.widgets) {
    for (const line of widget.properties.metrics ?? []) {
      const [first] = line as unknown[];
      if (typeof first === 'object' && first !== null && 'expression' in first) {
        const expression = (first as { expression: string }).expression;
        const search = /^SEARCH\('\{([^}]*)\} MetricName="([^"]+)"/.exec(expression);
        expect(search, expression).not.toBeNull();
        const [namespace = '', ...dimensions] = (search?.[1] ?? '').split(',');
        metrics.push({ namespace, metricName: search?.[2] ?? '', dimensions });
      } else {
        const [namespace, metricName, ...rest] = (line as unknown[]).filter((part) => typeof part === 'string');
        metrics.push({
          namespace: String(namespace),
          metricName: String(metricName),
          dimensions: rest.filter((_, index) => index % 2 === 0) as string[],
        });
      }
    }
  }
}, 300_000);

describe('dashboard', () => {
  it("uses agent-scaler's namespace and dimensions", () => {
    expect(telemetrySource).toContain(`METRICS_NAMESPACE = '${SCALER_METRICS_NAMESPACE}'`);
    expect(telemetrySource).toContain(
      `addDimensions({ ${SCALER_METRICS_DIMENSIONS.map((dimension) => `${dimension}:`).join(' figures.organizationSlug, ')}`,
    );
    const scalerMetrics = metrics.filter((metric) => metric.namespace === SCALER_METRICS_NAMESPACE);
    expect(scalerMetrics.length).toBeGreaterThan(0);
    for (const metric of scalerMetrics) expect(metric.dimensions).toEqual([...SCALER_METRICS_DIMENSIONS]);
  });

  it('shows only scaler metrics that agent-scaler emits (in its source and in the deployed bundle)', () => {
    const names = metrics
      .filter((metric) => metric.namespace === SCALER_METRICS_NAMESPACE)
      .map((metric) => metric.metricName);
    const missing = names.filter(
      (name) => !telemetrySource.includes(`addMetric('${name}'`) || !scheduledBundle.includes(`"${name}"`),
    );
    expect(missing).toEqual([]);
    // Demand against capacity, the decisions, the errors: the issue's list.
    expect(names).toEqual(
      expect.arrayContaining([
        'ScheduledJobsCount',
        'RunningJobsCount',
        'WaitingJobsCount',
        'DesiredCapacity',
        'ScaleOutDecisions',
        'ScaleInDecisions',
        'ScalingErrors',
      ]),
    );
  });

  it('shows group capacity, the warm pool, and Lambda errors and duration', () => {
    const names = metrics.map((metric) => `${metric.namespace} ${metric.metricName}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'AWS/AutoScaling GroupDesiredCapacity',
        'AWS/AutoScaling GroupInServiceInstances',
        'AWS/AutoScaling WarmPoolWarmedCapacity',
        'AWS/Lambda Errors',
        'AWS/Lambda Duration',
      ]),
    );
  });
});
