import { renderBootContract } from '@elastic-ci/agent-instance/boot-contract';
import { Aws, Names, RemovalPolicy, Stack, Tags, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IDependable } from 'constructs';
import packageJson from '../../package.json' with { type: 'json' };
import { AGENT_FLEET_DEFAULTS, DEFAULT_IMAGE_SSM_PARAMETER } from './agent-fleet-defaults.js';
import { AgentFleetValidationError } from './agent-fleet-errors.js';
import type { AgentFleetOptions, RootVolumeType } from './agent-fleet-options.js';
import { bootContractInputFor, userDataScript } from './fleet-boot-contract.js';
import { type BucketReference, FleetBuckets } from './fleet-buckets.js';
import {
  FLEET_TAG_KEY,
  FleetInstanceRole,
  INSTANCE_BROKER_TAG_KEY,
  INSTANCE_BROKER_TAG_VALUE,
  INSTANCE_ROLE_WILDCARD_REASONS,
} from './fleet-instance-role.js';
import { acknowledgeFleetFindings } from './fleet-nag-acknowledgements.js';
import { FleetNetwork } from './fleet-network.js';
import { BURSTABLE_FAMILIES, instanceFamilyOf } from './instance-architecture.js';
import { fleetArchitecture, validateAgentFleetOptions } from './validate-agent-fleet-options.js';

/** Where the instances read the agent token (the control plane's `AgentToken` fits). */
export interface AgentTokenSource {
  /** What the instance calls `ssm:GetParameter` with: a name, an ARN, or `/aws/reference/secretsmanager/<name>`. */
  readonly parameterName: string;
  /** Lets `grantee` read the token (GetParameter, and GetSecretValue / kms:Decrypt where it lives there). */
  grantRead(grantee: iam.IGrantable): void;
}

/** What the instance broker needs to know of the fleet it serves. */
export interface InstanceBrokerFleet {
  /** The instance role's ARN: the principal the broker's function URL lets in. */
  readonly instanceRoleArn: string;
  /**
   * The instance role's name without its path, as it appears in the callers' assumed-role ARNs
   * (`arn:aws:sts::<account>:assumed-role/<name>/<instance id>`).
   */
  readonly instanceRoleName: string;
  /** Value of the `elastic-ci:fleet` tag on the fleet's group. */
  readonly fleetId: string;
}

/** Where the instances make their Auto Scaling writes (the control plane's `InstanceBroker` fits). */
export interface InstanceBrokerEndpoint {
  /** The broker's function URL (`AuthType: AWS_IAM`), given to the instances in the boot contract. */
  readonly url: string;
  /**
   * Called once by the fleet when its role exists: lets the role's sessions call the URL and tells the broker which
   * role and fleet it acts for. The group depends on what it returns, so no instance boots before the broker serves it.
   */
  serveFleet(fleet: InstanceBrokerFleet): IDependable;
}

export interface AgentFleetProps extends AgentFleetOptions {
  /** The agent registration token's location; the fleet's role is granted read access to it. */
  readonly agentToken: AgentTokenSource;
  /**
   * The instance broker: the instances make their Auto Scaling writes (scale-in protection, lifecycle actions,
   * health, terminate) through it, for themselves only, and the instance role gets none of them.
   * @default - none: the instance role may make those calls on the fleet's group itself
   */
  readonly instanceBrokerEndpoint?: InstanceBrokerEndpoint | undefined;
  /**
   * Version of the elastic-ci stack, agent tag `stack-version`.
   * @default the version of @elastic-ci/infra
   */
  readonly stackVersion?: string | undefined;
}

/** Name of the termination lifecycle hook lifecycled completes. */
export const TERMINATION_HOOK_NAME = 'elastic-ci-drain';
/** Name of the launch lifecycle hook the boot completes (groups with a warm pool). */
export const LAUNCH_HOOK_NAME = 'elastic-ci-launch';
/**
 * How long a launching instance may take to be prepared before Auto Scaling abandons it: the boot's longest step is the
 * bootstrap script (15 minutes at most), then image pre-pulls and the rest of the boot; 30 minutes covers them.
 */
export const LAUNCH_HOOK_HEARTBEAT_TIMEOUT_SECONDS = 1800;

const EBS_VOLUME_TYPE: Record<RootVolumeType, ec2.EbsDeviceVolumeType> = {
  gp3: ec2.EbsDeviceVolumeType.GP3,
  gp2: ec2.EbsDeviceVolumeType.GP2,
  io1: ec2.EbsDeviceVolumeType.IO1,
  io2: ec2.EbsDeviceVolumeType.IO2,
};

/**
 * The Buildkite agent fleet: network, instance role, buckets, launch template (IMDSv2 required, encrypted root
 * volume, the boot contract in user data) and an Auto Scaling group with a mixed instances policy, a termination
 * lifecycle hook every removal goes through, an optional warm pool and scheduled size changes.
 *
 * The group carries no desired capacity: the scaler owns it, and a stack update never resets it.
 *
 * @throws AgentFleetValidationError listing every problem with the options
 */
export class AgentFleet extends Construct {
  /** Every problem with `options` (see {@link validateAgentFleetOptions}); empty when valid. */
  static validate(options: AgentFleetOptions): string[] {
    return validateAgentFleetOptions(options);
  }

  readonly autoScalingGroup: autoscaling.CfnAutoScalingGroup;
  /** The group's name (a `Ref`: a replaced group gets a new one). */
  readonly autoScalingGroupName: string;
  readonly launchTemplate: ec2.LaunchTemplate;
  readonly terminationHookName = TERMINATION_HOOK_NAME;
  /** The launch lifecycle hook the boot completes; only with a warm pool. */
  readonly launchHookName: string | undefined;
  readonly warmPool: autoscaling.CfnWarmPool | undefined;
  readonly scheduledActions: readonly autoscaling.CfnScheduledAction[];
  readonly vpc: ec2.IVpc;
  readonly securityGroups: readonly ec2.ISecurityGroup[];
  readonly instanceRole: iam.IRole;
  /** Whether the fleet created the instance role (a given role is never changed). */
  readonly instanceRoleCreated: boolean;
  readonly secretsBucket: BucketReference | undefined;
  readonly accessLogBucket: s3.Bucket | undefined;
  readonly buildCacheBucket: s3.Bucket | undefined;
  /** The pipeline-signing key the fleet created, if it created one. */
  readonly signingKey: kms.Key | undefined;
  /** Value of the group's `elastic-ci:fleet` tag, which the instance role's group permissions require. */
  readonly fleetId: string;
  /** Instance log groups are named `<prefix><name>` (`/elastic-ci/<stack>/…`). */
  readonly logGroupPrefix: string;
  /** The boot contract as rendered into user data (deploy-time values appear as tokens). */
  readonly renderedBootContract: string;

  constructor(scope: Construct, id: string, props: AgentFleetProps) {
    super(scope, id);
    const problems = validateAgentFleetOptions(props);
    if (problems.length > 0) throw new AgentFleetValidationError(problems);

    const stack = Stack.of(this);
    const instanceTypes = props.instanceTypes ?? AGENT_FLEET_DEFAULTS.instanceTypes;
    const warmPoolEnabled = props.warmPoolEnabled === true;
    this.launchHookName = warmPoolEnabled ? LAUNCH_HOOK_NAME : undefined;
    this.fleetId = Names.uniqueId(this);
    this.logGroupPrefix = `/elastic-ci/${stack.stackName}/`;

    const network = new FleetNetwork(this, 'Network', props);
    const requestedSubnets = props.publicSubnetCount ?? AGENT_FLEET_DEFAULTS.publicSubnetCount;
    if (network.createdVpc !== undefined && network.createdVpc.publicSubnets.length < requestedSubnets) {
      // Only the stack knows how many zones it can see; an environment-agnostic stack sees two (Fn::GetAZs).
      throw new AgentFleetValidationError([
        `publicSubnetCount ${requestedSubnets} needs as many availability zones, but this stack knows ${network.createdVpc.publicSubnets.length}; give availabilityZones, or deploy the stack with an env (account and region)`,
      ]);
    }
    this.vpc = network.vpc;
    this.securityGroups = network.securityGroups;

    const buckets = new FleetBuckets(this, 'Buckets', props);
    this.secretsBucket = buckets.secretsBucket;
    this.accessLogBucket = buckets.accessLogBucket;
    this.buildCacheBucket = buckets.buildCacheBucket;

    this.signingKey =
      props.pipelineSigningKmsKeySpec === 'ECC_NIST_P256'
        ? new kms.Key(this, 'PipelineSigningKey', {
            description: 'elastic-ci pipeline signing key',
            keySpec: kms.KeySpec.ECC_NIST_P256,
            keyUsage: kms.KeyUsage.SIGN_VERIFY,
            // Signatures made with it must stay verifiable after the stack is gone (as Buildkite's key).
            removalPolicy: RemovalPolicy.RETAIN,
          })
        : undefined;
    const signingKey = this.signingKey ?? props.pipelineSigningKmsKeyId;

    const role = new FleetInstanceRole(this, 'InstanceRole', {
      options: props,
      buckets,
      fleetId: this.fleetId,
      logGroupPrefix: this.logGroupPrefix,
      signingKey,
      autoScalingWritesThroughBroker: props.instanceBrokerEndpoint !== undefined,
    });
    this.instanceRole = role.role;
    this.instanceRoleCreated = role.created;
    if (role.created) props.agentToken.grantRead(role.role);
    const brokerServingFleet = props.instanceBrokerEndpoint?.serveFleet({
      instanceRoleArn: role.role.roleArn,
      // A given IRole knows its own name (its ARN may be a token); an imported ARN's name is its last path segment.
      instanceRoleName: props.instanceRole?.roleName ?? role.role.roleName,
      fleetId: this.fleetId,
    });

    this.renderedBootContract = renderBootContract(
      bootContractInputFor(props, {
        stackName: stack.stackName,
        region: stack.region,
        stackVersion: props.stackVersion ?? packageJson.version,
        agentTokenParameterName: props.agentToken.parameterName,
        secretsBucketName: buckets.secretsBucket?.bucketName,
        secretsBucketRegion:
          buckets.secretsBucket === undefined
            ? undefined
            : props.secretsBucketName === undefined
              ? Aws.REGION
              : props.secretsBucketRegion,
        signingKmsKeyId: typeof signingKey === 'string' ? signingKey : signingKey?.keyArn,
        logGroupPrefix: this.logGroupPrefix,
        warmPoolEnabled,
        launchHookName: this.launchHookName,
        instanceBrokerUrl: props.instanceBrokerEndpoint?.url,
      }),
      { isToken: (value) => Token.isUnresolved(value) },
    );

    this.launchTemplate = this.createLaunchTemplate(props, network, role, instanceTypes);

    const launchTemplateSpecification = {
      launchTemplateId: this.launchTemplate.launchTemplateId as string,
      version: this.launchTemplate.latestVersionNumber,
    };
    const minSize = props.minSize ?? AGENT_FLEET_DEFAULTS.minSize;
    const maxSize = props.maxSize ?? AGENT_FLEET_DEFAULTS.maxSize;
    const group = new autoscaling.CfnAutoScalingGroup(this, 'AutoScalingGroup', {
      minSize: String(minSize),
      maxSize: String(maxSize),
      // No desiredCapacity: the scaler sets it, and a template value would reset the fleet on every update.
      vpcZoneIdentifier: network.vpc.selectSubnets(network.subnets).subnetIds,
      // AWS refuses warm pools on groups with a mixed instances policy (validated: one type, on-demand only).
      ...(warmPoolEnabled
        ? { launchTemplate: launchTemplateSpecification }
        : {
            mixedInstancesPolicy: {
              launchTemplate: {
                launchTemplateSpecification,
                overrides: instanceTypes.map((instanceType) => ({ instanceType })),
              },
              instancesDistribution: {
                onDemandAllocationStrategy: 'prioritized',
                onDemandBaseCapacity: props.onDemandBaseCapacity ?? AGENT_FLEET_DEFAULTS.onDemandBaseCapacity,
                onDemandPercentageAboveBaseCapacity:
                  props.onDemandPercentageAboveBaseCapacity ?? AGENT_FLEET_DEFAULTS.onDemandPercentageAboveBaseCapacity,
                spotAllocationStrategy: props.spotAllocationStrategy ?? AGENT_FLEET_DEFAULTS.spotAllocationStrategy,
              },
            },
          }),
      capacityRebalance: props.capacityRebalance ?? AGENT_FLEET_DEFAULTS.capacityRebalance,
      ...(props.maxInstanceLifetime !== undefined
        ? { maxInstanceLifetime: props.maxInstanceLifetime.toSeconds() }
        : {}),
      newInstancesProtectedFromScaleIn:
        props.newInstancesProtectedFromScaleIn ?? AGENT_FLEET_DEFAULTS.newInstancesProtectedFromScaleIn,
      // Group metrics (in-service, pending, terminating, warm pool …) for the dashboard, every minute.
      metricsCollection: [{ granularity: '1Minute' }],
      // Part of the group from its creation, so no instance can ever leave without the drain.
      lifecycleHookSpecificationList: [
        {
          lifecycleHookName: TERMINATION_HOOK_NAME,
          lifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
          heartbeatTimeout: (props.terminationGracePeriod ?? AGENT_FLEET_DEFAULTS.terminationGracePeriod).toSeconds(),
          defaultResult: props.terminationHookDefaultResult ?? AGENT_FLEET_DEFAULTS.terminationHookDefaultResult,
        },
        // With a warm pool, a launching instance waits until its boot has prepared everything (the boot completes
        // the hook with CONTINUE), so Auto Scaling never stops a half-prepared instance into the pool; the hook runs
        // again when it leaves the pool. A boot that never completes it is abandoned (terminated).
        ...(this.launchHookName === undefined
          ? []
          : [
              {
                lifecycleHookName: this.launchHookName,
                lifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
                heartbeatTimeout: LAUNCH_HOOK_HEARTBEAT_TIMEOUT_SECONDS,
                defaultResult: 'ABANDON',
              },
            ]),
      ],
      tags: [
        // Propagated: the instance role may tag only instances that carry it (instance-state tags).
        { key: FLEET_TAG_KEY, value: this.fleetId, propagateAtLaunch: true },
        {
          key: 'elastic-ci:agents-per-instance',
          value: String(props.agentsPerInstance ?? AGENT_FLEET_DEFAULTS.agentsPerInstance),
          propagateAtLaunch: false,
        },
        ...(props.instanceBrokerEndpoint === undefined
          ? []
          : [{ key: INSTANCE_BROKER_TAG_KEY, value: INSTANCE_BROKER_TAG_VALUE, propagateAtLaunch: false }]),
      ],
    });
    // Launch-template changes bring a new group; the old one is drained (stop-agents, lifecycle hook) and deleted.
    group.cfnOptions.updatePolicy = {
      autoScalingReplacingUpdate: { willReplace: true },
      // Otherwise any update of the group puts MinSize/MaxSize back to the template's values while a scheduled action
      // is in effect (the office-hours minimum drops to the night's until the action's next recurrence).
      ...((props.scheduledScalingActions ?? []).length > 0
        ? { autoScalingScheduledAction: { ignoreUnmodifiedGroupSizeProperties: true } }
        : {}),
    };
    // Instances boot only once their role may do what the boot needs, and the broker serves them.
    group.node.addDependency(role);
    if (brokerServingFleet !== undefined) group.node.addDependency(brokerServingFleet);
    if (network.vpc instanceof ec2.Vpc) {
      // Created and deleted while the routes exist, so instances reach the internet at boot and drain at teardown.
      group.node.addDependency(network.vpc.internetConnectivityEstablished);
    }
    this.autoScalingGroup = group;
    this.autoScalingGroupName = group.ref;

    this.warmPool = warmPoolEnabled
      ? new autoscaling.CfnWarmPool(this, 'WarmPool', {
          autoScalingGroupName: group.ref,
          poolState: props.warmPoolState ?? AGENT_FLEET_DEFAULTS.warmPoolState,
          minSize: props.warmPoolMinSize ?? AGENT_FLEET_DEFAULTS.warmPoolMinSize,
          ...(props.warmPoolMaxGroupPreparedCapacity !== undefined
            ? { maxGroupPreparedCapacity: props.warmPoolMaxGroupPreparedCapacity }
            : {}),
          instanceReusePolicy: {
            reuseOnScaleIn: props.warmPoolReuseOnScaleIn ?? AGENT_FLEET_DEFAULTS.warmPoolReuseOnScaleIn,
          },
        })
      : undefined;

    this.scheduledActions = (props.scheduledScalingActions ?? []).map(
      (action) =>
        new autoscaling.CfnScheduledAction(this, `Schedule${action.name}`, {
          autoScalingGroupName: group.ref,
          recurrence: action.schedule.trim().split(/\s+/).join(' '),
          timeZone: action.timeZone ?? AGENT_FLEET_DEFAULTS.scheduleTimeZone,
          ...(action.minSize !== undefined ? { minSize: action.minSize } : {}),
          ...(action.maxSize !== undefined ? { maxSize: action.maxSize } : {}),
          ...(action.desiredCapacity !== undefined ? { desiredCapacity: action.desiredCapacity } : {}),
        }),
    );

    acknowledgeFleetFindings({
      vpc: network.createdVpc,
      interfaceEndpointGroups: network.interfaceEndpointSecurityGroups,
      instanceRolePolicy:
        role.created && role.role.node.tryFindChild('DefaultPolicy') !== undefined
          ? { policy: role.role.node.findChild('DefaultPolicy'), wildcardReasons: INSTANCE_ROLE_WILDCARD_REASONS }
          : undefined,
      autoScalingGroup: group,
    });

    // Cost-allocation tags on everything taggable: the group propagates them to instances at launch, and the launch
    // template puts them on the volumes too.
    for (const [key, value] of Object.entries(props.costAllocationTags ?? {})) Tags.of(this).add(key, value);
    if (role.created) {
      for (const [key, value] of Object.entries(props.instanceRoleTags ?? {})) Tags.of(role.role).add(key, value);
    }
  }

  private createLaunchTemplate(
    props: AgentFleetProps,
    network: FleetNetwork,
    role: FleetInstanceRole,
    instanceTypes: readonly string[],
  ): ec2.LaunchTemplate {
    const architecture = fleetArchitecture(props);
    const machineImage: ec2.IMachineImage =
      props.imageId !== undefined
        ? fixedImage(props.imageId)
        : ec2.MachineImage.resolveSsmParameterAtLaunch(
            props.imageIdSsmParameterName ?? DEFAULT_IMAGE_SSM_PARAMETER[architecture],
            { os: ec2.OperatingSystemType.LINUX },
          );
    const volumeType = props.rootVolumeType ?? AGENT_FLEET_DEFAULTS.rootVolumeType;
    // The launch template names the first type; the group's overrides carry all of them.
    const [firstType = 't3.large'] = instanceTypes;
    const firstFamily = instanceFamilyOf(firstType) ?? '';
    const [firstGroup, ...otherGroups] = network.securityGroups;
    const template = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      instanceType: new ec2.InstanceType(firstType),
      machineImage,
      userData: ec2.UserData.custom(userDataScript(this.renderedBootContract)),
      role: role.role,
      ...(firstGroup !== undefined ? { securityGroup: firstGroup } : {}),
      associatePublicIpAddress: props.associatePublicIpAddress ?? AGENT_FLEET_DEFAULTS.associatePublicIpAddress,
      httpEndpoint: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      httpPutResponseHopLimit: props.httpPutResponseHopLimit ?? AGENT_FLEET_DEFAULTS.httpPutResponseHopLimit,
      instanceMetadataTags: props.instanceMetadataTags ?? AGENT_FLEET_DEFAULTS.instanceMetadataTags,
      detailedMonitoring: props.detailedMonitoring ?? AGENT_FLEET_DEFAULTS.detailedMonitoring,
      ...(props.keyPairName !== undefined
        ? { keyPair: ec2.KeyPair.fromKeyPairName(this, 'KeyPair', props.keyPairName) }
        : {}),
      ...(BURSTABLE_FAMILIES.includes(firstFamily)
        ? {
            cpuCredits:
              (props.cpuCredits ?? AGENT_FLEET_DEFAULTS.cpuCredits) === 'standard'
                ? ec2.CpuCredits.STANDARD
                : ec2.CpuCredits.UNLIMITED,
          }
        : {}),
      ...(props.warmPoolEnabled === true && props.warmPoolState === 'Hibernated'
        ? { hibernationConfigured: true }
        : {}),
      blockDevices: [
        {
          deviceName: props.rootVolumeDeviceName ?? AGENT_FLEET_DEFAULTS.rootVolumeDeviceName,
          volume: ec2.BlockDeviceVolume.ebs(props.rootVolumeSizeGiB ?? AGENT_FLEET_DEFAULTS.rootVolumeSizeGiB, {
            volumeType: EBS_VOLUME_TYPE[volumeType],
            encrypted: true,
            deleteOnTermination: true,
            ...(props.rootVolumeEncryptionKey !== undefined ? { kmsKey: props.rootVolumeEncryptionKey } : {}),
            ...(volumeType === 'gp3'
              ? {
                  iops: props.rootVolumeIops ?? AGENT_FLEET_DEFAULTS.gp3Iops,
                  throughput: props.rootVolumeThroughputMiBps ?? AGENT_FLEET_DEFAULTS.gp3ThroughputMiBps,
                }
              : props.rootVolumeIops !== undefined
                ? { iops: props.rootVolumeIops }
                : {}),
          }),
        },
      ],
    });
    for (const group of otherGroups) template.addSecurityGroup(group);
    const name = props.instanceName ?? Stack.of(this).stackName;
    Tags.of(template).add('Name', name);
    Tags.of(template).add('BuildkiteQueue', props.queue ?? AGENT_FLEET_DEFAULTS.queue);
    return template;
  }
}

/** A plain AMI id, the same in every region the template is deployed to. */
function fixedImage(imageId: string): ec2.IMachineImage {
  return {
    getImage: () => ({
      imageId,
      osType: ec2.OperatingSystemType.LINUX,
      userData: ec2.UserData.forLinux(),
    }),
  };
}
