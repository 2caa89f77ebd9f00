import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScalerConfig, type ScalerConfigInput } from './config.js';
import { decide } from './decide.js';
import { NOW_MS } from './test-fixtures.js';
import type { DecisionInput, GroupState, InstanceView, QueueMetrics, ScalerState } from './types.js';

const DAY_MS = 86_400_000;

const factor = fc.constantFrom(0.1, 0.5, 1, 2, 5);
const cooldown = fc.constantFrom(0, 60, 300, 3600);

const configInput = (factors: { out: fc.Arbitrary<number>; in: fc.Arbitrary<number> }, throttle: boolean) =>
  fc
    .record({
      agentsPerInstance: fc.integer({ min: 0, max: 8 }),
      includeWaiting: fc.boolean(),
      instanceBuffer: fc.integer({ min: 0, max: 5 }),
      maxInstanceCap: fc.integer({ min: 0, max: 20 }),
      availabilityThreshold: fc.constantFrom(0, 0.5, 1),
      scaleOutFactor: factors.out,
      scaleInFactor: factors.in,
      scaleOutCooldownSec: cooldown,
      scaleInCooldownSec: cooldown,
      scaleOnlyAfterAllEvent: fc.boolean(),
      disableScaleOut: fc.boolean(),
      disableScaleIn: fc.boolean(),
      elasticCiMode: fc.boolean(),
      overProvision: fc.constantFrom<ScalerConfigInput['overProvision']>(
        { strategy: 'none' },
        { strategy: 'instances', instances: 2 },
        { strategy: 'percent', percent: 25 },
      ),
      idlePool: fc.constantFrom<ScalerConfigInput['idlePool']>(
        {},
        { idleCount: 3 },
        { idleCount: 10, idleScaleFactor: 0.5, idleCountMin: 1 },
        { periods: [{ cron: '* 8-17 * * 1-5', timezone: 'Europe/Berlin', idleCount: 5 }] },
      ),
      scheduledMinimums: fc.constantFrom<ScalerConfigInput['scheduledMinimums']>(
        [],
        [{ cron: '* 6-20 * * *', timezone: 'America/New_York', minSize: 4 }],
      ),
      throttled: throttle ? fc.boolean() : fc.constant(false),
      warmPool: fc.constantFrom<ScalerConfigInput['warmPool']>(
        {},
        { enabled: true, minSize: 2 },
        { enabled: true, prepareForWaitingJobs: true },
        { enabled: true, minSize: 3, prepareForWaitingJobs: true },
      ),
      scaleIn: fc.constantFrom<ScalerConfigInput['scaleIn']>(
        {},
        { strategy: 'drain' },
        { strategy: 'drain', order: 'newest-first', minRunningTimeSec: 600, minIdleSec: 60 },
      ),
    })
    .map(
      ({ throttled, ...config }): ScalerConfigInput =>
        throttled ? { ...config, growthThrottle: { launchesPerSec: 0.05, burst: 3 } } : config,
    );

const metricsArbitrary = (nowMs: number): fc.Arbitrary<QueueMetrics> =>
  fc.record({
    scheduledJobs: fc.integer({ min: 0, max: 60 }),
    runningJobs: fc.integer({ min: 0, max: 60 }),
    waitingJobs: fc.integer({ min: 0, max: 60 }),
    idleAgents: fc.integer({ min: 0, max: 60 }),
    busyAgents: fc.integer({ min: 0, max: 60 }),
    totalAgents: fc.integer({ min: 0, max: 120 }),
    collectedAtMs: fc.constantFrom(nowMs, nowMs - 30_000, nowMs - 600_000),
  });

const instanceArbitrary = (nowMs: number, index: number): fc.Arbitrary<InstanceView> =>
  fc.record({
    id: fc.constant(`i-${index}`),
    launchedAtMs: fc.integer({ min: nowMs - DAY_MS, max: nowMs }),
    lifecycleState: fc.constantFrom('InService', 'InService', 'InService', 'Pending', 'Terminating', 'Warmed:Running'),
    busyAgents: fc.constantFrom(0, 0, 1, 3, Number.NaN),
    idleAgents: fc.integer({ min: 0, max: 4 }),
    idleSinceMs: fc.integer({ min: nowMs - DAY_MS, max: nowMs }),
  });

const groupArbitrary = (nowMs: number): fc.Arbitrary<GroupState> =>
  fc
    .record({
      min: fc.integer({ min: 0, max: 5 }),
      span: fc.integer({ min: 0, max: 40 }),
      desiredShare: fc.double({ min: 0, max: 1, noNaN: true }),
      extraInService: fc.integer({ min: -5, max: 3 }),
      pending: fc.integer({ min: 0, max: 3 }),
    })
    .chain(({ min, span, desiredShare, extraInService, pending }) => {
      const max = min + span;
      const desired = min + Math.floor(desiredShare * span);
      const inService = Math.max(0, desired + extraInService);
      return fc
        .tuple(...Array.from({ length: inService + pending }, (_, index) => instanceArbitrary(nowMs, index)))
        .map((instances) => ({ min, max, desired, inService, pending, instances }));
    });

const stateArbitrary = (nowMs: number): fc.Arbitrary<ScalerState> =>
  fc
    .record({
      out: fc.option(fc.integer({ min: 0, max: 7200 }), { nil: undefined }),
      in: fc.option(fc.integer({ min: 0, max: 7200 }), { nil: undefined }),
      tokens: fc.option(fc.double({ min: 0, max: 3, noNaN: true }), { nil: undefined }),
    })
    .map(({ out, in: inAgo, tokens }) => {
      const state: ScalerState = {};
      if (out !== undefined) state.lastScaleOutAtMs = nowMs - out * 1000;
      if (inAgo !== undefined) state.lastScaleInAtMs = nowMs - inAgo * 1000;
      if (tokens !== undefined) {
        state.throttleTokens = tokens;
        state.throttleUpdatedAtMs = nowMs - 10_000;
      }
      return state;
    });

const decisionInput = (options: { factors?: boolean; throttle?: boolean } = {}): fc.Arbitrary<DecisionInput> =>
  fc.integer({ min: 0, max: 7 * DAY_MS }).chain((offsetMs) => {
    const nowMs = NOW_MS + offsetMs;
    const factors =
      options.factors === false ? { out: fc.constant(1), in: fc.constant(1) } : { out: factor, in: factor };
    return fc.record({
      config: configInput(factors, options.throttle ?? true).map(parseScalerConfig),
      nowMs: fc.constant(nowMs),
      metrics: metricsArbitrary(nowMs),
      group: groupArbitrary(nowMs),
      state: stateArbitrary(nowMs),
    });
  });

/**
 * Inputs at the edges the schema still accepts: instances listed twice, in unknown states, with unknown or infinite
 * agent counts; a group above its max; state times from a clock up to a day ahead or behind.
 */
const edgeInput = (): fc.Arbitrary<DecisionInput> =>
  fc.integer({ min: 0, max: 7 * DAY_MS }).chain((offsetMs) => {
    const nowMs = NOW_MS + offsetMs;
    const edgeInstance = fc.record({
      id: fc.constantFrom('i-a', 'i-b', 'i-c', 'i-d'),
      launchedAtMs: fc.integer({ min: nowMs - DAY_MS, max: nowMs + DAY_MS }),
      lifecycleState: fc.constantFrom('InService', 'InService', 'Pending', 'Standby', 'Rebooting'),
      busyAgents: fc.constantFrom(0, 0, 1, Number.NaN, Number.POSITIVE_INFINITY),
      idleAgents: fc.constantFrom(0, 1, 4, Number.NaN),
      idleSinceMs: fc.integer({ min: nowMs - DAY_MS, max: nowMs + DAY_MS }),
    });
    const group = fc
      .record({
        min: fc.integer({ min: 0, max: 5 }),
        span: fc.integer({ min: 0, max: 20 }),
        desired: fc.integer({ min: 0, max: 40 }),
        inService: fc.integer({ min: 0, max: 40 }),
        pending: fc.integer({ min: 0, max: 3 }),
        instances: fc.array(edgeInstance, { maxLength: 8 }),
      })
      .map(({ min, span, ...rest }): GroupState => ({ min, max: min + span, ...rest }));
    const clockStep = fc.integer({ min: -DAY_MS, max: DAY_MS });
    const state = fc
      .record({
        out: clockStep,
        in: clockStep,
        throttle: clockStep,
        tokens: fc.double({ min: 0, max: 3, noNaN: true }),
      })
      .map(
        (times): ScalerState => ({
          lastScaleOutAtMs: nowMs + times.out,
          lastScaleInAtMs: nowMs + times.in,
          throttleUpdatedAtMs: nowMs + times.throttle,
          throttleTokens: times.tokens,
        }),
      );
    return fc.record({
      config: configInput({ out: factor, in: factor }, true).map(parseScalerConfig),
      nowMs: fc.constant(nowMs),
      metrics: metricsArbitrary(nowMs),
      group,
      state,
    });
  });

describe('Function: decide (properties at the edges)', () => {
  it('is total on edge inputs: never drains an ambiguous or busy instance, never sets desired outside [min, max]', () => {
    fc.assert(
      fc.property(edgeInput(), (input) => {
        const decision = decide(input);
        const { group } = input;
        const listings = group.instances ?? [];

        expect(decision.reasons.length).toBeGreaterThan(0);
        expect(new Set(decision.instancesToDrain).size).toBe(decision.instancesToDrain.length);
        for (const id of decision.instancesToDrain) {
          const listed = listings.filter((instance) => instance.id === id);
          expect(listed).toHaveLength(1);
          expect(listed[0]).toMatchObject({ lifecycleState: 'InService', busyAgents: 0 });
        }
        if (decision.instancesToDrain.length > 0) {
          expect(decision.desired).toBe(group.desired - decision.instancesToDrain.length);
        } else if (decision.action !== 'hold') {
          expect(decision.desired).toBeGreaterThanOrEqual(group.min);
          expect(decision.desired).toBeLessThanOrEqual(group.max);
        }
        // A time ahead of the clock is persisted as now at the latest, so no cooldown outlasts its length.
        for (const key of ['lastScaleOutAtMs', 'lastScaleInAtMs', 'throttleUpdatedAtMs'] as const) {
          expect(decision.nextState[key] ?? 0).toBeLessThanOrEqual(input.nowMs);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('Function: decide (properties)', () => {
  it('always answers a desired capacity within [min, max]', () => {
    fc.assert(
      fc.property(decisionInput(), (input) => {
        const { desired } = decide(input);

        expect(Number.isInteger(desired)).toBe(true);
        expect(desired).toBeGreaterThanOrEqual(input.group.min);
        expect(desired).toBeLessThanOrEqual(input.group.max);
      }),
      { numRuns: 500 },
    );
  });

  it('never drains a busy, unknown or not-in-service instance, and lowers desired by exactly the drained count', () => {
    fc.assert(
      fc.property(decisionInput(), (input) => {
        const decision = decide(input);
        const byId = new Map(input.group.instances?.map((instance) => [instance.id, instance]));

        for (const id of decision.instancesToDrain) {
          const drained = byId.get(id);
          expect(drained?.lifecycleState).toBe('InService');
          expect(drained?.busyAgents).toBe(0);
        }
        if (decision.instancesToDrain.length > 0) {
          expect(decision.desired).toBe(input.group.desired - decision.instancesToDrain.length);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('asks for a target that never falls when demand rises', () => {
    fc.assert(
      fc.property(decisionInput(), fc.integer({ min: 0, max: 40 }), (input, extraJobs) => {
        const more = {
          ...input,
          metrics: { ...input.metrics, scheduledJobs: input.metrics.scheduledJobs + extraJobs },
        };

        expect(decide(more).target).toBeGreaterThanOrEqual(decide(input).target);
      }),
      { numRuns: 500 },
    );
  });

  it('never decides a lower desired capacity when demand rises (factors 1, no throttle)', () => {
    fc.assert(
      fc.property(
        decisionInput({ factors: false, throttle: false }),
        fc.integer({ min: 0, max: 40 }),
        (input, extra) => {
          const more = { ...input, metrics: { ...input.metrics, scheduledJobs: input.metrics.scheduledJobs + extra } };

          expect(decide(more).desired).toBeGreaterThanOrEqual(decide(input).desired);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('answers identically for identical inputs', () => {
    fc.assert(
      fc.property(decisionInput(), (input) => {
        const first = decide(input);
        const second = decide(input);

        expect(JSON.stringify(second)).toBe(JSON.stringify(first));
      }),
      { numRuns: 300 },
    );
  });

  it('holds once its own set-desired decision has been applied (converged group, factors 1, no boost)', () => {
    fc.assert(
      fc.property(decisionInput({ factors: false, throttle: false }), (input) => {
        const config = {
          ...input.config,
          availabilityThreshold: 0,
          scaleIn: { ...input.config.scaleIn, strategy: 'set-desired' as const },
        };
        const converged = { ...input, config, group: { ...input.group, inService: input.group.desired } };
        const first = decide(converged);
        const applied = {
          ...converged,
          state: first.nextState,
          group: { ...converged.group, desired: first.desired, inService: first.desired },
        };

        const second = decide(applied);

        expect(second.desired).toBe(first.desired);
      }),
      { numRuns: 300 },
    );
  });

  it('never shortens a cooldown', () => {
    fc.assert(
      fc.property(decisionInput(), (input) => {
        const { config, nowMs, state } = input;
        const decision = decide(input);
        const lastOut = state.lastScaleOutAtMs;
        const lastIn = state.lastScaleInAtMs;

        if (decision.action === 'scale-out' && lastOut !== undefined) {
          const lastEvent = config.scaleOnlyAfterAllEvent && lastIn !== undefined ? Math.max(lastIn, lastOut) : lastOut;
          expect(nowMs - lastEvent).toBeGreaterThanOrEqual(config.scaleOutCooldownSec * 1000);
        }
        if (decision.action === 'scale-in' && lastIn !== undefined) {
          const lastEvent = config.scaleOnlyAfterAllEvent && lastOut !== undefined ? Math.max(lastIn, lastOut) : lastIn;
          expect(nowMs - lastEvent).toBeGreaterThanOrEqual(config.scaleInCooldownSec * 1000);
        }
        if (decision.action !== 'scale-out') expect(decision.nextState.lastScaleOutAtMs).toBe(lastOut);
        if (decision.action !== 'scale-in') expect(decision.nextState.lastScaleInAtMs).toBe(lastIn);
      }),
      { numRuns: 500 },
    );
  });

  it('sizes the warm pool as a whole number ≥ its minSize, null only with the policy off or stale metrics', () => {
    fc.assert(
      fc.property(decisionInput(), (input) => {
        const { config, nowMs, metrics, group } = input;
        const decision = decide(input);
        const stale =
          config.staleMetricsAfterSec > 0 && nowMs - metrics.collectedAtMs > config.staleMetricsAfterSec * 1000;

        if (!config.warmPool.enabled || stale) {
          expect(decision.warmPoolMinSize).toBeNull();
          return;
        }
        const size = decision.warmPoolMinSize as number;
        expect(Number.isInteger(size)).toBe(true);
        expect(size).toBeGreaterThanOrEqual(config.warmPool.minSize);
        // Never more prepared for waiting jobs than the group could still take in.
        expect(size).toBeLessThanOrEqual(Math.max(config.warmPool.minSize, group.max - decision.desired));
      }),
      { numRuns: 500 },
    );
  });

  it('never shrinks the warm pool when more jobs wait (waiting jobs not counted as demand)', () => {
    fc.assert(
      fc.property(decisionInput(), fc.integer({ min: 0, max: 40 }), (input, extraWaiting) => {
        const config = { ...input.config, includeWaiting: false };
        const fewer = { ...input, config };
        const more = { ...fewer, metrics: { ...input.metrics, waitingJobs: input.metrics.waitingJobs + extraWaiting } };

        const before = decide(fewer);
        const after = decide(more);

        expect(after.desired).toBe(before.desired);
        expect(after.warmPoolMinSize ?? 0).toBeGreaterThanOrEqual(before.warmPoolMinSize ?? 0);
      }),
      { numRuns: 500 },
    );
  });
});
