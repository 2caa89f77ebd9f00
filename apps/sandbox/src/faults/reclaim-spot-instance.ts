import {
  type AutoScalingClient,
  DescribeAutoScalingInstancesCommand,
  SetInstanceHealthCommand,
} from '@aws-sdk/client-auto-scaling';

/**
 * What AWS does at a spot interruption's deadline: the spot service takes the instance away and its group replaces
 * it. Said to moto as an unhealthy instance (the group replaces those): moto's TerminateInstanceInAutoScalingGroup
 * has answered 500 for an instance whose lifecycle action lifecycled had already completed, and an EC2-side
 * termination left its group broken.
 *
 * An instance that already left its group (scaled in once its agent stopped) has nothing left to reclaim, and moto's
 * SetInstanceHealth answers one with a 500 HTML page (its lookup of the group member raises). So membership is checked
 * first, and again when the call fails, in case the instance left in between. Resolves to whether it was reclaimed.
 */
export async function reclaimSpotInstance(autoScaling: AutoScalingClient, instanceId: string): Promise<boolean> {
  const inGroup = async () => {
    const found = await autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }));
    return (found.AutoScalingInstances ?? []).length > 0;
  };
  if (!(await inGroup())) return false;
  try {
    await autoScaling.send(
      new SetInstanceHealthCommand({
        InstanceId: instanceId,
        HealthStatus: 'Unhealthy',
        ShouldRespectGracePeriod: false,
      }),
    );
    return true;
  } catch (error) {
    if (await inGroup()) throw error;
    return false;
  }
}
