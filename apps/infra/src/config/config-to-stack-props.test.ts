import type { StackProps } from 'aws-cdk-lib';
import { RemovalPolicy } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import type { ElasticCiStackProps } from '../elastic-ci-stack-props.js';
import {
  configFieldsByProp,
  configLeafFields,
  configToStackProps,
  PROPS_WITHOUT_CONFIG_FIELD,
} from './config-to-stack-props.js';

/**
 * Every prop of the stack besides `StackProps`. Typed so that a new prop fails the typecheck here until it is added,
 * and then this test until it has a config field (or is listed in `PROPS_WITHOUT_CONFIG_FIELD`).
 */
const STACK_PROPS: Record<Exclude<keyof ElasticCiStackProps, keyof StackProps>, true> = {
  agentTokenParameterName: true,
  agentTokenParameterKmsKeyArn: true,
  agentTokenSecretArn: true,
  agentTokenFromDeployParameter: true,
  scalingProfile: true,
  scaleOutFactor: true,
  scaleInFactor: true,
  scaleOutCooldownSec: true,
  scaleInCooldownSec: true,
  scaleOnlyAfterAllEvent: true,
  includeWaitingJobs: true,
  instanceBuffer: true,
  maxInstanceCap: true,
  availabilityThreshold: true,
  disableScaleIn: true,
  disableScaleOut: true,
  elasticCiMode: true,
  staleMetricsAfterSec: true,
  scaleInStrategy: true,
  scaleInOrder: true,
  scaleInMinRunningTimeSec: true,
  idleAgentCount: true,
  growthThrottleLaunchesPerSec: true,
  growthThrottleBurst: true,
  scalerPolicies: true,
  warmPoolScalerManaged: true,
  warmPoolPrepareForWaitingJobs: true,
  scalerScheduleIntervalSec: true,
  scalerPollIntervalSec: true,
  scalerInvocationBudgetSec: true,
  scalerStartupJitterMaxSec: true,
  scalerLeaseEnabled: true,
  scalerLeaseTtlSec: true,
  scalerLeaseWaitSec: true,
  scalerManagedPolicyArns: true,
  webhookEnabled: true,
  webhookSecretParameterName: true,
  webhookAllowTokenHeader: true,
  webhookReplayWindowSec: true,
  webhookReservedConcurrency: true,
  instanceBroker: true,
  azRebalancingSuspenderEnabled: true,
  stopAgentsEnabled: true,
  stopAgentsDrainTimeoutSec: true,
  stopAgentsPollIntervalSec: true,
  stopAgentsOnDrainTimeout: true,
  logRetentionDays: true,
  dashboardEnabled: true,
  lambdaArchitecture: true,
  rolePermissionsBoundaryArn: true,
  instanceTypes: true,
  architecture: true,
  imageId: true,
  imageIdSsmParameterName: true,
  spotAllocationStrategy: true,
  onDemandBaseCapacity: true,
  onDemandPercentageAboveBaseCapacity: true,
  capacityRebalance: true,
  maxInstanceLifetime: true,
  minSize: true,
  maxSize: true,
  newInstancesProtectedFromScaleIn: true,
  cpuCredits: true,
  detailedMonitoring: true,
  instanceName: true,
  keyPairName: true,
  sshIngressCidrs: true,
  httpPutResponseHopLimit: true,
  instanceMetadataTags: true,
  rootVolumeSizeGiB: true,
  rootVolumeType: true,
  rootVolumeIops: true,
  rootVolumeThroughputMiBps: true,
  rootVolumeEncryptionKey: true,
  rootVolumeDeviceName: true,
  vpc: true,
  vpcId: true,
  subnetIds: true,
  availabilityZones: true,
  vpcCidr: true,
  publicSubnetCount: true,
  vpcGatewayEndpoints: true,
  vpcInterfaceEndpoints: true,
  securityGroups: true,
  securityGroupIds: true,
  associatePublicIpAddress: true,
  instanceRole: true,
  instanceRoleArn: true,
  instanceRoleName: true,
  instanceRoleTags: true,
  managedPolicyArns: true,
  instanceRolePermissionsBoundaryArn: true,
  ecrAccessPolicy: true,
  secretsPluginEnabled: true,
  secretsBucketName: true,
  secretsBucketRegion: true,
  secretsBucketEncryptionKey: true,
  bucketRemovalPolicy: true,
  secretsPluginSkipSshKeyNotFoundWarning: true,
  artifactsBucketName: true,
  artifactsBucketRegion: true,
  artifactsS3Acl: true,
  buildCacheBucketEnabled: true,
  buildCacheExpiration: true,
  gitMirrorSeedBucketName: true,
  pipelineSigningKmsKeyId: true,
  pipelineSigningKmsKeySpec: true,
  pipelineSigningKmsAccess: true,
  pipelineVerificationFailureBehavior: true,
  agentSigningJwksSsmParameterName: true,
  agentSigningJwksKeyId: true,
  agentVerificationJwksSsmParameterName: true,
  queue: true,
  agentsPerInstance: true,
  agentTags: true,
  agentEndpoint: true,
  agentRelease: true,
  agentTimestampLines: true,
  agentExperiments: true,
  agentTracingBackend: true,
  agentCancelGracePeriod: true,
  agentSignalGracePeriodSeconds: true,
  agentDisconnectAfterIdleTimeout: true,
  agentDisconnectAfterJob: true,
  agentDisconnectAfterUptime: true,
  agentEnvFileUrl: true,
  bootstrapScriptUrl: true,
  authorizedUsersUrl: true,
  agentAdditionalSudoPermissions: true,
  agentGitMirrorsEnabled: true,
  agentPluginsEnabled: true,
  agentLocalHooksEnabled: true,
  ecrPluginEnabled: true,
  ecrCredentialHelperEnabled: true,
  dockerLoginPluginEnabled: true,
  terminateInstanceOnDiskFull: true,
  purgeBuildsOnDiskFull: true,
  dockerUserNamespaceRemap: true,
  dockerExperimental: true,
  dockerNetworkingProtocol: true,
  dockerIpv4AddressPools: true,
  dockerIpv6AddressPool: true,
  dockerFixedCidrV4: true,
  dockerFixedCidrV6: true,
  dockerPruneUntil: true,
  dockerBuilderPruneEnabled: true,
  preExitDiskCleanupEnabled: true,
  dockerPrePullImages: true,
  instanceStorageEnabled: true,
  mountTmpfsAtTmp: true,
  instanceLogRetention: true,
  resourceLimitsEnabled: true,
  resourceLimitsMemoryHigh: true,
  resourceLimitsMemoryMax: true,
  resourceLimitsMemorySwapMax: true,
  resourceLimitsCpuWeight: true,
  resourceLimitsCpuQuota: true,
  resourceLimitsIoWeight: true,
  terminationGracePeriod: true,
  terminationHookDefaultResult: true,
  warmPoolEnabled: true,
  warmPoolState: true,
  warmPoolMinSize: true,
  warmPoolMaxGroupPreparedCapacity: true,
  warmPoolReuseOnScaleIn: true,
  scheduledScalingActions: true,
  costAllocationTags: true,
  zombieCheckEnabled: true,
  zombieGracePeriod: true,
  zombieMaxInstancesPerPass: true,
};

describe('Function: configToStackProps', () => {
  it('has a config field for every prop that needs no CDK object', () => {
    // Act
    const mapped = new Set(configFieldsByProp().keys());

    // Assess
    const missing = Object.keys(STACK_PROPS).filter(
      (prop) => !mapped.has(prop) && !(PROPS_WITHOUT_CONFIG_FIELD as readonly string[]).includes(prop),
    );
    expect(missing).toEqual([]);
    expect(PROPS_WITHOUT_CONFIG_FIELD.filter((prop) => mapped.has(prop))).toEqual([]);
  });

  it('maps every config field onto a prop', () => {
    // Act
    const fieldsWithProp = new Set(configFieldsByProp().values());

    // Assess
    expect(
      configLeafFields()
        .map(({ path }) => path)
        .filter((path) => !fieldsWithProp.has(path) && path !== 'stackName'),
    ).toEqual([]);
  });

  it('sets only what the config sets, turning seconds and days into durations', () => {
    // Act
    const props = configToStackProps({
      buildkite: { cancelGracePeriodSec: 30, disconnectAfterUptimeSec: 0 },
      instances: { maxInstanceLifetimeDays: 3, terminationGracePeriodSec: 1800 },
      artifacts: { buildCacheExpirationDays: 14 },
      storage: { bucketRemovalPolicy: 'destroy' },
    });

    // Assess
    expect(Object.keys(props).sort()).toEqual([
      'agentCancelGracePeriod',
      'bucketRemovalPolicy',
      'buildCacheExpiration',
      'maxInstanceLifetime',
      'terminationGracePeriod',
    ]);
    expect(props.agentCancelGracePeriod?.toSeconds()).toBe(30);
    expect(props.maxInstanceLifetime?.toDays()).toBe(3);
    expect(props.terminationGracePeriod?.toSeconds()).toBe(1800);
    expect(props.buildCacheExpiration?.toDays()).toBe(14);
    expect(props.bucketRemovalPolicy).toBe(RemovalPolicy.DESTROY);
    expect(configToStackProps({})).toEqual({});
  });

  it('maps scaling.zombieCheck onto the zombie-check props, the grace period as a duration', () => {
    // Act
    const props = configToStackProps({
      scaling: { zombieCheck: { enabled: true, gracePeriodSec: 900, maxInstancesPerPass: 5 } },
    });

    // Assess
    expect(Object.keys(props).sort()).toEqual(['zombieCheckEnabled', 'zombieGracePeriod', 'zombieMaxInstancesPerPass']);
    expect(props.zombieCheckEnabled).toBe(true);
    expect(props.zombieGracePeriod?.toSeconds()).toBe(900);
    expect(props.zombieMaxInstancesPerPass).toBe(5);
  });
});
