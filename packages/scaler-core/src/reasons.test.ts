import { describe, expect, it } from 'vitest';
import { parseScalerConfig } from './config.js';
import { note, Reason, type ReasonTrace, renderReasons } from './reasons.js';

const stepConfig = parseScalerConfig({
  stepScaling: {
    metric: 'pendingJobs',
    alarmThreshold: 0,
    adjustmentType: 'ChangeInCapacity',
    stepAdjustments: [{ metricIntervalLowerBound: 0, scalingAdjustment: 1 }],
  },
  scaleIn: { order: 'newest-first' },
  scaleOutFactor: 2,
  scaleInFactor: 0.5,
});

describe('Function: renderReasons', () => {
  it.each([
    [Reason.staleMetrics, [130, 120], 'metrics are 130s old (limit 120s): holding'],
    [Reason.demand, [12, 3], 'demand: 12 agent(s) → 3 instance(s)'],
    [Reason.availabilityBoost, [1, 8, 3], 'availability 1/8 agents below threshold: boost to 3'],
    [Reason.availabilityConverging, [], 'availability below threshold but the group is still converging: no boost'],
    [Reason.instanceBuffer, [2, 5], 'instance buffer +2 → 5'],
    [Reason.stepNoMatch, [2, 3], 'step scaling: pendingJobs 2 matches no step: keep 3'],
    [Reason.step, [9, 1, 4], 'step scaling: pendingJobs 9 → ChangeInCapacity 1 → 4'],
    [Reason.overProvision, [1, 4], 'over-provision +1 → 4'],
    [Reason.idlePool, [4, 6], 'idle pool: 4 spare slot(s) → 6'],
    [Reason.cappedAtMax, [10], 'capped at max 10'],
    [
      Reason.stateAheadOfClock,
      [90],
      'state times up to 90s ahead of the clock: cooldowns and the growth throttle count from now',
    ],
    [Reason.scheduledMinimum, [3], 'scheduled minimum 3'],
    [Reason.raisedToMin, [1], 'raised to min 1'],
    [Reason.groupConverging, [2, 4], '2 instance(s) in service, desired already 4: group converging'],
    [Reason.pendingBeforeScaleIn, [1], '1 instance(s) pending: waiting before scaling in'],
    [Reason.danglingCheck, [3], '3 instance(s) running but no agent reports: check for dangling instances'],
    [Reason.noScaling, [2], 'no scaling required at 2'],
    [Reason.scaleOutDisabled, [4], 'scale-out to 4 wanted but disabled (disableScaleOut)'],
    [Reason.scaleOutCooldown, [4, 30], 'scale-out to 4 wanted but in cooldown for 30s more'],
    [Reason.scaleOutFactor, [2, 6], 'scale-out factor 2: 2 → 6'],
    [Reason.throttleEmpty, [0.456, 5], 'growth throttle: no launch token available (0.46 of 5)'],
    [Reason.throttleLimited, [2, 4], 'growth throttle: 2 launch(es) allowed now → 4'],
    [Reason.scaleOut, [2, 4], 'scale out 2 → 4'],
    [Reason.scaleInDisabled, [1], 'scale-in to 1 wanted but disabled (disableScaleIn)'],
    [Reason.scaleInCooldown, [1, 60], 'scale-in to 1 wanted but in cooldown for 60s more'],
    [Reason.scaleInFactor, [4, 3], 'scale-in factor 0.5: 4 → 3'],
    [Reason.drainNeedsInstances, [], 'drain strategy needs group.instances to choose whom to drain: holding'],
    [
      Reason.drainNothingEligible,
      [2],
      'scale-in to 2 wanted but no instance is idle, old and idle long enough to drain',
    ],
    [Reason.draining, [2], 'draining 2 idle instance(s), newest-first'],
    [Reason.scaleIn, [4, 2], 'scale in 4 → 2'],
    [
      Reason.warmPoolForWaiting,
      [7, 4],
      'warm pool: 7 waiting job(s) beyond the idle and running agents → pool min size 4',
    ],
    [
      Reason.warmPoolCapped,
      [7, 4, 2],
      "warm pool: 7 waiting job(s) beyond the idle and running agents need 4 instance(s), capped at 2 (room below the group's max)",
    ],
    [
      Reason.forecastNotRecurring,
      [12, 300, 0],
      "forecast: only 12% of yesterday's load came again lately → of 300 agent(s) seen once only 2 are prepared for, 0 seen twice are",
    ],
    [
      Reason.forecastPatternBroken,
      [21, 30, 30],
      "forecast: only 21% of yesterday's load came again lately (below 50%: a weekend, a holiday) → of 30 agent(s) seen on earlier days, 30 of them on two, only 2 are prepared for",
    ],
  ] as const)('renders reason %i', (code, values, expected) => {
    const trace: ReasonTrace = [];
    note(trace, code, ...values);

    expect(renderReasons(trace, stepConfig)).toEqual([expected]);
  });

  it('renders step reasons without a step policy generically', () => {
    const trace: ReasonTrace = [];
    note(trace, Reason.step, 1, 2, 3);
    note(trace, Reason.stepNoMatch, 1, 2);

    expect(renderReasons(trace, parseScalerConfig({}))).toEqual([
      'step scaling: metric 1 → adjustment 2 → 3',
      'step scaling: metric 1 matches no step: keep 2',
    ]);
  });
});
