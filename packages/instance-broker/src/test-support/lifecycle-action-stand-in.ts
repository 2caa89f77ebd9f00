import { type LifecycleActionStandIn, startLifecycleActionStandIn } from '@elastic-ci/testing';

export interface PendingLifecycleAction {
  autoScalingGroupName: string;
  lifecycleHookName: string;
  instanceId: string;
  token: string;
}

export interface PendingLifecycleActionStandIn extends LifecycleActionStandIn {
  /** Actions waiting for completion; a completed one is removed. */
  readonly pending: PendingLifecycleAction[];
}

/**
 * The shared lifecycle-action stand-in (moto lacks CompleteLifecycleAction and RecordLifecycleActionHeartbeat) with a
 * table of pending actions, answered as Auto Scaling does: addressed by token when one is given (so a broker that
 * forwarded a token would reach the token's instance, which the tests must catch), else by group, hook and instance;
 * "No active Lifecycle Action found" when none matches.
 */
export async function startPendingLifecycleActionStandIn(
  motoEndpoint: string,
  pending: PendingLifecycleAction[],
): Promise<PendingLifecycleActionStandIn> {
  const standIn = await startLifecycleActionStandIn(motoEndpoint, {
    answer: ({ action, params }) => {
      const index = pending.findIndex((candidate) =>
        params.LifecycleActionToken
          ? candidate.token === params.LifecycleActionToken
          : candidate.instanceId === params.InstanceId &&
            candidate.lifecycleHookName === params.LifecycleHookName &&
            candidate.autoScalingGroupName === params.AutoScalingGroupName,
      );
      if (index < 0) return 'no-pending-action';
      if (action === 'CompleteLifecycleAction') pending.splice(index, 1);
      return 'done';
    },
  });
  return { ...standIn, pending };
}
