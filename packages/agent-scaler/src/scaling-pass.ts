import { BuildkiteApiError, type QueueMetricsResult, RateLimitedError } from '@elastic-ci/buildkite-api';
import type { Decision, DecisionInput, GroupState, QueueMetrics, ScalerState } from '@elastic-ci/scaler-core';
import type { Clock } from './clock';
import type { AgentScalerConfig } from './config';
import { LeaseEndedDuringCallError, LeaseExpiredError } from './errors';
import { toInstanceView } from './instance-state';
import type {
  AutoScalingPort,
  GroupInstance,
  GroupSnapshot,
  InstanceDetails,
  InstanceDetailsPort,
  MutatingCallOptions,
} from './ports';
import type { QueueMetricsSource } from './queue-metrics-source';
import type { ScalerStateStore } from './scaler-state-store';
import type { Telemetry } from './telemetry';
import { findZombies, type Zombie } from './zombie-probe';

export type PassTrigger = 'schedule' | 'webhook';

export interface ScalingPassDependencies {
  config: AgentScalerConfig;
  clock: Clock;
  metricsSource: QueueMetricsSource;
  autoScaling: AutoScalingPort;
  instanceDetails: InstanceDetailsPort;
  /**
   * The container's memory for the zombie check: instance id → when a pass first saw it without a running agent.
   * Starts empty with every container.
   */
  zombieSightings: Map<string, number>;
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

/** What the zombie check did this pass; absent when it is off or instance details could not be read. */
export interface ZombieOutcome {
  /** Marked unhealthy: the group replaces them. */
  replaced: string[];
  /** Zombies beyond `ZOMBIE_MAX_PER_PASS`, left for the next passes. */
  deferred: string[];
  /** Chosen, but the last look found them protected or no longer InService. */
  skipped: string[];
  /** The call failed (logged); the next pass looks again. */
  error?: string;
}

export type PassOutcome =
  | {
      status: 'applied' | 'unchanged';
      action: Decision['action'];
      previousDesired: number;
      desired: number;
      drained: string[];
      pollDurationMs: number | undefined;
      warmPool?: WarmPoolOutcome;
      zombies?: ZombieOutcome;
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

/** The organisation slug the last metrics read named (`unknown` before one), for a metrics record without a read. */
export function lastSeenOrganizationSlug(): string {
  return lastOrganizationSlug;
}

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
  const ensureMayWriteState = () => {
    if (options.callsEndByMs === undefined) return;
    const nowMs = deps.clock.now();
    if (nowMs >= options.callsEndByMs) throw new LeaseExpiredError(config.groupName, nowMs - options.callsEndByMs);
  };
  const logger = telemetry.logger;
  let stage: Stage = 'metrics';
  let reading: QueueMetricsResult | undefined;
  // What the pass changed in AWS so far, for the failure record: a failure after a termination or a capacity call
  // must not be logged as a pass that did nothing.
  let decided: Decision | undefined;
  let applied: AppliedDecision | undefined;
  const drainedBeforeFailure: string[] = [];
  try {
    reading = await deps.metricsSource.read();
    // Dated when the read ended, not after the group read below: a slow DescribeAutoScalingGroups must not make the
    // metrics look fresher than they are (the stale-metrics guard judges this time).
    const metricsCollectedAtMs = deps.clock.now() - reading.durationMs;
    lastOrganizationSlug = reading.organizationSlug;
    for (const warning of reading.warnings) logger.warn(warning);

    stage = 'group';
    const snapshot = await deps.autoScaling.describeGroup(config.groupName);
    const nowMs = deps.clock.now();
    const { group, details } = await groupState(deps, snapshot, nowMs);

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
      collectedAtMs: metricsCollectedAtMs,
    };
    const decision = deps.decide({ config: config.scaler, nowMs, metrics, group, state });
    decided = decision;

    stage = 'apply';
    applied = await applyDecision(deps, snapshot, decision, ensureMayAct, bounded, drainedBeforeFailure);

    stage = 'persist';
    // The learned memories (demand history, waiting jobs) are kept after every pass; the scale-event times only
    // after an action that took effect.
    const nextState = applied.changed ? decision.nextState : withLearnedMemories(state, decision.nextState);
    if (nextState !== state) {
      // The state parameter is shared with the next lease holder: a write after the lease would replace the state
      // that holder wrote (its scale times, its learned memories) with this pass's older one. Unlike an action it
      // may start after the act deadline (the action it records may have ended just before), but not after its
      // calls must have ended.
      ensureMayWriteState();
      await deps.stateStore.save(nextState, bounded);
    }

    // Only once the pass has succeeded: a failed pass never touches the pool.
    const warmPool =
      typeof decision.warmPoolMinSize === 'number'
        ? await sizeWarmPool(deps, decision.warmPoolMinSize, ensureMayAct, bounded)
        : undefined;

    const zombies =
      config.zombieCheck !== undefined && details !== undefined
        ? await replaceZombies(
            deps,
            snapshot.instances,
            details,
            new Set(applied.drained),
            nowMs,
            ensureMayAct,
            bounded,
          )
        : undefined;

    logger.info('scaling decision', {
      trigger,
      queue: config.queue,
      groupName: config.groupName,
      inputs: { metrics, group: summarizeGroup(group), state: summarizeState(state), nowMs },
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
      ...(zombies === undefined ? {} : { zombies }),
    });
    telemetry.publishPassMetrics({
      organizationSlug: reading.organizationSlug,
      queue: config.queue,
      jobs: reading.jobs,
      desiredCapacity: applied.desired,
      action: decision.action,
      drainedInstances: applied.drained.length,
      ...(zombies === undefined ? {} : { zombieInstancesReplaced: zombies.replaced.length }),
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
      ...(zombies === undefined ? {} : { zombies }),
    };
  } catch (error) {
    const retryAfterMs = error instanceof RateLimitedError ? error.retryAfterMs : undefined;
    logger.error(failureMessageOf(stage), {
      trigger,
      stage,
      queue: config.queue,
      groupName: config.groupName,
      error: describeError(error),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      ...(stage === 'apply' && decided !== undefined
        ? {
            action: decided.action,
            target: decided.target,
            reasons: decided.reasons,
            drainedBeforeFailure: [...drainedBeforeFailure],
          }
        : {}),
      ...(stage === 'persist' && decided !== undefined && applied !== undefined
        ? {
            action: decided.action,
            target: decided.target,
            reasons: decided.reasons,
            desired: applied.desired,
            drained: applied.drained,
            changed: applied.changed,
          }
        : {}),
    });
    telemetry.publishPassMetrics({
      organizationSlug: reading?.organizationSlug ?? lastOrganizationSlug,
      queue: config.queue,
      jobs: reading?.jobs,
      // A pass that failed while or after acting still changed the group: its metrics say what took effect, as its
      // log record does (instances terminated before the failure; the action and capacity that stand).
      ...(stage === 'apply' && decided !== undefined
        ? { action: decided.action, drainedInstances: drainedBeforeFailure.length }
        : {}),
      ...(stage === 'persist' && decided !== undefined && applied !== undefined
        ? { action: decided.action, desiredCapacity: applied.desired, drainedInstances: applied.drained.length }
        : {}),
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

/**
 * The group as the core sees it, and the EC2 details (launch times, instance tags) read for it: only with the drain
 * strategy or the zombie check, which need them. `details` is `undefined` when they were not needed or not readable.
 */
async function groupState(
  deps: ScalingPassDependencies,
  snapshot: GroupSnapshot,
  nowMs: number,
): Promise<{ group: GroupState; details: Map<string, InstanceDetails> | undefined }> {
  const group: GroupState = {
    desired: snapshot.desired,
    min: snapshot.min,
    max: snapshot.max,
    inService: snapshot.instances.filter((instance) => instance.lifecycleState === 'InService').length,
    pending: snapshot.instances.filter((instance) => instance.lifecycleState.startsWith('Pending')).length,
  };
  const draining = deps.config.scaler.scaleIn.strategy === 'drain';
  if (!draining && deps.config.zombieCheck === undefined) return { group, details: undefined };

  let details: Map<string, InstanceDetails> | undefined;
  try {
    details = await deps.instanceDetails.describeInstances(snapshot.instances.map((instance) => instance.id));
  } catch (error) {
    // Without launch times and tags nothing can be judged idle, old or dead: every instance counts as busy this pass.
    deps.telemetry.logger.warn(
      'could not read instance launch times and tags; no instance will be drained or replaced this pass',
      { error: describeError(error) },
    );
  }
  if (draining) {
    group.instances = snapshot.instances.map((instance) =>
      toInstanceView(instance, details?.get(instance.id), nowMs, deps.config.scaler.agentsPerInstance),
    );
  }
  return { group, details };
}

/**
 * The zombie check: marks unhealthy (the group replaces them) the instances {@link findZombies} chooses, after a
 * last look confirms each is still InService and unprotected. One log record per replaced instance. A failure ends
 * the check for this pass without undoing the pass; the next pass looks again.
 */
async function replaceZombies(
  deps: ScalingPassDependencies,
  instances: readonly GroupInstance[],
  details: ReadonlyMap<string, InstanceDetails>,
  drained: ReadonlySet<string>,
  nowMs: number,
  ensureMayAct: () => void,
  bounded: MutatingCallOptions,
): Promise<ZombieOutcome> {
  const { autoScaling, config, telemetry } = deps;
  const settings = config.zombieCheck;
  const outcome: ZombieOutcome = { replaced: [], deferred: [], skipped: [] };
  if (settings === undefined) return outcome;
  const findings = findZombies(
    instances.filter((instance) => !drained.has(instance.id)),
    details,
    deps.zombieSightings,
    nowMs,
    settings,
  );
  outcome.deferred = findings.deferred;
  if (findings.zombies.length === 0) return outcome;
  try {
    // Last look: an instance whose agent took a job since the describe holds protection again and is left alone.
    const current = await autoScaling.describeInstances(findings.zombies.map((zombie) => zombie.id));
    const replaceable = new Set(
      current
        .filter((instance) => instance.lifecycleState === 'InService' && instance.protectedFromScaleIn === false)
        .map((instance) => instance.id),
    );
    for (const zombie of findings.zombies) {
      if (!replaceable.has(zombie.id)) {
        outcome.skipped.push(zombie.id);
        continue;
      }
      ensureMayAct();
      await autoScaling.setInstanceUnhealthy(zombie.id, bounded);
      deps.zombieSightings.delete(zombie.id);
      outcome.replaced.push(zombie.id);
      telemetry.logger.warn('zombie instance marked unhealthy; the group replaces it', zombieRecord(zombie, config));
    }
  } catch (error) {
    const stoppedByLease = error instanceof LeaseExpiredError || error instanceof LeaseEndedDuringCallError;
    telemetry.logger.error(
      stoppedByLease
        ? 'zombie check stopped: the scaling lease ends; the next pass continues'
        : 'zombie check failed; the next pass looks again',
      { groupName: config.groupName, replaced: outcome.replaced, error: describeError(error) },
    );
    outcome.error = describeError(error).message;
  }
  return outcome;
}

function zombieRecord(zombie: Zombie, config: AgentScalerConfig) {
  return {
    groupName: config.groupName,
    instanceId: zombie.id,
    reason: zombie.reason,
    ...(zombie.agentState === undefined ? {} : { agentState: zombie.agentState }),
    launchedAt: new Date(zombie.launchedAtMs).toISOString(),
    notRunningSince: new Date(zombie.notRunningSinceMs).toISOString(),
    gracePeriodMs: config.zombieCheck?.gracePeriodMs,
  };
}

interface AppliedDecision {
  changed: boolean;
  desired: number;
  drained: string[];
  skipped: string[];
}

/**
 * The failure record's message: true to what the pass changed. Before the decision is applied nothing was; while it
 * is applied some instances may already be terminated (listed) or the capacity call may have reached AWS; after it,
 * only the state write failed and the action stands.
 */
function failureMessageOf(stage: Stage): string {
  switch (stage) {
    case 'apply':
      return 'scaling pass failed while applying its decision; what took effect before the failure is in drainedBeforeFailure (a capacity call that failed may still have reached AWS)';
    case 'persist':
      return 'scaling pass failed after its action: the action stands, the scaler state was not saved';
    default:
      return 'scaling pass failed; no scaling action taken';
  }
}

/** Acts on the decision; `drained` receives each instance as its termination succeeds (a failure may come after). */
async function applyDecision(
  deps: ScalingPassDependencies,
  snapshot: GroupSnapshot,
  decision: Decision,
  ensureMayAct: () => void,
  bounded: MutatingCallOptions,
  drained: string[],
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
    const skipped = decision.instancesToDrain.filter((id) => !drainable.has(id));
    for (const id of decision.instancesToDrain) {
      if (!drainable.has(id)) continue;
      ensureMayAct();
      // Decrementing with the termination keeps the group from replacing the instance; no SetDesiredCapacity
      // follows, which would remove a second instance of the group's own choosing.
      await autoScaling.terminateInstanceAndDecrement(id, bounded);
      drained.push(id);
    }
    return { changed: drained.length > 0, desired: snapshot.desired - drained.length, drained: [...drained], skipped };
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

/** `state` with the memories `decision` learned (and nothing else of it), or `state` itself when they are unchanged. */
function withLearnedMemories(state: ScalerState, next: ScalerState): ScalerState {
  if (next.demandHistory === state.demandHistory && next.waitingMemory === state.waitingMemory) return state;
  const merged: ScalerState = { ...state };
  if (next.demandHistory !== undefined) merged.demandHistory = next.demandHistory;
  if (next.waitingMemory !== undefined) merged.waitingMemory = next.waitingMemory;
  return merged;
}

/** The state for the decision log: the demand history (672 slots) only as the slot it was last recorded in. */
function summarizeState(state: ScalerState) {
  const { demandHistory, ...rest } = state;
  return demandHistory === undefined ? rest : { ...rest, demandHistory: { lastSlot: demandHistory.lastSlot } };
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
            ...(instance.idleSinceMs === undefined ? {} : { idleSinceMs: instance.idleSinceMs }),
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
