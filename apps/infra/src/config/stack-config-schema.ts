import * as z from 'zod';
import { SCALING_PROFILES } from '../scaling-profile';

/**
 * The typed config file (JSON or YAML): the friendly way to describe one stack. Sections group the flat
 * `ElasticCiStackProps`; every field is optional and takes the prop's documented default. The schema checks shapes,
 * types and ranges and refuses unknown fields; cross-option rules (min ≤ max, one token source, one architecture …)
 * are the construct's validators, which `loadStackConfig` runs on the result so every problem comes out at once.
 */

const text = (description: string) => z.string().min(1).describe(description);
const flag = (description: string) => z.boolean().describe(description);
const count = (minimum: number, maximum: number, description: string) =>
  z.number().int().min(minimum).max(maximum).describe(description);
const seconds = (description: string) => z.number().int().min(0).describe(`${description} (seconds)`);
const texts = (description: string) => z.array(z.string().min(1)).describe(description);
const stringMap = (description: string) => z.record(z.string().min(1), z.string()).describe(description);

/**
 * CloudFormation takes 128 characters, but the instance log groups are `/elastic-ci/<stack name>/buildkite-agent`
 * and CloudWatch takes 128 for those: longer names passed here and failed inside the construct.
 */
export const MAX_STACK_NAME_LENGTH = 100;
const STACK_NAME = new RegExp(`^[A-Za-z][A-Za-z0-9-]{0,${MAX_STACK_NAME_LENGTH - 1}}$`);

export const scheduledScalingActionSchema = z
  .object({
    name: text('Unique name of the action; part of its construct id.'),
    schedule: text('5-field cron expression, e.g. `0 8 * * MON-FRI`.'),
    timeZone: text('IANA time zone, e.g. `Europe/Berlin`; default UTC.').optional(),
    minSize: count(0, 10_000, 'Group minimum from this time on.').optional(),
    maxSize: count(0, 10_000, 'Group maximum from this time on.').optional(),
    desiredCapacity: count(0, 10_000, 'Desired capacity at this time.').optional(),
  })
  .strict();

export const stackConfigSchema = z
  .object({
    stackName: z
      .string()
      .regex(STACK_NAME, {
        message: `must be a CloudFormation stack name of at most ${MAX_STACK_NAME_LENGTH} characters: a letter, then A-Z a-z 0-9 - (the instance log groups /elastic-ci/<stack name>/… must fit CloudWatch’s 128)`,
      })
      .optional()
      .describe('Stack name. Default: `elastic-ci-<config file name>`.'),
    description: text('Stack description (CloudFormation takes 1024 characters).').max(1024).optional(),
    buildkite: z
      .object({
        queue: text('Buildkite queue the agents serve.').optional(),
        agentEndpoint: text('Agent API endpoint.').optional(),
        agentToken: z
          .object({
            parameterName: text('Existing SSM parameter (name or ARN) holding the agent token.').optional(),
            parameterKmsKeyArn: text('KMS key ARN encrypting that parameter, when not aws/ssm.').optional(),
            secretArn: text('Existing Secrets Manager secret (ARN) holding the agent token.').optional(),
            fromDeployParameter: flag(
              'Take the token at deploy time (NoEcho parameter `BuildkiteAgentToken`, stored in Secrets Manager).',
            ).optional(),
          })
          .strict()
          .optional()
          .describe(
            'Where the agent token comes from: exactly one source. The token itself never goes in a config file.',
          ),
        agentTags: stringMap('Extra agent tags.').optional(),
        agentsPerInstance: count(1, 64, 'Agents per instance (`spawn`).').optional(),
        agentRelease: z.enum(['stable', 'oldstable', 'beta', 'edge']).optional().describe('Agent release.'),
        timestampLines: flag('Timestamp every job log line.').optional(),
        experiments: texts('Agent experiments.').optional(),
        tracingBackend: z.enum(['datadog', 'opentelemetry']).optional().describe('Tracing backend.'),
        cancelGracePeriodSec: count(1, 86_400, 'Time a cancelled job gets (seconds).').optional(),
        signalGracePeriodSec: count(-1, 86_400, 'Cancel signal to SIGKILL (seconds); -1 = agent default.').optional(),
        idleTimeoutSec: seconds('Idle time after which an agent exits and its instance terminates').optional(),
        disconnectAfterJob: flag('One job per instance.').optional(),
        disconnectAfterUptimeSec: seconds('Maximum agent uptime').optional(),
        gitMirrorsEnabled: flag('Git mirrors.').optional(),
        gitMirrorSeedBucketName: text('Bucket with `git-mirror-seeds/`.').optional(),
        pluginsEnabled: flag('Let pipelines use plugins.').optional(),
        localHooksEnabled: flag('Run hooks from the repository.').optional(),
        envFileUrl: text('Agent environment file: `s3://`, `ssm:/path` or `https://`.').optional(),
        bootstrapScriptUrl: text('Boot script run as root: `s3://` or `https://`.').optional(),
        additionalSudoPermissions: text('Extra sudo rules for the agent user.').optional(),
        terminateInstanceOnDiskFull: flag('Replace the instance when the disk stays full.').optional(),
        purgeBuildsOnDiskFull: flag('Delete the build directory as a last resort on a full disk.').optional(),
        signing: z
          .object({
            kmsKeyId: text('Existing KMS signing key (id or ARN).').optional(),
            kmsKeySpec: z.enum(['ECC_NIST_P256', 'none']).optional().describe('Create a signing key.'),
            kmsAccess: z.enum(['sign-and-verify', 'verify']).optional().describe('Signing key access.'),
            verificationFailureBehavior: z.enum(['block', 'warn']).optional().describe('On a bad signature.'),
            jwksParameterName: text('SSM parameter holding the signing JWKS.').optional(),
            jwksKeyId: text('Key id inside the signing JWKS.').optional(),
            verificationJwksParameterName: text('SSM parameter holding the verification JWKS.').optional(),
          })
          .strict()
          .optional()
          .describe('Pipeline signing.'),
        webhook: z
          .object({
            enabled: flag('Deploy the webhook function URL.').optional(),
            secretParameterName: text('Existing SSM SecureString with the webhook token.').optional(),
            allowTokenHeader: flag('Accept `X-Buildkite-Token` without a signature.').optional(),
            replayWindowSec: seconds('Accepted signature age').optional(),
            reservedConcurrency: count(
              1,
              1000,
              'Reserved concurrency of the webhook function (caps what the public URL can use; needs 100 unreserved left in the account).',
            ).optional(),
          })
          .strict()
          .optional()
          .describe('Buildkite webhook.'),
      })
      .strict()
      .optional()
      .describe('The Buildkite agent and its registration.'),
    scaling: z
      .object({
        profile: z
          .enum(SCALING_PROFILES)
          .optional()
          .describe(
            "Defaults to start from: 'buildkite' (Buildkite's stack) or 'elastic-ci' (the benchmarked policy: forecast- and waiting-job-sized warm pool, drain after 45 s idle; needs one instance type). Options set here win.",
          ),
        minSize: count(0, 10_000, 'Smallest group size.').optional(),
        maxSize: count(0, 10_000, 'Largest group size.').optional(),
        scaleOutFactor: z.number().positive().optional().describe('Scale-out step multiplier.'),
        scaleInFactor: z.number().positive().optional().describe('Scale-in step multiplier.'),
        scaleOutCooldownSec: seconds('Time between scale-outs').optional(),
        scaleInCooldownSec: seconds('Time between scale-ins').optional(),
        scaleOnlyAfterAllEvent: flag('Cooldowns count from the last event of either direction.').optional(),
        includeWaitingJobs: flag('Count jobs behind `wait` steps as demand.').optional(),
        instanceBuffer: count(0, 10_000, 'Extra instances while any job exists.').optional(),
        maxInstanceCap: count(0, 10_000, 'Cap on the job-based instance count; 0 = none.').optional(),
        availabilityThreshold: z.number().min(0).max(1).optional().describe('Connected/expected agents floor.'),
        disableScaleIn: flag('The scaler never lowers desired capacity.').optional(),
        disableScaleOut: flag('The scaler never raises desired capacity.').optional(),
        elasticCiMode: flag("Buildkite's experimental Elastic CI mode.").optional(),
        staleMetricsAfterSec: seconds('Metrics age after which the scaler holds').optional(),
        scaleInStrategy: z.enum(['set-desired', 'drain']).optional().describe('How the scaler scales in.'),
        scaleInOrder: z
          .enum(['oldest-first', 'newest-first', 'longest-idle-first'])
          .optional()
          .describe('Drain order.'),
        scaleInMinRunningTimeSec: seconds('Youngest instance the scaler drains').optional(),
        idleAgentCount: count(0, 10_000, 'Spare idle agent slots.').optional(),
        growthThrottleLaunchesPerSec: z.number().positive().optional().describe('Average launches per second.'),
        growthThrottleBurst: count(1, 10_000, 'Launch burst.').optional(),
        policies: z.record(z.string(), z.unknown()).optional().describe('Structured `SCALER_POLICIES`.'),
        scheduleIntervalSec: seconds('How often the scheduled scaler runs (multiple of 60)').optional(),
        pollIntervalSec: seconds('Poll interval inside one invocation').optional(),
        invocationBudgetSec: seconds('How long one invocation polls').optional(),
        startupJitterMaxSec: seconds('Start delay bound').optional(),
        leaseEnabled: flag('Scaling lease in DynamoDB.').optional(),
        leaseTtlSec: seconds('Lease lifetime').optional(),
        leaseWaitSec: seconds('Webhook wait for the lease').optional(),
        managedPolicyArns: texts('Managed policies of the scaler role.').optional(),
        zombieCheck: z
          .object({
            enabled: flag(
              'Replace instances whose agent is not running (only with the elastic-ci agent image).',
            ).optional(),
            gracePeriodSec: count(300, 86_400, 'Instance age before it is judged (seconds).').optional(),
            maxInstancesPerPass: count(1, 20, 'Zombies replaced per pass at most.').optional(),
          })
          .strict()
          .optional()
          .describe('Zombie check of the scheduled scaler.'),
        schedules: z.array(scheduledScalingActionSchema).optional().describe('Scheduled size changes.'),
        warmPool: z
          .object({
            enabled: flag('Warm pool of stopped or hibernated instances.').optional(),
            state: z.enum(['Stopped', 'Hibernated']).optional().describe('State in the pool.'),
            minSize: count(0, 10_000, 'Instances always in the pool.').optional(),
            maxGroupPreparedCapacity: count(0, 10_000, 'Cap of pool plus in-service.').optional(),
            reuseOnScaleIn: flag('Return scaled-in instances to the pool.').optional(),
            scalerManaged: flag("The scaler keeps the pool's MinSize.").optional(),
            prepareForWaitingJobs: flag('Grow the pool for waiting jobs.').optional(),
          })
          .strict()
          .optional()
          .describe('Warm pool.'),
      })
      .strict()
      .optional()
      .describe('Group sizes and the scaler.'),
    instances: z
      .object({
        types: texts('Instance types in priority order (1–25).').optional(),
        architecture: z.enum(['x86_64', 'arm64']).optional().describe('CPU architecture of every type.'),
        imageId: text('AMI id.').optional(),
        imageIdSsmParameterName: text('SSM parameter holding the AMI id.').optional(),
        spotAllocationStrategy: z
          .enum(['price-capacity-optimized', 'capacity-optimized', 'capacity-optimized-prioritized', 'lowest-price'])
          .optional()
          .describe('Spot allocation strategy.'),
        onDemandBaseCapacity: count(0, 10_000, 'On-demand instances before any spot.').optional(),
        onDemandPercentageAboveBaseCapacity: count(0, 100, 'On-demand percentage above the base.').optional(),
        capacityRebalance: flag('Capacity rebalancing.').optional(),
        maxInstanceLifetimeDays: count(1, 365, 'Longest an instance lives (days).').optional(),
        newInstancesProtectedFromScaleIn: flag('Protect new instances from scale-in.').optional(),
        cpuCredits: z.enum(['standard', 'unlimited']).optional().describe('Burstable CPU credits.'),
        detailedMonitoring: flag('One-minute EC2 monitoring.').optional(),
        name: text('`Name` tag of instances.').optional(),
        keyPairName: text('EC2 key pair.').optional(),
        sshIngressCidrs: texts('CIDRs allowed to reach SSH.').optional(),
        httpPutResponseHopLimit: count(1, 64, 'IMDSv2 hop limit.').optional(),
        instanceMetadataTags: flag('Instance tags in IMDS.').optional(),
        terminationGracePeriodSec: count(30, 7200, 'Drain time of a terminating instance (seconds).').optional(),
        terminationHookDefaultResult: z.enum(['CONTINUE', 'ABANDON']).optional().describe('On hook timeout.'),
      })
      .strict()
      .optional()
      .describe('Instances, spot and metadata.'),
    storage: z
      .object({
        rootVolumeSizeGiB: count(10, 16_384, 'Root volume size (GiB).').optional(),
        rootVolumeType: z.enum(['gp3', 'gp2', 'io1', 'io2']).optional().describe('Root volume type.'),
        rootVolumeIops: count(100, 256_000, 'Root volume IOPS.').optional(),
        rootVolumeThroughputMiBps: count(125, 2000, 'gp3 throughput (MiB/s).').optional(),
        rootVolumeDeviceName: text('Root device name.').optional(),
        instanceStorageEnabled: flag('NVMe instance store as RAID 0.').optional(),
        mountTmpfsAtTmp: flag('Keep /tmp on tmpfs.').optional(),
        bucketRemovalPolicy: z.enum(['retain', 'destroy']).optional().describe('Created buckets on stack deletion.'),
      })
      .strict()
      .optional()
      .describe('Disks and bucket lifetime.'),
    network: z
      .object({
        vpcId: text('Existing VPC id.').optional(),
        subnetIds: texts('Subnets of the group.').optional(),
        availabilityZones: texts('Zones of the subnets, in order.').optional(),
        vpcCidr: text('CIDR of a created VPC.').optional(),
        publicSubnetCount: count(1, 6, 'Public subnets of a created VPC.').optional(),
        gatewayEndpoints: z
          .array(z.enum(['s3', 'dynamodb']))
          .optional()
          .describe('Gateway endpoints.'),
        interfaceEndpoints: z
          .array(z.enum(['ecr.api', 'ecr.dkr', 'ssm', 'ssmmessages', 'ec2messages', 'secretsmanager', 'kms', 'logs']))
          .optional()
          .describe('Interface endpoints.'),
        securityGroupIds: texts('Existing security groups.').optional(),
        associatePublicIpAddress: flag('Public IPv4 addresses.').optional(),
      })
      .strict()
      .optional()
      .describe('VPC, subnets, security groups.'),
    docker: z
      .object({
        userNamespaceRemap: flag('User-namespace remapping.').optional(),
        experimental: flag('Experimental features.').optional(),
        networkingProtocol: z.enum(['ipv4', 'dualstack']).optional().describe('Container networking.'),
        ipv4AddressPools: texts('Default IPv4 address pools.').optional(),
        ipv6AddressPool: text('IPv6 pool (dualstack).').optional(),
        fixedCidrV4: text('`fixed-cidr`.').optional(),
        fixedCidrV6: text('`fixed-cidr-v6`.').optional(),
        pruneUntilSec: seconds('Age filter of hook-time prunes').optional(),
        builderPruneEnabled: flag('Also prune the build cache.').optional(),
        preExitDiskCleanup: flag('Disk check and prune in pre-exit.').optional(),
        prePullImages: texts('Images pulled while an instance is in the warm pool (at most 4).').optional(),
        ecrPluginEnabled: flag('Built-in ECR login.').optional(),
        ecrCredentialHelperEnabled: flag('ECR credential helper.').optional(),
        dockerLoginPluginEnabled: flag('Built-in docker-login.').optional(),
      })
      .strict()
      .optional()
      .describe('Docker daemon, cleanup and registry logins.'),
    security: z
      .object({
        instanceRoleArn: text('Existing instance role (used as is).').optional(),
        instanceRoleName: text('Name of the created role.').optional(),
        instanceRoleTags: stringMap('Tags of the created role.').optional(),
        managedPolicyArns: texts('Extra managed policies of the instance role.').optional(),
        instanceRolePermissionsBoundaryArn: text('Permissions boundary of the instance role.').optional(),
        rolePermissionsBoundaryArn: text('Permissions boundary of the control-plane roles.').optional(),
        ecrAccessPolicy: z
          .enum(['none', 'readonly', 'readonly-pullthrough', 'poweruser', 'poweruser-pullthrough', 'full'])
          .optional()
          .describe('ECR access of the instance role.'),
        authorizedUsersUrl: text('`authorized_keys` URL for the login user.').optional(),
        instanceBroker: flag(
          'Instances make their Auto Scaling writes through the instance broker, for themselves only (false: the instance role makes them, on any instance of the fleet).',
        ).optional(),
      })
      .strict()
      .optional()
      .describe('IAM and login access.'),
    secrets: z
      .object({
        pluginEnabled: flag('S3 secrets hooks.').optional(),
        bucketName: text('Existing secrets bucket.').optional(),
        bucketRegion: text('Region of the secrets bucket.').optional(),
        skipSshKeyNotFoundWarning: flag('Silence the missing SSH key warning.').optional(),
      })
      .strict()
      .optional()
      .describe('S3 secrets.'),
    artifacts: z
      .object({
        bucketName: text('Existing artifacts bucket.').optional(),
        bucketRegion: text('Region of the artifacts bucket.').optional(),
        s3Acl: z
          .enum([
            'private',
            'public-read',
            'public-read-write',
            'authenticated-read',
            'aws-exec-read',
            'bucket-owner-read',
            'bucket-owner-full-control',
          ])
          .optional()
          .describe('Canned ACL of uploads.'),
        buildCacheBucketEnabled: flag('Create a build-cache bucket.').optional(),
        buildCacheExpirationDays: count(1, 3650, 'Build-cache object lifetime (days).').optional(),
      })
      .strict()
      .optional()
      .describe('Artifacts and build cache.'),
    resourceLimits: z
      .object({
        enabled: flag('Run the agent in a systemd slice.').optional(),
        memoryHigh: text('Slice MemoryHigh.').optional(),
        memoryMax: text('Slice MemoryMax.').optional(),
        memorySwapMax: text('Slice MemorySwapMax.').optional(),
        cpuWeight: count(1, 10_000, 'Slice CPUWeight.').optional(),
        cpuQuota: text('Slice CPUQuota.').optional(),
        ioWeight: count(1, 10_000, 'Slice IOWeight.').optional(),
      })
      .strict()
      .optional()
      .describe('systemd resource limits of the agent.'),
    logs: z
      .object({
        retentionDays: z.number().int().optional().describe('Control-plane log retention (days).'),
        instanceLogRetentionDays: z.number().int().optional().describe('Instance log retention (days).'),
        dashboardEnabled: flag('CloudWatch dashboard.').optional(),
      })
      .strict()
      .optional()
      .describe('Logs and dashboard.'),
    controlPlane: z
      .object({
        lambdaArchitecture: z.enum(['arm64', 'x86_64']).optional().describe('Architecture of the Lambdas.'),
        azRebalancingSuspenderEnabled: flag('Suspend AZRebalance.').optional(),
        stopAgentsEnabled: flag('Drain a replaced group gracefully.').optional(),
        stopAgentsDrainTimeoutSec: count(60, 3540, 'Longest drain (seconds).').optional(),
        stopAgentsPollIntervalSec: count(5, 300, 'Drain poll interval (seconds).').optional(),
        stopAgentsOnDrainTimeout: z.enum(['fail', 'succeed']).optional().describe('Answer at the drain deadline.'),
      })
      .strict()
      .optional()
      .describe('Control-plane functions and custom resources.'),
    tags: z
      .object({
        stack: stringMap('Tags on every resource of the stack.').optional(),
        costAllocation: stringMap('Cost-allocation tags on the group, instances, volumes and buckets.').optional(),
      })
      .strict()
      .optional()
      .describe('Tags.'),
  })
  .strict();

/** A parsed typed config file. */
export type StackConfig = z.output<typeof stackConfigSchema>;
export type StackConfigInput = z.input<typeof stackConfigSchema>;
export type ScheduledScalingActionConfig = z.output<typeof scheduledScalingActionSchema>;

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9]{0,39}$/;

const errorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? `is required (${issue.expected})`
        : `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    case 'too_small':
      return issue.origin === 'string' ? 'must not be empty' : `must be at least ${issue.minimum}`;
    case 'too_big':
      return `must be at most ${issue.maximum}${issue.origin === 'string' ? ' characters' : ''}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'unrecognized_keys': {
      // A key not shaped like a field name may be a pasted secret: it is not echoed.
      const shown = issue.keys.filter((key) => FIELD_NAME.test(key));
      if (shown.length === 0) {
        return 'has unknown field(s) not shown (not shaped like a field name; check for a pasted secret and remove it)';
      }
      const hidden = issue.keys.length - shown.length;
      const listed = shown.map((key) => JSON.stringify(key)).join(', ');
      return `has unknown field${issue.keys.length === 1 ? '' : 's'} ${listed}${hidden === 0 ? '' : ` and ${hidden} not shown`} (check the spelling against apps/infra/README.md, or remove ${issue.keys.length === 1 ? 'it' : 'them'})`;
    }
    default:
      return undefined;
  }
};

/** Dotted path of an issue, `[n]` for list entries. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (label, key) =>
      typeof key === 'number' ? `${label}[${key}]` : label === '' ? String(key) : `${label}.${String(key)}`,
    '',
  );
}

/**
 * A path as a problem shows it. A map's keys are the user's text (a tag name, a policy key): one that is neither a
 * field name nor short may be a pasted secret, so it is named by its length.
 */
function shownIssuePath(path: readonly PropertyKey[]): string {
  return issuePath(
    path.map((key) =>
      typeof key !== 'string' || FIELD_NAME.test(key) || (key.length <= 24 && !/\s/.test(key))
        ? key
        : `[a key of ${key.length} characters, not shown]`,
    ),
  );
}

/** What the schema says of a document it refuses. */
export interface StackConfigRefusal {
  readonly config: undefined;
  readonly problems: string[];
  /** Where each problem is: the refused value's path, or an unknown field's (so the rest can still be checked). */
  readonly refusedPaths: readonly (readonly PropertyKey[])[];
}

/** Validates a typed config document; problems are `path: what is wrong`, never echoing values. */
export function checkStackConfig(
  document: unknown,
): { config: StackConfig; problems: []; refusedPaths: [] } | StackConfigRefusal {
  const result = stackConfigSchema.safeParse(document, { error: errorMap });
  if (result.success) return { config: result.data, problems: [], refusedPaths: [] };
  return {
    config: undefined,
    problems: result.error.issues.map((issue) => `${shownIssuePath(issue.path) || '(file)'}: ${issue.message}`),
    refusedPaths: result.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path],
    ),
  };
}

/** The field a refused path concerns: a list entry stands for its whole list. */
export function refusedField(path: readonly PropertyKey[]): readonly PropertyKey[] {
  const firstIndex = path.findIndex((key) => typeof key === 'number');
  return firstIndex === -1 ? path : path.slice(0, firstIndex);
}

/** A copy of the document without those fields, so what is left can still be checked. */
export function withoutFields(document: unknown, fields: readonly (readonly PropertyKey[])[]): unknown {
  const copy = structuredClone(document);
  for (const field of fields) {
    let cursor: unknown = copy;
    for (const key of field.slice(0, -1)) cursor = (cursor as Record<PropertyKey, unknown> | undefined)?.[key];
    if (field.length > 0 && typeof cursor === 'object' && cursor !== null) {
      delete (cursor as Record<PropertyKey, unknown>)[field.at(-1) as PropertyKey];
    }
  }
  return copy;
}
