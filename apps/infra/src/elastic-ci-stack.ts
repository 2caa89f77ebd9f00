import * as cdk from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AgentFleet } from './agent-fleet/agent-fleet';
import { AGENT_FLEET_DEFAULTS } from './agent-fleet/agent-fleet-defaults';
import { AgentToken } from './control-plane/agent-token';
import type { ControlPlaneFunction } from './control-plane/control-plane-function';
import { ElasticCiDashboard } from './control-plane/dashboard';
import { InstanceBroker } from './control-plane/instance-broker';
import { LifecycleResources } from './control-plane/lifecycle-resources';
import { Scaler } from './control-plane/scaler';
import {
  deploysScaler,
  scalerPolicyEnvironment,
  warmPoolScalerManagedOf,
} from './control-plane/scaler-policy-environment';
import { CONTROL_PLANE_DEFAULTS, type ElasticCiStackProps } from './elastic-ci-stack-props';
import { addNagSuppressions } from './nag-suppressions';
import { withScalingProfile } from './scaling-profile';
import { problemsOfResolvedProps } from './validate-elastic-ci-stack-props';

export { validateElasticCiStackProps } from './validate-elastic-ci-stack-props';

/** Invalid stack options: `problems` lists every one; the message lists them all, one per line. */
export class ElasticCiStackOptionsError extends Error {
  override readonly name = 'ElasticCiStackOptionsError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      `invalid elastic-ci stack options (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems
        .map((problem) => `  - ${problem}`)
        .join('\n')}`,
    );
    this.problems = problems;
  }
}

/**
 * The whole elastic-ci deployment: the agent fleet (VPC, launch template, Auto Scaling group, lifecycle hook, warm
 * pool, buckets) and its control plane (agent-scaler, webhook, instance broker, AZ-rebalancing suspender, stop-agents,
 * dashboard).
 * Options are validated before anything is built: one {@link ElasticCiStackOptionsError} names every problem.
 */
export class ElasticCiStack extends cdk.Stack {
  readonly agentToken: AgentToken;
  readonly fleet: AgentFleet;
  readonly scaler: Scaler | undefined;
  /** The instance broker (`instanceBroker`, on by default). */
  readonly instanceBroker: InstanceBroker | undefined;
  readonly lifecycleResources: LifecycleResources;
  readonly dashboard: ElasticCiDashboard | undefined;
  readonly autoScalingGroupName: string;

  constructor(scope: Construct, id: string, given: ElasticCiStackProps) {
    const props = withScalingProfile(given);
    const problems = problemsOfResolvedProps(props);
    if (problems.length > 0) throw new ElasticCiStackOptionsError(problems);
    super(scope, id, {
      description: 'elastic-ci: an autoscaling fleet of Buildkite agents and its control plane',
      ...props,
    });
    const d = CONTROL_PLANE_DEFAULTS;
    const queue = props.queue ?? AGENT_FLEET_DEFAULTS.queue;
    const agentsPerInstance = props.agentsPerInstance ?? AGENT_FLEET_DEFAULTS.agentsPerInstance;
    const logRetentionDays = props.logRetentionDays ?? d.logRetentionDays;
    const architecture = props.lambdaArchitecture ?? d.lambdaArchitecture;
    const permissionsBoundaryArn = props.rolePermissionsBoundaryArn ?? props.instanceRolePermissionsBoundaryArn;

    this.agentToken = new AgentToken(this, 'AgentToken', props);

    // Made before the fleet, whose boot contract carries its URL; the fleet then tells it its role and fleet id.
    this.instanceBroker =
      (props.instanceBroker ?? d.instanceBroker)
        ? new InstanceBroker(this, 'InstanceBroker', { architecture, logRetentionDays, permissionsBoundaryArn })
        : undefined;
    this.fleet = new AgentFleet(this, 'AgentFleet', {
      ...props,
      agentToken: this.agentToken,
      instanceBrokerEndpoint: this.instanceBroker,
    });
    this.autoScalingGroupName = this.fleet.autoScalingGroupName;

    const functions: ControlPlaneFunction[] = [];
    // A fixed-size fleet needs no scaler (Buildkite: MinSize == MaxSize deploys none).
    if (deploysScaler(props)) {
      const disableScaleIn = props.disableScaleIn ?? d.disableScaleIn;
      const scaleInStrategy = props.scaleInStrategy ?? d.scaleInStrategy;
      const warmPoolScalerManaged = warmPoolScalerManagedOf(props);
      this.scaler = new Scaler(this, 'Scaler', {
        queue,
        agentEndpoint: props.agentEndpoint ?? d.agentEndpoint,
        agentsPerInstance,
        autoScalingGroupName: this.autoScalingGroupName,
        agentToken: this.agentToken,
        policyEnvironment: scalerPolicyEnvironment(props, warmPoolScalerManaged),
        warmPoolScalerManaged,
        drainsInstances: scaleInStrategy === 'drain' && !disableScaleIn,
        zombieCheck:
          (props.zombieCheckEnabled ?? d.zombieCheckEnabled)
            ? {
                gracePeriodSec: (props.zombieGracePeriod ?? d.zombieGracePeriod).toSeconds(),
                maxPerPass: props.zombieMaxInstancesPerPass ?? d.zombieMaxInstancesPerPass,
              }
            : undefined,
        scheduleIntervalSec: props.scalerScheduleIntervalSec ?? d.scalerScheduleIntervalSec,
        pollIntervalSec: props.scalerPollIntervalSec ?? d.scalerPollIntervalSec,
        invocationBudgetSec: props.scalerInvocationBudgetSec ?? d.scalerInvocationBudgetSec,
        startupJitterMaxSec: props.scalerStartupJitterMaxSec ?? d.scalerStartupJitterMaxSec,
        leaseEnabled: props.scalerLeaseEnabled ?? d.scalerLeaseEnabled,
        leaseTtlSec: props.scalerLeaseTtlSec ?? d.scalerLeaseTtlSec,
        leaseWaitSec: props.scalerLeaseWaitSec ?? d.scalerLeaseWaitSec,
        webhookEnabled: props.webhookEnabled ?? d.webhookEnabled,
        webhookSecretParameterName: props.webhookSecretParameterName,
        webhookAllowTokenHeader: props.webhookAllowTokenHeader ?? d.webhookAllowTokenHeader,
        webhookReplayWindowSec: props.webhookReplayWindowSec ?? d.webhookReplayWindowSec,
        webhookReservedConcurrency: props.webhookReservedConcurrency,
        architecture,
        logRetentionDays,
        permissionsBoundaryArn,
        managedPolicyArns: props.scalerManagedPolicyArns ?? [],
      });
      functions.push(this.scaler.scheduledFunction);
      if (this.scaler.webhookFunction) functions.push(this.scaler.webhookFunction);
    }

    this.lifecycleResources = new LifecycleResources(this, 'Lifecycle', {
      autoScalingGroupName: this.autoScalingGroupName,
      azRebalancingSuspenderEnabled: props.azRebalancingSuspenderEnabled ?? d.azRebalancingSuspenderEnabled,
      stopAgentsEnabled: props.stopAgentsEnabled ?? d.stopAgentsEnabled,
      stopAgentsDrainTimeoutSec: props.stopAgentsDrainTimeoutSec ?? d.stopAgentsDrainTimeoutSec,
      stopAgentsPollIntervalSec: props.stopAgentsPollIntervalSec ?? d.stopAgentsPollIntervalSec,
      stopAgentsOnDrainTimeout: props.stopAgentsOnDrainTimeout ?? d.stopAgentsOnDrainTimeout,
      architecture,
      logRetentionDays,
      permissionsBoundaryArn,
    });
    for (const fn of [
      this.instanceBroker?.function,
      this.lifecycleResources.suspenderFunction,
      this.lifecycleResources.stopAgentsFunction,
    ]) {
      if (fn) functions.push(fn);
    }

    if (props.dashboardEnabled ?? d.dashboardEnabled) {
      this.dashboard = new ElasticCiDashboard(this, 'Dashboard', {
        queue,
        autoScalingGroupName: this.autoScalingGroupName,
        warmPoolEnabled: props.warmPoolEnabled === true,
        zombieCheckEnabled: this.scaler?.zombieCheckEnabled === true,
        functions,
      });
    }

    // In the template itself too (not only as stack tags the CDK CLI passes), so a template deployed by other
    // tools (aws cloudformation deploy, Terraform) carries them.
    for (const [key, value] of Object.entries(props.tags ?? {})) cdk.Tags.of(this).add(key, value);

    this.addOutputs();
    addNagSuppressions(this);
  }

  private addOutputs(): void {
    new cdk.CfnOutput(this, 'AutoScalingGroupName', {
      description: 'The agent Auto Scaling group',
      value: this.autoScalingGroupName,
    });
    new cdk.CfnOutput(this, 'InstanceRoleArn', {
      description: 'Role of the agent instances (what a job on them can reach)',
      value: this.fleet.instanceRole.roleArn,
    });
    const buckets: [string, string, { bucketName: string } | undefined][] = [
      ['SecretsBucketName', 'Bucket the S3 secrets hooks read', this.fleet.secretsBucket],
      ['AccessLogBucketName', 'Server access logs of the created buckets', this.fleet.accessLogBucket],
      ['BuildCacheBucketName', 'Build-cache bucket the instances may read and write', this.fleet.buildCacheBucket],
    ];
    for (const [id, description, bucket] of buckets) {
      if (bucket) new cdk.CfnOutput(this, id, { description, value: bucket.bucketName });
    }
    if (this.instanceBroker) {
      new cdk.CfnOutput(this, 'InstanceBrokerUrl', {
        description:
          'Function URL (IAM auth) the instances make their Auto Scaling writes through, for themselves only',
        value: this.instanceBroker.url,
      });
    }
    new cdk.CfnOutput(this, 'AgentTokenParameterName', {
      description: 'Where the scaler and the instances read the agent token (SSM GetParameter with decryption)',
      value: this.agentToken.parameterName,
    });
    if (this.dashboard) {
      new cdk.CfnOutput(this, 'DashboardUrl', {
        description: 'CloudWatch dashboard of the fleet',
        value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${this.dashboard.dashboard.dashboardName}`,
      });
    }
    if (this.scaler?.webhookUrl) {
      new cdk.CfnOutput(this, 'WebhookUrl', {
        description: 'Buildkite notification service URL (job.scheduled, token sent as X-Buildkite-Signature)',
        value: this.scaler.webhookUrl.url,
      });
    }
    if (this.scaler?.webhookSecret) {
      new cdk.CfnOutput(this, 'WebhookSecretArn', {
        description: 'Secrets Manager secret with the generated webhook token to paste into Buildkite',
        value: this.scaler.webhookSecret.secretArn,
      });
    }
  }
}
