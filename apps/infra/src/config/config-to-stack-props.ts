import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as z from 'zod';
import type { ElasticCiStackProps } from '../elastic-ci-stack-props.js';
import { type StackConfig, stackConfigSchema } from './stack-config-schema.js';

/**
 * Props no config file can set, because they need CDK objects from the user's own app: a CDK user passes them to
 * the construct directly. Everything else in `ElasticCiStackProps` has a config field (a test keeps it that way).
 */
export const PROPS_WITHOUT_CONFIG_FIELD = [
  'vpc',
  'securityGroups',
  'instanceRole',
  'rootVolumeEncryptionKey',
  'secretsBucketEncryptionKey',
] as const;

const seconds = (value: number | undefined) => (value === undefined ? undefined : Duration.seconds(value));
const days = (value: number | undefined) => (value === undefined ? undefined : Duration.days(value));
const list = <T>(value: readonly T[] | undefined) => (value === undefined ? undefined : [...value]);

/**
 * The stack props a typed config describes. Pure and scope-free: durations become `Duration`s, everything else is
 * plain data; props that need constructs (an `IVpc`, an `IKey`) are not configurable from a file.
 */
export function configToStackProps(config: StackConfig): ElasticCiStackProps {
  const { buildkite = {}, scaling = {}, instances = {}, storage = {}, network = {}, docker = {} } = config;
  const { security = {}, secrets = {}, artifacts = {}, resourceLimits = {}, logs: logSettings = {} } = config;
  const { controlPlane = {}, tags = {} } = config;
  const token = buildkite.agentToken ?? {};
  const signing = buildkite.signing ?? {};
  const webhook = buildkite.webhook ?? {};
  const warmPool = scaling.warmPool ?? {};
  const zombieCheck = scaling.zombieCheck ?? {};
  const props: ElasticCiStackProps = {
    // StackProps take no explicit undefined
    ...(config.description === undefined ? {} : { description: config.description }),
    ...(tags.stack === undefined ? {} : { tags: tags.stack }),
    // agent token
    agentTokenParameterName: token.parameterName,
    agentTokenParameterKmsKeyArn: token.parameterKmsKeyArn,
    agentTokenSecretArn: token.secretArn,
    agentTokenFromDeployParameter: token.fromDeployParameter,
    // agent
    queue: buildkite.queue,
    agentEndpoint: buildkite.agentEndpoint,
    agentTags: buildkite.agentTags,
    agentsPerInstance: buildkite.agentsPerInstance,
    agentRelease: buildkite.agentRelease,
    agentTimestampLines: buildkite.timestampLines,
    agentExperiments: list(buildkite.experiments),
    agentTracingBackend: buildkite.tracingBackend,
    agentCancelGracePeriod: seconds(buildkite.cancelGracePeriodSec),
    agentSignalGracePeriodSeconds: buildkite.signalGracePeriodSec,
    agentDisconnectAfterIdleTimeout: seconds(buildkite.idleTimeoutSec),
    agentDisconnectAfterJob: buildkite.disconnectAfterJob,
    agentDisconnectAfterUptime: buildkite.disconnectAfterUptimeSec
      ? seconds(buildkite.disconnectAfterUptimeSec)
      : undefined,
    agentGitMirrorsEnabled: buildkite.gitMirrorsEnabled,
    gitMirrorSeedBucketName: buildkite.gitMirrorSeedBucketName,
    agentPluginsEnabled: buildkite.pluginsEnabled,
    agentLocalHooksEnabled: buildkite.localHooksEnabled,
    agentEnvFileUrl: buildkite.envFileUrl,
    bootstrapScriptUrl: buildkite.bootstrapScriptUrl,
    agentAdditionalSudoPermissions: buildkite.additionalSudoPermissions,
    terminateInstanceOnDiskFull: buildkite.terminateInstanceOnDiskFull,
    purgeBuildsOnDiskFull: buildkite.purgeBuildsOnDiskFull,
    // signing
    pipelineSigningKmsKeyId: signing.kmsKeyId,
    pipelineSigningKmsKeySpec: signing.kmsKeySpec,
    pipelineSigningKmsAccess: signing.kmsAccess,
    pipelineVerificationFailureBehavior: signing.verificationFailureBehavior,
    agentSigningJwksSsmParameterName: signing.jwksParameterName,
    agentSigningJwksKeyId: signing.jwksKeyId,
    agentVerificationJwksSsmParameterName: signing.verificationJwksParameterName,
    // webhook
    webhookEnabled: webhook.enabled,
    webhookSecretParameterName: webhook.secretParameterName,
    webhookAllowTokenHeader: webhook.allowTokenHeader,
    webhookReplayWindowSec: webhook.replayWindowSec,
    webhookReservedConcurrency: webhook.reservedConcurrency,
    // scaling
    scalingProfile: scaling.profile,
    minSize: scaling.minSize,
    maxSize: scaling.maxSize,
    scaleOutFactor: scaling.scaleOutFactor,
    scaleInFactor: scaling.scaleInFactor,
    scaleOutCooldownSec: scaling.scaleOutCooldownSec,
    scaleInCooldownSec: scaling.scaleInCooldownSec,
    scaleOnlyAfterAllEvent: scaling.scaleOnlyAfterAllEvent,
    includeWaitingJobs: scaling.includeWaitingJobs,
    instanceBuffer: scaling.instanceBuffer,
    maxInstanceCap: scaling.maxInstanceCap,
    availabilityThreshold: scaling.availabilityThreshold,
    disableScaleIn: scaling.disableScaleIn,
    disableScaleOut: scaling.disableScaleOut,
    elasticCiMode: scaling.elasticCiMode,
    staleMetricsAfterSec: scaling.staleMetricsAfterSec,
    scaleInStrategy: scaling.scaleInStrategy,
    scaleInOrder: scaling.scaleInOrder,
    scaleInMinRunningTimeSec: scaling.scaleInMinRunningTimeSec,
    idleAgentCount: scaling.idleAgentCount,
    growthThrottleLaunchesPerSec: scaling.growthThrottleLaunchesPerSec,
    growthThrottleBurst: scaling.growthThrottleBurst,
    scalerPolicies: scaling.policies,
    scalerScheduleIntervalSec: scaling.scheduleIntervalSec,
    scalerPollIntervalSec: scaling.pollIntervalSec,
    scalerInvocationBudgetSec: scaling.invocationBudgetSec,
    scalerStartupJitterMaxSec: scaling.startupJitterMaxSec,
    scalerLeaseEnabled: scaling.leaseEnabled,
    scalerLeaseTtlSec: scaling.leaseTtlSec,
    scalerLeaseWaitSec: scaling.leaseWaitSec,
    scalerManagedPolicyArns: list(scaling.managedPolicyArns),
    scheduledScalingActions: scaling.schedules?.map((action) => ({ ...action })),
    zombieCheckEnabled: zombieCheck.enabled,
    zombieGracePeriod: seconds(zombieCheck.gracePeriodSec),
    zombieMaxInstancesPerPass: zombieCheck.maxInstancesPerPass,
    // warm pool
    warmPoolEnabled: warmPool.enabled,
    warmPoolState: warmPool.state,
    warmPoolMinSize: warmPool.minSize,
    warmPoolMaxGroupPreparedCapacity: warmPool.maxGroupPreparedCapacity,
    warmPoolReuseOnScaleIn: warmPool.reuseOnScaleIn,
    warmPoolScalerManaged: warmPool.scalerManaged,
    warmPoolPrepareForWaitingJobs: warmPool.prepareForWaitingJobs,
    // instances
    instanceTypes: list(instances.types),
    architecture: instances.architecture,
    imageId: instances.imageId,
    imageIdSsmParameterName: instances.imageIdSsmParameterName,
    spotAllocationStrategy: instances.spotAllocationStrategy,
    onDemandBaseCapacity: instances.onDemandBaseCapacity,
    onDemandPercentageAboveBaseCapacity: instances.onDemandPercentageAboveBaseCapacity,
    capacityRebalance: instances.capacityRebalance,
    maxInstanceLifetime: days(instances.maxInstanceLifetimeDays),
    newInstancesProtectedFromScaleIn: instances.newInstancesProtectedFromScaleIn,
    cpuCredits: instances.cpuCredits,
    detailedMonitoring: instances.detailedMonitoring,
    instanceName: instances.name,
    keyPairName: instances.keyPairName,
    sshIngressCidrs: list(instances.sshIngressCidrs),
    httpPutResponseHopLimit: instances.httpPutResponseHopLimit,
    instanceMetadataTags: instances.instanceMetadataTags,
    terminationGracePeriod: seconds(instances.terminationGracePeriodSec),
    terminationHookDefaultResult: instances.terminationHookDefaultResult,
    // storage
    rootVolumeSizeGiB: storage.rootVolumeSizeGiB,
    rootVolumeType: storage.rootVolumeType,
    rootVolumeIops: storage.rootVolumeIops,
    rootVolumeThroughputMiBps: storage.rootVolumeThroughputMiBps,
    rootVolumeDeviceName: storage.rootVolumeDeviceName,
    instanceStorageEnabled: storage.instanceStorageEnabled,
    mountTmpfsAtTmp: storage.mountTmpfsAtTmp,
    bucketRemovalPolicy:
      storage.bucketRemovalPolicy === undefined
        ? undefined
        : storage.bucketRemovalPolicy === 'destroy'
          ? RemovalPolicy.DESTROY
          : RemovalPolicy.RETAIN,
    // network
    vpcId: network.vpcId,
    subnetIds: list(network.subnetIds),
    availabilityZones: list(network.availabilityZones),
    vpcCidr: network.vpcCidr,
    publicSubnetCount: network.publicSubnetCount,
    vpcGatewayEndpoints: list(network.gatewayEndpoints),
    vpcInterfaceEndpoints: list(network.interfaceEndpoints),
    securityGroupIds: list(network.securityGroupIds),
    associatePublicIpAddress: network.associatePublicIpAddress,
    // docker
    dockerUserNamespaceRemap: docker.userNamespaceRemap,
    dockerExperimental: docker.experimental,
    dockerNetworkingProtocol: docker.networkingProtocol,
    dockerIpv4AddressPools: list(docker.ipv4AddressPools),
    dockerIpv6AddressPool: docker.ipv6AddressPool,
    dockerFixedCidrV4: docker.fixedCidrV4,
    dockerFixedCidrV6: docker.fixedCidrV6,
    dockerPruneUntil: seconds(docker.pruneUntilSec),
    dockerBuilderPruneEnabled: docker.builderPruneEnabled,
    preExitDiskCleanupEnabled: docker.preExitDiskCleanup,
    dockerPrePullImages: list(docker.prePullImages),
    ecrPluginEnabled: docker.ecrPluginEnabled,
    ecrCredentialHelperEnabled: docker.ecrCredentialHelperEnabled,
    dockerLoginPluginEnabled: docker.dockerLoginPluginEnabled,
    // security
    instanceRoleArn: security.instanceRoleArn,
    instanceRoleName: security.instanceRoleName,
    instanceRoleTags: security.instanceRoleTags,
    managedPolicyArns: list(security.managedPolicyArns),
    instanceRolePermissionsBoundaryArn: security.instanceRolePermissionsBoundaryArn,
    rolePermissionsBoundaryArn: security.rolePermissionsBoundaryArn,
    ecrAccessPolicy: security.ecrAccessPolicy,
    authorizedUsersUrl: security.authorizedUsersUrl,
    instanceBroker: security.instanceBroker,
    // secrets, artifacts, build cache
    secretsPluginEnabled: secrets.pluginEnabled,
    secretsBucketName: secrets.bucketName,
    secretsBucketRegion: secrets.bucketRegion,
    secretsPluginSkipSshKeyNotFoundWarning: secrets.skipSshKeyNotFoundWarning,
    artifactsBucketName: artifacts.bucketName,
    artifactsBucketRegion: artifacts.bucketRegion,
    artifactsS3Acl: artifacts.s3Acl,
    buildCacheBucketEnabled: artifacts.buildCacheBucketEnabled,
    buildCacheExpiration: days(artifacts.buildCacheExpirationDays),
    // resource limits
    resourceLimitsEnabled: resourceLimits.enabled,
    resourceLimitsMemoryHigh: resourceLimits.memoryHigh,
    resourceLimitsMemoryMax: resourceLimits.memoryMax,
    resourceLimitsMemorySwapMax: resourceLimits.memorySwapMax,
    resourceLimitsCpuWeight: resourceLimits.cpuWeight,
    resourceLimitsCpuQuota: resourceLimits.cpuQuota,
    resourceLimitsIoWeight: resourceLimits.ioWeight,
    // logs and control plane
    logRetentionDays: logSettings.retentionDays,
    instanceLogRetention: logSettings.instanceLogRetentionDays as logs.RetentionDays | undefined,
    dashboardEnabled: logSettings.dashboardEnabled,
    lambdaArchitecture: controlPlane.lambdaArchitecture,
    azRebalancingSuspenderEnabled: controlPlane.azRebalancingSuspenderEnabled,
    stopAgentsEnabled: controlPlane.stopAgentsEnabled,
    stopAgentsDrainTimeoutSec: controlPlane.stopAgentsDrainTimeoutSec,
    stopAgentsPollIntervalSec: controlPlane.stopAgentsPollIntervalSec,
    stopAgentsOnDrainTimeout: controlPlane.stopAgentsOnDrainTimeout,
    costAllocationTags: tags.costAllocation,
  };
  // Only what the config sets: the construct's defaults (and its docs) apply to the rest.
  return Object.fromEntries(Object.entries(props).filter(([, value]) => value !== undefined)) as ElasticCiStackProps;
}

interface JsonSchemaNode {
  type?: string;
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: unknown;
  items?: JsonSchemaNode;
  enum?: unknown[];
}

/** A value of the node's type, to see where a field lands. */
function probeValue(node: JsonSchemaNode): unknown {
  if (node.enum !== undefined) return node.enum[0];
  switch (node.type) {
    case 'string':
      return 'probe';
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [node.items === undefined ? 'probe' : probeValue(node.items)];
    default:
      return node.properties === undefined
        ? { probe: 'probe' }
        : Object.fromEntries(Object.entries(node.properties).map(([key, child]) => [key, probeValue(child)]));
  }
}

/** Every leaf field of the typed config, dotted, with its schema. */
export function configLeafFields(): { path: string; node: JsonSchemaNode }[] {
  const leaves: { path: string; node: JsonSchemaNode }[] = [];
  const walk = (node: JsonSchemaNode, path: string) => {
    if (node.type === 'object' && node.properties !== undefined) {
      for (const [key, child] of Object.entries(node.properties)) walk(child, path === '' ? key : `${path}.${key}`);
      return;
    }
    leaves.push({ path, node });
  };
  walk(z.toJSONSchema(stackConfigSchema, { io: 'input' }) as JsonSchemaNode, '');
  return leaves;
}

let propFields: Map<string, string> | undefined;

/** Which typed-config field sets each prop (`agentTokenParameterName` → `buildkite.agentToken.parameterName`). */
export function configFieldsByProp(): ReadonlyMap<string, string> {
  if (propFields !== undefined) return propFields;
  propFields = new Map();
  for (const { path, node } of configLeafFields()) {
    const probe: Record<string, unknown> = {};
    const keys = path.split('.');
    let cursor = probe;
    for (const key of keys.slice(0, -1)) {
      const section: Record<string, unknown> = {};
      cursor[key] = section;
      cursor = section;
    }
    cursor[keys[keys.length - 1] ?? ''] = probeValue(node);
    for (const prop of Object.keys(configToStackProps(probe as StackConfig))) propFields.set(prop, path);
  }
  return propFields;
}
