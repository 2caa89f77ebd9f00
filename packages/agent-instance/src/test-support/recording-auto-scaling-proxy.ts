// Test support: the shared lifecycle-action stand-in in front of moto, as the boot's tests need it.
import { appendFileSync } from 'node:fs';
import { type LifecycleActionStandIn, startLifecycleActionStandIn } from '@elastic-ci/testing';

export type RecordingAutoScalingProxy = LifecycleActionStandIn;

/**
 * moto (5.2) has lifecycle hooks but no CompleteLifecycleAction: the stand-in answers that one call and records it
 * (the boot makes no heartbeat); every other request goes to moto unchanged.
 * @param motoEndpoint where everything else goes
 * @param timelineFile when given, each answered call is appended to it as one line (`aws <Action> <hook> <result>`),
 *   so a test can see it in order with what the systemctl stand-in appends to the same file
 */
export function startRecordingAutoScalingProxy(
  motoEndpoint: string,
  timelineFile?: string,
  options: {
    /** Answer CompleteLifecycleAction as Auto Scaling does for an instance that waits in no lifecycle action. */
    readonly noPendingAction?: boolean;
  } = {},
): Promise<RecordingAutoScalingProxy> {
  return startLifecycleActionStandIn(motoEndpoint, {
    calls: ['CompleteLifecycleAction'],
    answer: ({ action, params }) => {
      if (timelineFile !== undefined) {
        appendFileSync(timelineFile, `aws ${action} ${params.LifecycleHookName} ${params.LifecycleActionResult}\n`);
      }
      return options.noPendingAction === true ? 'no-pending-action' : 'done';
    },
  });
}
