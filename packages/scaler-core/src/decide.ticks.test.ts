import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScalerConfig } from './config.js';
import { decide, initialScalerState } from './decide.js';
import { NOW_MS } from './test-fixtures.js';
import type { GroupState, ScalerState } from './types.js';

const TICK_MS = 10_000;

/**
 * Threads state through a run of ticks against a toy group that launches what it is asked for (in service one tick
 * later) and removes instances at once, the way the Lambda and the simulator call `decide`.
 */
function simulate(config: ReturnType<typeof parseScalerConfig>, demand: readonly number[]) {
  let state: ScalerState = initialScalerState();
  let group: GroupState = { desired: 0, min: 0, max: 50, inService: 0, pending: 0 };
  const events: { atMs: number; action: string; from: number; to: number }[] = [];
  demand.forEach((scheduledJobs, tick) => {
    const nowMs = NOW_MS + tick * TICK_MS;
    const agents = group.inService * config.agentsPerInstance;
    const decision = decide({
      config,
      nowMs,
      metrics: {
        scheduledJobs,
        runningJobs: 0,
        waitingJobs: 0,
        idleAgents: agents,
        busyAgents: 0,
        totalAgents: agents,
        collectedAtMs: nowMs,
      },
      group,
      state,
    });
    if (decision.action !== 'hold') {
      events.push({ atMs: nowMs, action: decision.action, from: group.desired, to: decision.desired });
    }
    state = decision.nextState;
    const inService = Math.min(group.desired, decision.desired);
    group = { ...group, desired: decision.desired, inService, pending: decision.desired - inService };
  });
  return { events, group };
}

describe('Function: decide (state threaded through ticks)', () => {
  it('spaces scale-outs by the cooldown and scale-ins by theirs, and ends at the demand', () => {
    const config = parseScalerConfig({ scaleOutCooldownSec: 60, scaleInCooldownSec: 120, availabilityThreshold: 0 });
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 5, maxLength: 60 }), (demand) => {
        const settled = [...demand, ...Array.from({ length: 30 }, () => demand.at(-1) as number)];

        const { events, group } = simulate(config, settled);

        for (const direction of ['scale-out', 'scale-in']) {
          const times = events.filter((event) => event.action === direction).map((event) => event.atMs);
          const cooldownMs = direction === 'scale-out' ? 60_000 : 120_000;
          times.slice(1).forEach((atMs, index) => {
            expect(atMs - (times[index] as number)).toBeGreaterThanOrEqual(cooldownMs);
          });
        }
        expect(group.desired).toBe(settled.at(-1));
      }),
      { numRuns: 200 },
    );
  });

  it('never launches more than the bucket allows over any stretch of time', () => {
    const config = parseScalerConfig({ growthThrottle: { launchesPerSec: 0.05, burst: 3 }, availabilityThreshold: 0 });
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 5, maxLength: 80 }), (demand) => {
        const { events } = simulate(config, demand);
        const launches = events
          .filter((event) => event.action === 'scale-out')
          .map((event) => ({ atMs: event.atMs, count: event.to - event.from }));

        for (let first = 0; first < launches.length; first++) {
          let launched = 0;
          for (let last = first; last < launches.length; last++) {
            launched += (launches[last] as { count: number }).count;
            const elapsedSec =
              ((launches[last] as { atMs: number }).atMs - (launches[first] as { atMs: number }).atMs) / 1000;
            expect(launched).toBeLessThanOrEqual(3 + 0.05 * elapsedSec + 1e-9);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
