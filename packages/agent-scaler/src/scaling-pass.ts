import { BuildkiteApiError, type QueueMetricsResult, RateLimitedError } from '@elastic-ci/buildkite-api';
import type { Decision, DecisionInput, GroupState, InstanceView, QueueMetrics } from '@elastic-ci/scaler-core';
import type { Clock } from './clock';
import type { AgentScalerConfig } from './config';
import { LeaseExpiredError } from './errors';
import type { AutoScalingPort, GroupSnapshot, InstanceLaunchTimesPort, MutatingCallOptions } from './ports';
import type { QueueMetricsSource } from './queue-metrics-source';
import type { ScalerStateStore } from './scaler-state-store';
import type { Telemetry } from './telemetry';

export type PassTrigger = 'schedule' | 'webhook';

export interface ScalingPassDependencies {
  config: AgentScalerConfig;
  clock: Clock;
  metricsSource: QueueMetricsSource;
  autoScaling: AutoScalingPort;
  launchTimes: InstanceLaunchTimesPort;
  stateStore: ScalerStateStore;
  decide: (input: DecisionInput) => Decision;
  telemetry: Telemetry;
}

type Stage = 'metrics' | 'group' | 'state' | 'decide' | 'apply' | 'persist';

/** What became of the decision's warm-pool MinSize; absent when the policy is off or the metrics were stale. */
export type WarmPoolOutcome =
  | { status: 'updated'; previousMinSize: number; minSize: number }
  | { status: 'unchanged'; minSize: number }
  | { status: 'no-warm-pool'; minSize: number }
  | { status: 'failed'; minSize: number; error: string };

export type PassOutcome =
  | {
      status: 'applied' | 'unchanged';
      action: Decision['action'];
      previousDesired: number;
      desired: number;
      drained: string[];
      pollDurationMs: number | undefined;
      warmPool?: WarmPoolOutcome;
    }
  | {
      status: 'failed';
      stage: Stage;
      error: string;
      retryAfterMs: number | undefined;
      pollDurationMs: number | undefined;
    }
  | {
      /** Another container's pass held the group's scaling lease (or the lease store failed): nothing was read or done. */
      status: 'skipped';
      reason: 'lease-held' | 'lease-unavailable';
      attempts: number;
      waitedMs: number;
      pollDurationMs: undefined;
    };

export interface ScalingPassOptions {
  /**
   * Epoch ms after which the pass must not act: its scaling lease ends soon after, and another container may take it
   * over. Checked before every mutating call; `undefined` without a lease.
   */
  actBeforeMs?: number | undefined;
  /**
   * Epoch ms by which every mutating call must have ended, SDK retries included: a call still running then is
   * abandoned, so it cannot overlap a call of the container that takes the lease over. `undefined` without a lease.
   */
  callsEndByMs?: number | undefined;
}

/** Organisation slug last seen, for metrics of passes that failed before reading it. */
let lastOrganizationSlug = 'unknown';

/**
 * One scaling pass: queue metrics → group state → `decide` → act. Any failure before the decision ends the pass with
 * no action at all, so an error, a timeout or a malformed answer can never shrink the group. Scale-in removes only
 * the instances the core chose, and only after a last look confirms each one is still InService and unprotected
 * (an agent holds scale-in protection while it runs a job).
 */
export async function runScalingPass(
  deps: ScalingPassDependencies,
  trigger: PassTrigger,
  options: ScalingPassOptions = {},
): Promise<PassOutcome> {
  const { config, telemetry } = deps;
  const { actBeforeMs } = options;
  const bounded = { mustEndByMs: options.callsEndByMs };
  const ensureMayAct = () => {
    if (actBeforeMs === undefined) return;
    const nowMs = deps.clock.now();
    if (nowMs >= actBeforeMs) throw new LeaseExpiredError(config.groupName, nowMs - actBeforeMs);
  };
  const logger = telemetry.logger;
  let stage: Stage = 'metrics';
  let reading: QueueMetricsResult | undefined;
  try {
    reading = await deps.metricsSource.read();
    lastOrganizationSlug = reading.organizationSlug;
    for (const warning of reading.warnings) logger.warn(warning);

    stage = 'group';
    const snapshot = await deps.autoScaling.describeGroup(config.groupName);
    const nowMs = deps.clock.now();
    const group = await groupState(deps, snapshot, nowMs);

    stage = 'state';
    const state = await deps.stateStore.load();

    stage = 'decide';
    const metrics: QueueMetrics = {
      scheduledJobs: reading.jobs.scheduled,
      runningJobs: reading.jobs.running,
      waitingJobs: reading.jobs.waiting,
      idleAgents: reading.agents.idle,
      busyAgents: reading.agents.busy,
      totalAgents: reading.agents.total,
      // Read during this pass, just above; the core's stale-metrics guard still checks it.
      collectedAtMs: nowMs - reading.durationMs,
    };
    const decision = deps.decide({ config: config.scaler, nowMs, metrics, group, state });

    stage = 'apply';
    const applied = await applyDecision(deps, snapshot, decision, ensureMayAct, bounded);

    stage = 'persist';
    if (applied.changed) await deps.stateStore.save(decision.nextState);

    // Only once the pass has succeeded: a failed pass never touches the pool.
    const warmPool =
      typeof decision.warmPoolMinSize === 'number'
        ? await sizeWarmPool(deps, decision.warmPoolMinSize, ensureMayAct, bounded)
        : undefined;

    logger.info('scaling decision', {
      trigger,
      queue: config.queue,
      groupName: config.groupName,
      inputs: { metrics, group: summarizeGroup(group), state, nowMs },
      reasons: decision.reasons,
      action: decision.action,
      target: decision.target,
      previousDesired: snapshot.desired,
      desired: applied.desired,
      instancesToDrain: decision.instancesToDrain,
      drained: applied.drained,
      skippedDrains: applied.skipped,
      checkDanglingInstances: decision.checkDanglingInstances,
      changed: applied.changed,
      ...(warmPool === undefined ? {} : { warmPool }),
    });
    telemetry.publishPassMetrics({
      organizationSlug: reading.organizationSlug,
      queue: config.queue,
      jobs: reading.jobs,
      desiredCapacity: applied.desired,
      action: decision.action,
      drainedInstances: applied.drained.length,
      error: false,
    });
    return {
      status: applied.changed ? 'applied' : 'unchanged',
      action: decision.action,
      previousDesired: snapshot.desired,
      desired: applied.desired,
      drained: applied.drained,
      pollDurationMs: reading.pollDurationMs,
      ...(warmPool === undefined ? {} : { warmPool }),
    };
  } catch (error) {
    const retryAfterMs = error instanceof RateLimitedError ? error.retryAfterMs : undefined;
    logger.error('scaling pass failed; no scaling action taken', {
      trigger,
      stage,
      queue: config.queue,
      groupName: config.groupName,
      error: describeError(error),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
    telemetry.publishPassMetrics({
      organizationSlug: reading?.organizationSlug ?? lastOrganizationSlug,
      queue: config.queue,
      jobs: reading?.jobs,
      error: true,
    });
    return {
      status: 'failed',
      stage,
      error: describeError(error).message,
      retryAfterMs,
      pollDurationMs: reading?.pollDurationMs,
    };
  }
}

/**
 * Brings the warm pool's MinSize to the decision's, with PutWarmPool only when it differs. A failure here is logged
 * and reported, but does not undo the pass: the capacity decision is applied and its state persisted already, and
 * the next pass tries again.
 */
async function sizeWarmPool(
  deps: ScalingPassDependencies,
  minSize: number,
  ensureMayAct: () => void,
  bounded: MutatingCallOptions,
): Promise<WarmPoolOutcome> {
  const { autoScaling, config, telemetry } = deps;
  try {
    const current = await autoScaling.describeWarmPool(config.groupName);
    if (current === undefined) {
      telemetry.logger.warn('the warm-pool policy is on but the group has no warm pool: nothing to size', {
        groupName: config.groupName,
        minSize,
      });
      return { status: 'no-warm-pool', minSize };
    }
    if (current.minSize === minSize) return { status: 'unchanged', minSize };
    ensureMayAct();
    await autoScaling.putWarmPoolMinSize(config.groupName, current, minSize, bounded);
    return { status: 'updated', previousMinSize: current.minSize, minSize };
  } catch (error) {
    telemetry.logger.error('warm pool update failed; the capacity decision stands, the next pass retries', {
      groupName: config.groupName,
      minSize,
      error: describeError(error),
    });
    return { status: 'failed', minSize, error: describeError(error).message };
  }
}

async function groupState(deps: ScalingPassDependencies, snapshot: GroupSnapshot, nowMs: number): Promise<GroupState> {
  const state: GroupState = {
    desired: snapshot.desired,
    min: snapshot.min,
    max: snapshot.max,
    inService: snapshot.instances.filter((instance) => instance.lifecycleState === 'InService').length,
    pending: snapshot.instances.filter((instance) => instance.lifecycleState.startsWith('Pending')).length,
  };
  if (deps.config.scaler.scaleIn.strategy !== 'drain') return state;

  let launchTimes = new Map<string, number>();
  try {
    launchTimes = await deps.launchTimes.launchTimes(snapshot.instances.map((instance) => instance.id));
  } catch (error) {
    // Without launch times nothing can be judged old enough to drain: every instance counts as busy this pass.
    deps.telemetry.logger.warn('could not read instance launch times; no instance will be drained this pass', {
      error: describeError(error),
    });
  }
  const slots = Math.max(1, deps.config.scaler.agentsPerInstance);
  state.instances = snapshot.instances.map((instance): InstanceView => {
    const launchedAtMs = launchTimes.get(instance.id);
    const knownIdle = instance.protectedFromScaleIn === false && launchedAtMs !== undefined;
    return {
      id: instance.id,
      launchedAtMs: launchedAtMs ?? nowMs,
      lifecycleState: instance.lifecycleState,
      // Protection (or not knowing) means an agent may be running a job: unknown counts as busy, never drained.
      busyAgents: knownIdle ? 0 : Number.NaN,
      idleAgents: knownIdle ? slots : 0,
    };
  });
  return state;
}

interface AppliedDecision {
  changed: boolean;
  desired: number;
  drained: string[];
  skipped: string[];
}

async function applyDecision(
  deps: ScalingPassDependencies,
  snapshot: GroupSnapshot,
  decision: Decision,
  ensureMayAct: () => void,
  bounded: MutatingCallOptions,
): Promise<AppliedDecision> {
  const { autoScaling, config } = deps;
  const unchanged = { changed: false, desired: snapshot.desired, drained: [], skipped: [] };
  if (decision.action === 'hold') return unchanged;

  if (decision.action === 'scale-in' && decision.instancesToDrain.length > 0) {
    // Last look: an instance that picked up a job since the describe holds protection again and is left alone.
    const current = await autoScaling.describeInstances(decision.instancesToDrain);
    const drainable = new Set(
      current
        .filter((instance) => instance.lifecycleState === 'InService' && instance.protectedFromScaleIn === false)
        .map((instance) => instance.id),
    );
    const drained: string[] = [];
    const skipped = decision.instancesToDrain.filter((id) => !drainable.has(id));
    for (const id of decision.instancesToDrain) {
      if (!drainable.has(id)) continue;
      ensureMayAct();
      // Decrementing with the termination keeps the group from replacing the instance; no SetDesiredCapacity
      // follows, which would remove a second instance of the group's own choosing.
      await autoScaling.terminateInstanceAndDecrement(id, bounded);
      drained.push(id);
    }
    return { changed: drained.length > 0, desired: snapshot.desired - drained.length, drained, skipped };
  }

  if (decision.action === 'scale-in' && config.scaler.scaleIn.strategy === 'drain') {
    // The core asked to shrink without naming instances; with the drain strategy the group never picks its own victims.
    return unchanged;
  }
  if (decision.desired === snapshot.desired) return unchanged;
  ensureMayAct();
  await autoScaling.setDesiredCapacity(config.groupName, decision.desired, bounded);
  return { changed: true, desired: decision.desired, drained: [], skipped: [] };
}

function summarizeGroup(group: GroupState) {
  return {
    desired: group.desired,
    min: group.min,
    max: group.max,
    inService: group.inService,
    pending: group.pending,
    ...(group.instances
      ? {
          instances: group.instances.map((instance) => ({
            id: instance.id,
            lifecycleState: instance.lifecycleState,
            busy: !(instance.busyAgents === 0),
          })),
        }
      : {}),
  };
}

/** Name and message only: SDK errors carry request metadata that has no place in a log line. */
export function describeError(error: unknown): { name: string; message: string; retryable?: boolean } {
  if (error instanceof BuildkiteApiError)
    return { name: error.name, message: error.message, retryable: error.retryable };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: typeof error, message: String(error) };
}
