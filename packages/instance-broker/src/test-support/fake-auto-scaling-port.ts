import type { BrokerAutoScalingPort, LifecycleActionCall } from '../auto-scaling-port';

export type RecordedCall =
  | { operation: 'groupTags'; autoScalingGroupName: string }
  | {
      operation: 'setInstanceProtection';
      autoScalingGroupName: string;
      instanceId: string;
      protectedFromScaleIn: boolean;
    }
  | { operation: 'setInstanceUnhealthy'; instanceId: string }
  | { operation: 'terminateInstance'; instanceId: string; decrementDesiredCapacity: boolean }
  | ({ operation: 'recordLifecycleActionHeartbeat' } & LifecycleActionCall)
  | ({ operation: 'completeLifecycleAction'; lifecycleActionResult: 'CONTINUE' | 'ABANDON' } & LifecycleActionCall);

/**
 * Auto Scaling for handler unit tests: groups with tags, every call recorded, and a next failure to throw (an object
 * shaped like the SDK's errors).
 */
export class FakeAutoScalingPort implements BrokerAutoScalingPort {
  readonly calls: RecordedCall[] = [];
  readonly groups = new Map<string, Map<string, string>>();
  /** Thrown by the next action call (not by groupTags), then cleared. */
  nextActionError: unknown;
  /** Thrown by every groupTags call while set. */
  groupTagsError: unknown;

  withGroup(name: string, tags: Record<string, string>): this {
    this.groups.set(name, new Map(Object.entries(tags)));
    return this;
  }

  get actionCalls(): RecordedCall[] {
    return this.calls.filter((call) => call.operation !== 'groupTags');
  }

  async groupTags(autoScalingGroupName: string) {
    this.calls.push({ operation: 'groupTags', autoScalingGroupName });
    if (this.groupTagsError !== undefined) throw this.groupTagsError;
    return this.groups.get(autoScalingGroupName);
  }
  async setInstanceProtection(autoScalingGroupName: string, instanceId: string, protectedFromScaleIn: boolean) {
    this.#act({ operation: 'setInstanceProtection', autoScalingGroupName, instanceId, protectedFromScaleIn });
  }
  async setInstanceUnhealthy(instanceId: string) {
    this.#act({ operation: 'setInstanceUnhealthy', instanceId });
  }
  async terminateInstance(instanceId: string, decrementDesiredCapacity: boolean) {
    this.#act({ operation: 'terminateInstance', instanceId, decrementDesiredCapacity });
  }
  async recordLifecycleActionHeartbeat(call: LifecycleActionCall) {
    this.#act({ operation: 'recordLifecycleActionHeartbeat', ...call });
  }
  async completeLifecycleAction(call: LifecycleActionCall & { lifecycleActionResult: 'CONTINUE' | 'ABANDON' }) {
    this.#act({ operation: 'completeLifecycleAction', ...call });
  }

  #act(call: RecordedCall): void {
    this.calls.push(call);
    const error = this.nextActionError;
    this.nextActionError = undefined;
    if (error !== undefined) throw error;
  }
}

/** An error shaped like the SDK v3's service exceptions. */
export function awsError(
  name: string,
  message: string,
  options: { httpStatusCode?: number; fault?: 'client' | 'server' } = {},
): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: options.fault ?? 'client',
    $metadata: { httpStatusCode: options.httpStatusCode ?? 400 },
  });
}
