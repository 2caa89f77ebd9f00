import type { ScalerConfig } from './config.js';
import type { DemandHistory } from './forecast.js';
import type { WaitingMemory } from './waiting-release.js';

/** One reading of the queue (Buildkite `GET /metrics/queue`), with when it was read. */
export interface QueueMetrics {
  scheduledJobs: number;
  runningJobs: number;
  waitingJobs: number;
  idleAgents: number;
  busyAgents: number;
  totalAgents: number;
  /** When the metrics were read; the stale-metrics guard compares it with `nowMs`. */
  collectedAtMs: number;
}

export type InstanceLifecycleState =
  | 'Pending'
  | 'InService'
  | 'Terminating'
  | 'Terminated'
  | 'Detaching'
  | 'Standby'
  | 'Warmed:Pending'
  | 'Warmed:Stopped'
  | 'Warmed:Running'
  | 'Warmed:Hibernated'
  | (string & {});

export interface InstanceView {
  id: string;
  launchedAtMs: number;
  lifecycleState: InstanceLifecycleState;
  /** Agents on it running a job. Not a finite number (unknown) → treated as busy: never drained. */
  busyAgents: number;
  idleAgents: number;
  /** When its last agent became idle. */
  idleSinceMs?: number;
}

export interface GroupState {
  desired: number;
  min: number;
  max: number;
  /** Instances InService (Buildkite's `ActualCount`). */
  inService: number;
  /** Instances launching, not yet InService (in-flight capacity). */
  pending: number;
  /** Needed only for scaler-driven scale-in planning (`scaleIn.strategy: 'drain'`). */
  instances?: InstanceView[];
}

/** Memory of past actions, persisted by the caller between calls; the core keeps none. JSON-serialisable. */
export interface ScalerState {
  lastScaleOutAtMs?: number;
  lastScaleInAtMs?: number;
  /** Growth-throttle bucket level after the last launch it allowed. */
  throttleTokens?: number;
  /** When `throttleTokens` was last updated. */
  throttleUpdatedAtMs?: number;
  /** With `forecast.enabled`: the queue's demand history (bounded; see `serializeDemandHistory` for storage). */
  demandHistory?: DemandHistory;
  /** With `dependencies.enabled`: waiting-job cohorts and the learned wait lengths (bounded). */
  waitingMemory?: WaitingMemory;
  [key: string]: unknown;
}

export interface DecisionInput {
  config: ScalerConfig;
  nowMs: number;
  metrics: QueueMetrics;
  group: GroupState;
  state: ScalerState;
}

export type ScalingAction = 'scale-out' | 'scale-in' | 'hold';

export interface Decision {
  /** What to SetDesiredCapacity to (equals `group.desired` on hold). */
  desired: number;
  action: ScalingAction;
  /** Scaler-driven graceful scale-in: ids chosen to drain (never a busy instance). */
  instancesToDrain: string[];
  /** Human-readable, one per rule that shaped the result, in order. */
  reasons: string[];
  /** The input, echoed for the decision log record. */
  inputs: DecisionInput;
  /** Persist this and pass it back as `state` next time. */
  nextState: ScalerState;
  /** The capacity the policies asked for, after clamping, before cooldowns, factors, throttle and draining. */
  target: number;
  /**
   * Elastic CI mode only: instances are running but no agent reports, so the caller should probe for dangling
   * instances (Buildkite's `CleanupDanglingInstances`). Capacity is unchanged.
   */
  checkDanglingInstances: boolean;
  /**
   * With `warmPool.enabled`: the MinSize the group's warm pool should have now (`PutWarmPool` when it differs).
   * `null` when the policy is off, or the metrics are stale: leave the pool as it is.
   */
  warmPoolMinSize: number | null;
}
