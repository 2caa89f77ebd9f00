import { describe, expect, it } from 'vitest';
import { parseScalerConfig, type ScalerConfigInput } from './config.js';
import { decide, initialScalerState, inputIssues } from './decide.js';
import { InvalidInputError } from './errors.js';
import { group, input, instance, MINUTE_MS, metrics, NOW_MS } from './test-fixtures.js';
import type { DecisionInput, ScalerState } from './types.js';

function issuesOf(candidate: unknown) {
  try {
    decide(candidate as DecisionInput);
  } catch (error) {
    if (error instanceof InvalidInputError) return error.issues;
    throw error;
  }
  throw new Error('expected decide to throw');
}

describe('Function: decide (input checks)', () => {
  it('starts from an empty state', () => {
    expect(initialScalerState()).toEqual({});
  });

  it('rejects non-finite and negative metrics, bad group sizes and bad state, listing every problem', () => {
    const bad = {
      ...input(),
      nowMs: Number.NaN,
      metrics: metrics({
        scheduledJobs: -1,
        runningJobs: Number.POSITIVE_INFINITY,
        busyAgents: 1.5,
        collectedAtMs: -5,
      }),
      group: { ...group({ min: 5, max: 2 }), instances: 'i-1' },
      state: { lastScaleOutAtMs: Number.NaN, throttleTokens: -1 },
    };

    expect(issuesOf(bad).map((issue) => issue.path)).toEqual([
      'nowMs',
      'metrics.scheduledJobs',
      'metrics.runningJobs',
      'metrics.busyAgents',
      'metrics.collectedAtMs',
      'group.min',
      'group.instances',
      'state.lastScaleOutAtMs',
      'state.throttleTokens',
    ]);
  });

  it('names each malformed instance', () => {
    const instances = [
      instance({ id: 'i-ok', busyAgents: Number.NaN }),
      { ...instance({ id: 'i-bad' }), launchedAtMs: Number.NaN },
      null,
      { ...instance({ id: 'i-bad-idle' }), idleSinceMs: -1 },
      { ...instance({ id: 'i-bad-agents' }), idleAgents: '1' },
    ];

    expect(issuesOf({ ...input(), group: group({ instances: instances as never }) })).toEqual([
      { path: 'group.instances[1]', message: expect.stringContaining('needs a string id') },
      { path: 'group.instances[2]', message: expect.stringContaining('needs a string id') },
      { path: 'group.instances[3]', message: expect.stringContaining('needs a string id') },
      { path: 'group.instances[4]', message: expect.stringContaining('needs a string id') },
    ]);
    expect(issuesOf({ ...input(), group: { ...group(), instances: 'i-1' } })).toEqual([
      { path: 'group.instances', message: 'must be an array when given' },
    ]);
  });

  it('names missing sections and a missing config', () => {
    expect(issuesOf({ nowMs: NOW_MS }).map((issue) => issue.path)).toEqual(['config', 'metrics', 'group', 'state']);
    expect(issuesOf(undefined).map((issue) => issue.path)).toEqual(['config', 'nowMs', 'metrics', 'group', 'state']);
    expect(inputIssues(input())).toEqual([]);
  });

  it('says which value was wrong, in an error that names the package error class', () => {
    expect(() => decide({ ...input(), metrics: metrics({ waitingJobs: Number.NaN }) })).toThrow(
      'metrics.waitingJobs: must be an integer in [0, 2^32), got NaN',
    );
  });
});

describe('Function: decide (decision record)', () => {
  it('serialises to the full record, reasons included', () => {
    const decision = decide(input({ metrics: { scheduledJobs: 2 } }));

    const record = JSON.parse(JSON.stringify(decision));

    expect(record).toMatchObject({ desired: 2, action: 'scale-out', target: 2, checkDanglingInstances: false });
    expect(record.reasons).toEqual(['demand: 2 agent(s) → 2 instance(s)', 'scale out 0 → 2']);
    expect(decision.reasons).toBe(decision.reasons);
    expect({ ...decision }.reasons).toBeUndefined();
  });

  it('echoes the input, gives reasons and returns the same state on hold', () => {
    const decisionInput = input({ state: { lastScaleOutAtMs: 1 } });

    const decision = decide(decisionInput);

    expect(decision.inputs).toBe(decisionInput);
    expect(decision.nextState).toBe(decisionInput.state);
    expect(decision).toMatchObject({ action: 'hold', desired: 0, target: 0, instancesToDrain: [] });
    expect(decision.reasons).toEqual(['demand: 0 agent(s) → 0 instance(s)', 'no scaling required at 0']);
  });

  it('holds on metrics older than the stale limit, and can turn the guard off', () => {
    const stale = { metrics: { scheduledJobs: 5, collectedAtMs: NOW_MS - 121_000 } };

    const held = decide(input(stale));
    const unguarded = decide(input({ ...stale, config: { staleMetricsAfterSec: 0 } }));

    expect(held).toMatchObject({ action: 'hold', desired: 0 });
    expect(held.reasons).toEqual(['metrics are 121s old (limit 120s): holding']);
    expect(unguarded).toMatchObject({ action: 'scale-out', desired: 5 });
  });

  it('explains a disabled scale-in and a scale-in cooldown', () => {
    const disabled = decide(input({ config: { disableScaleIn: true }, group: { desired: 2, inService: 2 } }));
    const cooling = decide(
      input({
        config: { scaleInCooldownSec: 600 },
        state: { lastScaleInAtMs: NOW_MS - 60_000 },
        group: { desired: 2, inService: 2 },
      }),
    );

    expect(disabled.reasons.at(-1)).toBe('scale-in to 0 wanted but disabled (disableScaleIn)');
    expect(cooling.reasons.at(-1)).toBe('scale-in to 0 wanted but in cooldown for 540s more');
  });
});

describe('Function: decide (inputs at the edges)', () => {
  it('counts a cooldown whose last scale event lies in the future from now, and ends it after its length', () => {
    // Prepare: the state was written by a clock a day ahead of this one
    const dayAheadMs = NOW_MS + 86_400_000;
    const pass = (nowMs: number, state: ScalerState) =>
      decide(input({ nowMs, config: { scaleOutCooldownSec: 300 }, metrics: { scheduledJobs: 3 }, state }));

    // Act
    const first = pass(NOW_MS, { lastScaleOutAtMs: dayAheadMs, lastScaleInAtMs: NOW_MS - 60_000 });
    const afterTheCooldown = pass(NOW_MS + 300_000, first.nextState);

    // Assess
    expect(first.action).toBe('hold');
    expect(first.reasons).toEqual([
      'state times up to 86400s ahead of the clock: cooldowns and the growth throttle count from now',
      'demand: 3 agent(s) → 3 instance(s)',
      'scale-out to 3 wanted but in cooldown for 300s more',
    ]);
    expect(first.nextState).toMatchObject({ lastScaleOutAtMs: NOW_MS, lastScaleInAtMs: NOW_MS - 60_000 });
    expect(afterTheCooldown).toMatchObject({ action: 'scale-out', desired: 3 });
  });

  it('refills the growth throttle from now when its last update lies in the future', () => {
    // Prepare: an empty bucket stamped an hour ahead; 1 launch per 10 s
    const state: ScalerState = { throttleTokens: 0, throttleUpdatedAtMs: NOW_MS + 3_600_000 };
    const config = { growthThrottle: { launchesPerSec: 0.1, burst: 5 } };

    // Act
    const first = decide(input({ config, metrics: { scheduledJobs: 3 }, state }));
    const later = decide(
      input({ nowMs: NOW_MS + 20_000, config, metrics: { scheduledJobs: 3 }, state: first.nextState }),
    );

    // Assess
    expect(first.action).toBe('hold');
    expect(later).toMatchObject({ action: 'scale-out', desired: 2 });
  });

  it('scales a group above its max down to max, even with a partial scale-in factor', () => {
    // Prepare: max lowered to 10 under a group of 20; demand for 10
    const decision = decide(
      input({
        config: { scaleInFactor: 0.5 },
        metrics: { scheduledJobs: 10 },
        group: { desired: 20, inService: 20, max: 10 },
      }),
    );

    // Assess: 20 + floor((10 - 20) × 0.5) = 15 is above max, which SetDesiredCapacity refuses
    expect(decision).toMatchObject({ action: 'scale-in', desired: 10 });
    expect(decision.reasons.slice(-3)).toEqual([
      'scale-in factor 0.5: 20 → 15',
      'capped at max 10',
      'scale in 20 → 10',
    ]);
  });

  it('scales a group below its min up to min, even with a partial scale-out factor or an empty throttle', () => {
    // Prepare: min raised to 4 over a group of 0
    const below = (config: ScalerConfigInput) =>
      decide(input({ config, group: { desired: 0, min: 4, max: 10 }, state: { throttleTokens: 1 } }));

    // Act
    const factored = below({ scaleOutFactor: 0.1 });
    const throttled = below({ growthThrottle: { launchesPerSec: 0.001, burst: 5 } });

    // Assess: 0 + ceil(4 × 0.1) = 1, or one launch token, is below min, which SetDesiredCapacity refuses
    expect(factored).toMatchObject({ action: 'scale-out', desired: 4 });
    expect(factored.reasons.slice(-3)).toEqual(['scale-out factor 0.1: 0 → 1', 'raised to min 4', 'scale out 0 → 4']);
    expect(throttled).toMatchObject({ action: 'scale-out', desired: 4 });
    expect(throttled.nextState.throttleTokens).toBe(0);
  });

  it('lowers desired only by the instances it drains when one is listed twice', () => {
    // Prepare: i-a listed twice, two busy instances, demand for one
    const decision = decide(
      input({
        config: { scaleIn: { strategy: 'drain' } },
        metrics: { runningJobs: 1, busyAgents: 2, idleAgents: 1, totalAgents: 3 },
        group: {
          desired: 3,
          inService: 3,
          instances: [
            instance({ id: 'i-a' }),
            instance({ id: 'i-a' }),
            instance({ id: 'i-b', busyAgents: 1, idleAgents: 0 }),
            instance({ id: 'i-c', busyAgents: 1, idleAgents: 0 }),
          ],
        },
      }),
    );

    // Assess: nothing unambiguous to drain; 3 → 1 with one drained made the group terminate a busy instance
    expect(decision).toMatchObject({ action: 'hold', desired: 3, instancesToDrain: [] });
  });
});

describe('Function: decide (availability boost)', () => {
  it('does not boost while the group is still converging, and says so', () => {
    // Prepare: 0 of 4 expected agents online, but only 1 of 2 instances in service
    const decision = decide(
      input({
        config: { agentsPerInstance: 4, availabilityThreshold: 0.5 },
        metrics: { scheduledJobs: 5 },
        group: { desired: 2, inService: 1 },
      }),
    );

    expect(decision).toMatchObject({ desired: 2, action: 'hold' });
    expect(decision.reasons).toContain('availability below threshold but the group is still converging: no boost');
  });

  it('boosts an empty group to one instance only when the threshold exceeds 1 (Go quirk: availability of 0/0 is 1)', () => {
    const decision = decide(
      input({ config: { agentsPerInstance: 0, availabilityThreshold: 1.5 }, metrics: { scheduledJobs: 1 } }),
    );

    expect(decision).toMatchObject({ desired: 1, action: 'scale-out' });
  });
});

describe('Function: decide (over-provision)', () => {
  it('adds N instances when jobs exist', () => {
    const decision = decide(
      input({ config: { overProvision: { strategy: 'instances', instances: 2 } }, metrics: { scheduledJobs: 3 } }),
    );

    expect(decision.desired).toBe(5);
  });

  it('adds P % of the job-based instances, rounded up', () => {
    // Prepare: 10 jobs at 1 per instance, 15 % → 1.5 → 2
    const decision = decide(
      input({ config: { overProvision: { strategy: 'percent', percent: 15 } }, metrics: { scheduledJobs: 10 } }),
    );

    expect(decision.desired).toBe(12);
  });

  it('adds nothing without jobs', () => {
    const decision = decide(input({ config: { overProvision: { strategy: 'instances', instances: 2 } } }));

    expect(decision.desired).toBe(0);
  });
});

describe('Function: decide (idle pool)', () => {
  it('keeps idleCount spare job slots, in instances of agentsPerInstance slots', () => {
    // Prepare: 5 jobs + 4 idle slots = 9 slots at 4 per instance → 3 instances
    const decision = decide(
      input({ config: { agentsPerInstance: 4, idlePool: { idleCount: 4 } }, metrics: { scheduledJobs: 5 } }),
    );

    expect(decision.desired).toBe(3);
  });

  it.each([
    // GitLab's documented example: IdleCount=100, IdleCountMin=10, IdleScaleFactor=1.1
    [10, 11],
    [100, 100],
    [20, 22],
    [0, 10],
  ])('with a factor of in-use slots keeps %d in use → %d idle', (busyAgents, idle) => {
    const decision = decide(
      input({
        config: { idlePool: { idleCount: 100, idleCountMin: 10, idleScaleFactor: 1.1 }, staleMetricsAfterSec: 0 },
        metrics: { busyAgents, runningJobs: busyAgents, totalAgents: busyAgents },
        group: { max: 1000 },
      }),
    );

    expect(decision.desired).toBe(busyAgents + idle);
  });

  it('lets the last matching period win and falls back to the base values outside every period', () => {
    const config = {
      idlePool: {
        idleCount: 1,
        periods: [
          { cron: '* 8-17 * * MON-FRI', timezone: 'Europe/Berlin', idleCount: 4 },
          { cron: '* 12 * * MON', timezone: 'Europe/Berlin', idleCount: 6 },
        ],
      },
    };
    const monday = (hourUtc: number) => decide(input({ config, nowMs: Date.UTC(2026, 10, 23, hourUtc, 30) })).desired;

    // 10:30 UTC = 11:30 Berlin (first period), 11:30 UTC = 12:30 Berlin (both: the last wins), 20:30 UTC: none
    expect([monday(10), monday(11), monday(20)]).toEqual([4, 6, 1]);
  });

  it('does not shrink a larger target', () => {
    const decision = decide(
      input({ config: { idlePool: { idleCount: 1 }, instanceBuffer: 5 }, metrics: { scheduledJobs: 5 } }),
    );

    expect(decision.desired).toBe(10);
  });

  it('counts slots one to one with agentsPerInstance 0', () => {
    const decision = decide(input({ config: { agentsPerInstance: 0, idlePool: { idleCount: 2 } } }));

    expect(decision.desired).toBe(2);
  });
});

describe('Function: decide (warm pool)', () => {
  const prepare = { enabled: true, prepareForWaitingJobs: true };

  it('leaves the warm pool alone (null) with the policy off, whatever waits', () => {
    const decision = decide(input({ metrics: { waitingJobs: 20 } }));

    expect(decision.warmPoolMinSize).toBeNull();
    expect(JSON.parse(JSON.stringify(decision)).warmPoolMinSize).toBeNull();
  });

  it.each([
    // [waiting, idle agents, agentsPerInstance, minSize, expected pool min size]
    [0, 0, 1, 0, 0],
    [0, 0, 1, 3, 3],
    [5, 0, 1, 0, 5],
    [5, 2, 1, 0, 3],
    [5, 9, 1, 2, 2],
    [7, 0, 2, 0, 4],
    [7, 1, 4, 0, 2],
    [3, 0, 0, 0, 3],
    [5, 0, 1, 8, 8],
    [9, 0, 1, 4, 9],
  ])(
    'with %d waiting and %d idle agents at %d per instance, min size %d → %d',
    (waiting, idle, perInstance, minSize, expected) => {
      const decision = decide(
        input({
          config: { agentsPerInstance: perInstance, warmPool: { ...prepare, minSize } },
          metrics: { waitingJobs: waiting, idleAgents: idle, totalAgents: idle },
        }),
      );

      expect(decision.warmPoolMinSize).toBe(expected);
    },
  );

  it('keeps exactly minSize without prepareForWaitingJobs', () => {
    const decision = decide(
      input({ config: { warmPool: { enabled: true, minSize: 2 } }, metrics: { waitingJobs: 30 } }),
    );

    expect(decision.warmPoolMinSize).toBe(2);
    expect(decision.reasons.join('\n')).not.toContain('warm pool');
  });

  it('explains a pool raised for waiting jobs, after the capacity decision', () => {
    const decision = decide(
      input({
        config: { agentsPerInstance: 2, warmPool: prepare },
        metrics: { runningJobs: 2, busyAgents: 2, totalAgents: 3, idleAgents: 1, waitingJobs: 7 },
        group: { desired: 1, inService: 1 },
      }),
    );

    expect(decision).toMatchObject({ action: 'hold', desired: 1, warmPoolMinSize: 2 });
    expect(decision.reasons.at(-1)).toBe(
      'warm pool: 4 waiting job(s) beyond the idle and running agents → pool min size 2',
    );
  });

  it('prepares nothing for a job waiting behind a running step: the step’s agent takes it when the step ends', () => {
    // A build → test pipeline: one job runs, one waits for it. The build's agent is free the moment the test is
    // released, so an instance prepared for the test would pay a boot and its volume and never be used.
    const pipeline = decide(
      input({
        config: { warmPool: prepare },
        metrics: { runningJobs: 1, busyAgents: 1, totalAgents: 1, waitingJobs: 1 },
        group: { desired: 1, inService: 1 },
      }),
    );
    // A fan-out behind the same single build step still gets the rest prepared.
    const fanOut = decide(
      input({
        config: { warmPool: prepare },
        metrics: { runningJobs: 1, busyAgents: 1, totalAgents: 1, waitingJobs: 10 },
        group: { desired: 1, inService: 1 },
      }),
    );

    expect(pipeline.warmPoolMinSize).toBe(0);
    expect(fanOut.warmPoolMinSize).toBe(9);
  });

  it("caps the pool at the room below the group's max after this decision's desired", () => {
    const decision = decide(
      input({
        config: { warmPool: { ...prepare, minSize: 1 } },
        metrics: { scheduledJobs: 6, waitingJobs: 20 },
        group: { max: 10 },
      }),
    );
    const full = decide(
      input({
        config: { warmPool: { ...prepare, minSize: 1 } },
        metrics: { scheduledJobs: 12, waitingJobs: 20 },
        group: { max: 10 },
      }),
    );

    expect(decision).toMatchObject({ desired: 6, warmPoolMinSize: 4 });
    expect(decision.reasons.at(-1)).toBe(
      "warm pool: 20 waiting job(s) beyond the idle and running agents need 20 instance(s), capped at 4 (room below the group's max)",
    );
    // At max there is no room: the configured floor still holds.
    expect(full).toMatchObject({ desired: 10, warmPoolMinSize: 1 });
    expect(full.reasons.join('\n')).not.toContain('warm pool');
  });

  it('leaves the pool alone (null) on stale metrics', () => {
    const decision = decide(
      input({ config: { warmPool: prepare }, metrics: { waitingJobs: 5, collectedAtMs: NOW_MS - 300_000 } }),
    );

    expect(decision).toMatchObject({ action: 'hold', warmPoolMinSize: null });
  });

  it('does not change the capacity decision', () => {
    const parts = {
      metrics: { scheduledJobs: 3, runningJobs: 2, waitingJobs: 9, busyAgents: 2, totalAgents: 2 },
      group: { desired: 1, inService: 1 },
    };

    const without = decide(input(parts));
    const withPool = decide(input({ ...parts, config: { warmPool: prepare } }));

    expect({ desired: withPool.desired, action: withPool.action, target: withPool.target }).toEqual({
      desired: without.desired,
      action: without.action,
      target: without.target,
    });
    // 9 waiting, 2 of them taken by the agents of the running jobs when their step ends.
    expect(withPool.warmPoolMinSize).toBe(7);
  });
});

describe('Function: decide (scheduled minimum)', () => {
  const config = {
    scheduledMinimums: [
      { cron: '* 9-17 * * MON-FRI', timezone: 'America/New_York', minSize: 3 },
      { cron: '* 9 * * MON', timezone: 'America/New_York', minSize: 5 },
    ],
  };

  it('raises the floor while a schedule matches, the last matching one winning', () => {
    // 15:00 UTC Monday = 10:00 New York: only the first; 14:30 UTC = 09:30: both
    const tenAm = decide(input({ config, nowMs: Date.UTC(2026, 10, 23, 15, 0) }));
    const nineThirty = decide(input({ config, nowMs: Date.UTC(2026, 10, 23, 14, 30) }));

    expect(tenAm).toMatchObject({ desired: 3, action: 'scale-out' });
    expect(tenAm.reasons).toContain('scheduled minimum 3');
    expect(nineThirty.desired).toBe(5);
  });

  it('falls back to the group minimum outside the schedule and never exceeds the group maximum', () => {
    const night = decide(input({ config, nowMs: Date.UTC(2026, 10, 23, 3, 0), group: { min: 1 } }));
    const capped = decide(input({ config, nowMs: Date.UTC(2026, 10, 23, 15, 0), group: { max: 2 } }));

    expect(night.desired).toBe(1);
    expect(night.reasons).toContain('raised to min 1');
    expect(capped.desired).toBe(2);
  });
});

describe('Function: decide (growth throttle)', () => {
  const config = { growthThrottle: { launchesPerSec: 0.1, burst: 5 } };

  it('launches at most the burst from a full bucket and records the bucket', () => {
    const decision = decide(input({ config, metrics: { scheduledJobs: 20 } }));

    expect(decision).toMatchObject({ desired: 5, action: 'scale-out', target: 20 });
    expect(decision.nextState).toEqual({ lastScaleOutAtMs: NOW_MS, throttleTokens: 0, throttleUpdatedAtMs: NOW_MS });
  });

  it('refills at the configured rate', () => {
    const state = { throttleTokens: 0, throttleUpdatedAtMs: NOW_MS - 30_000 };

    const decision = decide(
      input({ config, state, metrics: { scheduledJobs: 20 }, group: { desired: 5, inService: 5 } }),
    );

    expect(decision.desired).toBe(8);
    expect(decision.nextState.throttleTokens).toBeCloseTo(0);
  });

  it('holds when no token is available', () => {
    const state = { throttleTokens: 0.5, throttleUpdatedAtMs: NOW_MS };

    const decision = decide(
      input({ config, state, metrics: { scheduledJobs: 20 }, group: { desired: 5, inService: 5 } }),
    );

    expect(decision).toMatchObject({ desired: 5, action: 'hold' });
    expect(decision.nextState).toBe(state);
  });

  it('spends only what it launches', () => {
    const decision = decide(input({ config, metrics: { scheduledJobs: 2 } }));

    expect(decision.nextState.throttleTokens).toBe(3);
  });
});

describe('Function: decide (AWS step scaling)', () => {
  const stepScaling = {
    metric: 'scheduledJobs' as const,
    alarmThreshold: 10,
    adjustmentType: 'ChangeInCapacity' as const,
    stepAdjustments: [
      { metricIntervalUpperBound: -5, scalingAdjustment: -2 },
      { metricIntervalLowerBound: -5, metricIntervalUpperBound: 0, scalingAdjustment: 0 },
      { metricIntervalLowerBound: 0, metricIntervalUpperBound: 10, scalingAdjustment: 2 },
      { metricIntervalLowerBound: 10, scalingAdjustment: 3 },
    ],
  };

  it('adds the matching step to the in-service capacity', () => {
    const decision = decide(
      input({ config: { stepScaling }, metrics: { scheduledJobs: 12 }, group: { desired: 4, inService: 4 } }),
    );

    expect(decision).toMatchObject({ desired: 6, action: 'scale-out' });
  });

  it('counts capacity still launching toward the next scale-out (+3 after an unfinished +2 adds one)', () => {
    const decision = decide(
      input({
        config: { stepScaling },
        metrics: { scheduledJobs: 25 },
        group: { desired: 6, inService: 4, pending: 2 },
      }),
    );

    expect(decision.desired).toBe(7);
  });

  it('never lowers the group for a scale-out step while capacity is still launching', () => {
    const decision = decide(
      input({
        config: { stepScaling },
        metrics: { scheduledJobs: 12 },
        group: { desired: 8, inService: 4, pending: 4 },
      }),
    );

    expect(decision).toMatchObject({ desired: 8, action: 'hold' });
  });

  it('scales in by a negative step from the desired capacity', () => {
    const decision = decide(
      input({ config: { stepScaling }, metrics: { scheduledJobs: 2 }, group: { desired: 6, inService: 6 } }),
    );

    expect(decision).toMatchObject({ desired: 4, action: 'scale-in' });
  });

  it('keeps the capacity when no step matches', () => {
    const gapless = { ...stepScaling, stepAdjustments: [{ metricIntervalLowerBound: 0, scalingAdjustment: 1 }] };

    const decision = decide(
      input({ config: { stepScaling: gapless }, metrics: { scheduledJobs: 2 }, group: { desired: 3, inService: 3 } }),
    );

    expect(decision).toMatchObject({ desired: 3, action: 'hold' });
    expect(decision.reasons[0]).toBe('step scaling: scheduledJobs 2 matches no step: keep 3');
  });

  it.each([
    ['pendingJobs', { scheduledJobs: 4, waitingJobs: 4 }, 3],
    ['backlogPerInstance', { scheduledJobs: 30 }, 3],
    ['busyAgentPercent', { busyAgents: 3, totalAgents: 4 }, 3],
    ['busyAgentPercent', { busyAgents: 0, totalAgents: 0 }, 1],
  ] as const)('reads %s as the alarm metric', (metric, readings, expected) => {
    const policy = {
      metric,
      alarmThreshold: 7,
      adjustmentType: 'ExactCapacity' as const,
      stepAdjustments: [
        { metricIntervalUpperBound: 0, scalingAdjustment: 1 },
        { metricIntervalLowerBound: 0, scalingAdjustment: 3 },
      ],
    };

    const decision = decide(
      input({
        config: { stepScaling: policy, staleMetricsAfterSec: 0 },
        metrics: readings,
        group: { desired: 2, inService: 2 },
      }),
    );

    expect(decision.target).toBe(expected);
  });
});

describe('Function: decide (graceful scale-in by draining)', () => {
  const drainConfig = { scaleIn: { strategy: 'drain' as const } };
  const instances = [
    instance({ id: 'i-old', launchedAtMs: NOW_MS - 300 * MINUTE_MS }),
    instance({ id: 'i-busy', launchedAtMs: NOW_MS - 400 * MINUTE_MS, busyAgents: 1, idleAgents: 0 }),
    instance({ id: 'i-new', launchedAtMs: NOW_MS - 100 * MINUTE_MS }),
  ];

  it('drains idle instances, oldest first, and lowers desired by exactly that many', () => {
    const decision = decide(
      input({
        config: drainConfig,
        metrics: { runningJobs: 1, busyAgents: 1, idleAgents: 2, totalAgents: 3 },
        group: { desired: 3, inService: 3, instances },
      }),
    );

    expect(decision).toMatchObject({ action: 'scale-in', desired: 1, instancesToDrain: ['i-old', 'i-new'] });
  });

  it('drains fewer than wanted when the rest are busy or too young', () => {
    const decision = decide(
      input({
        config: { scaleIn: { strategy: 'drain', minRunningTimeSec: 200 * 60 } },
        metrics: { runningJobs: 1, busyAgents: 1, idleAgents: 2, totalAgents: 3 },
        group: { desired: 3, inService: 3, instances },
      }),
    );

    expect(decision).toMatchObject({ action: 'scale-in', desired: 2, instancesToDrain: ['i-old'] });
  });

  it('holds when nothing can be drained safely', () => {
    const decision = decide(
      input({
        config: drainConfig,
        metrics: { totalAgents: 1, busyAgents: 1 },
        group: { desired: 1, inService: 1, instances: [instances[1] as never] },
      }),
    );

    expect(decision).toMatchObject({ action: 'hold', desired: 1, instancesToDrain: [] });
  });

  it('holds when the group does not list its instances', () => {
    const decision = decide(input({ config: drainConfig, group: { desired: 2, inService: 2 } }));

    expect(decision).toMatchObject({ action: 'hold', desired: 2 });
    expect(decision.reasons.at(-1)).toContain('needs group.instances');
  });

  it('keeps the idle pool floor of slots while draining', () => {
    const decision = decide(
      input({
        config: { ...drainConfig, idlePool: { idleCount: 1 } },
        metrics: { idleAgents: 3, totalAgents: 3 },
        group: {
          desired: 3,
          inService: 3,
          instances: [instances[0], instances[2], instance({ id: 'i-third' })] as never,
        },
      }),
    );

    expect(decision).toMatchObject({ action: 'scale-in', desired: 1, instancesToDrain: ['i-old', 'i-third'] });
  });

  it('uses the configured parsed config without re-parsing', () => {
    const config = parseScalerConfig(drainConfig);

    expect(decide({ ...input(), config }).action).toBe('hold');
  });
});
