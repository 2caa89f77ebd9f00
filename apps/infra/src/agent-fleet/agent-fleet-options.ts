import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';

// Every optional prop also accepts an explicit `undefined` (`exactOptionalPropertyTypes`): the config mapping builds
// these props from zod output, where an absent key is `undefined`, and stripping keys there would only add noise.

/** CPU architecture of the agent instances; every instance type of the group must have it. */
export type InstanceArchitecture = 'x86_64' | 'arm64';

/** EC2 Spot allocation strategies the mixed instances policy accepts. */
export type SpotAllocationStrategy =
  | 'price-capacity-optimized'
  | 'capacity-optimized'
  | 'capacity-optimized-prioritized'
  | 'lowest-price';

/** EBS volume types the root volume may use. */
export type RootVolumeType = 'gp3' | 'gp2' | 'io1' | 'io2';

/** Buildkite's `ECRAccessPolicy` values: which AWS managed ECR policy the instance role gets. */
export type EcrAccessPolicy =
  | 'none'
  | 'readonly'
  | 'readonly-pullthrough'
  | 'poweruser'
  | 'poweruser-pullthrough'
  | 'full';

/** State instances wait in inside the warm pool. */
export type WarmPoolState = 'Stopped' | 'Hibernated';

/** Result Auto Scaling applies when the termination hook times out. */
export type LifecycleHookDefaultResult = 'CONTINUE' | 'ABANDON';

/** Buildkite agent releases the image carries (Buildkite's `BuildkiteAgentRelease`). */
export type AgentRelease = 'stable' | 'oldstable' | 'beta' | 'edge';

/** S3 canned ACLs for artifact uploads (Buildkite's `ArtifactsS3ACL`). */
export type ArtifactsS3Acl =
  | 'private'
  | 'public-read'
  | 'public-read-write'
  | 'authenticated-read'
  | 'aws-exec-read'
  | 'bucket-owner-read'
  | 'bucket-owner-full-control';

/** Gateway VPC endpoints the created VPC can get (free of charge; traffic to S3/DynamoDB stays off the internet). */
export type VpcGatewayEndpointService = 's3' | 'dynamodb';

/** Interface VPC endpoints the created VPC can get (billed per hour and AZ; Buildkite's `EnableVpcEndpoints`). */
export type VpcInterfaceEndpointService =
  | 'ecr.api'
  | 'ecr.dkr'
  | 'ssm'
  | 'ssmmessages'
  | 'ec2messages'
  | 'secretsmanager'
  | 'kms'
  | 'logs';

/** One scheduled change of the group's sizes (`AWS::AutoScaling::ScheduledAction`). */
export interface ScheduledScalingAction {
  /**
   * Name of the action, unique within the fleet; it becomes part of the construct id, so renaming it replaces the
   * action.
   */
  readonly name: string;
  /** Recurrence as a 5-field cron expression (`minute hour day-of-month month day-of-week`), e.g. `0 8 * * MON-FRI`. */
  readonly schedule: string;
  /**
   * IANA time zone the schedule is read in, e.g. `Europe/Berlin`.
   * @default 'UTC'
   */
  readonly timeZone?: string | undefined;
  /**
   * Group minimum size from this time on. At least one of `minSize`, `maxSize`, `desiredCapacity` must be set.
   * @default unchanged
   */
  readonly minSize?: number | undefined;
  /** @default unchanged */
  readonly maxSize?: number | undefined;
  /** @default unchanged */
  readonly desiredCapacity?: number | undefined;
}

/**
 * Everything a user can choose about the agent fleet: instances, network, IAM, buckets, lifecycle, and the agent
 * settings handed to each instance through the boot contract. Flat on purpose: `ElasticCiStackProps` extends it.
 *
 * Buildkite parameter names are given in brackets where an option replaces one.
 */
export interface AgentFleetOptions {
  // ---------------------------------------------------------------- instances

  /**
   * Instance types of the mixed instances policy, in priority order (1 to 25) [`InstanceTypes`]. All must share one
   * architecture; the first is the launch template's type.
   * @default ['t3.large']
   */
  readonly instanceTypes?: readonly string[] | undefined;
  /**
   * CPU architecture of the fleet. Checked against every instance type (unlike Buildkite, which only looks at the
   * first), and chooses the default image.
   * @default derived from the instance types
   */
  readonly architecture?: InstanceArchitecture | undefined;
  /**
   * AMI id of the agent image [`ImageId`]. Wins over `imageIdSsmParameterName`.
   * @default the image named by `imageIdSsmParameterName`
   */
  readonly imageId?: string | undefined;
  /**
   * Name of an SSM parameter holding the AMI id [`ImageIdParameter`], resolved by EC2 at every launch so a new image
   * needs no stack update.
   * @default `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-<x86_64|arm64>` until the elastic-ci
   * agent image publishes its own parameter
   */
  readonly imageIdSsmParameterName?: string | undefined;
  /**
   * Spot allocation strategy [`SpotAllocationStrategy`].
   * @default 'price-capacity-optimized' (AWS's recommendation: fewer interruptions than lowest-price, cheaper than
   * capacity-optimized)
   */
  readonly spotAllocationStrategy?: SpotAllocationStrategy | undefined;
  /**
   * On-demand instances launched before any spot [`OnDemandBaseCapacity`].
   * @default 0
   */
  readonly onDemandBaseCapacity?: number | undefined;
  /**
   * Percentage of on-demand instances above the base capacity, 0–100 (lower means more spot) [`OnDemandPercentage`].
   * @default 100
   */
  readonly onDemandPercentageAboveBaseCapacity?: number | undefined;
  /**
   * Capacity rebalancing: launch a replacement when a spot instance gets a rebalance recommendation. The at-risk
   * instance then leaves through the termination hook, so its job is drained.
   * @default false
   */
  readonly capacityRebalance?: boolean | undefined;
  /**
   * Maximum time an instance may live before the group replaces it (through the termination hook): 1 day to 365 days.
   * @default no limit
   */
  readonly maxInstanceLifetime?: Duration | undefined;
  /**
   * Smallest group size [`MinSize`].
   * @default 0
   */
  readonly minSize?: number | undefined;
  /**
   * Largest group size [`MaxSize`].
   * @default 10
   */
  readonly maxSize?: number | undefined;
  /**
   * Protect new instances from scale-in [`InstanceScaleInProtection`]. The agent releases the protection while idle
   * and takes it while it runs a job, so neither the group's own choice nor a draining scaler picks a busy instance.
   * @default true
   */
  readonly newInstancesProtectedFromScaleIn?: boolean | undefined;
  /**
   * CPU credit option for burstable (t2/t3/t3a/t4g) first instance types [`CpuCredits`].
   * @default 'unlimited'
   */
  readonly cpuCredits?: 'standard' | 'unlimited' | undefined;
  /**
   * One-minute EC2 detailed monitoring [`EnableDetailedMonitoring`].
   * @default false
   */
  readonly detailedMonitoring?: boolean | undefined;
  /**
   * `Name` tag of instances and volumes [`InstanceName`].
   * @default the stack name
   */
  readonly instanceName?: string | undefined;
  /**
   * EC2 key pair for SSH [`KeyName`]. Unlike Buildkite this opens no port: add `sshIngressCidrs` (or prefer Session
   * Manager, which the instance role allows).
   * @default no key pair
   */
  readonly keyPairName?: string | undefined;
  /**
   * IPv4 CIDRs allowed to reach TCP 22 on a created security group.
   * @default [] (no ingress at all)
   */
  readonly sshIngressCidrs?: readonly string[] | undefined;

  // ---------------------------------------------------------------- instance metadata

  /**
   * IMDSv2 hop limit (`HttpPutResponseHopLimit`, 1–64). IMDSv2 tokens are always required.
   *
   * Trade-off: Buildkite uses 2, so any container a job starts (bridge network: one extra hop) can fetch the instance
   * role's credentials. With 1, only processes on the host (the agent, its hooks, lifecycled, s3secrets) reach
   * IMDS; containers that need AWS access must get credentials passed in (e.g. the job's own role or env). Set 2
   * to restore Buildkite's behaviour.
   * @default 1
   */
  readonly httpPutResponseHopLimit?: number | undefined;
  /**
   * Expose instance tags through IMDS (the agent's `tags-from-ec2-meta-data-tags` and the instance side read them).
   * @default true
   */
  readonly instanceMetadataTags?: boolean | undefined;

  // ---------------------------------------------------------------- root volume

  /**
   * Root volume size in GiB, at least 10 [`RootVolumeSize`].
   * @default 250
   */
  readonly rootVolumeSizeGiB?: number | undefined;
  /**
   * Root volume type [`RootVolumeType`].
   * @default 'gp3'
   */
  readonly rootVolumeType?: RootVolumeType | undefined;
  /**
   * Provisioned IOPS for gp3 (3000–16000), io1/io2 (100–64000) [`RootVolumeIops`].
   * @default 3000 for gp3, required for io1/io2
   */
  readonly rootVolumeIops?: number | undefined;
  /**
   * Throughput of a gp3 root volume in MiB/s (125–1000) [`RootVolumeThroughput`].
   * @default 125
   */
  readonly rootVolumeThroughputMiBps?: number | undefined;
  /**
   * KMS key encrypting the root volume. The volume is always encrypted (Buildkite's default is unencrypted). The key
   * policy must let the Auto Scaling service-linked role use it.
   * @default the account's EBS default key (`aws/ebs`)
   */
  readonly rootVolumeEncryptionKey?: kms.IKey | undefined;
  /**
   * Root device name [`RootVolumeName`].
   * @default '/dev/xvda' (Amazon Linux 2023)
   */
  readonly rootVolumeDeviceName?: string | undefined;

  // ---------------------------------------------------------------- network

  /**
   * A VPC from your CDK app. Mutually exclusive with `vpcId`.
   * @default a VPC is created, or imported from `vpcId`
   */
  readonly vpc?: ec2.IVpc | undefined;
  /**
   * Existing VPC id [`VpcId`]; requires `subnetIds` and `availabilityZones` (no account lookups at synth).
   * @default a VPC is created
   */
  readonly vpcId?: string | undefined;
  /**
   * Subnets the group launches into [`Subnets`]; with `vpcId`, one per entry of `availabilityZones`, in that order.
   * @default the public subnets of the created VPC; of `vpc`, its public subnets, or its private subnets with egress
   * when `associatePublicIpAddress` is false
   */
  readonly subnetIds?: readonly string[] | undefined;
  /**
   * Availability zones of `subnetIds` (with `vpcId`), or of the created subnets [`AvailabilityZones`].
   * @default the first `publicSubnetCount` zones of the region
   */
  readonly availabilityZones?: readonly string[] | undefined;
  /**
   * CIDR of a created VPC.
   * @default '10.0.0.0/16'
   */
  readonly vpcCidr?: string | undefined;
  /**
   * Number of public subnets (one per AZ) of a created VPC, 1–6. There is no NAT gateway: instances need a public IP.
   * @default 2
   */
  readonly publicSubnetCount?: number | undefined;
  /**
   * Gateway endpoints added to a created VPC.
   * @default [] (none)
   */
  readonly vpcGatewayEndpoints?: readonly VpcGatewayEndpointService[] | undefined;
  /**
   * Interface endpoints added to a created VPC [`EnableVpcEndpoints`], reachable on 443 from the VPC CIDR.
   * @default [] (none)
   */
  readonly vpcInterfaceEndpoints?: readonly VpcInterfaceEndpointService[] | undefined;
  /**
   * Security groups from your CDK app. Mutually exclusive with `securityGroupIds`.
   * @default a security group is created: all egress, no ingress
   */
  readonly securityGroups?: readonly ec2.ISecurityGroup[] | undefined;
  /**
   * Existing security group ids [`SecurityGroupIds`].
   * @default a security group is created: all egress, no ingress
   */
  readonly securityGroupIds?: readonly string[] | undefined;
  /**
   * Give instances a public IPv4 address [`AssociatePublicIpAddress`]. Needed in the created VPC (no NAT).
   * @default true
   */
  readonly associatePublicIpAddress?: boolean | undefined;

  // ---------------------------------------------------------------- IAM

  /**
   * A role from your CDK app for the instances. It is used as is: no policy is added to it. With the instance broker,
   * the broker admits sessions of this role by its `roleName`: a role imported from an ARN known only at deploy time
   * whose path is not `/` resolves to a wrong name (a CDK limit), and every broker call would be refused — import
   * such a role from a literal ARN, or name it with `Role.fromRoleName`.
   * @default a role is created with least-privilege policies
   */
  readonly instanceRole?: iam.IRole | undefined;
  /**
   * ARN of an existing role shared with other fleets [`InstanceRoleARN`]. Used as is: no policy is added; grant what
   * the created role has (see the README's security model).
   * @default a role is created with least-privilege policies
   */
  readonly instanceRoleArn?: string | undefined;
  /**
   * Name of the created role [`InstanceRoleName`].
   * @default generated by CloudFormation (unique per stack, so several stacks deploy side by side)
   */
  readonly instanceRoleName?: string | undefined;
  /**
   * Tags on the created role [`InstanceRoleTags`].
   * @default {}
   */
  readonly instanceRoleTags?: Readonly<Record<string, string>> | undefined;
  /**
   * Extra managed policies attached to the created role [`ManagedPolicyARNs`].
   * @default []
   */
  readonly managedPolicyArns?: readonly string[] | undefined;
  /**
   * Permissions boundary of the created role [`InstanceRolePermissionsBoundaryARN`].
   * @default no boundary
   */
  readonly instanceRolePermissionsBoundaryArn?: string | undefined;
  /**
   * ECR access of the instance role [`ECRAccessPolicy`]: AWS managed `AmazonEC2ContainerRegistry{ReadOnly,PowerUser,
   * FullAccess}`; `*-pullthrough` adds the pull-through-cache actions.
   * @default 'none'
   */
  readonly ecrAccessPolicy?: EcrAccessPolicy | undefined;

  // ---------------------------------------------------------------- buckets

  /**
   * The built-in S3 secrets hooks [`EnableSecretsPlugin`]. With no `secretsBucketName`, a secrets bucket (and its
   * access-log bucket) is created.
   * @default true
   */
  readonly secretsPluginEnabled?: boolean | undefined;
  /**
   * Existing secrets bucket [`SecretsBucket`]; the role gets read access to it.
   * @default a bucket is created (versioned, private, TLS only, access-logged)
   */
  readonly secretsBucketName?: string | undefined;
  /**
   * Region of `secretsBucketName` [`SecretsBucketRegion`].
   * @default the stack's region
   */
  readonly secretsBucketRegion?: string | undefined;
  /**
   * KMS key of the secrets bucket: encrypts a created bucket (SSE-KMS) and is granted `kms:Decrypt` (through S3 in
   * the bucket's region only). Buildkite's `SecretsBucketEncryption` only chose SSE-S3; a created bucket is always encrypted.
   * @default SSE-S3
   */
  readonly secretsBucketEncryptionKey?: kms.IKey | undefined;
  /**
   * What happens to created buckets (secrets, access logs, build cache) when the stack is deleted. `DESTROY` deletes
   * only empty buckets: CloudFormation fails the deletion of one that still holds objects or object versions (the
   * access-log bucket always does, the secrets bucket is versioned), so empty them before deleting the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly bucketRemovalPolicy?: RemovalPolicy | undefined;
  /**
   * Skip the secrets hooks' warning when no SSH key is found [`SecretsPluginSkipSSHKeyNotFoundWarning`].
   * @default false
   */
  readonly secretsPluginSkipSshKeyNotFoundWarning?: boolean | undefined;
  /**
   * Existing bucket for build artifacts [`ArtifactsBucket`]: the role gets read/write on it.
   * @default no artifacts bucket access
   */
  readonly artifactsBucketName?: string | undefined;
  /**
   * Region of the artifacts bucket [`ArtifactsBucketRegion`].
   * @default the stack's region
   */
  readonly artifactsBucketRegion?: string | undefined;
  /**
   * Canned ACL of artifact uploads [`ArtifactsS3ACL`].
   * @default 'private'
   */
  readonly artifactsS3Acl?: ArtifactsS3Acl | undefined;
  /**
   * Create a bucket for build caches the instances may read and write.
   * @default false
   */
  readonly buildCacheBucketEnabled?: boolean | undefined;
  /**
   * How long build-cache objects live before they expire.
   * @default Duration.days(30)
   */
  readonly buildCacheExpiration?: Duration | undefined;
  /**
   * Bucket holding git mirror seeds under `git-mirror-seeds/` [`GitMirrorSeedBucket`]; needs `agentGitMirrorsEnabled`.
   * @default no seeding
   */
  readonly gitMirrorSeedBucketName?: string | undefined;

  // ---------------------------------------------------------------- pipeline signing

  /**
   * Existing KMS key (id or ARN) the agents sign/verify pipelines with [`PipelineSigningKMSKeyId`].
   * @default no KMS signing
   */
  readonly pipelineSigningKmsKeyId?: string | undefined;
  /**
   * Create an `ECC_NIST_P256` signing key (retained on delete) [`PipelineSigningKMSKeySpec`].
   * @default 'none'
   */
  readonly pipelineSigningKmsKeySpec?: 'ECC_NIST_P256' | 'none' | undefined;
  /**
   * What the instances may do with the signing key [`PipelineSigningKMSAccess`].
   * @default 'sign-and-verify'
   */
  readonly pipelineSigningKmsAccess?: 'sign-and-verify' | 'verify' | undefined;
  /**
   * Agent behaviour when a job's signature does not verify [`PipelineSigningVerificationFailureBehavior`].
   * @default 'block'
   */
  readonly pipelineVerificationFailureBehavior?: 'block' | 'warn' | undefined;
  /**
   * SSM parameter holding the signing JWKS [`BuildkiteAgentSigningKeySSMParameter`]. Unlike Buildkite, the role gets
   * read access to it. Not together with a KMS signing key.
   * @default no JWKS signing
   */
  readonly agentSigningJwksSsmParameterName?: string | undefined;
  /**
   * Key id inside the signing JWKS [`BuildkiteAgentSigningKeyID`].
   * @default the JWKS's only key
   */
  readonly agentSigningJwksKeyId?: string | undefined;
  /**
   * SSM parameter holding the verification JWKS [`BuildkiteAgentVerificationKeySSMParameter`].
   * @default no JWKS verification
   */
  readonly agentVerificationJwksSsmParameterName?: string | undefined;

  // ---------------------------------------------------------------- agent

  /**
   * Buildkite queue the agents serve [`BuildkiteQueue`].
   * @default 'default'
   */
  readonly queue?: string | undefined;
  /**
   * Agents per instance (`spawn`) [`AgentsPerInstance`], 1 or more.
   * @default 1
   */
  readonly agentsPerInstance?: number | undefined;
  /**
   * Extra agent tags [`BuildkiteAgentTags`], after the built-in `queue`, `stack`, `docker` tags.
   * @default {}
   */
  readonly agentTags?: Readonly<Record<string, string>> | undefined;
  /**
   * Agent API endpoint [`AgentEndpoint`].
   * @default 'https://agent-edge.buildkite.com/v3'
   */
  readonly agentEndpoint?: string | undefined;
  /**
   * Agent release [`BuildkiteAgentRelease`]. Only `stable` for now: instances run the release baked into the image,
   * and the boot contract has no field to pick another (other values are refused, not ignored).
   * @default 'stable'
   */
  readonly agentRelease?: AgentRelease | undefined;
  /**
   * Prefix job log lines with timestamps [`BuildkiteAgentTimestampLines`].
   * @default false
   */
  readonly agentTimestampLines?: boolean | undefined;
  /**
   * Agent experiments [`BuildkiteAgentExperiments`].
   * @default []
   */
  readonly agentExperiments?: readonly string[] | undefined;
  /**
   * Tracing backend [`BuildkiteAgentTracingBackend`].
   * @default none
   */
  readonly agentTracingBackend?: 'datadog' | 'opentelemetry' | undefined;
  /**
   * Time a cancelled job gets before it is killed [`BuildkiteAgentCancelGracePeriod`], at least 1 s.
   * @default Duration.seconds(60)
   */
  readonly agentCancelGracePeriod?: Duration | undefined;
  /**
   * Seconds between the cancel signal and SIGKILL [`BuildkiteAgentSignalGracePeriod`]; -1 = the agent's default.
   * @default -1
   */
  readonly agentSignalGracePeriodSeconds?: number | undefined;
  /**
   * An agent that has been idle this long exits and its instance terminates itself [`ScaleInIdlePeriod`].
   * @default Duration.minutes(10)
   */
  readonly agentDisconnectAfterIdleTimeout?: Duration | undefined;
  /**
   * One job per instance: the agent exits after its job [`BuildkiteTerminateInstanceAfterJob`].
   * @default false
   */
  readonly agentDisconnectAfterJob?: boolean | undefined;
  /**
   * The agent exits (after its job) once it has run this long [`BuildkiteAgentDisconnectAfterUptime`].
   * @default no limit
   */
  readonly agentDisconnectAfterUptime?: Duration | undefined;
  /**
   * Environment file for the agent process: `s3://`, `ssm:/path`, `https://`, `http://` or `file://` URL
   * [`AgentEnvFileUrl`].
   * @default none
   */
  readonly agentEnvFileUrl?: string | undefined;
  /**
   * Script run as root at boot before the agent starts; a failure fails the boot [`BootstrapScriptUrl`].
   * @default none
   */
  readonly bootstrapScriptUrl?: string | undefined;
  /**
   * HTTPS or S3 URL of an `authorized_keys` file for the login user, refreshed hourly [`AuthorizedUsersUrl`]. Opens
   * no port by itself: see `sshIngressCidrs`.
   * @default none
   */
  readonly authorizedUsersUrl?: string | undefined;
  /**
   * Extra sudo rules for the agent user (`buildkite-agent ALL=NOPASSWD: <value>`) [`BuildkiteAdditionalSudoPermissions`].
   * @default none
   */
  readonly agentAdditionalSudoPermissions?: string | undefined;
  /**
   * Git mirrors under the agent's home [`BuildkiteAgentEnableGitMirrors`].
   * @default false
   */
  readonly agentGitMirrorsEnabled?: boolean | undefined;
  /**
   * Let pipelines use plugins (the agent's `no-plugins` when false).
   * @default true
   */
  readonly agentPluginsEnabled?: boolean | undefined;
  /**
   * Run hooks from the checked-out repository (the agent's `no-local-hooks` when false).
   * @default true
   */
  readonly agentLocalHooksEnabled?: boolean | undefined;
  /**
   * Built-in ECR login in the environment hook [`EnableECRPlugin`]; needs `ecrAccessPolicy` other than `none`.
   * @default true
   */
  readonly ecrPluginEnabled?: boolean | undefined;
  /**
   * Use the ECR credential helper instead of `docker login` [`EnableECRCredentialHelper`].
   * @default false
   */
  readonly ecrCredentialHelperEnabled?: boolean | undefined;
  /**
   * Built-in docker-login hook [`EnableDockerLoginPlugin`].
   * @default true
   */
  readonly dockerLoginPluginEnabled?: boolean | undefined;
  /**
   * Terminate the instance when the disk stays full after pruning [`BuildkiteTerminateInstanceOnDiskFull`].
   * @default false
   */
  readonly terminateInstanceOnDiskFull?: boolean | undefined;
  /**
   * As a last resort on a full disk, delete this agent's build directory [`BuildkitePurgeBuildsOnDiskFull`].
   * @default false
   */
  readonly purgeBuildsOnDiskFull?: boolean | undefined;

  // ---------------------------------------------------------------- docker and disks

  /**
   * Docker user-namespace remapping: container root is the host's `buildkite-agent` [`EnableDockerUserNamespaceRemap`].
   * @default true
   */
  readonly dockerUserNamespaceRemap?: boolean | undefined;
  /**
   * Docker experimental features [`EnableDockerExperimental`].
   * @default false
   */
  readonly dockerExperimental?: boolean | undefined;
  /**
   * Docker networking [`DockerNetworkingProtocol`].
   * @default 'ipv4'
   */
  readonly dockerNetworkingProtocol?: 'ipv4' | 'dualstack' | undefined;
  /**
   * Docker's default IPv4 address pools, first `/20` subnets then `/24` [`DockerIPv4AddressPool1`, `…Pool2`].
   * @default ['172.17.0.0/12', '192.168.0.0/16']
   */
  readonly dockerIpv4AddressPools?: readonly string[] | undefined;
  /**
   * Docker's IPv6 pool for dualstack [`DockerIPv6AddressPool`].
   * @default '2001:db8:2::/104'
   */
  readonly dockerIpv6AddressPool?: string | undefined;
  /**
   * Docker `fixed-cidr` [`DockerFixedCidrV4`].
   * @default none
   */
  readonly dockerFixedCidrV4?: string | undefined;
  /**
   * Docker `fixed-cidr-v6` for dualstack [`DockerFixedCidrV6`].
   * @default '2001:db8:1::/64'
   */
  readonly dockerFixedCidrV6?: string | undefined;
  /**
   * Age filter of the hooks' Docker prunes [`DockerPruneUntil`].
   * @default Duration.hours(4)
   */
  readonly dockerPruneUntil?: Duration | undefined;
  /**
   * Also prune the Docker build cache [`DockerBuilderPruneEnabled`].
   * @default false
   */
  readonly dockerBuilderPruneEnabled?: boolean | undefined;
  /**
   * Run the disk check and prune in the pre-exit hook too [`EnablePreExitDiskCleanup`].
   * @default false
   */
  readonly preExitDiskCleanupEnabled?: boolean | undefined;
  /**
   * Images the boot pulls while an instance waits in the warm pool (at most 4; needs `warmPoolEnabled`), so jobs find
   * them in the Docker daemon. ECR images are pulled after an ECR login (the instance role needs `ecrAccessPolicy`);
   * a failed pull is logged and the boot goes on.
   * @default none
   */
  readonly dockerPrePullImages?: readonly string[] | undefined;
  /**
   * NVMe instance storage as a RAID 0 for Docker, builds and git mirrors [`EnableInstanceStorage`].
   * @default false
   */
  readonly instanceStorageEnabled?: boolean | undefined;
  /**
   * Keep `/tmp` on tmpfs [`MountTmpfsAtTmp`].
   * @default true
   */
  readonly mountTmpfsAtTmp?: boolean | undefined;
  /**
   * Retention of the instance log groups the CloudWatch agent writes [`EC2LogRetentionDays` with
   * `EnableEC2LogRetentionPolicy`].
   * @default no retention set (logs are kept)
   */
  readonly instanceLogRetention?: logs.RetentionDays | undefined;
  /**
   * Run the agent in a systemd slice with the limits below [`ExperimentalEnableResourceLimits`].
   * @default false
   */
  readonly resourceLimitsEnabled?: boolean | undefined;
  /**
   * Slice `MemoryHigh`: bytes with K/M/G/T suffix, a percentage 1–100 %, or `infinity` [`ResourceLimitsMemoryHigh`].
   * @default '90%'
   */
  readonly resourceLimitsMemoryHigh?: string | undefined;
  /**
   * Slice `MemoryMax`, same format [`ResourceLimitsMemoryMax`].
   * @default '90%'
   */
  readonly resourceLimitsMemoryMax?: string | undefined;
  /**
   * Slice `MemorySwapMax`, same format [`ResourceLimitsMemorySwapMax`].
   * @default '90%'
   */
  readonly resourceLimitsMemorySwapMax?: string | undefined;
  /**
   * Slice `CPUWeight`, 1–10000 [`ResourceLimitsCPUWeight`].
   * @default 100
   */
  readonly resourceLimitsCpuWeight?: number | undefined;
  /**
   * Slice `CPUQuota` as a percentage [`ResourceLimitsCPUQuota`].
   * @default '90%'
   */
  readonly resourceLimitsCpuQuota?: string | undefined;
  /**
   * Slice `IOWeight`, 1–10000 [`ResourceLimitsIOWeight`].
   * @default 80
   */
  readonly resourceLimitsIoWeight?: number | undefined;

  // ---------------------------------------------------------------- lifecycle

  /**
   * The termination hook's heartbeat timeout, 30 s to 2 h: how long Auto Scaling waits for a sign of life from a
   * terminating instance before it applies `terminationHookDefaultResult`. lifecycled heartbeats while it drains the
   * job, so a drain may last up to the hook's global timeout: 100 × this value, at most 48 h. The default allows 48 h;
   * 60 s allows only 100 minutes, after which a job still running is killed with its instance.
   * @default Duration.seconds(3600)
   */
  readonly terminationGracePeriod?: Duration | undefined;
  /**
   * What Auto Scaling does when the termination hook times out.
   * @default 'CONTINUE'
   */
  readonly terminationHookDefaultResult?: LifecycleHookDefaultResult | undefined;

  // ---------------------------------------------------------------- warm pool

  /**
   * A warm pool of prepared, stopped (or hibernated) instances that resume in seconds on scale-out. AWS refuses warm
   * pools on groups with several instance types or spot, so this needs one instance type and 100 % on-demand.
   * @default false
   */
  readonly warmPoolEnabled?: boolean | undefined;
  /**
   * State of instances in the warm pool. `Hibernated` needs an encrypted root volume larger than the instance's RAM.
   * @default 'Stopped'
   */
  readonly warmPoolState?: WarmPoolState | undefined;
  /**
   * Instances always kept in the warm pool (the scaler may raise it).
   * @default 0
   */
  readonly warmPoolMinSize?: number | undefined;
  /**
   * Cap of warm-pool plus in-service instances.
   * @default the group's max size
   */
  readonly warmPoolMaxGroupPreparedCapacity?: number | undefined;
  /**
   * Return scaled-in instances to the warm pool instead of terminating them (their disks keep caches and leftovers).
   * @default false
   */
  readonly warmPoolReuseOnScaleIn?: boolean | undefined;

  // ---------------------------------------------------------------- schedules and tags

  /**
   * Scheduled changes of the group's sizes, each with its time zone [`EnableScheduledScaling`, `ScaleUpSchedule`,
   * `ScaleUpMinSize`, `ScaleDownSchedule`, `ScaleDownMinSize`, `ScheduleTimezone`].
   * @default []
   */
  readonly scheduledScalingActions?: readonly ScheduledScalingAction[] | undefined;
  /**
   * Cost-allocation tags on the group (propagated to instances and volumes at launch) and on the created buckets
   * [`EnableCostAllocationTags`, `CostAllocationTagName`, `CostAllocationTagValue`].
   * @default {}
   */
  readonly costAllocationTags?: Readonly<Record<string, string>> | undefined;
}
