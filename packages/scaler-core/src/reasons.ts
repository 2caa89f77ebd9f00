import type { ScalerConfig } from './config.js';
import { MIN_RECURRENCE_FOR_TWO_SIGHTINGS, ONE_SIGHTING_TRUSTED_AGENTS } from './forecast.js';

/**
 * Why a decision came out as it did, recorded as numbers while deciding (four slots per note: code and up to three
 * values) and rendered to text only when someone reads `reasons`. Building strings on every call would cost more
 * than the decision itself.
 */
export const Reason = {
  staleMetrics: 0,
  demand: 1,
  availabilityBoost: 2,
  availabilityConverging: 3,
  instanceBuffer: 4,
  stepNoMatch: 5,
  step: 6,
  overProvision: 7,
  idlePool: 8,
  cappedAtMax: 9,
  scheduledMinimum: 10,
  raisedToMin: 11,
  groupConverging: 12,
  pendingBeforeScaleIn: 13,
  danglingCheck: 14,
  noScaling: 15,
  scaleOutDisabled: 16,
  scaleOutCooldown: 17,
  scaleOutFactor: 18,
  throttleEmpty: 19,
  throttleLimited: 20,
  scaleOut: 21,
  scaleInDisabled: 22,
  scaleInCooldown: 23,
  scaleInFactor: 24,
  drainNeedsInstances: 25,
  drainNothingEligible: 26,
  draining: 27,
  scaleIn: 28,
  warmPoolForWaiting: 29,
  warmPoolCapped: 30,
  warmPoolSchedule: 31,
  warmPoolForecast: 32,
  warmPoolNothingExpected: 33,
  historyDropped: 34,
  forecastPrelaunch: 35,
  waitingMemoryDropped: 36,
  waitingDue: 37,
  forecastNotRecurring: 38,
  forecastPatternBroken: 39,
  stateAheadOfClock: 40,
} as const;

export type ReasonTrace = number[];

export function note(trace: ReasonTrace, code: number, first = 0, second = 0, third = 0): void {
  trace.push(code, first, second, third);
}

function render(config: ScalerConfig, code: number, a: number, b: number, c: number): string {
  switch (code) {
    case Reason.staleMetrics:
      return `metrics are ${a}s old (limit ${b}s): holding`;
    case Reason.demand:
      return `demand: ${a} agent(s) → ${b} instance(s)`;
    case Reason.availabilityBoost:
      return `availability ${a}/${b} agents below threshold: boost to ${c}`;
    case Reason.availabilityConverging:
      return 'availability below threshold but the group is still converging: no boost';
    case Reason.instanceBuffer:
      return `instance buffer +${a} → ${b}`;
    case Reason.stepNoMatch:
      return `step scaling: ${config.stepScaling?.metric ?? 'metric'} ${a} matches no step: keep ${b}`;
    case Reason.step:
      return `step scaling: ${config.stepScaling?.metric ?? 'metric'} ${a} → ${config.stepScaling?.adjustmentType ?? 'adjustment'} ${b} → ${c}`;
    case Reason.overProvision:
      return `over-provision +${a} → ${b}`;
    case Reason.idlePool:
      return `idle pool: ${a} spare slot(s) → ${b}`;
    case Reason.cappedAtMax:
      return `capped at max ${a}`;
    case Reason.scheduledMinimum:
      return `scheduled minimum ${a}`;
    case Reason.raisedToMin:
      return `raised to min ${a}`;
    case Reason.groupConverging:
      return `${a} instance(s) in service, desired already ${b}: group converging`;
    case Reason.pendingBeforeScaleIn:
      return `${a} instance(s) pending: waiting before scaling in`;
    case Reason.danglingCheck:
      return `${a} instance(s) running but no agent reports: check for dangling instances`;
    case Reason.noScaling:
      return `no scaling required at ${a}`;
    case Reason.scaleOutDisabled:
      return `scale-out to ${a} wanted but disabled (disableScaleOut)`;
    case Reason.scaleOutCooldown:
      return `scale-out to ${a} wanted but in cooldown for ${b}s more`;
    case Reason.scaleOutFactor:
      return `scale-out factor ${config.scaleOutFactor}: ${a} → ${b}`;
    case Reason.throttleEmpty:
      return `growth throttle: no launch token available (${a.toFixed(2)} of ${b})`;
    case Reason.throttleLimited:
      return `growth throttle: ${a} launch(es) allowed now → ${b}`;
    case Reason.scaleOut:
      return `scale out ${a} → ${b}`;
    case Reason.scaleInDisabled:
      return `scale-in to ${a} wanted but disabled (disableScaleIn)`;
    case Reason.scaleInCooldown:
      return `scale-in to ${a} wanted but in cooldown for ${b}s more`;
    case Reason.scaleInFactor:
      return `scale-in factor ${config.scaleInFactor}: ${a} → ${b}`;
    case Reason.drainNeedsInstances:
      return 'drain strategy needs group.instances to choose whom to drain: holding';
    case Reason.drainNothingEligible:
      return `scale-in to ${a} wanted but no instance is idle, old and idle long enough to drain`;
    case Reason.draining:
      return `draining ${a} idle instance(s), ${config.scaleIn.order}`;
    case Reason.warmPoolForWaiting:
      return `warm pool: ${a} waiting job(s) beyond the idle and running agents → pool min size ${b}`;
    case Reason.warmPoolCapped:
      return `warm pool: ${a} waiting job(s) beyond the idle and running agents need ${b} instance(s), capped at ${c} (room below the group's max)`;
    case Reason.warmPoolSchedule:
      return `warm pool: schedule warmPool.schedules[${a}] matches → pool min size ${b} (a stated schedule wins)`;
    case Reason.warmPoolForecast:
      return `warm pool: forecast expects ${a} agent(s) (${b} seen at this time on earlier days, within a boot; the rest the recent peak, given back gradually within a stopped instance's break-even, plus headroom) → pool min size ${c}`;
    case Reason.warmPoolNothingExpected:
      return `warm pool: forecast expects no demand within ${a}s → pool min size ${b}`;
    case Reason.historyDropped:
      return 'demand history in the state is unreadable: dropped, starting a new one';
    case Reason.forecastNotRecurring:
      return `forecast: only ${a}% of yesterday's load came again lately → of ${b} agent(s) seen once only ${ONE_SIGHTING_TRUSTED_AGENTS} are prepared for, ${c} seen twice are`;
    case Reason.forecastPatternBroken:
      return `forecast: only ${a}% of yesterday's load came again lately (below ${MIN_RECURRENCE_FOR_TWO_SIGHTINGS * 100}%: a weekend, a holiday) → of ${b} agent(s) seen on earlier days, ${c} of them on two, only ${ONE_SIGHTING_TRUSTED_AGENTS} are prepared for`;
    case Reason.forecastPrelaunch:
      return `forecast: ${a} agent(s) recur within ${b}s (seen on two days) → pre-launch ${c} instance(s)`;
    case Reason.waitingMemoryDropped:
      return 'waiting-job memory in the state is unreadable: dropped, starting a new one';
    case Reason.waitingDue:
      return `dependencies: ${a} waiting job(s) expected to be scheduled within ${c}s (typical wait ${b}s) → counted as demand now`;
    case Reason.stateAheadOfClock:
      return `state times up to ${a}s ahead of the clock: cooldowns and the growth throttle count from now`;
    default:
      return `scale in ${a} → ${b}`;
  }
}

/** The human-readable reasons of a trace, one per note, in order. */
export function renderReasons(trace: ReasonTrace, config: ScalerConfig): string[] {
  const reasons: string[] = [];
  for (let index = 0; index < trace.length; index += 4) {
    reasons.push(
      render(
        config,
        trace[index] as number,
        trace[index + 1] as number,
        trace[index + 2] as number,
        trace[index + 3] as number,
      ),
    );
  }
  return reasons;
}
