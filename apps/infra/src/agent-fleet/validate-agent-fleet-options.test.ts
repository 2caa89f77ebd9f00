import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { AgentFleet } from './agent-fleet.js';
import type { AgentFleetOptions } from './agent-fleet-options.js';
import { fleetArchitecture, validateAgentFleetOptions } from './validate-agent-fleet-options.js';

const problemsOf = (options: AgentFleetOptions) => validateAgentFleetOptions(options);

describe('Function: validateAgentFleetOptions', () => {
  it('accepts the defaults and a typical spot fleet', () => {
    expect(problemsOf({})).toEqual([]);
    expect(
      problemsOf({
        instanceTypes: ['c7g.xlarge', 'c6g.xlarge', 'm7g.xlarge', 'c8gd.xlarge', 't4g.xlarge', 'a1.xlarge'],
        onDemandPercentageAboveBaseCapacity: 0,
        minSize: 1,
        maxSize: 50,
        scheduledScalingActions: [{ name: 'Morning', schedule: '*/15 6-9 1,15 JAN-MAR,12 1-5', minSize: 3 }],
      }),
    ).toEqual([]);
  });

  describe('instance types', () => {
    it('refuses more than 25 types, naming the count and the limit', () => {
      // Prepare
      const sizes = ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'];
      const families = ['m7i', 'c7i', 'r7i', 'm6i'];
      const instanceTypes = families.flatMap((family) => sizes.map((size) => `${family}.${size}`));
      // Act
      const problems = problemsOf({ instanceTypes });
      // Assess
      expect(instanceTypes).toHaveLength(28);
      expect(problems).toEqual(['instanceTypes has 28 entries; give 1 to 25 (the mixed instances policy limit)']);
    });

    it('refuses an empty list', () => {
      expect(problemsOf({ instanceTypes: [] })).toEqual([
        'instanceTypes has 0 entries; give 1 to 25 (the mixed instances policy limit)',
      ]);
    });

    it('refuses mixed architectures across all types, not just the first', () => {
      const problems = problemsOf({ instanceTypes: ['m7i.large', 'c7i.large', 'c7g.large', 't4g.large'] });
      expect(problems).toEqual([
        'instanceTypes mix architectures (x86_64: m7i.large, c7i.large; arm64: c7g.large, t4g.large); one image runs on one architecture, so use one',
      ]);
    });

    it('refuses an unknown family by name, and a type that is not family.size', () => {
      expect(problemsOf({ instanceTypes: ['m7i.large', 'q9x.large', 'large'] })).toEqual([
        'instance type "q9x.large" has unknown instance family "q9x"; use a current EC2 family (or add it to the table in instance-architecture.ts)',
        'instance type "large" is not of the form family.size, e.g. "m7g.large"',
      ]);
    });

    it('refuses duplicates', () => {
      expect(problemsOf({ instanceTypes: ['m7i.large', 'm7i.large'] })).toEqual([
        'instanceTypes lists "m7i.large" more than once',
      ]);
    });

    it('refuses an architecture that disagrees with the types', () => {
      expect(problemsOf({ instanceTypes: ['m7g.large'], architecture: 'x86_64' })).toEqual([
        'architecture is "x86_64" but instanceTypes are arm64; make them agree',
      ]);
    });

    it('derives the architecture from the types', () => {
      expect(fleetArchitecture({ instanceTypes: ['c7g.large', 'm7g.large'] })).toBe('arm64');
      expect(fleetArchitecture({})).toBe('x86_64');
    });

    it('refuses two image sources and a malformed AMI id', () => {
      expect(problemsOf({ imageId: 'ami-123', imageIdSsmParameterName: '/images/agent' })).toEqual([
        'imageId and imageIdSsmParameterName are both set; give one image source',
        'imageId is "ami-123"; it must be an AMI id such as ami-0123456789abcdef0',
      ]);
    });
  });

  describe('capacity', () => {
    it('refuses min > max and an on-demand percentage outside 0–100', () => {
      expect(problemsOf({ minSize: 6, maxSize: 3, onDemandPercentageAboveBaseCapacity: 101 })).toEqual([
        'onDemandPercentageAboveBaseCapacity is 101; it must be a whole number from 0 to 100',
        'minSize 6 is greater than maxSize 3; minSize must be ≤ maxSize',
      ]);
    });

    it('refuses negative and fractional sizes', () => {
      expect(problemsOf({ minSize: -1, maxSize: 2.5, onDemandBaseCapacity: -2 })).toEqual([
        'minSize is -1; it must be a whole number from 0 to 10000',
        'maxSize is 2.5; it must be a whole number from 0 to 10000',
        'onDemandBaseCapacity is -2; it must be a whole number from 0 to 10000',
      ]);
    });

    it('refuses a maximum instance lifetime below one day', () => {
      expect(problemsOf({ maxInstanceLifetime: Duration.hours(12) })).toEqual([
        'maxInstanceLifetime is 43200 s; it must be whole seconds from 86400 to 31536000',
      ]);
      expect(problemsOf({ maxInstanceLifetime: Duration.days(30) })).toEqual([]);
    });
  });

  describe('root volume and metadata', () => {
    it('refuses sizes, IOPS and throughput outside their ranges', () => {
      expect(
        problemsOf({
          rootVolumeSizeGiB: 8,
          rootVolumeIops: 20_000,
          rootVolumeThroughputMiBps: 100,
          httpPutResponseHopLimit: 0,
        }),
      ).toEqual([
        'rootVolumeSizeGiB is 8; it must be a whole number from 10 to 16384',
        'rootVolumeIops is 20000; it must be a whole number from 3000 to 16000',
        'rootVolumeThroughputMiBps is 100; it must be a whole number from 125 to 1000',
        'httpPutResponseHopLimit is 0; it must be a whole number from 1 to 64',
      ]);
    });

    it('requires IOPS for io2 and refuses throughput off gp3', () => {
      expect(problemsOf({ rootVolumeType: 'io2', rootVolumeThroughputMiBps: 250 })).toEqual([
        'rootVolumeThroughputMiBps applies to gp3 only, but rootVolumeType is "io2"',
        'rootVolumeIops is required for io2; give 100 to 64000',
      ]);
    });
  });

  describe('network and IAM', () => {
    it('needs subnets and zones with an existing VPC id', () => {
      expect(problemsOf({ vpcId: 'vpc-0123abcd' })).toEqual([
        'vpcId "vpc-0123abcd" needs subnetIds (one per availability zone)',
      ]);
      expect(
        problemsOf({
          vpcId: 'vpc-0123abcd',
          subnetIds: ['subnet-0123abcd', 'subnet-4567efab'],
          availabilityZones: ['eu-west-1a'],
        }),
      ).toEqual(['vpcId needs one availabilityZones entry per subnetIds entry (got 1 zones for 2 subnets)']);
    });

    it('refuses created-VPC options next to a given VPC, and subnets without a VPC', () => {
      expect(
        problemsOf({
          vpcId: 'vpc-0123abcd',
          subnetIds: ['subnet-0123abcd'],
          availabilityZones: ['eu-west-1a'],
          vpcGatewayEndpoints: ['s3'],
        }),
      ).toEqual(['vpcGatewayEndpoints only applies to a created VPC, but a VPC is given']);
      expect(problemsOf({ subnetIds: ['subnet-0123abcd'] })).toEqual([
        'subnetIds is set without vpcId; give vpcId too, or leave both out to create a VPC',
      ]);
    });

    it('refuses SSH rules for a given security group and malformed CIDRs', () => {
      expect(problemsOf({ securityGroupIds: ['sg-0123abcd'], sshIngressCidrs: ['10.0.0.0/33'] })).toEqual([
        'sshIngressCidrs only applies to a created security group; add the rule to your own group',
        'sshIngressCidrs entry is "10.0.0.0/33"; it must be an IPv4 CIDR such as 10.0.0.0/16',
      ]);
    });

    it('refuses settings for a created role next to an existing role (they would do nothing)', () => {
      expect(
        problemsOf({
          instanceRoleArn: 'arn:aws:iam::123456789012:role/shared-ci',
          managedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
          instanceRolePermissionsBoundaryArn: 'arn:aws:iam::123456789012:policy/boundary',
        }),
      ).toEqual([
        'managedPolicyArns only applies to a created role, but an existing role is given (it is used as is)',
        'instanceRolePermissionsBoundaryArn only applies to a created role, but an existing role is given (it is used as is)',
      ]);
      expect(problemsOf({ instanceRoleArn: 'role/shared-ci' })).toEqual([
        'instanceRoleArn is "role/shared-ci"; it must be an IAM role ARN such as arn:aws:iam::123456789012:role/ci',
      ]);
    });
  });

  describe('signing, buckets and agent', () => {
    it('refuses a KMS signing key and a JWKS together, and a key id without a JWKS', () => {
      expect(
        problemsOf({ pipelineSigningKmsKeySpec: 'ECC_NIST_P256', agentSigningJwksSsmParameterName: '/ci/jwks' }),
      ).toEqual([
        'a KMS signing key and agentSigningJwksSsmParameterName are both set; sign with a KMS key or with a JWKS, not both',
      ]);
      expect(problemsOf({ agentSigningJwksKeyId: 'key-1' })).toEqual([
        'agentSigningJwksKeyId needs agentSigningJwksSsmParameterName (the key id names a key in that JWKS)',
      ]);
      expect(
        problemsOf({ pipelineSigningKmsKeySpec: 'ECC_NIST_P256', pipelineSigningKmsKeyId: 'alias/pipeline-signing' }),
      ).toEqual([
        'pipelineSigningKmsKeyId and pipelineSigningKmsKeySpec "ECC_NIST_P256" are both set; use your key or create one, not both',
      ]);
    });

    it('refuses bucket settings that would be ignored', () => {
      expect(
        problemsOf({
          secretsPluginEnabled: false,
          secretsBucketName: 'my-secrets',
          artifactsS3Acl: 'private',
          buildCacheExpiration: Duration.days(7),
          gitMirrorSeedBucketName: 'Bad_Bucket',
        }),
      ).toEqual([
        'gitMirrorSeedBucketName is "Bad_Bucket"; it must be an S3 bucket name (3–63 of a-z 0-9 . -)',
        'secretsBucketName is set but secretsPluginEnabled is false; remove one',
        'artifactsS3Acl is set without artifactsBucketName',
        'buildCacheExpiration is set but buildCacheBucketEnabled is not true',
        'gitMirrorSeedBucketName needs agentGitMirrorsEnabled: true (seeds are only used for git mirrors)',
      ]);
    });

    it('refuses agent tags the boot sets itself or that would break the tag list', () => {
      expect(problemsOf({ agentTags: { queue: 'other', 'has space': 'x', ok: 'a,b' }, agentsPerInstance: 0 })).toEqual([
        'agentsPerInstance is 0; it must be a whole number from 1 to 64',
        'agentTags sets "queue", which the boot adds itself (queue, stack, stack-version, instance-id)',
        'agentTags "has space=x" may not contain spaces, commas, "=", quotes or backslashes',
        'agentTags "ok=a,b" may not contain spaces, commas, "=", quotes or backslashes',
      ]);
    });

    it('refuses an agent release the instances cannot honour yet, rather than ignoring it', () => {
      expect(problemsOf({ agentRelease: 'edge' })).toEqual([
        'agentRelease "edge" is not supported yet: instances run the agent release baked into the image ("stable"); leave it out or set "stable"',
      ]);
      expect(problemsOf({ agentRelease: 'stable' })).toEqual([]);
    });

    it('refuses a termination grace period outside 30 s to 2 h', () => {
      expect(problemsOf({ terminationGracePeriod: Duration.hours(3) })).toEqual([
        'terminationGracePeriod is 10800 s; it must be whole seconds from 30 to 7200',
      ]);
    });
  });

  describe('warm pool', () => {
    it('refuses a warm pool with several types or spot', () => {
      expect(
        problemsOf({
          warmPoolEnabled: true,
          instanceTypes: ['m7i.large', 'm6i.large'],
          onDemandPercentageAboveBaseCapacity: 50,
        }),
      ).toEqual([
        'warmPoolEnabled needs exactly one instance type (AWS refuses warm pools on mixed instances groups), got 2',
        'warmPoolEnabled needs onDemandPercentageAboveBaseCapacity 100 (AWS refuses warm pools with spot), got 50',
      ]);
    });

    it('refuses warm-pool settings without a warm pool and a floor above the group maximum', () => {
      expect(problemsOf({ warmPoolState: 'Hibernated' })).toEqual([
        'warmPoolState is set but warmPoolEnabled is not true',
      ]);
      expect(problemsOf({ warmPoolEnabled: true, maxSize: 4, warmPoolMinSize: 5 })).toEqual([
        'warmPoolMinSize is 5; it must be a whole number from 0 to 4',
      ]);
    });

    it('pre-pulls images only with a warm pool, ECR images only with ECR access, and only valid references', () => {
      const ecrImage = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1';
      expect(problemsOf({ dockerPrePullImages: ['node:22'] })).toEqual([
        'dockerPrePullImages is set but warmPoolEnabled is not true (images are pulled while warmed)',
      ]);
      expect(problemsOf({ warmPoolEnabled: true, dockerPrePullImages: [ecrImage, 'node:22'] })).toEqual([
        'dockerPrePullImages lists 1 ECR image(s) but ecrAccessPolicy is none: the instance role could not pull them; set ecrAccessPolicy (e.g. readonly)',
      ]);
      expect(
        problemsOf({ warmPoolEnabled: true, ecrAccessPolicy: 'readonly', dockerPrePullImages: [ecrImage] }),
      ).toEqual([]);
      const bad = problemsOf({ warmPoolEnabled: true, dockerPrePullImages: ['--privileged'] });
      expect(bad).toHaveLength(1);
      expect(bad[0]).toMatch(/^dockerPrePullImages.*must be an image reference/);
    });
  });

  describe('scheduled actions', () => {
    it('refuses a bad cron and an unknown time zone, naming the action', () => {
      expect(
        problemsOf({
          scheduledScalingActions: [
            { name: 'Morning', schedule: '0 8 * MON-FRI', minSize: 1 },
            { name: 'Evening', schedule: '61 25 * * FUNDAY', timeZone: 'Europe/Atlantis', minSize: 0 },
          ],
        }),
      ).toEqual([
        'scheduled action "Morning": schedule "0 8 * MON-FRI" has 4 fields; a schedule needs 5: minute hour day-of-month month day-of-week, e.g. "0 8 * * MON-FRI"',
        'scheduled action "Evening": schedule minute "61" is not *, a value, a range, a list or a step of 0-59',
        'scheduled action "Evening": schedule hour "25" is not *, a value, a range, a list or a step of 0-23',
        'scheduled action "Evening": schedule day of week "FUNDAY" is not *, a value, a range, a list or a step of 0-7 or SUN-SAT',
        'scheduled action "Evening": time zone "Europe/Atlantis" is not an IANA time zone such as "Europe/Berlin" or "UTC"',
      ]);
    });

    it('refuses duplicate names, actions that change nothing and min > max', () => {
      expect(
        problemsOf({
          scheduledScalingActions: [
            { name: 'Same', schedule: '0 8 * * *' },
            { name: 'Same', schedule: '0 9 * * *', minSize: 4, maxSize: 2 },
          ],
        }),
      ).toEqual([
        'scheduled action "Same" changes nothing; set minSize, maxSize or desiredCapacity',
        'scheduled action "Same" is defined more than once; names must be unique',
        'scheduled action "Same" minSize 4 is greater than its maxSize 2',
      ]);
    });

    it("refuses a scheduled minimum above the group's maximum when no action raises that maximum", () => {
      // Auto Scaling accepts such an action and fails it at every recurrence: the morning scale-up never happens.
      expect(
        problemsOf({
          maxSize: 10,
          scheduledScalingActions: [
            { name: 'scale-up', schedule: '0 8 * * MON-FRI', minSize: 20 },
            { name: 'scale-down', schedule: '0 18 * * MON-FRI', minSize: 0 },
          ],
        }),
      ).toEqual([
        'scheduled action "scale-up" minSize 20 is greater than the group\'s maxSize 10, which no scheduled action raises; Auto Scaling would fail the action each time (raise maxSize or the action\'s own maxSize)',
      ]);
      // With a maximum of its own, or another action that raises the maximum, it is the user's plan
      expect(
        problemsOf({
          maxSize: 10,
          scheduledScalingActions: [{ name: 'scale-up', schedule: '0 8 * * MON-FRI', minSize: 20, maxSize: 30 }],
        }),
      ).toEqual([]);
      expect(
        problemsOf({
          maxSize: 10,
          scheduledScalingActions: [
            { name: 'raise', schedule: '50 7 * * MON-FRI', maxSize: 40 },
            { name: 'scale-up', schedule: '0 8 * * MON-FRI', minSize: 20 },
          ],
        }),
      ).toEqual([]);
    });

    it('accepts UTC and current IANA zone names, also those ICU still calls by an older name', () => {
      for (const timeZone of [
        'UTC',
        'Etc/UTC',
        'Etc/GMT+9',
        'Europe/Berlin',
        'America/Argentina/Buenos_Aires',
        'Asia/Kolkata',
        'Europe/Kyiv',
      ]) {
        expect(
          problemsOf({ scheduledScalingActions: [{ name: 'A', schedule: '0 8 * * *', timeZone, minSize: 1 }] }),
        ).toEqual([]);
      }
    });
  });

  it('refuses zone abbreviations, legacy aliases and wrongly capitalized names', () => {
    for (const timeZone of ['EST', 'US/Pacific', 'europe/berlin', 'Asia/kolkata', 'Mars/Olympus']) {
      expect(
        problemsOf({ scheduledScalingActions: [{ name: 'A', schedule: '0 8 * * *', timeZone, minSize: 1 }] }),
      ).toEqual([
        `scheduled action "A": time zone "${timeZone}" is not an IANA time zone such as "Europe/Berlin" or "UTC"`,
      ]);
    }
  });

  it('refuses cost-allocation tags AWS reserves', () => {
    expect(problemsOf({ costAllocationTags: { 'aws:created': 'x' } })).toEqual([
      'costAllocationTags key "aws:created" must be 1–128 characters and not start with "aws:"',
    ]);
  });

  it('refuses cost-allocation tag keys EC2 refuses on instances with tags in instance metadata', () => {
    expect(problemsOf({ costAllocationTags: { 'team/name': 'ci' } })).toEqual([
      'costAllocationTags key "team/name" reaches the instances, whose tags are in instance metadata: use only letters, digits and + - = . , _ : @ (no spaces or /), or set instanceMetadataTags: false',
    ]);
    expect(problemsOf({ costAllocationTags: { 'team/name': 'ci' }, instanceMetadataTags: false })).toEqual([]);
  });

  it('adds what the boot contract refuses, named by option, each mistake once', () => {
    expect(
      problemsOf({
        agentEnvFileUrl: 'http://example.com/env',
        agentExperiments: ['Bad Experiment'],
        resourceLimitsEnabled: true,
        resourceLimitsMemoryMax: 'lots',
        agentsPerInstance: 100,
      }),
    ).toEqual([
      'agentsPerInstance is 100; it must be a whole number from 1 to 64',
      'agentExperiments must be an experiment name of a-z 0-9 - (at most 48 characters)',
      'agentEnvFileUrl must be s3://bucket/key, ssm:/parameter/path, https://host/path (http:// and file:// are refused)',
      'resourceLimitsMemoryMax must be bytes (e.g. 8G), a percentage (1–100%) or infinity',
    ]);
  });

  it('is what AgentFleet.validate returns, so the stack can aggregate before building', () => {
    const options: AgentFleetOptions = { minSize: 2, maxSize: 1 };
    expect(AgentFleet.validate(options)).toEqual(['minSize 2 is greater than maxSize 1; minSize must be ≤ maxSize']);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({
      instanceTypes: ['m7g.large', 'm7i.large'],
      minSize: 3,
      maxSize: 1,
      scheduledScalingActions: [{ name: 'X', schedule: 'daily', timeZone: 'Nowhere', minSize: 1 }],
      agentSigningJwksKeyId: 'k',
    });
    expect(problems).toHaveLength(5);
  });
});
