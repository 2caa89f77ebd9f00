import {
  type AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  RecordLifecycleActionHeartbeatCommand,
  SetInstanceHealthCommand,
  SetInstanceProtectionCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';

/**
 * The Auto Scaling calls the broker makes, each for one instance: the handler passes the caller's instance id, never
 * one from the request. Errors are the SDK's, unchanged (the handler classifies them by name).
 */
export interface BrokerAutoScalingPort {
  /** The group's tags (key → value), or `undefined` when no such group exists. */
  groupTags(autoScalingGroupName: string): Promise<ReadonlyMap<string, string> | undefined>;
  setInstanceProtection(autoScalingGroupName: string, instanceId: string, protectedFromScaleIn: boolean): Promise<void>;
  setInstanceUnhealthy(instanceId: string): Promise<void>;
  terminateInstance(instanceId: string, decrementDesiredCapacity: boolean): Promise<void>;
  recordLifecycleActionHeartbeat(call: LifecycleActionCall): Promise<void>;
  completeLifecycleAction(call: LifecycleActionCall & { lifecycleActionResult: 'CONTINUE' | 'ABANDON' }): Promise<void>;
}

/**
 * A lifecycle action is addressed by group, hook and instance only, never by token: Auto Scaling would act on the
 * token's instance, which a request could name (tokens travel in notifications other instances may read). An instance
 * waits in at most one action per hook, so the instance id alone identifies it.
 */
export interface LifecycleActionCall {
  autoScalingGroupName: string;
  lifecycleHookName: string;
  instanceId: string;
}

/** The SDK v3 adapter. */
export function createAutoScalingPort(client: AutoScalingClient): BrokerAutoScalingPort {
  return {
    async groupTags(autoScalingGroupName) {
      const { AutoScalingGroups } = await client.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [autoScalingGroupName] }),
      );
      const group = AutoScalingGroups?.find((candidate) => candidate.AutoScalingGroupName === autoScalingGroupName);
      if (!group) return undefined;
      return new Map(
        (group.Tags ?? []).flatMap((tag) => (tag.Key === undefined ? [] : [[tag.Key, tag.Value ?? ''] as const])),
      );
    },
    async setInstanceProtection(autoScalingGroupName, instanceId, protectedFromScaleIn) {
      await client.send(
        new SetInstanceProtectionCommand({
          AutoScalingGroupName: autoScalingGroupName,
          InstanceIds: [instanceId],
          ProtectedFromScaleIn: protectedFromScaleIn,
        }),
      );
    },
    async setInstanceUnhealthy(instanceId) {
      // ShouldRespectGracePeriod false: the instance itself knows it is broken, the grace period protects new ones
      // from health checks that fire too early, not from their own verdict.
      await client.send(
        new SetInstanceHealthCommand({
          InstanceId: instanceId,
          HealthStatus: 'Unhealthy',
          ShouldRespectGracePeriod: false,
        }),
      );
    },
    async terminateInstance(instanceId, decrementDesiredCapacity) {
      await client.send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: instanceId,
          ShouldDecrementDesiredCapacity: decrementDesiredCapacity,
        }),
      );
    },
    async recordLifecycleActionHeartbeat(call) {
      await client.send(
        new RecordLifecycleActionHeartbeatCommand({
          AutoScalingGroupName: call.autoScalingGroupName,
          LifecycleHookName: call.lifecycleHookName,
          InstanceId: call.instanceId,
        }),
      );
    },
    async completeLifecycleAction(call) {
      await client.send(
        new CompleteLifecycleActionCommand({
          AutoScalingGroupName: call.autoScalingGroupName,
          LifecycleHookName: call.lifecycleHookName,
          InstanceId: call.instanceId,
          LifecycleActionResult: call.lifecycleActionResult,
        }),
      );
    },
  };
}
