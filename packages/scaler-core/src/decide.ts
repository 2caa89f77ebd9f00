import type { ScalerConfig } from './config.js';
import { type InputIssue, InvalidInputError } from './errors.js';
import {
  type DemandHistory,
  emptyDemandHistory,
  forecast,
  isDemandHistory,
  MIN_RECURRENCE_FOR_ONE_SIGHTING,
  MIN_RECURRENCE_FOR_TWO_SIGHTINGS,
  ONE_SIGHTING_TRUSTED_AGENTS,
  recordDemand,
  releasedRecentPeak,
} from './forecast.js';
import { note, Reason, type ReasonTrace, renderReasons } from './reasons.js';
import { planScaleIn } from './scale-in-plan.js';
import { evaluateStepScaling, findStepAdjustment } from './step-adjustments.js';
import type { Decision, DecisionInput, ScalerState, ScalingAction } from './types.js';
import {
  dueWaitingJobs,
  emptyWaitingMemory,
  isWaitingMemory,
  recordWaiting,
  typicalBlockSec,
  type WaitingMemory,
} from './waiting-release.js';

const MS_PER_SECOND = 1000;

/** The state to start from: no scale event seen yet, a full growth-throttle bucket. */
export function initialScalerState(): ScalerState {
  return {};
}

// `x >>> 0 === x` holds exactly for integers in [0, 2^32): fast, and false for NaN, ±Infinity and non-numbers.
const isCount = (value: unknown): boolean => (value as number) >>> 0 === value;
const isInstant = (value: unknown): boolean =>
  typeof value === 'number' && value >= 0 && value < Number.POSITIVE_INFINITY;
const isOptionalInstant = (value: unknown): boolean => value === undefined || isInstant(value);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

const COUNT_FIELDS = {
  metrics: ['scheduledJobs', 'runningJobs', 'waitingJobs', 'idleAgents', 'busyAgents', 'totalAgents'],
  group: ['desired', 'min', 'max', 'inService', 'pending'],
} as const;
const STATE_FIELDS = ['lastScaleOutAtMs', 'lastScaleInAtMs', 'throttleTokens', 'throttleUpdatedAtMs'] as const;

/** Agent counts may be NaN (unknown: never drained), but must be numbers; times must be real instants. */
function isValidInstance(instance: unknown): boolean {
  return (
    isObject(instance) &&
    typeof instance.id === 'string' &&
    typeof instance.lifecycleState === 'string' &&
    isInstant(instance.launchedAtMs) &&
    isOptionalInstant(instance.idleSinceMs) &&
    typeof instance.busyAgents === 'number' &&
    typeof instance.idleAgents === 'number'
  );
}

function areValidInstances(instances: unknown): boolean {
  if (!Array.isArray(instances)) return false;
  for (const instance of instances) if (!isValidInstance(instance)) return false;
  return true;
}

/** The cheap check run on every call; `inputIssues` explains a failure. */
function isValidInput(input: DecisionInput): boolean {
  if (!isObject(input)) return false;
  const { metrics, group, state } = input;
  return (
    isObject(input.config) &&
    isInstant(input.nowMs) &&
    isObject(metrics) &&
    isCount(metrics.scheduledJobs) &&
    isCount(metrics.runningJobs) &&
    isCount(metrics.waitingJobs) &&
    isCount(metrics.idleAgents) &&
    isCount(metrics.busyAgents) &&
    isCount(metrics.totalAgents) &&
    isInstant(metrics.collectedAtMs) &&
    isObject(group) &&
    isCount(group.desired) &&
    isCount(group.min) &&
    isCount(group.max) &&
    isCount(group.inService) &&
    isCount(group.pending) &&
    group.min <= group.max &&
    (group.instances === undefined || areValidInstances(group.instances)) &&
    isObject(state) &&
    isOptionalInstant(state.lastScaleOutAtMs) &&
    isOptionalInstant(state.lastScaleInAtMs) &&
    isOptionalInstant(state.throttleTokens) &&
    isOptionalInstant(state.throttleUpdatedAtMs)
  );
}

/** Every problem with a decision input, with its path. */
export function inputIssues(input: DecisionInput): InputIssue[] {
  const issues: InputIssue[] = [];
  const candidate = (isObject(input) ? input : {}) as Record<string, unknown>;
  if (!isObject(candidate.config)) issues.push({ path: 'config', message: 'must be a parsed ScalerConfig' });
  if (!isInstant(candidate.nowMs)) issues.push({ path: 'nowMs', message: 'must be a finite, non-negative epoch time' });
  for (const section of ['metrics', 'group'] as const) {
    const value = candidate[section];
    if (!isObject(value)) {
      issues.push({ path: section, message: 'must be an object' });
      continue;
    }
    for (const field of COUNT_FIELDS[section]) {
      if (!isCount(value[field])) {
        issues.push({
          path: `${section}.${field}`,
          message: `must be an integer in [0, 2^32), got ${String(value[field])}`,
        });
      }
    }
    if (section === 'metrics' && !isInstant(value.collectedAtMs)) {
      issues.push({ path: 'metrics.collectedAtMs', message: 'must be a finite, non-negative epoch time' });
    }
    if (section === 'group') {
      if (isCount(value.min) && isCount(value.max) && (value.min as number) > (value.max as number)) {
        issues.push({ path: 'group.min', message: `min (${value.min}) must not exceed max (${value.max})` });
      }
      if (value.instances !== undefined && !Array.isArray(value.instances)) {
        issues.push({ path: 'group.instances', message: 'must be an array when given' });
      } else if (value.instances !== undefined) {
        (value.instances as unknown[]).forEach((instance, index) => {
          if (!isValidInstance(instance)) {
            issues.push({
              path: `group.instances[${index}]`,
              message:
                'needs a string id and lifecycleState, launchedAtMs (and idleSinceMs when given) as epoch times, numeric busyAgents and idleAgents',
            });
          }
        });
      }
    }
  }
  const state = candidate.state;
  if (!isObject(state)) {
    issues.push({ path: 'state', message: 'must be an object (initialScalerState() to start)' });
  } else {
    for (const field of STATE_FIELDS) {
      if (!isOptionalInstant(state[field])) {
        issues.push({ path: `state.${field}`, message: `must be a finite, non-negative number when given` });
      }
    }
  }
  return issues;
}

/** Buildkite's `perInstance`: agents → instances, rounding up; ≤ 0 agents per instance means one per job, uncapped. */
function instancesFor(agents: number, agentsPerInstance: number, maxInstanceCap: number): number {
  if (agentsPerInstance <= 0) return agents;
  const instances = Math.ceil(agents / agentsPerInstance);
  return maxInstanceCap > 0 && instances > maxInstanceCap ? maxInstanceCap : instances;
}

/** The last matching scheduled minimum, or -1 when none matches. */
function scheduledMinimum(config: ScalerConfig, nowMs: number): number {
  const schedules = config.scheduledMinimums;
  for (let index = schedules.length - 1; index >= 0; index--) {
    const schedule = schedules[index] as ScalerConfig['scheduledMinimums'][number];
    if (schedule.cron.matches(schedule.timezone.wallClock(nowMs))) return schedule.minSize;
  }
  return -1;
}

/** Idle job slots to keep: the last matching period's values, else the base values (GitLab semantics). */
function idleSlotTarget(config: ScalerConfig, nowMs: number, inUseSlots: number): number {
  const pool = config.idlePool;
  let values: { idleCount: number; idleScaleFactor: number; idleCountMin: number } = pool;
  for (let index = pool.periods.length - 1; index >= 0; index--) {
    const period = pool.periods[index] as ScalerConfig['idlePool']['periods'][number];
    if (period.cron.matches(period.timezone.wallClock(nowMs))) {
      values = period;
      break;
    }
  }
  if (values.idleScaleFactor <= 0) return values.idleCount;
  // The epsilon keeps 1.1 × 10 at 11 despite binary floating point.
  const scaled = Math.ceil(values.idleScaleFactor * inUseSlots - 1e-9);
  return Math.min(values.idleCount, Math.max(values.idleCountMin, scaled));
}

function stepMetricValue(input: DecisionInput): number {
  const { metrics, group } = input;
  switch ((input.config.stepScaling as NonNullable<ScalerConfig['stepScaling']>).metric) {
    case 'scheduledJobs':
      return metrics.scheduledJobs;
    case 'pendingJobs':
      return metrics.scheduledJobs + metrics.waitingJobs;
    case 'backlogPerInstance':
      return metrics.scheduledJobs / Math.max(1, group.desired);
    default:
      return metrics.totalAgents > 0 ? (100 * metrics.busyAgents) / metrics.totalAgents : 0;
  }
}

/**
 * The decision record; a class so creating one is cheap. `reasons` is rendered from the trace on first read (a
 * getter, so `{ ...decision }` leaves it out: read it, or use `JSON.stringify(decision)`, whose `toJSON` includes it).
 */
class ScalingDecision implements Decision {
  readonly desired: number;
  readonly action: ScalingAction;
  readonly instancesToDrain: string[];
  readonly inputs: DecisionInput;
  nextState: ScalerState;
  readonly target: number;
  readonly checkDanglingInstances: boolean;
  warmPoolMinSize: number | null;
  readonly #trace: ReasonTrace;
  #reasons: string[] | undefined;

  constructor(
    input: DecisionInput,
    action: ScalingAction,
    desired: number,
    target: number,
    trace: ReasonTrace,
    nextState: ScalerState,
    instancesToDrain: string[],
    checkDanglingInstances: boolean,
    warmPoolMinSize: number | null,
  ) {
    this.desired = desired;
    this.action = action;
    this.instancesToDrain = instancesToDrain;
    this.inputs = input;
    this.nextState = nextState;
    this.target = target;
    this.checkDanglingInstances = checkDanglingInstances;
    this.warmPoolMinSize = warmPoolMinSize;
    this.#trace = trace;
  }

  get reasons(): string[] {
    this.#reasons ??= renderReasons(this.#trace, this.inputs.config);
    return this.#reasons;
  }

  toJSON(): Decision {
    return {
      desired: this.desired,
      action: this.action,
      instancesToDrain: this.instancesToDrain,
      reasons: this.reasons,
      inputs: this.inputs,
      nextState: this.nextState,
      target: this.target,
      checkDanglingInstances: this.checkDanglingInstances,
      warmPoolMinSize: this.warmPoolMinSize,
    };
  }
}

function decision(
  input: DecisionInput,
  action: ScalingAction,
  desired: number,
  target: number,
  trace: ReasonTrace,
  nextState: ScalerState,
  instancesToDrain: string[] = [],
  checkDanglingInstances = false,
): Decision {
  return new ScalingDecision(
    input,
    action,
    desired,
    target,
    trace,
    nextState,
    instancesToDrain,
    checkDanglingInstances,
    null,
  );
}

/**
 * The warm pool's MinSize, or `null` with the policy off. Jobs behind a `wait` step that neither the idle agents nor
 * the agents of running jobs will take get instances prepared in the pool, so they boot while the build step runs;
 * never more than the group could still take in (`max − desired`), so a huge fan-out cannot boot instances that
 * could never serve it at once.
 */
function warmPoolMinSize(input: DecisionInput, desired: number, trace: ReasonTrace, plan: Plan): number | null {
  const { config, nowMs } = input;
  const pool = config.warmPool;
  if (!pool.enabled) return null;
  const schedules = pool.schedules;
  for (let index = schedules.length - 1; index >= 0; index--) {
    const schedule = schedules[index] as ScalerConfig['warmPool']['schedules'][number];
    if (schedule.cron.matches(schedule.timezone.wallClock(nowMs))) {
      note(trace, Reason.warmPoolSchedule, index, schedule.minSize);
      return schedule.minSize;
    }
  }
  const perInstance = config.agentsPerInstance;
  const room = Math.max(0, input.group.max - desired);
  let size = pool.minSize;
  if (pool.prepareForWaitingJobs) {
    // Jobs already counted as due get running capacity; the rest get prepared instances, beyond the agents that
    // will be free when the step they wait for ends: the idle ones and those running jobs now (a job behind a wait
    // step is released when the step's jobs finish, and their agents take it). Preparing for those too booted an
    // instance into the pool for every build-then-test pipeline, paid a boot and its volume, and was never used.
    const { metrics } = input;
    const uncovered = metrics.waitingJobs - plan.dueWaiting - metrics.idleAgents - metrics.runningJobs;
    if (uncovered > 0) {
      const wanted = instancesFor(uncovered, perInstance, 0);
      const prepared = Math.min(wanted, room);
      if (prepared > size) {
        size = prepared;
        if (prepared < wanted) note(trace, Reason.warmPoolCapped, uncovered, wanted, prepared);
        else note(trace, Reason.warmPoolForWaiting, uncovered, prepared);
      }
    }
  }
  if (config.forecast.enabled) {
    const expectedInstances = instancesFor(Math.ceil(plan.expectedAgents - 1e-9), perInstance, 0);
    const shortfall = Math.min(room, expectedInstances - desired);
    if (shortfall > size) {
      size = shortfall;
      note(trace, Reason.warmPoolForecast, plan.expectedAgents, plan.recurringAgents, size);
    } else if (plan.expectedAgents === 0 && size === pool.minSize) {
      note(trace, Reason.warmPoolNothingExpected, plan.poolHorizonSec, size);
    }
  }
  return size;
}

/** What the forecast and the waiting jobs add to this decision, and the memories to persist. */
interface Plan {
  /** Waiting jobs whose step is expected to end within the capacity lead: counted as demand now. */
  dueWaiting: number;
  /** Instances to run ahead of a recurring rise (forecast pre-launch), or 0. */
  prelaunchInstances: number;
  /** Agents the forecast expects: recurring within a boot, or recently seen within `poolHorizonSec` (0 when off). */
  expectedAgents: number;
  /** The part of `expectedAgents` seen on earlier days. */
  recurringAgents: number;
  poolHorizonSec: number;
  demandHistory: DemandHistory | undefined;
  waitingMemory: WaitingMemory | undefined;
}

/**
 * A stopped instance kept longer than this costs more in volume than booting a new one when it is needed: the
 * horizon over which the forecast keeps (or prepares) stopped instances. Never shorter than a boot.
 */
export function poolBreakEvenSec(costs: ScalerConfig['costs']): number {
  const breakEven =
    costs.volumeHour > 0 ? (costs.bootSec * costs.instanceHour) / costs.volumeHour : MAX_POOL_HORIZON_SEC;
  return Math.round(Math.min(MAX_POOL_HORIZON_SEC, Math.max(costs.bootSec, breakEven)));
}

/** The forecast never sizes the pool for demand more than an hour ahead, however cheap volumes are. */
const MAX_POOL_HORIZON_SEC = 3600;
/**
 * Agents kept stopped above the recent peak. Two: in a steady queue the next job takes one, and the pool's
 * replacement boots for a boot's time, in which the job after it finds the second instead of a cold boot.
 */
const RECENT_HEADROOM_AGENTS = 2;

function planAhead(input: DecisionInput, trace: ReasonTrace): Plan {
  const { config, nowMs, metrics, state } = input;
  const plan: Plan = {
    dueWaiting: 0,
    prelaunchInstances: 0,
    expectedAgents: 0,
    recurringAgents: 0,
    poolHorizonSec: 0,
    demandHistory: undefined,
    waitingMemory: undefined,
  };
  const costs = config.costs;
  if (config.forecast.enabled) {
    const stored = state.demandHistory;
    let history: DemandHistory;
    if (isDemandHistory(stored)) history = stored;
    else {
      if (stored !== undefined) note(trace, Reason.historyDropped);
      history = emptyDemandHistory();
    }
    // Agents in use or wanted now; waiting jobs are counted when they are scheduled (the dependencies plan for them).
    const demand = metrics.scheduledJobs + metrics.runningJobs;
    // The history is kept on the team's wall clock: every time it is given is local time as if it were UTC.
    const localMs = Math.max(0, nowMs + config.forecast.timezone.offsetMs(nowMs));
    plan.poolHorizonSec = poolBreakEvenSec(costs);
    // Instances just released are kept stopped for the demand of the last break-even: longer, they cost more in
    // volume than the boot they save.
    plan.demandHistory = recordDemand(history, localMs, demand, config.forecast.weeklyDecay, plan.poolHorizonSec);
    // Load seen on earlier days is prepared for only within a boot ahead of it: a pool kept ready for a whole slot
    // earlier pays volume for instances a boot would have brought in time.
    const ahead = forecast(plan.demandHistory, localMs, costs.bootSec);
    let recurring = ahead.expected;
    if (ahead.recurrence < MIN_RECURRENCE_FOR_TWO_SIGHTINGS && ahead.confident > ONE_SIGHTING_TRUSTED_AGENTS) {
      // Most of what came on earlier days did not come today (a weekend, a holiday): the pattern is broken, and what
      // was seen on two days is no more likely than what was seen once. A Saturday prepared for Friday's office
      // hours kept dozens of instances stopped all day for nothing.
      recurring = ONE_SIGHTING_TRUSTED_AGENTS;
      note(trace, Reason.forecastPatternBroken, Math.round(ahead.recurrence * 100), ahead.expected, ahead.confident);
    } else if (
      ahead.recurrence < MIN_RECURRENCE_FOR_ONE_SIGHTING &&
      ahead.expected > Math.max(ahead.confident, ONE_SIGHTING_TRUSTED_AGENTS)
    ) {
      // Yesterday's bursts did not come again lately (they land at random times): one sighting of a burst is not
      // enough. One of a lone job or two still is: wrong, it costs a boot or two; right, the next lone job resumes
      // instead of booting cold (the trickle between storms is what recurs, and it is what the score cannot see).
      recurring = Math.max(ahead.confident, ONE_SIGHTING_TRUSTED_AGENTS);
      note(trace, Reason.forecastNotRecurring, Math.round(ahead.recurrence * 100), ahead.expected, ahead.confident);
    }
    // Instances just released are given back gradually over the window (see `releasedRecentPeak`), with headroom.
    const held = releasedRecentPeak(plan.demandHistory, localMs, demand, plan.poolHorizonSec);
    const recent = ahead.recent > 0 ? held + RECENT_HEADROOM_AGENTS : 0;
    plan.expectedAgents = Math.max(recurring, recent);
    plan.recurringAgents = recurring;
    if (config.forecast.prelaunch) {
      const lead = config.warmPool.enabled ? costs.resumeSec : costs.bootSec;
      const soon = forecast(plan.demandHistory, localMs, lead).confident;
      if (soon - demand >= config.forecast.prelaunchMinAgents) {
        plan.prelaunchInstances = instancesFor(Math.ceil(soon - 1e-9), config.agentsPerInstance, 0);
        note(trace, Reason.forecastPrelaunch, soon, lead, plan.prelaunchInstances);
      }
    }
  }
  if (config.dependencies.enabled) {
    const stored = state.waitingMemory;
    let memory: WaitingMemory;
    if (isWaitingMemory(stored)) memory = stored;
    else {
      if (stored !== undefined) note(trace, Reason.waitingMemoryDropped);
      memory = emptyWaitingMemory();
    }
    plan.waitingMemory = recordWaiting(memory, nowMs, metrics.waitingJobs);
    const dependencies = config.dependencies;
    const releaseSec = typicalBlockSec(plan.waitingMemory, dependencies.releaseQuantile, dependencies.minSamples);
    if (releaseSec !== undefined && metrics.waitingJobs > 0) {
      // Prepared in the pool for them, their capacity resumes; otherwise it boots.
      const lead = config.warmPool.enabled && config.warmPool.prepareForWaitingJobs ? costs.resumeSec : costs.bootSec;
      const due = Math.min(metrics.waitingJobs, dueWaitingJobs(plan.waitingMemory, nowMs, releaseSec, lead));
      if (due > 0) {
        plan.dueWaiting = due;
        note(trace, Reason.waitingDue, due, releaseSec, lead);
      }
    }
  }
  return plan;
}

function hold(input: DecisionInput, target: number, trace: ReasonTrace, checkDanglingInstances = false): Decision {
  return decision(input, 'hold', input.group.desired, target, trace, input.state, [], checkDanglingInstances);
}

/**
 * The next state: the four fields this package owns, plus any other keys the caller stored, copied as they are.
 * Written out instead of spread, because spreading objects of varying shape costs microseconds in V8.
 */
function nextStateOf(
  state: ScalerState,
  lastScaleOutAtMs: number | undefined,
  lastScaleInAtMs: number | undefined,
  throttleTokens: number | undefined,
  throttleUpdatedAtMs: number | undefined,
): ScalerState {
  const next = { lastScaleOutAtMs, lastScaleInAtMs, throttleTokens, throttleUpdatedAtMs } as Record<string, unknown>;
  for (const key in state) {
    if (
      key !== 'lastScaleOutAtMs' &&
      key !== 'lastScaleInAtMs' &&
      key !== 'throttleTokens' &&
      key !== 'throttleUpdatedAtMs'
    ) {
      next[key] = state[key];
    }
  }
  return next as ScalerState;
}

/** Seconds left of a cooldown, or 0. The other direction's event counts only with `scaleOnlyAfterAllEvent`. */
function cooldownLeftSec(
  config: ScalerConfig,
  nowMs: number,
  lastThisWay: number | undefined,
  lastOtherWay: number | undefined,
  cooldownSec: number,
): number {
  // Buildkite skips the cooldown entirely until this direction has scaled once.
  if (lastThisWay === undefined) return 0;
  const lastEvent =
    config.scaleOnlyAfterAllEvent && lastOtherWay !== undefined && lastThisWay < lastOtherWay
      ? lastOtherWay
      : lastThisWay;
  const leftMs = cooldownSec * MS_PER_SECOND - (nowMs - lastEvent);
  return leftMs > 0 ? leftMs / MS_PER_SECOND : 0;
}

function scaleOut(input: DecisionInput, target: number, trace: ReasonTrace): Decision {
  const { config, nowMs, group, state } = input;
  if (config.disableScaleOut) {
    note(trace, Reason.scaleOutDisabled, target);
    return hold(input, target, trace);
  }
  const cooldownSec = cooldownLeftSec(
    config,
    nowMs,
    state.lastScaleOutAtMs,
    state.lastScaleInAtMs,
    config.scaleOutCooldownSec,
  );
  if (cooldownSec > 0) {
    note(trace, Reason.scaleOutCooldown, target, Math.ceil(cooldownSec));
    return hold(input, target, trace);
  }
  let desired = target;
  if (config.scaleOutFactor !== 1) {
    desired = group.desired + Math.ceil((target - group.desired) * config.scaleOutFactor);
    if (desired > group.max) desired = group.max;
    note(trace, Reason.scaleOutFactor, group.desired, desired);
  }
  let throttleTokens = state.throttleTokens;
  let throttleUpdatedAtMs = state.throttleUpdatedAtMs;
  const throttle = config.growthThrottle;
  if (throttle !== undefined) {
    const tokens = state.throttleTokens ?? throttle.burst;
    const elapsedSec = Math.max(0, nowMs - (state.throttleUpdatedAtMs ?? nowMs)) / MS_PER_SECOND;
    const available = Math.min(throttle.burst, tokens + elapsedSec * throttle.launchesPerSec);
    const allowed = Math.floor(available);
    if (allowed === 0) {
      note(trace, Reason.throttleEmpty, available, throttle.burst);
      return hold(input, target, trace);
    }
    if (desired - group.desired > allowed) {
      desired = group.desired + allowed;
      note(trace, Reason.throttleLimited, allowed, desired);
    }
    desired = atLeastMin(desired, group.min, trace);
    // Never below 0 (an invalid state on the next pass), even when reaching min took more than the bucket held.
    throttleTokens = Math.max(0, available - (desired - group.desired));
    throttleUpdatedAtMs = nowMs;
  } else {
    desired = atLeastMin(desired, group.min, trace);
  }
  note(trace, Reason.scaleOut, group.desired, desired);
  const nextState = nextStateOf(state, nowMs, state.lastScaleInAtMs, throttleTokens, throttleUpdatedAtMs);
  return decision(input, 'scale-out', desired, target, trace, nextState);
}

/**
 * A group below its min (min raised over it): a partial step (factor, throttle) would still be below min, which
 * SetDesiredCapacity refuses on every pass. The group's own min is neither factored nor throttled.
 */
function atLeastMin(desired: number, min: number, trace: ReasonTrace): number {
  if (desired >= min) return desired;
  note(trace, Reason.raisedToMin, min);
  return min;
}

function scaleIn(input: DecisionInput, target: number, floor: number, idleSlots: number, trace: ReasonTrace): Decision {
  const { config, nowMs, group, state } = input;
  if (config.disableScaleIn && !config.elasticCiMode) {
    note(trace, Reason.scaleInDisabled, target);
    return hold(input, target, trace);
  }
  const cooldownSec = cooldownLeftSec(
    config,
    nowMs,
    state.lastScaleInAtMs,
    state.lastScaleOutAtMs,
    config.scaleInCooldownSec,
  );
  if (cooldownSec > 0) {
    note(trace, Reason.scaleInCooldown, target, Math.ceil(cooldownSec));
    return hold(input, target, trace);
  }
  let desired = group.desired + Math.floor((target - group.desired) * config.scaleInFactor);
  if (config.scaleInFactor !== 1) note(trace, Reason.scaleInFactor, group.desired, desired);
  // A group above its max (max lowered under it): a partial step would still be above max, which
  // SetDesiredCapacity refuses on every pass.
  if (desired > group.max) {
    desired = group.max;
    note(trace, Reason.cappedAtMax, group.max);
  }
  if (desired < floor) desired = floor;
  let instancesToDrain: string[] = [];
  if (config.scaleIn.strategy === 'drain' && desired < group.desired) {
    if (group.instances === undefined) {
      note(trace, Reason.drainNeedsInstances);
      return hold(input, target, trace);
    }
    instancesToDrain = planScaleIn(group.instances, {
      count: group.desired - desired,
      nowMs,
      order: config.scaleIn.order,
      minRunningTimeSec: config.scaleIn.minRunningTimeSec,
      minIdleSec: config.scaleIn.minIdleSec,
      idleFloorSlots: idleSlots,
    });
    if (instancesToDrain.length === 0) {
      note(trace, Reason.drainNothingEligible, desired);
      return hold(input, target, trace);
    }
    desired = group.desired - instancesToDrain.length;
    note(trace, Reason.draining, instancesToDrain.length);
  }
  note(trace, Reason.scaleIn, group.desired, desired);
  return decision(
    input,
    'scale-in',
    desired,
    target,
    trace,
    nextStateOf(state, state.lastScaleOutAtMs, nowMs, state.throttleTokens, state.throttleUpdatedAtMs),
    instancesToDrain,
  );
}

/**
 * One scaling decision. Pure and deterministic: no clock reads, no I/O, no hidden state. Throws `InvalidInputError`
 * for non-finite or negative metrics, group sizes, times or state.
 */
export function decide(given: DecisionInput): Decision {
  if (!isValidInput(given)) throw new InvalidInputError(inputIssues(given));
  const trace: ReasonTrace = [];
  const input = withStateTimesNotAhead(given, trace);
  const { config, nowMs, metrics, group } = input;

  const ageMs = nowMs - metrics.collectedAtMs;
  if (config.staleMetricsAfterSec > 0 && ageMs > config.staleMetricsAfterSec * MS_PER_SECOND) {
    note(trace, Reason.staleMetrics, Math.round(ageMs / MS_PER_SECOND), config.staleMetricsAfterSec);
    // Stale metrics say nothing reliable about waiting jobs either: the warm pool is left as it is.
    return new ScalingDecision(input, 'hold', group.desired, group.desired, trace, input.state, [], false, null);
  }
  const plan = planAhead(input, trace);
  const result = decideCapacity(input, trace, plan) as ScalingDecision;
  result.warmPoolMinSize = warmPoolMinSize(input, result.desired, trace, plan);
  const state = input.state;
  if (
    (plan.demandHistory !== undefined && plan.demandHistory !== state.demandHistory) ||
    (plan.waitingMemory !== undefined && plan.waitingMemory !== state.waitingMemory)
  ) {
    const next: ScalerState = { ...result.nextState };
    if (plan.demandHistory !== undefined) next.demandHistory = plan.demandHistory;
    if (plan.waitingMemory !== undefined) next.waitingMemory = plan.waitingMemory;
    result.nextState = next;
  }
  return result;
}

/**
 * The input with the state's times moved back to `nowMs` where they lie after it (the clock stepped back, or the
 * state was written by a clock ahead): such a cooldown counts from now, and the growth throttle refills from now.
 * Taken as they were, the cooldown and an empty throttle lasted until the clock caught up, a day for a day's step.
 * The moved times are persisted through `nextState`, so the cooldown ends after its configured length.
 */
function withStateTimesNotAhead(input: DecisionInput, trace: ReasonTrace): DecisionInput {
  const { nowMs, state } = input;
  const latestMs = Math.max(state.lastScaleOutAtMs ?? 0, state.lastScaleInAtMs ?? 0, state.throttleUpdatedAtMs ?? 0);
  if (latestMs <= nowMs) return input;
  note(trace, Reason.stateAheadOfClock, Math.ceil((latestMs - nowMs) / MS_PER_SECOND));
  const notAhead = (timeMs: number | undefined) => (timeMs === undefined ? undefined : Math.min(timeMs, nowMs));
  const clampedState = nextStateOf(
    state,
    notAhead(state.lastScaleOutAtMs),
    notAhead(state.lastScaleInAtMs),
    state.throttleTokens,
    notAhead(state.throttleUpdatedAtMs),
  );
  return { ...input, state: clampedState };
}

function decideCapacity(input: DecisionInput, trace: ReasonTrace, plan: Plan): Decision {
  const { config, nowMs, metrics, group } = input;
  const perInstance = config.agentsPerInstance;
  const scheduled = metrics.scheduledJobs;
  const running = metrics.runningJobs;
  const waiting = metrics.waitingJobs;
  const agentsRequired =
    scheduled +
    (config.includeWaiting && waiting > running ? waiting : running) +
    (config.includeWaiting ? 0 : plan.dueWaiting);
  let target: number;

  if (config.stepScaling === undefined) {
    target = agentsRequired > 0 ? instancesFor(agentsRequired, perInstance, config.maxInstanceCap) : 0;
    note(trace, Reason.demand, agentsRequired, target);
    if (agentsRequired > 0 && config.availabilityThreshold > 0) {
      const instanceCount = group.inService !== 0 ? group.inService : group.desired;
      const expectedAgents = perInstance * instanceCount;
      const availability = expectedAgents > 0 ? metrics.totalAgents / expectedAgents : 1;
      if (availability < config.availabilityThreshold) {
        if (group.inService === group.desired) {
          const boosted = group.desired === 0 ? 1 : group.desired + 1;
          if (boosted > target) {
            target = boosted;
            note(trace, Reason.availabilityBoost, metrics.totalAgents, expectedAgents, target);
          }
        } else {
          note(trace, Reason.availabilityConverging);
        }
      }
    }
    if (scheduled > 0 || running > 0 || waiting > 0) {
      const totalJobs = scheduled + running + (config.includeWaiting ? waiting : 0);
      let buffer = perInstance <= 0 ? totalJobs : Math.ceil(totalJobs / perInstance);
      if (config.maxInstanceCap > 0 && buffer > config.maxInstanceCap) buffer = config.maxInstanceCap;
      if (buffer > config.instanceBuffer) buffer = config.instanceBuffer;
      if (buffer > 0) {
        target += buffer;
        note(trace, Reason.instanceBuffer, buffer, target);
      }
    }
  } else {
    target = stepTarget(input, trace);
  }

  const overProvision = config.overProvision;
  if (overProvision.strategy !== 'none' && agentsRequired > 0) {
    const extra =
      overProvision.strategy === 'instances'
        ? overProvision.instances
        : Math.ceil((instancesFor(agentsRequired, perInstance, 0) * overProvision.percent) / 100 - 1e-9);
    target += extra;
    note(trace, Reason.overProvision, extra, target);
  }

  if (plan.prelaunchInstances > target) target = plan.prelaunchInstances;

  const idleSlots = idleSlotTarget(config, nowMs, metrics.busyAgents);
  if (idleSlots > 0) {
    const slots = agentsRequired + idleSlots;
    const withIdle = perInstance <= 0 ? slots : Math.ceil(slots / perInstance);
    if (withIdle > target) {
      target = withIdle;
      note(trace, Reason.idlePool, idleSlots, target);
    }
  }

  const scheduledMin = scheduledMinimum(config, nowMs);
  const floor = Math.min(group.max, Math.max(group.min, scheduledMin));
  if (target > group.max) {
    target = group.max;
    note(trace, Reason.cappedAtMax, group.max);
  }
  if (target < floor) {
    target = floor;
    note(trace, scheduledMin > group.min ? Reason.scheduledMinimum : Reason.raisedToMin, floor);
  }

  const instanceCount = group.inService !== 0 ? group.inService : group.desired;
  // Deviation from Go: a target above the group's desired capacity is always a scale-out. Go holds when as many
  // instances are still in service as wanted, and calls it a scale-in when more are; both leave the group below
  // demand while the extra instances terminate.
  if (target > instanceCount || target > group.desired) {
    if (target > group.desired) return scaleOut(input, target, trace);
    if (target < group.desired) return scaleIn(input, target, floor, idleSlots, trace);
    note(trace, Reason.groupConverging, instanceCount, target);
    return hold(input, target, trace);
  }
  if (group.desired > target) return scaleIn(input, target, floor, idleSlots, trace);
  if (instanceCount > target) {
    if (config.elasticCiMode && group.pending > 0) {
      note(trace, Reason.pendingBeforeScaleIn, group.pending);
      return hold(input, target, trace);
    }
    return scaleIn(input, target, floor, idleSlots, trace);
  }
  if (config.elasticCiMode && instanceCount > 0 && metrics.totalAgents === 0) {
    note(trace, Reason.danglingCheck, instanceCount);
    return hold(input, target, trace, true);
  }
  note(trace, Reason.noScaling, group.desired);
  return hold(input, target, trace);
}

/**
 * AWS step scaling as the base target. Warm-up: a scale-out step adds to the in-service capacity only, so capacity
 * still launching counts toward it (a +3 after an unfinished +2 adds one more), and never lowers the group.
 */
function stepTarget(input: DecisionInput, trace: ReasonTrace): number {
  const { group } = input;
  const policy = input.config.stepScaling as NonNullable<ScalerConfig['stepScaling']>;
  const metricValue = stepMetricValue(input);
  const step = findStepAdjustment(policy.stepAdjustments, metricValue, policy.alarmThreshold);
  if (step === undefined) {
    note(trace, Reason.stepNoMatch, metricValue, group.desired);
    return group.desired;
  }
  const growing = policy.adjustmentType !== 'ExactCapacity' && step.scalingAdjustment > 0;
  const evaluation = evaluateStepScaling(policy, {
    metricValue,
    threshold: policy.alarmThreshold,
    currentCapacity: growing ? group.inService : group.desired,
    min: 0,
    max: group.max,
  });
  const capacity = growing ? Math.max(group.desired, evaluation.capacity) : evaluation.capacity;
  note(trace, Reason.step, metricValue, step.scalingAdjustment, capacity);
  return capacity;
}
