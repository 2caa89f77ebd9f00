import { BootContractError, renderBootContract } from '@elastic-ci/agent-instance/boot-contract';
import { type Duration, Token } from 'aws-cdk-lib';
import { AGENT_FLEET_DEFAULTS } from './agent-fleet-defaults.js';
import type { AgentFleetOptions, InstanceArchitecture } from './agent-fleet-options.js';
import { bootContractInputFor, type FleetBootContext } from './fleet-boot-contract.js';
import { architectureOf, instanceFamilyOf } from './instance-architecture.js';
import { cronProblems, isKnownTimeZone } from './scheduled-scaling.js';

/** The most instance types a mixed instances policy accepts. */
export const MAX_INSTANCE_TYPES = 25;

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const IAM_POLICY_ARN = /^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]{1,512}$/;
const SSM_PARAMETER_NAME = /^\/[A-Za-z0-9_.\-/]{1,1010}$/;
const KMS_KEY_ID =
  /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]{1,256}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[A-Za-z0-9/_-]{1,256})$/;
const ACTION_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
const AGENT_TAG_PART = /^[^,=\s"\\]+$/;
const RESERVED_AGENT_TAGS = ['queue', 'stack', 'stack-version', 'instance-id'];

const isConcrete = (value: string): boolean => !Token.isUnresolved(value);
const quoted = (value: unknown): string => JSON.stringify(value);

/**
 * Every problem with `options`, one lowercase sentence each naming the option, the bad value and what is allowed;
 * empty when the options are valid. Pure: the stack calls it to aggregate these with its own problems into one
 * error, and `AgentFleet` calls it again before building anything.
 */
export function validateAgentFleetOptions(options: AgentFleetOptions): string[] {
  const problems = [
    ...instanceTypeProblems(options),
    ...capacityProblems(options),
    ...rootVolumeProblems(options),
    ...networkProblems(options),
    ...iamProblems(options),
    ...bucketProblems(options),
    ...signingProblems(options),
    ...agentProblems(options),
    ...lifecycleProblems(options),
    ...warmPoolProblems(options),
    ...scheduleProblems(options),
    ...tagProblems('costAllocationTags', options.costAllocationTags),
    ...instanceMetadataTagProblems(options),
    ...tagProblems('instanceRoleTags', options.instanceRoleTags),
  ];
  return [...problems, ...bootContractProblems(options, problems)];
}

// Stand-ins for what only the stack knows; valid in the contract, so only the user's options can fail it.
const PLACEHOLDER_CONTEXT: FleetBootContext = {
  stackName: 'validation',
  region: 'us-east-1',
  stackVersion: '0.0.0',
  agentTokenParameterName: '/validation/agent-token',
  secretsBucketName: 'validation-secrets',
  secretsBucketRegion: undefined,
  signingKmsKeyId: undefined,
  logGroupPrefix: '/elastic-ci/validation/',
  warmPoolEnabled: false,
};

/** Boot-contract fields and the option each comes from, so a contract problem names what the user wrote. */
const OPTION_OF_CONTRACT_FIELD: readonly (readonly [string, string])[] = [
  ['agent.queue', 'queue'],
  ['agent.endpoint', 'agentEndpoint'],
  ['agent.tags', 'agentTags'],
  ['agent.agentsPerInstance', 'agentsPerInstance'],
  ['agent.idleDisconnectTimeoutSeconds', 'agentDisconnectAfterIdleTimeout'],
  ['agent.disconnectAfterUptimeSeconds', 'agentDisconnectAfterUptime'],
  ['agent.experiments', 'agentExperiments'],
  ['agent.cancelGracePeriodSeconds', 'agentCancelGracePeriod'],
  ['agent.signalGracePeriodSeconds', 'agentSignalGracePeriodSeconds'],
  ['agent.gitMirrorSeedBucket', 'gitMirrorSeedBucketName'],
  ['agent.envFileUrl', 'agentEnvFileUrl'],
  ['agent.bootstrapScriptUrl', 'bootstrapScriptUrl'],
  ['signing.kmsKeyId', 'pipelineSigningKmsKeyId'],
  ['signing.jwksParameter', 'agentSigningJwksSsmParameterName'],
  ['signing.jwksKeyId', 'agentSigningJwksKeyId'],
  ['signing.verificationJwksParameter', 'agentVerificationJwksSsmParameterName'],
  ['secrets.bucket', 'secretsBucketName'],
  ['secrets.region', 'secretsBucketRegion'],
  ['artifacts.bucket', 'artifactsBucketName'],
  ['artifacts.region', 'artifactsBucketRegion'],
  ['docker.addressPools', 'dockerIpv4AddressPools'],
  ['docker.fixedCidrV4', 'dockerFixedCidrV4'],
  ['docker.ipv6AddressPool', 'dockerIpv6AddressPool'],
  ['docker.fixedCidrV6', 'dockerFixedCidrV6'],
  ['docker.pruneUntil', 'dockerPruneUntil'],
  ['docker.prePullImages', 'dockerPrePullImages'],
  ['resourceLimits.memoryHigh', 'resourceLimitsMemoryHigh'],
  ['resourceLimits.memoryMax', 'resourceLimitsMemoryMax'],
  ['resourceLimits.memorySwapMax', 'resourceLimitsMemorySwapMax'],
  ['resourceLimits.cpuWeight', 'resourceLimitsCpuWeight'],
  ['resourceLimits.cpuQuota', 'resourceLimitsCpuQuota'],
  ['resourceLimits.ioWeight', 'resourceLimitsIoWeight'],
  ['logs.retentionDays', 'instanceLogRetention'],
  ['access.authorizedUsersUrl', 'authorizedUsersUrl'],
  ['access.additionalSudoPermissions', 'agentAdditionalSudoPermissions'],
];

function optionOfContractProblem(problem: string): { option: string | undefined; message: string } {
  const separator = problem.indexOf(': ');
  const path = separator < 0 ? '' : problem.slice(0, separator);
  const message = separator < 0 ? problem : problem.slice(separator + 2);
  const entry = OPTION_OF_CONTRACT_FIELD.find(
    ([field]) => path === field || path.startsWith(`${field}.`) || path.startsWith(`${field}[`),
  );
  return { option: entry?.[1], message };
}

/**
 * What the instance side's own schema refuses in the settings the fleet hands over (URL schemes, systemd sizes,
 * experiment names …), named by option. Problems about an option this module already reported are left out, so
 * each mistake is listed once. The contract never echoes values (they could be secrets), so neither do these.
 */
function bootContractProblems(options: AgentFleetOptions, reported: readonly string[]): string[] {
  try {
    // The region of an existing secrets bucket is the user's own: it reaches the contract as given.
    const context = { ...PLACEHOLDER_CONTEXT, secretsBucketRegion: options.secretsBucketRegion };
    renderBootContract(bootContractInputFor(options, context), {
      isToken: (value) => Token.isUnresolved(value),
    });
    return [];
  } catch (error) {
    if (!(error instanceof BootContractError)) {
      // A value reported above (a fractional duration) can make the mapping itself throw; otherwise it is a bug.
      if (reported.length > 0) return [];
      throw error;
    }
    return error.problems.flatMap((problem) => {
      const { option, message } = optionOfContractProblem(problem);
      if (option === undefined) return [`boot contract ${problem}`];
      if (reported.some((earlier) => earlier.startsWith(option))) return [];
      return [`${option} ${message}`];
    });
  }
}

/** The fleet's architecture: the option, or the one all instance types share (x86_64 when they do not agree). */
export function fleetArchitecture(options: AgentFleetOptions): InstanceArchitecture {
  if (options.architecture !== undefined) return options.architecture;
  const instanceTypes = options.instanceTypes ?? AGENT_FLEET_DEFAULTS.instanceTypes;
  return instanceTypes.map(architectureOf).find((architecture) => architecture !== undefined) ?? 'x86_64';
}

function integerProblem(name: string, value: number | undefined, minimum: number, maximum: number): string[] {
  if (value === undefined || Token.isUnresolved(value)) return [];
  if (Number.isInteger(value) && value >= minimum && value <= maximum) return [];
  return [`${name} is ${value}; it must be a whole number from ${minimum} to ${maximum}`];
}

function secondsProblem(name: string, value: Duration | undefined, minimum: number, maximum: number): string[] {
  if (value === undefined || value.isUnresolved()) return [];
  const seconds = value.toMilliseconds() / 1000;
  if (Number.isInteger(seconds) && seconds >= minimum && seconds <= maximum) return [];
  return [`${name} is ${seconds} s; it must be whole seconds from ${minimum} to ${maximum}`];
}

function patternProblem(name: string, value: string | undefined, pattern: RegExp, expected: string): string[] {
  if (value === undefined || !isConcrete(value) || pattern.test(value)) return [];
  return [`${name} is ${quoted(value)}; it must be ${expected}`];
}

function cidrProblem(name: string, value: string): string[] {
  if (!isConcrete(value)) return [];
  const match = IPV4_CIDR.exec(value);
  const valid = match?.slice(1, 5).every((octet) => Number(octet) <= 255) === true && Number(match?.[5]) <= 32;
  return valid ? [] : [`${name} is ${quoted(value)}; it must be an IPv4 CIDR such as 10.0.0.0/16`];
}

/** A created VPC's block: AWS takes /16 to /28, and every public subnet is a /24 carved from it. */
function vpcCidrProblems(vpcCidr: string, subnetCount: number): string[] {
  const shape = cidrProblem('vpcCidr', vpcCidr);
  if (shape.length > 0 || !isConcrete(vpcCidr)) return shape;
  const prefix = Number(vpcCidr.slice(vpcCidr.indexOf('/') + 1));
  const largestPrefix = 24 - Math.ceil(Math.log2(Math.max(subnetCount, 1)));
  if (prefix >= 16 && prefix <= largestPrefix) return [];
  return [
    `vpcCidr is ${quoted(vpcCidr)}; a created VPC needs a /16 to /${largestPrefix} block: each of its ${subnetCount} public subnet${subnetCount === 1 ? '' : 's'} (publicSubnetCount) is a /24`,
  ];
}

function instanceTypeProblems(options: AgentFleetOptions): string[] {
  const instanceTypes = options.instanceTypes ?? AGENT_FLEET_DEFAULTS.instanceTypes;
  const problems: string[] = [];
  if (instanceTypes.length === 0 || instanceTypes.length > MAX_INSTANCE_TYPES) {
    problems.push(
      `instanceTypes has ${instanceTypes.length} entries; give 1 to ${MAX_INSTANCE_TYPES} (the mixed instances policy limit)`,
    );
  }
  const duplicates = instanceTypes.filter((type, index) => instanceTypes.indexOf(type) !== index);
  if (duplicates.length > 0) {
    problems.push(`instanceTypes lists ${[...new Set(duplicates)].map(quoted).join(', ')} more than once`);
  }
  const byArchitecture = new Map<InstanceArchitecture, string[]>();
  for (const instanceType of instanceTypes) {
    const family = instanceFamilyOf(instanceType);
    const architecture = architectureOf(instanceType);
    if (family === undefined) {
      problems.push(`instance type ${quoted(instanceType)} is not of the form family.size, e.g. "m7g.large"`);
    } else if (architecture === undefined) {
      problems.push(
        `instance type ${quoted(instanceType)} has unknown instance family ${quoted(family)}; use a current EC2 family (or add it to the table in instance-architecture.ts)`,
      );
    } else {
      byArchitecture.set(architecture, [...(byArchitecture.get(architecture) ?? []), instanceType]);
    }
  }
  if (byArchitecture.size > 1) {
    const groups = [...byArchitecture].map(([architecture, types]) => `${architecture}: ${types.join(', ')}`);
    problems.push(
      `instanceTypes mix architectures (${groups.join('; ')}); one image runs on one architecture, so use one`,
    );
  }
  const [onlyArchitecture] = byArchitecture.keys();
  if (options.architecture !== undefined && byArchitecture.size === 1 && onlyArchitecture !== options.architecture) {
    problems.push(
      `architecture is ${quoted(options.architecture)} but instanceTypes are ${onlyArchitecture}; make them agree`,
    );
  }
  if (options.imageId !== undefined && options.imageIdSsmParameterName !== undefined) {
    problems.push('imageId and imageIdSsmParameterName are both set; give one image source');
  }
  problems.push(
    ...patternProblem('imageId', options.imageId, /^ami-[0-9a-f]{8,17}$/, 'an AMI id such as ami-0123456789abcdef0'),
  );
  problems.push(
    ...patternProblem(
      'imageIdSsmParameterName',
      options.imageIdSsmParameterName,
      SSM_PARAMETER_NAME,
      'an SSM parameter name starting with /',
    ),
  );
  return problems;
}

function capacityProblems(options: AgentFleetOptions): string[] {
  const problems = [
    ...integerProblem('minSize', options.minSize, 0, 10_000),
    ...integerProblem('maxSize', options.maxSize, 0, 10_000),
    ...integerProblem('onDemandBaseCapacity', options.onDemandBaseCapacity, 0, 10_000),
    ...integerProblem('onDemandPercentageAboveBaseCapacity', options.onDemandPercentageAboveBaseCapacity, 0, 100),
  ];
  const minSize = options.minSize ?? AGENT_FLEET_DEFAULTS.minSize;
  const maxSize = options.maxSize ?? AGENT_FLEET_DEFAULTS.maxSize;
  if (minSize > maxSize)
    problems.push(`minSize ${minSize} is greater than maxSize ${maxSize}; minSize must be ≤ maxSize`);
  const lifetime = options.maxInstanceLifetime;
  if (lifetime !== undefined && !lifetime.isUnresolved()) {
    const seconds = lifetime.toMilliseconds() / 1000;
    if (seconds !== 0) problems.push(...secondsProblem('maxInstanceLifetime', lifetime, 86_400, 31_536_000));
  }
  return problems;
}

function rootVolumeProblems(options: AgentFleetOptions): string[] {
  const type = options.rootVolumeType ?? AGENT_FLEET_DEFAULTS.rootVolumeType;
  const problems = [...integerProblem('rootVolumeSizeGiB', options.rootVolumeSizeGiB, 10, 16_384)];
  if (type === 'gp3') {
    problems.push(...integerProblem('rootVolumeIops', options.rootVolumeIops, 3000, 16_000));
    problems.push(...integerProblem('rootVolumeThroughputMiBps', options.rootVolumeThroughputMiBps, 125, 1000));
  } else {
    if (options.rootVolumeThroughputMiBps !== undefined) {
      problems.push(`rootVolumeThroughputMiBps applies to gp3 only, but rootVolumeType is ${quoted(type)}`);
    }
    if (type === 'gp2' && options.rootVolumeIops !== undefined) {
      problems.push('rootVolumeIops does not apply to gp2 (its IOPS follow the size); remove it or use gp3');
    }
    if ((type === 'io1' || type === 'io2') && options.rootVolumeIops === undefined) {
      problems.push(`rootVolumeIops is required for ${type}; give 100 to 64000`);
    }
    if (type === 'io1' || type === 'io2') {
      problems.push(...integerProblem('rootVolumeIops', options.rootVolumeIops, 100, 64_000));
    }
  }
  problems.push(...integerProblem('httpPutResponseHopLimit', options.httpPutResponseHopLimit, 1, 64));
  return problems;
}

function networkProblems(options: AgentFleetOptions): string[] {
  const problems: string[] = [];
  const bringsVpc = options.vpc !== undefined || options.vpcId !== undefined;
  if (options.vpc !== undefined && options.vpcId !== undefined) {
    problems.push('vpc and vpcId are both set; give the VPC one way');
  }
  if (options.vpcId !== undefined) {
    const subnets = options.subnetIds ?? [];
    const zones = options.availabilityZones ?? [];
    if (subnets.length === 0)
      problems.push(`vpcId ${quoted(options.vpcId)} needs subnetIds (one per availability zone)`);
    if (zones.length !== subnets.length) {
      problems.push(
        `vpcId needs one availabilityZones entry per subnetIds entry (got ${zones.length} zones for ${subnets.length} subnets)`,
      );
    }
    problems.push(...patternProblem('vpcId', options.vpcId, /^vpc-[0-9a-f]{8,17}$/, 'a VPC id such as vpc-0123abcd'));
    for (const subnetId of subnets) {
      problems.push(
        ...patternProblem(
          'subnetIds entry',
          subnetId,
          /^subnet-[0-9a-f]{8,17}$/,
          'a subnet id such as subnet-0123abcd',
        ),
      );
    }
  } else if (options.subnetIds !== undefined && options.vpc === undefined) {
    problems.push('subnetIds is set without vpcId; give vpcId too, or leave both out to create a VPC');
  }
  if (bringsVpc) {
    for (const name of ['vpcCidr', 'publicSubnetCount', 'vpcGatewayEndpoints', 'vpcInterfaceEndpoints'] as const) {
      if (options[name] !== undefined) problems.push(`${name} only applies to a created VPC, but a VPC is given`);
    }
  } else {
    if (options.associatePublicIpAddress === false) {
      problems.push(
        'associatePublicIpAddress is false, but the created VPC has only public subnets and no NAT gateway, so instances could not reach Buildkite; give vpcId and subnetIds of private subnets with a route to the internet, or leave it true',
      );
    }
    problems.push(...integerProblem('publicSubnetCount', options.publicSubnetCount, 1, 6));
    const count = options.publicSubnetCount ?? AGENT_FLEET_DEFAULTS.publicSubnetCount;
    if (options.vpcCidr !== undefined) problems.push(...vpcCidrProblems(options.vpcCidr, count));
    if (options.availabilityZones !== undefined && options.availabilityZones.length !== count) {
      problems.push(
        `availabilityZones has ${options.availabilityZones.length} entries but publicSubnetCount is ${count}; give one zone per subnet`,
      );
    }
  }
  if (options.securityGroups !== undefined && options.securityGroupIds !== undefined) {
    problems.push('securityGroups and securityGroupIds are both set; give the security groups one way');
  }
  const bringsSecurityGroups = options.securityGroups !== undefined || options.securityGroupIds !== undefined;
  if ((options.securityGroups ?? options.securityGroupIds)?.length === 0) {
    problems.push('securityGroupIds is empty; leave it out to create a security group');
  }
  for (const groupId of options.securityGroupIds ?? []) {
    problems.push(
      ...patternProblem(
        'securityGroupIds entry',
        groupId,
        /^sg-[0-9a-f]{8,17}$/,
        'a security group id such as sg-0123abcd',
      ),
    );
  }
  if (options.sshIngressCidrs !== undefined && bringsSecurityGroups) {
    problems.push('sshIngressCidrs only applies to a created security group; add the rule to your own group');
  }
  for (const cidr of options.sshIngressCidrs ?? []) problems.push(...cidrProblem('sshIngressCidrs entry', cidr));
  return problems;
}

function iamProblems(options: AgentFleetOptions): string[] {
  const problems: string[] = [];
  if (options.instanceRole !== undefined && options.instanceRoleArn !== undefined) {
    problems.push('instanceRole and instanceRoleArn are both set; give the role one way');
  }
  problems.push(
    ...patternProblem(
      'instanceRoleArn',
      options.instanceRoleArn,
      IAM_ROLE_ARN,
      'an IAM role ARN such as arn:aws:iam::123456789012:role/ci',
    ),
  );
  if (options.instanceRole !== undefined || options.instanceRoleArn !== undefined) {
    // A given role is used as is; settings for a created role would silently do nothing.
    for (const name of [
      'instanceRoleName',
      'instanceRoleTags',
      'managedPolicyArns',
      'instanceRolePermissionsBoundaryArn',
    ] as const) {
      if (options[name] !== undefined) {
        problems.push(`${name} only applies to a created role, but an existing role is given (it is used as is)`);
      }
    }
  }
  for (const arn of options.managedPolicyArns ?? []) {
    problems.push(
      ...patternProblem(
        'managedPolicyArns entry',
        arn,
        IAM_POLICY_ARN,
        'a managed policy ARN such as arn:aws:iam::aws:policy/ReadOnlyAccess',
      ),
    );
  }
  problems.push(
    ...patternProblem(
      'instanceRolePermissionsBoundaryArn',
      options.instanceRolePermissionsBoundaryArn,
      IAM_POLICY_ARN,
      'a managed policy ARN',
    ),
  );
  problems.push(
    ...patternProblem(
      'instanceRoleName',
      options.instanceRoleName,
      /^[\w+=,.@-]{1,64}$/,
      'an IAM role name (1–64 of A-Z a-z 0-9 + = , . @ _ -)',
    ),
  );
  return problems;
}

function bucketProblems(options: AgentFleetOptions): string[] {
  const problems: string[] = [];
  const bucket = (name: string, value: string | undefined) =>
    patternProblem(name, value, BUCKET_NAME, 'an S3 bucket name (3–63 of a-z 0-9 . -)');
  problems.push(...bucket('secretsBucketName', options.secretsBucketName));
  problems.push(...bucket('artifactsBucketName', options.artifactsBucketName));
  problems.push(...bucket('gitMirrorSeedBucketName', options.gitMirrorSeedBucketName));
  if (options.secretsPluginEnabled === false) {
    for (const name of ['secretsBucketName', 'secretsBucketRegion', 'secretsBucketEncryptionKey'] as const) {
      if (options[name] !== undefined) problems.push(`${name} is set but secretsPluginEnabled is false; remove one`);
    }
  }
  if (options.secretsBucketRegion !== undefined && options.secretsBucketName === undefined) {
    problems.push(
      'secretsBucketRegion is set without secretsBucketName; a created secrets bucket is in the stack’s region',
    );
  }
  if (options.artifactsBucketName === undefined) {
    for (const name of ['artifactsBucketRegion', 'artifactsS3Acl'] as const) {
      if (options[name] !== undefined) problems.push(`${name} is set without artifactsBucketName`);
    }
  }
  if (options.buildCacheExpiration !== undefined) {
    if (options.buildCacheBucketEnabled !== true) {
      problems.push('buildCacheExpiration is set but buildCacheBucketEnabled is not true');
    }
    problems.push(...secondsProblem('buildCacheExpiration', options.buildCacheExpiration, 86_400, 315_360_000));
    if (
      !options.buildCacheExpiration.isUnresolved() &&
      options.buildCacheExpiration.toMilliseconds() % 86_400_000 !== 0
    ) {
      problems.push(`buildCacheExpiration is ${options.buildCacheExpiration.toHumanString()}; it must be whole days`);
    }
  }
  if (options.gitMirrorSeedBucketName !== undefined && options.agentGitMirrorsEnabled !== true) {
    problems.push('gitMirrorSeedBucketName needs agentGitMirrorsEnabled: true (seeds are only used for git mirrors)');
  }
  return problems;
}

function signingProblems(options: AgentFleetOptions): string[] {
  const problems: string[] = [];
  const createsKey = options.pipelineSigningKmsKeySpec === 'ECC_NIST_P256';
  const usesKms = createsKey || options.pipelineSigningKmsKeyId !== undefined;
  if (createsKey && options.pipelineSigningKmsKeyId !== undefined) {
    problems.push(
      'pipelineSigningKmsKeyId and pipelineSigningKmsKeySpec "ECC_NIST_P256" are both set; use your key or create one, not both',
    );
  }
  if (usesKms && options.agentSigningJwksSsmParameterName !== undefined) {
    problems.push(
      'a KMS signing key and agentSigningJwksSsmParameterName are both set; sign with a KMS key or with a JWKS, not both',
    );
  }
  if (options.agentSigningJwksKeyId !== undefined && options.agentSigningJwksSsmParameterName === undefined) {
    problems.push('agentSigningJwksKeyId needs agentSigningJwksSsmParameterName (the key id names a key in that JWKS)');
  }
  if (options.pipelineSigningKmsAccess !== undefined && !usesKms) {
    problems.push('pipelineSigningKmsAccess is set without a KMS signing key');
  }
  problems.push(
    ...patternProblem(
      'pipelineSigningKmsKeyId',
      options.pipelineSigningKmsKeyId,
      KMS_KEY_ID,
      'a KMS key id, key ARN or alias',
    ),
  );
  for (const name of ['agentSigningJwksSsmParameterName', 'agentVerificationJwksSsmParameterName'] as const) {
    problems.push(...patternProblem(name, options[name], SSM_PARAMETER_NAME, 'an SSM parameter name starting with /'));
  }
  return problems;
}

function agentProblems(options: AgentFleetOptions): string[] {
  const problems = [
    ...integerProblem('agentsPerInstance', options.agentsPerInstance, 1, 64),
    ...integerProblem('agentSignalGracePeriodSeconds', options.agentSignalGracePeriodSeconds, -1, 3600),
    ...secondsProblem('agentCancelGracePeriod', options.agentCancelGracePeriod, 1, 3600),
    ...secondsProblem('agentDisconnectAfterIdleTimeout', options.agentDisconnectAfterIdleTimeout, 0, 604_800),
    ...secondsProblem('agentDisconnectAfterUptime', options.agentDisconnectAfterUptime, 0, 31_536_000),
    ...patternProblem(
      'queue',
      options.queue,
      /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$/,
      'a queue name (a letter or digit, then up to 99 of A-Z a-z 0-9 _ . : / -)',
    ),
  ];
  if (options.agentRelease !== undefined && options.agentRelease !== 'stable') {
    // Refused rather than ignored: the boot contract has no release field yet, the image runs the release it carries.
    problems.push(
      `agentRelease ${quoted(options.agentRelease)} is not supported yet: instances run the agent release baked into the image ("stable"); leave it out or set "stable"`,
    );
  }
  for (const [key, value] of Object.entries(options.agentTags ?? {})) {
    if (!AGENT_TAG_PART.test(key) || (value !== '' && !AGENT_TAG_PART.test(value))) {
      problems.push(
        `agentTags ${quoted(`${key}=${value}`)} may not contain spaces, commas, "=", quotes or backslashes`,
      );
    }
    if (RESERVED_AGENT_TAGS.includes(key)) {
      problems.push(`agentTags sets ${quoted(key)}, which the boot adds itself (${RESERVED_AGENT_TAGS.join(', ')})`);
    }
  }
  if (options.dockerIpv4AddressPools !== undefined) {
    if (options.dockerIpv4AddressPools.length === 0 || options.dockerIpv4AddressPools.length > 4) {
      problems.push(`dockerIpv4AddressPools has ${options.dockerIpv4AddressPools.length} entries; give 1 to 4`);
    }
    for (const pool of options.dockerIpv4AddressPools)
      problems.push(...cidrProblem('dockerIpv4AddressPools entry', pool));
  }
  if (options.dockerFixedCidrV4 !== undefined)
    problems.push(...cidrProblem('dockerFixedCidrV4', options.dockerFixedCidrV4));
  if (options.dockerPruneUntil !== undefined) {
    problems.push(...secondsProblem('dockerPruneUntil', options.dockerPruneUntil, 1, 31_536_000));
  }
  if (options.resourceLimitsEnabled !== true) {
    for (const name of [
      'resourceLimitsMemoryHigh',
      'resourceLimitsMemoryMax',
      'resourceLimitsMemorySwapMax',
      'resourceLimitsCpuWeight',
      'resourceLimitsCpuQuota',
      'resourceLimitsIoWeight',
    ] as const) {
      if (options[name] !== undefined) problems.push(`${name} is set but resourceLimitsEnabled is not true`);
    }
  }
  return problems;
}

function lifecycleProblems(options: AgentFleetOptions): string[] {
  return secondsProblem('terminationGracePeriod', options.terminationGracePeriod, 30, 7200);
}

const PRIVATE_ECR_IMAGE = /^\d{12}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\//;

function warmPoolProblems(options: AgentFleetOptions): string[] {
  const problems: string[] = [];
  if (options.warmPoolEnabled !== true) {
    for (const name of [
      'warmPoolState',
      'warmPoolMinSize',
      'warmPoolMaxGroupPreparedCapacity',
      'warmPoolReuseOnScaleIn',
    ] as const) {
      if (options[name] !== undefined) problems.push(`${name} is set but warmPoolEnabled is not true`);
    }
    if ((options.dockerPrePullImages ?? []).length > 0) {
      problems.push('dockerPrePullImages is set but warmPoolEnabled is not true (images are pulled while warmed)');
    }
    return problems;
  }
  const ecrImages = (options.dockerPrePullImages ?? []).filter(
    (image) => !Token.isUnresolved(image) && PRIVATE_ECR_IMAGE.test(image),
  );
  if (ecrImages.length > 0 && (options.ecrAccessPolicy ?? 'none') === 'none') {
    problems.push(
      `dockerPrePullImages lists ${ecrImages.length} ECR image(s) but ecrAccessPolicy is none: the instance role could not pull them; set ecrAccessPolicy (e.g. readonly)`,
    );
  }
  const instanceTypes = options.instanceTypes ?? AGENT_FLEET_DEFAULTS.instanceTypes;
  if (instanceTypes.length !== 1) {
    problems.push(
      `warmPoolEnabled needs exactly one instance type (AWS refuses warm pools on mixed instances groups), got ${instanceTypes.length}`,
    );
  }
  const onDemandPercentage =
    options.onDemandPercentageAboveBaseCapacity ?? AGENT_FLEET_DEFAULTS.onDemandPercentageAboveBaseCapacity;
  if (onDemandPercentage !== 100) {
    problems.push(
      `warmPoolEnabled needs onDemandPercentageAboveBaseCapacity 100 (AWS refuses warm pools with spot), got ${onDemandPercentage}`,
    );
  }
  const maxSize = options.maxSize ?? AGENT_FLEET_DEFAULTS.maxSize;
  problems.push(...integerProblem('warmPoolMinSize', options.warmPoolMinSize, 0, maxSize));
  if (options.warmPoolMaxGroupPreparedCapacity !== undefined) {
    const minSize = options.minSize ?? AGENT_FLEET_DEFAULTS.minSize;
    problems.push(
      ...integerProblem('warmPoolMaxGroupPreparedCapacity', options.warmPoolMaxGroupPreparedCapacity, minSize, 10_000),
    );
  }
  return problems;
}

function scheduleProblems(options: AgentFleetOptions): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const action of options.scheduledScalingActions ?? []) {
    const label = `scheduled action ${quoted(action.name)}`;
    if (!ACTION_NAME.test(action.name)) {
      problems.push(`${label} needs a name of 1–64 letters, digits and -`);
    }
    if (seen.has(action.name)) problems.push(`${label} is defined more than once; names must be unique`);
    seen.add(action.name);
    for (const problem of cronProblems(action.schedule)) problems.push(`${label}: schedule ${problem}`);
    const timeZone = action.timeZone ?? AGENT_FLEET_DEFAULTS.scheduleTimeZone;
    if (!isKnownTimeZone(timeZone)) {
      problems.push(
        `${label}: time zone ${quoted(timeZone)} is not an IANA time zone such as "Europe/Berlin" or "UTC"`,
      );
    }
    if (action.minSize === undefined && action.maxSize === undefined && action.desiredCapacity === undefined) {
      problems.push(`${label} changes nothing; set minSize, maxSize or desiredCapacity`);
    }
    for (const name of ['minSize', 'maxSize', 'desiredCapacity'] as const) {
      problems.push(...integerProblem(`${label} ${name}`, action[name], 0, 10_000));
    }
    if (action.minSize !== undefined && action.maxSize !== undefined && action.minSize > action.maxSize) {
      problems.push(`${label} minSize ${action.minSize} is greater than its maxSize ${action.maxSize}`);
    }
  }
  // A minimum above the group's maximum, which no action raises: Auto Scaling refuses min > max, so the action fails
  // at every recurrence (Buildkite's ScaleUpMinSize above MaxSize deployed a scale-up that never happened).
  const actions = options.scheduledScalingActions ?? [];
  const maxSize = options.maxSize ?? AGENT_FLEET_DEFAULTS.maxSize;
  const maximaRaised = actions.some((action) => action.maxSize !== undefined && action.maxSize > maxSize);
  if (!maximaRaised && !Token.isUnresolved(maxSize)) {
    for (const action of actions) {
      if (action.minSize !== undefined && action.maxSize === undefined && action.minSize > maxSize) {
        problems.push(
          `scheduled action ${quoted(action.name)} minSize ${action.minSize} is greater than the group's maxSize ${maxSize}, which no scheduled action raises; Auto Scaling would fail the action each time (raise maxSize or the action's own maxSize)`,
        );
      }
    }
  }
  return problems;
}

function tagProblems(name: string, tags: Readonly<Record<string, string>> | undefined): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(tags ?? {})) {
    if (key.length === 0 || key.length > 128 || key.toLowerCase().startsWith('aws:')) {
      problems.push(`${name} key ${quoted(key)} must be 1–128 characters and not start with "aws:"`);
    }
    if (value.length > 256) problems.push(`${name} value of ${quoted(key)} is longer than 256 characters`);
  }
  return problems;
}

// With tags in instance metadata, EC2 refuses to launch an instance whose tag keys hold other characters.
const INSTANCE_METADATA_TAG_KEY = /^[A-Za-z0-9+\-=.,_:@]+$/;

function instanceMetadataTagProblems(options: AgentFleetOptions): string[] {
  return instanceTagKeyProblems('costAllocationTags', options.costAllocationTags, options);
}

/**
 * Keys of tags that reach the instances (`name`: the option giving them) which EC2 refuses at launch while instance
 * tags are in instance metadata. The stack's own `tags` reach them too: the group propagates every tag it carries.
 */
export function instanceTagKeyProblems(
  name: string,
  tags: Readonly<Record<string, string>> | undefined,
  options: Pick<AgentFleetOptions, 'instanceMetadataTags'>,
): string[] {
  if (options.instanceMetadataTags === false) return [];
  return Object.keys(tags ?? {})
    .filter((key) => !INSTANCE_METADATA_TAG_KEY.test(key))
    .map(
      (key) =>
        `${name} key ${quoted(key)} reaches the instances, whose tags are in instance metadata: use only letters, digits and + - = . , _ : @ (no spaces or /), or set instanceMetadataTags: false`,
    );
}
