import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { ControlPlaneFunction } from './control-plane-function';

/** agent-scaler's EMF namespace and dimensions (`packages/agent-scaler/src/telemetry.ts`). */
export const SCALER_METRICS_NAMESPACE = 'Buildkite';
export const SCALER_METRICS_DIMENSIONS = ['Org', 'Queue'] as const;

/** The scaler metrics the dashboard shows; a test checks each is emitted by agent-scaler. */
export const SCALER_DEMAND_METRICS = ['ScheduledJobsCount', 'RunningJobsCount', 'WaitingJobsCount', 'DesiredCapacity'];
export const SCALER_DECISION_METRICS = [
  'ScaleOutDecisions',
  'ScaleInDecisions',
  'HoldDecisions',
  'DrainedInstances',
  'ScalingErrors',
];
/** Shown with the decisions when the scheduled scaler checks for zombies (it emits the metric only then). */
export const SCALER_ZOMBIE_METRIC = 'ZombieInstancesReplaced';

export interface ElasticCiDashboardProps {
  readonly queue: string;
  readonly autoScalingGroupName: string;
  readonly warmPoolEnabled: boolean;
  readonly zombieCheckEnabled: boolean;
  readonly functions: readonly ControlPlaneFunction[];
}

/**
 * Queue demand against group capacity, the scaler's decisions, the warm pool and the control-plane Lambdas. The
 * scaler's metrics carry the organization slug as a dimension, unknown at synth, so they are found with `SEARCH` on
 * the queue (which also keeps working if the token moves to another organization).
 */
export class ElasticCiDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ElasticCiDashboardProps) {
    super(scope, id);
    const period = cdk.Duration.minutes(1);
    const scalerSearch = (metricName: string, statistic: 'Maximum' | 'Sum', label: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${SCALER_METRICS_NAMESPACE},${SCALER_METRICS_DIMENSIONS.join(',')}} MetricName="${metricName}" Queue="${props.queue}"', '${statistic}', ${period.toSeconds()})`,
        label,
        period,
        usingMetrics: {},
      });
    const groupMetric = (metricName: string, label: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/AutoScaling',
        metricName,
        dimensionsMap: { AutoScalingGroupName: props.autoScalingGroupName },
        statistic: 'Maximum',
        period,
        label,
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: cdk.Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `Jobs on ${props.queue} vs capacity`,
        width: 12,
        left: SCALER_DEMAND_METRICS.map((name) => scalerSearch(name, 'Maximum', name)),
        right: [
          groupMetric('GroupDesiredCapacity', 'group desired'),
          groupMetric('GroupInServiceInstances', 'in service'),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Scaling decisions',
        width: 12,
        stacked: true,
        left: [...SCALER_DECISION_METRICS, ...(props.zombieCheckEnabled ? [SCALER_ZOMBIE_METRIC] : [])].map((name) =>
          scalerSearch(name, 'Sum', name),
        ),
      }),
    );
    const lambdaWidgets = [
      new cloudwatch.GraphWidget({
        title: 'Control-plane Lambda errors',
        width: props.warmPoolEnabled ? 8 : 12,
        left: props.functions.map(({ function: fn, node }) =>
          fn.metricErrors({ period, statistic: 'Sum', label: node.id }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Control-plane Lambda duration (max)',
        width: props.warmPoolEnabled ? 8 : 12,
        left: props.functions.map(({ function: fn, node }) =>
          fn.metricDuration({ period, statistic: 'Maximum', label: node.id }),
        ),
      }),
    ];
    if (props.warmPoolEnabled) {
      lambdaWidgets.push(
        new cloudwatch.GraphWidget({
          title: 'Warm pool',
          width: 8,
          left: [
            groupMetric('WarmPoolDesiredCapacity', 'warm pool desired'),
            groupMetric('WarmPoolWarmedCapacity', 'warmed'),
            groupMetric('WarmPoolPendingCapacity', 'pending'),
          ],
        }),
      );
    }
    this.dashboard.addWidgets(...lambdaWidgets);
  }
}
