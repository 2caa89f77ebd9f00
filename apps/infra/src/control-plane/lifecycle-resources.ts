import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { LambdaArchitectureName } from '../elastic-ci-stack-props';
import { ControlPlaneFunction } from './control-plane-function';
import { allowWithWildcard } from './nag-acknowledgements';

const OWN_GROUPS_REASON =
  "This stack's groups only: CloudFormation names them `<stack name>-…` and the condition requires this stack's id tag. A name pattern, because stop-agents drains the replaced group, whose name the template no longer holds.";

/** stop-agents' Lambda timeout (README: 900 s is best; continuations carry longer drains). */
export const STOP_AGENTS_TIMEOUT_SEC = 900;
/** CloudFormation waits at most an hour for a custom resource; the drain timeout stays below it. */
export const STOP_AGENTS_SERVICE_TIMEOUT_SEC = 3600;
/** az-rebalancing-suspender: one SuspendProcesses call (README: timeout 30 s, ServiceTimeout 120 s). */
export const SUSPENDER_TIMEOUT_SEC = 30;
export const SUSPENDER_SERVICE_TIMEOUT_SEC = 120;

export interface LifecycleResourcesProps {
  /** `Ref` of the group: the custom resources depend on it, which orders stop-agents' Delete before the group's. */
  readonly autoScalingGroupName: string;
  readonly azRebalancingSuspenderEnabled: boolean;
  readonly stopAgentsEnabled: boolean;
  readonly stopAgentsDrainTimeoutSec: number;
  readonly stopAgentsPollIntervalSec: number;
  readonly stopAgentsOnDrainTimeout: 'fail' | 'succeed';
  readonly architecture: LambdaArchitectureName;
  readonly logRetentionDays: number;
  readonly permissionsBoundaryArn: string | undefined;
}

/**
 * The custom resources around the agent group: AZ-rebalancing suspension and the graceful drain of a replaced or
 * deleted group. Both take `AutoScalingGroupName: !Ref <group>`, so a replaced group re-runs them.
 */
export class LifecycleResources extends Construct {
  readonly suspenderFunction: ControlPlaneFunction | undefined;
  readonly suspender: cdk.CustomResource | undefined;
  readonly stopAgentsFunction: ControlPlaneFunction | undefined;
  readonly stopAgents: cdk.CustomResource | undefined;

  constructor(scope: Construct, id: string, props: LifecycleResourcesProps) {
    super(scope, id);
    const stack = cdk.Stack.of(this);
    const functionDefaults = {
      architecture: props.architecture,
      logRetentionDays: props.logRetentionDays,
      permissionsBoundaryArn: props.permissionsBoundaryArn,
      memorySizeMb: 128,
    };
    // Groups of this stack only: CloudFormation names them `<stack name>-<logical id>-<random>`. stop-agents drains
    // the *old* group after a replacement, whose name no longer appears in the template, so an exact `Ref` would not do.
    const stackGroupsArn = stack.formatArn({
      service: 'autoscaling',
      resource: 'autoScalingGroup',
      resourceName: `*:autoScalingGroupName/${stack.stackName}-*`,
      arnFormat: cdk.ArnFormat.COLON_RESOURCE_NAME,
    });
    const ownStackTag = { StringEquals: { 'aws:ResourceTag/aws:cloudformation:stack-id': stack.stackId } };

    if (props.azRebalancingSuspenderEnabled) {
      this.suspenderFunction = new ControlPlaneFunction(this, 'AzRebalancingSuspender', {
        ...functionDefaults,
        bundle: 'azRebalancingSuspender',
        description: 'Custom resource: suspends AZRebalance on the agent group',
        environment: {},
        timeout: cdk.Duration.seconds(SUSPENDER_TIMEOUT_SEC),
      });
      allowWithWildcard(this.suspenderFunction.role, {
        actions: ['autoscaling:SuspendProcesses'],
        resources: [stackGroupsArn],
        conditions: ownStackTag,
        reason: OWN_GROUPS_REASON,
      });
      this.suspender = new cdk.CustomResource(this, 'AzRebalancingSuspension', {
        resourceType: 'Custom::AzRebalancingSuspender',
        serviceToken: this.suspenderFunction.function.functionArn,
        serviceTimeout: cdk.Duration.seconds(SUSPENDER_SERVICE_TIMEOUT_SEC),
        properties: { AutoScalingGroupName: props.autoScalingGroupName },
      });
    }

    if (props.stopAgentsEnabled) {
      this.stopAgentsFunction = new ControlPlaneFunction(this, 'StopAgents', {
        ...functionDefaults,
        bundle: 'stopAgents',
        description: 'Custom resource: drains a replaced or deleted agent group gracefully',
        environment: {
          DRAIN_TIMEOUT_SECONDS: String(props.stopAgentsDrainTimeoutSec),
          POLL_INTERVAL_SECONDS: String(props.stopAgentsPollIntervalSec),
          ON_DRAIN_TIMEOUT: props.stopAgentsOnDrainTimeout,
          AGENT_PLATFORM: 'linux',
        },
        timeout: cdk.Duration.seconds(STOP_AGENTS_TIMEOUT_SEC),
      });
      const role = this.stopAgentsFunction.role;
      allowWithWildcard(role, {
        actions: ['autoscaling:DescribeAutoScalingGroups', 'ssm:ListCommandInvocations'],
        resources: ['*'],
        reason: 'Neither action supports resource-level permissions: `*` is the only resource IAM accepts.',
      });
      allowWithWildcard(role, {
        actions: ['autoscaling:UpdateAutoScalingGroup'],
        resources: [stackGroupsArn],
        conditions: ownStackTag,
        reason: OWN_GROUPS_REASON,
      });
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['ssm:SendCommand'],
          resources: [
            stack.formatArn({ service: 'ssm', account: '', resource: 'document', resourceName: 'AWS-RunShellScript' }),
          ],
        }),
      );
      allowWithWildcard(role, {
        actions: ['ssm:SendCommand'],
        resources: [stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' })],
        conditions: { StringEquals: { 'ssm:resourceTag/aws:cloudformation:stack-id': stack.stackId } },
        reason:
          "Instances are launched after deploy, so no ARN can name them: the condition limits the command to this stack's instances (their aws:cloudformation:stack-id tag).",
      });
      // Its own continuations only. A separate policy (not the role's default one, which the function depends on)
      // breaks the cycle function → role policy → function ARN; the custom resource waits for it.
      const selfInvoke = new iam.Policy(this, 'StopAgentsSelfInvoke', {
        statements: [
          new iam.PolicyStatement({
            actions: ['lambda:InvokeFunction'],
            resources: [this.stopAgentsFunction.function.functionArn],
          }),
        ],
      });
      selfInvoke.attachToRole(role);
      this.stopAgents = new cdk.CustomResource(this, 'StopAgentsOnReplacement', {
        resourceType: 'Custom::StopAgents',
        serviceToken: this.stopAgentsFunction.function.functionArn,
        serviceTimeout: cdk.Duration.seconds(STOP_AGENTS_SERVICE_TIMEOUT_SEC),
        properties: { AutoScalingGroupName: props.autoScalingGroupName },
      });
      this.stopAgents.node.addDependency(selfInvoke);
    }
  }
}
