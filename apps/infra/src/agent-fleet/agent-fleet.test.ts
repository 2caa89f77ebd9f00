import { parseBootContract } from '@elastic-ci/agent-instance/boot-contract';
import { Duration } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { AgentFleetValidationError } from './agent-fleet-errors.js';
import { cdkUpcast } from './cdk-upcast.js';
import { bootContractFromUserData } from './fleet-boot-contract.js';
import { launchTemplateUserData } from './test-support/decode-user-data.js';
import {
  onlyResource,
  SYNTH_TIMEOUT_MS,
  type SynthesizedFleet,
  synthFleet,
  TEST_TOKEN_PARAMETER,
} from './test-support/synth-fleet.js';

const launchTemplateData = (template: Template) =>
  onlyResource(template, 'AWS::EC2::LaunchTemplate').properties.LaunchTemplateData as Record<string, unknown>;
const groupProperties = (template: Template) => onlyResource(template, 'AWS::AutoScaling::AutoScalingGroup').properties;

describe('Construct: AgentFleet', () => {
  describe('with the documented defaults', () => {
    let defaults: SynthesizedFleet;
    beforeAll(() => {
      defaults = synthFleet();
    }, SYNTH_TIMEOUT_MS);

    it('requires IMDSv2 tokens with a hop limit of 1, so job containers cannot reach instance credentials', () => {
      // Assess
      expect(launchTemplateData(defaults.template).MetadataOptions).toEqual({
        HttpEndpoint: 'enabled',
        HttpTokens: 'required',
        HttpPutResponseHopLimit: 1,
        InstanceMetadataTags: 'enabled',
      });
    });

    it('gives instances an encrypted 250 GiB gp3 root volume with baseline IOPS and throughput', () => {
      expect(launchTemplateData(defaults.template).BlockDeviceMappings).toEqual([
        {
          DeviceName: '/dev/xvda',
          Ebs: {
            DeleteOnTermination: true,
            Encrypted: true,
            Iops: 3000,
            Throughput: 125,
            VolumeSize: 250,
            VolumeType: 'gp3',
          },
        },
      ]);
    });

    it('resolves the default Amazon Linux 2023 x86_64 image from SSM at launch', () => {
      expect(launchTemplateData(defaults.template).ImageId).toBe(
        'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      );
    });

    it('leaves DesiredCapacity out of the group, so the scaler owns it', () => {
      expect(groupProperties(defaults.template)).not.toHaveProperty('DesiredCapacity');
      expect(groupProperties(defaults.template)).toMatchObject({ MinSize: '0', MaxSize: '10' });
    });

    it('uses a mixed instances policy of t3.large, all on-demand, price-capacity-optimized spot', () => {
      expect(groupProperties(defaults.template).MixedInstancesPolicy).toMatchObject({
        LaunchTemplate: { Overrides: [{ InstanceType: 't3.large' }] },
        InstancesDistribution: {
          OnDemandBaseCapacity: 0,
          OnDemandPercentageAboveBaseCapacity: 100,
          SpotAllocationStrategy: 'price-capacity-optimized',
        },
      });
      expect(launchTemplateData(defaults.template)).toMatchObject({
        InstanceType: 't3.large',
        CreditSpecification: { CpuCredits: 'unlimited' },
      });
    });

    it('drains every termination through a hook: 3600 s heartbeat, CONTINUE by default', () => {
      expect(groupProperties(defaults.template).LifecycleHookSpecificationList).toEqual([
        {
          LifecycleHookName: 'elastic-ci-drain',
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
          HeartbeatTimeout: 3600,
          DefaultResult: 'CONTINUE',
        },
      ]);
    });

    it('protects new instances from scale-in and collects group metrics every minute', () => {
      expect(groupProperties(defaults.template)).toMatchObject({
        NewInstancesProtectedFromScaleIn: true,
        CapacityRebalance: false,
        MetricsCollection: [{ Granularity: '1Minute' }],
      });
      expect(groupProperties(defaults.template)).not.toHaveProperty('MaxInstanceLifetime');
    });

    it('replaces the group on launch-template changes (stop-agents drains the old one)', () => {
      const { id } = onlyResource(defaults.template, 'AWS::AutoScaling::AutoScalingGroup');
      expect(defaults.template.toJSON().Resources[id].UpdatePolicy).toEqual({
        AutoScalingReplacingUpdate: { WillReplace: true },
      });
    });

    it('creates a VPC with two public subnets and no NAT, and launches there with public IPs', () => {
      defaults.template.resourceCountIs('AWS::EC2::Subnet', 2);
      defaults.template.resourceCountIs('AWS::EC2::NatGateway', 0);
      defaults.template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
      defaults.template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
      expect(groupProperties(defaults.template).VPCZoneIdentifier).toHaveLength(2);
      expect(launchTemplateData(defaults.template).NetworkInterfaces).toEqual([
        expect.objectContaining({ DeviceIndex: 0, AssociatePublicIpAddress: true }),
      ]);
    });

    it('creates a security group with egress only', () => {
      const { properties } = onlyResource(defaults.template, 'AWS::EC2::SecurityGroup');
      expect(properties).not.toHaveProperty('SecurityGroupIngress');
      expect(properties.SecurityGroupEgress).toEqual([
        { CidrIp: '0.0.0.0/0', Description: expect.any(String), IpProtocol: '-1' },
      ]);
      defaults.template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    });

    it('creates neither a warm pool nor scheduled actions nor a key pair', () => {
      defaults.template.resourceCountIs('AWS::AutoScaling::WarmPool', 0);
      defaults.template.resourceCountIs('AWS::AutoScaling::ScheduledAction', 0);
      expect(launchTemplateData(defaults.template)).not.toHaveProperty('KeyName');
    });

    it('hands the instance a boot contract that the instance side parses, with the token location', () => {
      // Act
      const contract = parseBootContract(bootContractFromUserData(launchTemplateUserData(defaults.template)));
      // Assess
      expect(contract.stack).toMatchObject({ name: 'FleetTest', region: 'us-east-1' });
      expect(contract.agent).toMatchObject({
        queue: 'default',
        agentsPerInstance: 1,
        tags: [],
        token: { kind: 'ssm-parameter', name: TEST_TOKEN_PARAMETER },
        idleDisconnectTimeoutSeconds: 600,
      });
      expect(contract.secrets?.bucket).toMatch(/^fleetbucketssecretsbucket/);
      expect(contract.lifecycled.mode).toBe('lifecycle-state');
      expect(contract.lifecycle.warmPoolEnabled).toBe(false);
      expect(contract.lifecycle.launchHookName).toBeUndefined();
      expect(contract.logs.groups.agent).toBe('/elastic-ci/FleetTest/buildkite-agent');
    });

    it('never puts the token value in user data, only where to read it', () => {
      const userData = launchTemplateUserData(defaults.template);
      expect(userData).toMatch(/^#!\/bin\/bash\n/);
      expect(userData).toContain(`"name":"${TEST_TOKEN_PARAMETER}"`);
      expect(userData).toContain('exec /usr/local/bin/elastic-ci-boot --contract /etc/elastic-ci/boot-contract.json');
    });
  });

  describe('with every fleet option set', () => {
    let maximal: SynthesizedFleet;
    beforeAll(() => {
      maximal = synthFleet((stack) => ({
        instanceTypes: ['m7g.large', 'c7g.large', 'r7g.large'],
        onDemandBaseCapacity: 1,
        onDemandPercentageAboveBaseCapacity: 25,
        spotAllocationStrategy: 'capacity-optimized',
        capacityRebalance: true,
        maxInstanceLifetime: Duration.days(7),
        minSize: 2,
        maxSize: 40,
        newInstancesProtectedFromScaleIn: false,
        httpPutResponseHopLimit: 2,
        rootVolumeSizeGiB: 500,
        rootVolumeIops: 6000,
        rootVolumeThroughputMiBps: 500,
        rootVolumeEncryptionKey: new kms.Key(stack, 'VolumeKey'),
        imageIdSsmParameterName: '/elastic-ci/images/arm64',
        keyPairName: 'ops',
        sshIngressCidrs: ['192.0.2.0/24'],
        publicSubnetCount: 3,
        availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
        vpcGatewayEndpoints: ['s3', 'dynamodb'],
        detailedMonitoring: true,
        instanceName: 'ci-agents',
        queue: 'builds',
        agentsPerInstance: 4,
        agentTags: { os: 'linux', size: 'large' },
        agentDisconnectAfterIdleTimeout: Duration.minutes(20),
        dockerUserNamespaceRemap: false,
        dockerExperimental: true,
        dockerIpv4AddressPools: ['10.200.0.0/16', '10.201.0.0/16'],
        terminationGracePeriod: Duration.minutes(90),
        terminationHookDefaultResult: 'ABANDON',
        scheduledScalingActions: [
          { name: 'WorkdayMorning', schedule: '0 8 * * MON-FRI', timeZone: 'Europe/Berlin', minSize: 5 },
          { name: 'Evening', schedule: '0 19 * * *', timeZone: 'America/New_York', minSize: 0, maxSize: 20 },
        ],
        costAllocationTags: { CostCenter: 'ci-1234' },
      }));
    }, SYNTH_TIMEOUT_MS);

    it('lists every instance type as an override and the first on the launch template', () => {
      expect(groupProperties(maximal.template).MixedInstancesPolicy).toMatchObject({
        LaunchTemplate: {
          Overrides: [{ InstanceType: 'm7g.large' }, { InstanceType: 'c7g.large' }, { InstanceType: 'r7g.large' }],
        },
      });
      expect(launchTemplateData(maximal.template).InstanceType).toBe('m7g.large');
      // Not burstable: no CPU credit setting.
      expect(launchTemplateData(maximal.template)).not.toHaveProperty('CreditSpecification');
    });

    it('sets the on-demand base, on-demand percentage and spot allocation strategy', () => {
      expect(groupProperties(maximal.template).MixedInstancesPolicy).toMatchObject({
        InstancesDistribution: {
          OnDemandBaseCapacity: 1,
          OnDemandPercentageAboveBaseCapacity: 25,
          SpotAllocationStrategy: 'capacity-optimized',
        },
      });
    });

    it('sets sizes, capacity rebalance, maximum lifetime and scale-in protection', () => {
      expect(groupProperties(maximal.template)).toMatchObject({
        MinSize: '2',
        MaxSize: '40',
        CapacityRebalance: true,
        MaxInstanceLifetime: 604_800,
        NewInstancesProtectedFromScaleIn: false,
      });
      expect(groupProperties(maximal.template)).not.toHaveProperty('DesiredCapacity');
    });

    it('sets the hop limit, still requiring IMDSv2', () => {
      expect(launchTemplateData(maximal.template).MetadataOptions).toMatchObject({
        HttpTokens: 'required',
        HttpPutResponseHopLimit: 2,
      });
    });

    it('sizes the root volume and encrypts it with the given key', () => {
      expect(launchTemplateData(maximal.template).BlockDeviceMappings).toEqual([
        {
          DeviceName: '/dev/xvda',
          Ebs: {
            DeleteOnTermination: true,
            Encrypted: true,
            Iops: 6000,
            Throughput: 500,
            VolumeSize: 500,
            VolumeType: 'gp3',
            KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^VolumeKey/), 'Arn'] },
          },
        },
      ]);
    });

    it('resolves the image from the given SSM parameter at launch', () => {
      expect(launchTemplateData(maximal.template).ImageId).toBe('resolve:ssm:/elastic-ci/images/arm64');
    });

    it('uses the key pair and opens SSH to the given CIDRs only', () => {
      expect(launchTemplateData(maximal.template).KeyName).toBe('ops');
      const { properties } = onlyResource(maximal.template, 'AWS::EC2::SecurityGroup');
      expect(properties.SecurityGroupIngress).toEqual([
        expect.objectContaining({ CidrIp: '192.0.2.0/24', FromPort: 22, ToPort: 22, IpProtocol: 'tcp' }),
      ]);
    });

    it('creates the requested subnets in the given zones, with gateway endpoints', () => {
      maximal.template.resourceCountIs('AWS::EC2::Subnet', 3);
      for (const zone of ['us-east-1a', 'us-east-1b', 'us-east-1c']) {
        maximal.template.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: zone });
      }
      maximal.template.resourceCountIs('AWS::EC2::VPCEndpoint', 2);
      maximal.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
      });
      maximal.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.dynamodb']] },
      });
    });

    it('uses the termination grace period and default result on the hook', () => {
      expect(groupProperties(maximal.template).LifecycleHookSpecificationList).toEqual([
        expect.objectContaining({ HeartbeatTimeout: 5400, DefaultResult: 'ABANDON' }),
      ]);
    });

    it('keeps a scheduled action in effect through a stack update that leaves the group sizes alone', () => {
      // Without IgnoreUnmodifiedGroupSizeProperties, any update of the group resets MinSize/MaxSize to the template's,
      // undoing the morning's scheduled minimum (or the night's lower maximum) until the action's next recurrence.
      const { id } = onlyResource(maximal.template, 'AWS::AutoScaling::AutoScalingGroup');
      expect(maximal.template.toJSON().Resources[id].UpdatePolicy).toEqual({
        AutoScalingReplacingUpdate: { WillReplace: true },
        AutoScalingScheduledAction: { IgnoreUnmodifiedGroupSizeProperties: true },
      });
    });

    it('creates each scheduled action with its cron and time zone', () => {
      maximal.template.resourceCountIs('AWS::AutoScaling::ScheduledAction', 2);
      maximal.template.hasResourceProperties('AWS::AutoScaling::ScheduledAction', {
        Recurrence: '0 8 * * MON-FRI',
        TimeZone: 'Europe/Berlin',
        MinSize: 5,
        AutoScalingGroupName: { Ref: Match.stringLikeRegexp('^FleetAutoScalingGroup') },
      });
      const evening = maximal.template.findResources('AWS::AutoScaling::ScheduledAction', {
        Properties: { TimeZone: 'America/New_York' },
      });
      expect(Object.values(evening).map((resource) => resource.Properties)).toEqual([
        expect.objectContaining({ Recurrence: '0 19 * * *', MinSize: 0, MaxSize: 20 }),
      ]);
      expect(Object.values(evening)[0]?.Properties).not.toHaveProperty('DesiredCapacity');
    });

    it('tags instances and volumes with the name, queue and cost-allocation tags, the group propagating them', () => {
      const tagSpecifications = launchTemplateData(maximal.template).TagSpecifications as {
        ResourceType: string;
        Tags: { Key: string; Value: string }[];
      }[];
      for (const resourceType of ['instance', 'volume']) {
        const tags = tagSpecifications.find((specification) => specification.ResourceType === resourceType)?.Tags;
        expect(tags).toEqual(
          expect.arrayContaining([
            { Key: 'Name', Value: 'ci-agents' },
            { Key: 'BuildkiteQueue', Value: 'builds' },
            { Key: 'CostCenter', Value: 'ci-1234' },
          ]),
        );
      }
      expect(groupProperties(maximal.template).Tags).toEqual(
        expect.arrayContaining([{ Key: 'CostCenter', Value: 'ci-1234', PropagateAtLaunch: true }]),
      );
      maximal.template.hasResourceProperties('AWS::S3::Bucket', {
        Tags: Match.arrayWith([{ Key: 'CostCenter', Value: 'ci-1234' }]),
      });
    });

    it('enables detailed monitoring', () => {
      expect(launchTemplateData(maximal.template).Monitoring).toEqual({ Enabled: true });
    });

    it('carries the agent settings to the instance through the boot contract', () => {
      const contract = parseBootContract(bootContractFromUserData(launchTemplateUserData(maximal.template)));
      expect(contract.agent).toMatchObject({
        queue: 'builds',
        agentsPerInstance: 4,
        tags: ['os=linux', 'size=large'],
        idleDisconnectTimeoutSeconds: 1200,
        token: { kind: 'ssm-parameter', name: TEST_TOKEN_PARAMETER },
      });
      expect(contract.docker).toMatchObject({
        userNamespaceRemap: false,
        experimental: true,
        addressPools: [
          { base: '10.200.0.0/16', size: 20 },
          { base: '10.201.0.0/16', size: 24 },
        ],
      });
    });
  });

  describe('with a warm pool', () => {
    let warm: SynthesizedFleet;
    beforeAll(() => {
      warm = synthFleet({
        instanceTypes: ['m7i.large'],
        warmPoolEnabled: true,
        warmPoolState: 'Hibernated',
        warmPoolMinSize: 2,
        warmPoolMaxGroupPreparedCapacity: 8,
        warmPoolReuseOnScaleIn: true,
      });
    }, SYNTH_TIMEOUT_MS);

    it('creates the warm pool in the chosen state with reuse on scale-in', () => {
      warm.template.hasResourceProperties('AWS::AutoScaling::WarmPool', {
        AutoScalingGroupName: { Ref: Match.stringLikeRegexp('^FleetAutoScalingGroup') },
        PoolState: 'Hibernated',
        MinSize: 2,
        MaxGroupPreparedCapacity: 8,
        InstanceReusePolicy: { ReuseOnScaleIn: true },
      });
    });

    it('launches from the template directly (AWS refuses warm pools with mixed instances) with hibernation', () => {
      expect(groupProperties(warm.template)).not.toHaveProperty('MixedInstancesPolicy');
      expect(groupProperties(warm.template).LaunchTemplate).toMatchObject({
        LaunchTemplateId: { Ref: expect.stringMatching(/^FleetLaunchTemplate/) },
      });
      expect(launchTemplateData(warm.template).HibernationOptions).toEqual({ Configured: true });
    });

    it('tells the instance about the warm pool and its launch hook', () => {
      const contract = parseBootContract(bootContractFromUserData(launchTemplateUserData(warm.template)));
      expect(contract.lifecycle.warmPoolEnabled).toBe(true);
      expect(contract.lifecycle.launchHookName).toBe('elastic-ci-launch');
    });

    it('holds a launching instance until its boot has prepared it: launch hook, 1800 s, ABANDON by default', () => {
      expect(groupProperties(warm.template).LifecycleHookSpecificationList).toEqual([
        expect.objectContaining({ LifecycleHookName: 'elastic-ci-drain' }),
        {
          LifecycleHookName: 'elastic-ci-launch',
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
          HeartbeatTimeout: 1800,
          DefaultResult: 'ABANDON',
        },
      ]);
      expect(warm.fleet.launchHookName).toBe('elastic-ci-launch');
    });
  });

  describe('with a VPC, security groups and an image of the user', () => {
    let brought: SynthesizedFleet;
    beforeAll(() => {
      brought = synthFleet({
        vpcId: 'vpc-0123456789abcdef0',
        subnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
        securityGroupIds: ['sg-0123456789abcdef0', 'sg-0fedcba9876543210'],
        associatePublicIpAddress: false,
        imageId: 'ami-0123456789abcdef0',
      });
    }, SYNTH_TIMEOUT_MS);

    it('launches into the given subnets and creates no network', () => {
      expect(groupProperties(brought.template).VPCZoneIdentifier).toEqual([
        'subnet-0aaaaaaaaaaaaaaa1',
        'subnet-0bbbbbbbbbbbbbbb2',
      ]);
      brought.template.resourceCountIs('AWS::EC2::VPC', 0);
      brought.template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    });

    it('attaches every given security group, without a public IP', () => {
      expect(launchTemplateData(brought.template).NetworkInterfaces).toEqual([
        expect.objectContaining({
          AssociatePublicIpAddress: false,
          Groups: ['sg-0123456789abcdef0', 'sg-0fedcba9876543210'],
        }),
      ]);
    });

    it('uses the AMI id as given', () => {
      expect(launchTemplateData(brought.template).ImageId).toBe('ami-0123456789abcdef0');
    });
  });

  it(
    'accepts a VPC object from the CDK app and picks its private subnets without public IPs',
    () => {
      // Prepare / Act
      const { template } = synthFleet((stack) => ({
        vpc: cdkUpcast<ec2.IVpc>(new ec2.Vpc(stack, 'AppVpc', { maxAzs: 2, natGateways: 1 })),
        associatePublicIpAddress: false,
      }));
      // Assess
      const zoneIdentifier = groupProperties(template).VPCZoneIdentifier as { Ref: string }[];
      expect(zoneIdentifier.map((subnet) => subnet.Ref)).toEqual([
        expect.stringMatching(/^AppVpcPrivateSubnet1/),
        expect.stringMatching(/^AppVpcPrivateSubnet2/),
      ]);
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'uses subnets and security groups given as CDK objects, an io2 root volume and standard CPU credits',
    () => {
      // Prepare / Act
      const { template } = synthFleet((stack) => {
        const vpc = cdkUpcast<ec2.IVpc>(new ec2.Vpc(stack, 'AppVpc', { maxAzs: 2, natGateways: 0 }));
        return {
          vpc,
          subnetIds: ['subnet-0aaaaaaaaaaaaaaa1'],
          securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'AppGroup', 'sg-0123456789abcdef0')],
          rootVolumeType: 'io2',
          rootVolumeIops: 4000,
          cpuCredits: 'standard',
        };
      });
      // Assess
      expect(groupProperties(template).VPCZoneIdentifier).toEqual(['subnet-0aaaaaaaaaaaaaaa1']);
      expect(launchTemplateData(template).NetworkInterfaces).toEqual([
        expect.objectContaining({ Groups: ['sg-0123456789abcdef0'] }),
      ]);
      template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
      expect(launchTemplateData(template)).toMatchObject({
        CreditSpecification: { CpuCredits: 'standard' },
        BlockDeviceMappings: [{ Ebs: { VolumeType: 'io2', Iops: 4000, Encrypted: true } }],
      });
      expect(JSON.stringify(launchTemplateData(template).BlockDeviceMappings)).not.toContain('Throughput');
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'refuses more subnets than an environment-agnostic stack has zones, instead of creating fewer',
    () => {
      expect(() => synthFleet({ publicSubnetCount: 3 })).toThrow(
        'publicSubnetCount 3 needs as many availability zones, but this stack knows 2; give availabilityZones, or deploy the stack with an env (account and region)',
      );
    },
    SYNTH_TIMEOUT_MS,
  );

  it('refuses invalid options with one error listing every problem', () => {
    // Act
    const build = () =>
      synthFleet({
        instanceTypes: ['m7g.large', 'c7i.large', 'q9.large'],
        minSize: 5,
        maxSize: 2,
        scheduledScalingActions: [{ name: 'Bad', schedule: '0 8 * *', timeZone: 'Mars/Olympus', minSize: 1 }],
      });
    // Assess
    expect(build).toThrow(AgentFleetValidationError);
    try {
      build();
    } catch (error) {
      const problems = (error as AgentFleetValidationError).problems;
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringContaining('unknown instance family "q9"'),
          expect.stringContaining('mix architectures'),
          expect.stringContaining('minSize 5 is greater than maxSize 2'),
          expect.stringContaining('has 4 fields'),
          expect.stringContaining('"Mars/Olympus"'),
        ]),
      );
      expect((error as Error).message).toContain(`${problems.length} problems`);
      expect((error as Error).name).toBe('AgentFleetValidationError');
    }
  });
});
