import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  DetachInstancesCommand,
  SetInstanceHealthCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, EC2Client } from '@aws-sdk/client-ec2';
import { awsClientConfig } from '@elastic-ci/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { reclaimSpotInstance } from './reclaim-spot-instance';

let autoScaling: AutoScalingClient;
let instanceIds: string[];

beforeAll(async () => {
  // moto is reset per file, not per test: one two-instance group serves every test.
  const config = awsClientConfig();
  autoScaling = new AutoScalingClient(config);
  await new EC2Client(config).send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'spot-agents',
      LaunchTemplateData: { ImageId: 'ami-12c6146b', InstanceType: 't3.micro' },
    }),
  );
  await autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: 'spot-agents',
      LaunchTemplate: { LaunchTemplateName: 'spot-agents', Version: '$Latest' },
      MinSize: 0,
      MaxSize: 2,
      DesiredCapacity: 2,
      AvailabilityZones: ['us-east-1a'],
    }),
  );
  const groups = await autoScaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['spot-agents'] }),
  );
  instanceIds = (groups.AutoScalingGroups?.[0]?.Instances ?? []).map((instance) => instance.InstanceId ?? '');
  expect(instanceIds).toHaveLength(2);
});

const healthOf = async (instanceId: string) =>
  (await autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] })))
    .AutoScalingInstances?.[0]?.HealthStatus;

describe('reclaimSpotInstance (moto)', () => {
  it('marks an instance still in its group unhealthy, so the group replaces it', async () => {
    const [inGroup] = instanceIds as [string];
    expect(await healthOf(inGroup)).toMatch(/^healthy$/i);
    await expect(reclaimSpotInstance(autoScaling, inGroup)).resolves.toBe(true);
    expect(await healthOf(inGroup)).toMatch(/^unhealthy$/i);
  });

  it('leaves an instance that already left its group alone, where moto answers SetInstanceHealth with a 500', async () => {
    const [, scaledIn] = instanceIds as [string, string];
    await autoScaling.send(
      new DetachInstancesCommand({
        AutoScalingGroupName: 'spot-agents',
        InstanceIds: [scaledIn],
        ShouldDecrementDesiredCapacity: true,
      }),
    );
    // Why the check exists: moto's own answer for such an instance (an HTML error page the SDK cannot parse).
    await expect(
      autoScaling.send(
        new SetInstanceHealthCommand({
          InstanceId: scaledIn,
          HealthStatus: 'Unhealthy',
          ShouldRespectGracePeriod: false,
        }),
      ),
    ).rejects.toThrow();
    await expect(reclaimSpotInstance(autoScaling, scaledIn)).resolves.toBe(false);
  });
});
