/**
 * The port between the fleet model and whatever decides desired capacity. The simulator only ever talks to a
 * `ScalingPolicy`; `scaler-core-policy.ts` adapts scaler-core's `decide` to it, tests plug in tiny hand-written ones.
 */

/** What the Buildkite agent metrics API would report for the simulated queue. */
export interface QueueObservation {
  readonly scheduledJobs: number;
  readonly runningJobs: number;
  readonly waitingJobs: number;
  readonly idleAgents: number;
  readonly busyAgents: number;
  readonly totalAgents: number;
}

/** One instance of the group as DescribeAutoScalingGroups plus the agents on it would show it. */
export interface InstanceObservation {
  readonly id: string;
  readonly launchedAtSec: number;
  /** AWS lifecycle state: `Pending`, `InService`, `Terminating`. Warm-pool instances are not listed. */
  readonly lifecycleState: 'Pending' | 'InService' | 'Terminating';
  readonly busyAgents: number;
  readonly idleAgents: number;
  /** When its last agent became idle; absent while any agent is busy or none is registered yet. */
  readonly idleSinceSec?: number;
}

export interface GroupObservation {
  readonly desired: number;
  readonly min: number;
  readonly max: number;
  readonly inService: number;
  readonly pending: number;
  /** Instances stopped in the warm pool, ready to resume. */
  readonly warmStopped: number;
  /** Built on first access: most policies never read it. */
  readonly instances: readonly InstanceObservation[];
}

export interface FleetObservation {
  /** Seconds since the trace start. */
  readonly nowSec: number;
  /** `nowSec` as wall-clock epoch milliseconds (trace start + nowSec). */
  readonly nowMs: number;
  readonly queue: QueueObservation;
  readonly group: GroupObservation;
}

export interface ScalingDecision {
  /** Desired capacity after this decision, counting the drains below. Equal to `group.desired` to hold. */
  readonly desired: number;
  /**
   * Instances to remove gracefully, each with TerminateInstanceInAutoScalingGroup(decrement desired): the lifecycle
   * hook lets a busy agent finish its job first.
   */
  readonly instancesToDrain?: readonly string[];
  /**
   * The warm pool's MinSize from now on (PutWarmPool); `null` or absent leaves it as it is. What AWS then keeps in the
   * pool (`max(MinSize, MaxGroupPreparedCapacity − desired)`, resumes, reuse on scale-in) is the simulator's model.
   */
  readonly warmPoolMinSize?: number | null;
}

export interface ScalingPolicy {
  decide(observation: FleetObservation): ScalingDecision;
}
