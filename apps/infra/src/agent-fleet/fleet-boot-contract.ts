import { BOOT_CONTRACT_VERSION, type BootContractInput } from '@elastic-ci/agent-instance/boot-contract';
import type { Duration } from 'aws-cdk-lib';
import type { AgentFleetOptions } from './agent-fleet-options.js';

/** Where the user-data script writes the contract on the instance, for the boot program to read. */
export const BOOT_CONTRACT_PATH = '/etc/elastic-ci/boot-contract.json';
/** The boot program the agent image provides (`@elastic-ci/agent-instance`). */
export const BOOT_PROGRAM = '/usr/local/bin/elastic-ci-boot';
const HEREDOC_DELIMITER = 'ELASTIC_CI_BOOT_CONTRACT';

/** What the fleet knows besides the user's options: names of resources it created or was given. */
export interface FleetBootContext {
  readonly stackName: string;
  readonly region: string;
  readonly stackVersion: string;
  /** SSM parameter name (or ARN) the token is read from, `/aws/reference/secretsmanager/…` for a secret. */
  readonly agentTokenParameterName: string;
  readonly secretsBucketName: string | undefined;
  /** Region of the secrets bucket, when known (the stack's for a created one). */
  readonly secretsBucketRegion: string | undefined;
  readonly signingKmsKeyId: string | undefined;
  readonly logGroupPrefix: string;
  readonly warmPoolEnabled: boolean;
  /** The group's launch lifecycle hook, which the boot completes (groups with a warm pool). */
  readonly launchHookName?: string | undefined;
  /** The instance broker's function URL, when the instances make their Auto Scaling writes through it. */
  readonly instanceBrokerUrl?: string | undefined;
}

const seconds = (duration: Duration | undefined): number | undefined => duration?.toSeconds();

/** A Go-style duration (`4h`, `30m`, `45s`), the form the instance's prune settings take. */
function goDuration(duration: Duration): string {
  const total = duration.toSeconds();
  if (total % 3600 === 0) return `${total / 3600}h`;
  if (total % 60 === 0) return `${total / 60}m`;
  return `${total}s`;
}

// CloudWatch's "never expire" is no retention setting at all in the contract.
const NEVER_EXPIRE = 9999;

/**
 * The boot contract of the fleet's instances, from the fleet's options: only what the user set, so the contract's
 * own defaults (the ones the instance side documents) apply to the rest.
 */
export function bootContractInputFor(options: AgentFleetOptions, context: FleetBootContext): BootContractInput {
  const pools = options.dockerIpv4AddressPools;
  const usesKmsSigning = context.signingKmsKeyId !== undefined;
  const signs =
    usesKmsSigning ||
    options.agentSigningJwksSsmParameterName !== undefined ||
    options.agentVerificationJwksSsmParameterName !== undefined;
  const retentionDays = options.instanceLogRetention;
  return {
    version: BOOT_CONTRACT_VERSION,
    stack: { name: context.stackName, region: context.region, version: context.stackVersion },
    agent: {
      queue: options.queue,
      token: { kind: 'ssm-parameter', name: context.agentTokenParameterName },
      endpoint: options.agentEndpoint,
      tags: Object.entries(options.agentTags ?? {}).map(([key, value]) => `${key}=${value}`),
      agentsPerInstance: options.agentsPerInstance,
      idleDisconnectTimeoutSeconds: seconds(options.agentDisconnectAfterIdleTimeout),
      disconnectAfterJob: options.agentDisconnectAfterJob,
      disconnectAfterUptimeSeconds: seconds(options.agentDisconnectAfterUptime),
      timestampLines: options.agentTimestampLines,
      experiments: options.agentExperiments === undefined ? undefined : [...options.agentExperiments],
      tracingBackend: options.agentTracingBackend,
      cancelGracePeriodSeconds: seconds(options.agentCancelGracePeriod),
      signalGracePeriodSeconds: options.agentSignalGracePeriodSeconds,
      gitMirrorsEnabled: options.agentGitMirrorsEnabled,
      gitMirrorSeedBucket: options.gitMirrorSeedBucketName,
      pluginsEnabled: options.agentPluginsEnabled,
      localHooksEnabled: options.agentLocalHooksEnabled,
      envFileUrl: options.agentEnvFileUrl,
      bootstrapScriptUrl: options.bootstrapScriptUrl,
    },
    signing: signs
      ? {
          kmsKeyId: context.signingKmsKeyId,
          jwksParameter: options.agentSigningJwksSsmParameterName,
          jwksKeyId: options.agentSigningJwksKeyId,
          verificationJwksParameter: options.agentVerificationJwksSsmParameterName,
          verificationFailureBehavior: options.pipelineVerificationFailureBehavior,
        }
      : undefined,
    secrets:
      context.secretsBucketName === undefined
        ? undefined
        : {
            bucket: context.secretsBucketName,
            region: context.secretsBucketRegion,
            skipSshKeyNotFoundWarning: options.secretsPluginSkipSshKeyNotFoundWarning,
          },
    artifacts:
      options.artifactsBucketName === undefined
        ? undefined
        : { bucket: options.artifactsBucketName, region: options.artifactsBucketRegion, acl: options.artifactsS3Acl },
    docker: {
      userNamespaceRemap: options.dockerUserNamespaceRemap,
      experimental: options.dockerExperimental,
      networkingProtocol: options.dockerNetworkingProtocol,
      // Buildkite's two pools: the first carved into /20 networks, the second (and any further) into /24.
      addressPools: pools?.map((base, index) => ({ base, size: index === 0 ? 20 : 24 })),
      fixedCidrV4: options.dockerFixedCidrV4,
      ipv6AddressPool: options.dockerIpv6AddressPool,
      fixedCidrV6: options.dockerFixedCidrV6,
      builderPruneEnabled: options.dockerBuilderPruneEnabled,
      pruneUntil: options.dockerPruneUntil === undefined ? undefined : goDuration(options.dockerPruneUntil),
      preExitDiskCleanup: options.preExitDiskCleanupEnabled,
      prePullImages: options.dockerPrePullImages === undefined ? undefined : [...options.dockerPrePullImages],
    },
    registries: {
      ecrPolicy: options.ecrAccessPolicy,
      ecrLoginEnabled: options.ecrPluginEnabled,
      ecrCredentialHelper: options.ecrCredentialHelperEnabled,
      dockerLoginEnabled: options.dockerLoginPluginEnabled,
    },
    storage: {
      instanceStoreRaid0: options.instanceStorageEnabled,
      mountTmpfsAtTmp: options.mountTmpfsAtTmp,
    },
    disk: {
      terminateInstanceOnDiskFull: options.terminateInstanceOnDiskFull,
      purgeBuildsOnDiskFull: options.purgeBuildsOnDiskFull,
    },
    resourceLimits:
      options.resourceLimitsEnabled === true
        ? {
            memoryHigh: options.resourceLimitsMemoryHigh,
            memoryMax: options.resourceLimitsMemoryMax,
            memorySwapMax: options.resourceLimitsMemorySwapMax,
            cpuWeight: options.resourceLimitsCpuWeight,
            cpuQuota: options.resourceLimitsCpuQuota,
            ioWeight: options.resourceLimitsIoWeight,
          }
        : undefined,
    // The group has a termination hook and no SNS topic: lifecycled's default mode (target-lifecycle-state).
    lifecycled: { mode: 'lifecycle-state' },
    lifecycle: {
      warmPoolEnabled: context.warmPoolEnabled,
      launchHookName: context.launchHookName,
      instanceBrokerUrl: context.instanceBrokerUrl,
    },
    logs: {
      retentionDays: retentionDays === undefined || retentionDays === NEVER_EXPIRE ? undefined : retentionDays,
      groups: {
        boot: `${context.logGroupPrefix}boot`,
        agent: `${context.logGroupPrefix}buildkite-agent`,
        lifecycled: `${context.logGroupPrefix}lifecycled`,
        system: `${context.logGroupPrefix}system`,
        docker: `${context.logGroupPrefix}docker`,
      },
    },
    access: {
      authorizedUsersUrl: options.authorizedUsersUrl,
      additionalSudoPermissions: options.agentAdditionalSudoPermissions,
    },
  };
}

/**
 * The launch template's user data: a script that writes the rendered contract where the boot program reads it and
 * hands over. The quoted heredoc keeps the shell from expanding anything in the JSON.
 */
export function userDataScript(renderedContract: string): string {
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    `install -d -m 0755 ${BOOT_CONTRACT_PATH.slice(0, BOOT_CONTRACT_PATH.lastIndexOf('/'))}`,
    `cat > ${BOOT_CONTRACT_PATH} <<'${HEREDOC_DELIMITER}'`,
    renderedContract,
    HEREDOC_DELIMITER,
    `exec ${BOOT_PROGRAM} --contract ${BOOT_CONTRACT_PATH}`,
    '',
  ].join('\n');
}

/**
 * The contract text inside user data written by {@link userDataScript} (for tests, and for whoever rebuilds an
 * instance's view from a synthesized template).
 * @throws Error when the user data holds no contract
 */
export function bootContractFromUserData(userData: string): string {
  const lines = userData.split('\n');
  const start = lines.findIndex((line) => line.endsWith(`<<'${HEREDOC_DELIMITER}'`));
  const end = lines.indexOf(HEREDOC_DELIMITER, start + 1);
  if (start < 0 || end < 0) throw new Error('user data holds no boot contract (no elastic-ci heredoc found)');
  return lines.slice(start + 1, end).join('\n');
}
