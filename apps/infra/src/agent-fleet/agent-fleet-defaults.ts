import { Duration } from 'aws-cdk-lib';
import type {
  EcrAccessPolicy,
  LifecycleHookDefaultResult,
  RootVolumeType,
  SpotAllocationStrategy,
  WarmPoolState,
} from './agent-fleet-options.js';

/**
 * The defaults the fleet construct applies, in one place (the `@default` tags of `AgentFleetOptions` describe them).
 * Agent settings that only travel to the instance are not here: the boot contract fills in its own defaults.
 */
export const AGENT_FLEET_DEFAULTS = {
  instanceTypes: ['t3.large'] as readonly string[],
  spotAllocationStrategy: 'price-capacity-optimized' as SpotAllocationStrategy,
  onDemandBaseCapacity: 0,
  onDemandPercentageAboveBaseCapacity: 100,
  capacityRebalance: false,
  minSize: 0,
  maxSize: 10,
  newInstancesProtectedFromScaleIn: true,
  cpuCredits: 'unlimited' as 'standard' | 'unlimited',
  detailedMonitoring: false,
  httpPutResponseHopLimit: 1,
  instanceMetadataTags: true,
  rootVolumeSizeGiB: 250,
  rootVolumeType: 'gp3' as RootVolumeType,
  gp3Iops: 3000,
  gp3ThroughputMiBps: 125,
  rootVolumeDeviceName: '/dev/xvda',
  vpcCidr: '10.0.0.0/16',
  publicSubnetCount: 2,
  associatePublicIpAddress: true,
  ecrAccessPolicy: 'none' as EcrAccessPolicy,
  secretsPluginEnabled: true,
  buildCacheExpiration: Duration.days(30),
  terminationGracePeriod: Duration.seconds(3600),
  terminationHookDefaultResult: 'CONTINUE' as LifecycleHookDefaultResult,
  warmPoolState: 'Stopped' as WarmPoolState,
  warmPoolMinSize: 0,
  warmPoolReuseOnScaleIn: false,
  scheduleTimeZone: 'UTC',
  queue: 'default',
  agentsPerInstance: 1,
} as const;

/** Public Amazon Linux 2023 image parameters, used until the elastic-ci agent image publishes its own. */
export const DEFAULT_IMAGE_SSM_PARAMETER = {
  x86_64: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
  arm64: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64',
} as const;
