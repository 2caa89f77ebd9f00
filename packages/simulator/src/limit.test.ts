import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { limitOf } from './limit.js';
import { type JobSpec, traceOf } from './test-support.js';

const PRICES = { pricePerInstanceHour: 0.17, volumeCostPerInstanceHour: 0.0274 };

function paidSec(jobs: readonly JobSpec[], measureFromSec = 0): number {
  return limitOf(traceOf(jobs), { queue: 'default', bringUpSec: 110, ...PRICES, measureFromSec }).instanceHours * 3600;
}

describe('Function: limitOf', () => {
  it('pays one bring-up and the job for a lone job, waits 0 s, and prices compute + EBS', () => {
    const limit = limitOf(traceOf([{ id: 'only', at: 100, duration: 60 }]), {
      queue: 'default',
      bringUpSec: 110,
      ...PRICES,
    });
    expect(limit.waitP95Sec).toBe(0);
    expect(limit.jobs).toBe(1);
    expect(limit.busyInstanceHours * 3600).toBeCloseTo(60, 9);
    expect(limit.instanceHours * 3600).toBeCloseTo(170, 9);
    expect(limit.cost).toBeCloseTo((170 / 3600) * (0.17 + 0.0274), 12);
  });

  it('starts dependents the moment their dependency ends, reusing the freed slot and bringing up the rest', () => {
    // build 0–60 s (110 s bring-up before it); test-1 on the build's slot at once, test-2 on a new one (110 s).
    const jobs = [
      { id: 'build', at: 0, duration: 60 },
      { id: 'test-1', at: 0, duration: 30, dependsOn: ['build'] },
      { id: 'test-2', at: 0, duration: 30, dependsOn: ['build'] },
    ];
    expect(paidSec(jobs)).toBeCloseTo(110 + 60 + 30 + 110 + 30, 9);
  });

  it('keeps a slot idle through a gap shorter than a bring-up, and brings a new one up after a longer gap', () => {
    const short = [
      { id: 'a', at: 0, duration: 100 },
      { id: 'b', at: 150, duration: 100 },
    ];
    expect(paidSec(short)).toBeCloseTo(110 + 100 + 50 + 100, 9);
    const long = [
      { id: 'a', at: 0, duration: 100 },
      { id: 'b', at: 400, duration: 100 },
    ];
    expect(paidSec(long)).toBeCloseTo(2 * (110 + 100), 9);
  });

  it('with a cold boot given, keeps, stops and resumes, or boots, whichever costs least, paying stopped volume', () => {
    const options = { queue: 'default', bringUpSec: 35, coldBringUpSec: 110, ...PRICES };
    const runningRate = PRICES.pricePerInstanceHour + PRICES.volumeCostPerInstanceHour;
    const twoJobs = (secondAt: number) =>
      limitOf(
        traceOf([
          { id: 'a', at: 0, duration: 100 },
          { id: 'b', at: secondAt, duration: 100 },
        ]),
        options,
      );
    // 30 s gap: idling (30 × 0.1974) beats a resume (35 × 0.1974). a boots cold: 110 + 100; b: 30 + 100.
    const kept = twoJobs(130);
    expect(kept.instanceHours * 3600).toBeCloseTo(110 + 100 + 30 + 100, 9);
    expect(kept.stoppedInstanceHours).toBe(0);
    // 300 s gap: stopped 265 s (× 0.0274) + a 35 s resume beats idling and a 110 s boot.
    const resumed = twoJobs(400);
    expect(resumed.instanceHours * 3600).toBeCloseTo(110 + 100 + 35 + 100, 9);
    expect(resumed.stoppedInstanceHours * 3600).toBeCloseTo(265, 9);
    expect(resumed.cost).toBeCloseTo((345 / 3600) * runningRate + (265 / 3600) * PRICES.volumeCostPerInstanceHour, 12);
    // 900 s gap: 865 s stopped costs more than booting anew (the break-even is a 575 s gap).
    const booted = twoJobs(1000);
    expect(booted.instanceHours * 3600).toBeCloseTo(2 * (110 + 100), 9);
    expect(booted.stoppedInstanceHours).toBe(0);
  });

  it("charges the idle a job's agent must be up before it starts, measuring the slot kept or brought up to it", () => {
    const idleOf = (jobs: readonly JobSpec[], idle: number[]) =>
      limitOf(traceOf(jobs), { queue: 'default', bringUpSec: 35, ...PRICES, idleBeforeStartSec: idle }).instanceHours *
      3600;
    // b is released when a ends at 100 s; its agent was up 40 s earlier. a's slot takes b at 100 s, the one brought up
    // for b idled 60–100 s: 35 + 100 for a, 40 + 50 for b.
    const released = [
      { id: 'a', at: 0, duration: 100 },
      { id: 'b', at: 0, duration: 50, dependsOn: ['a'] },
    ];
    expect(idleOf(released, [0, 40])).toBeCloseTo(35 + 100 + 40 + 50, 9);
    expect(idleOf(released, [0, 0])).toBeCloseTo(35 + 100 + 50, 9);
    // d must be up from 400 s; c's slot, free since 10 s, is further than a bring-up: a new one from 365 s.
    const apart = [
      { id: 'c', at: 0, duration: 10 },
      { id: 'd', at: 500, duration: 10 },
    ];
    expect(idleOf(apart, [0, 100])).toBeCloseTo(35 + 10 + 135 + 10, 9);
  });

  it('counts only jobs and capacity from the measured window on', () => {
    const jobs = [
      { id: 'before', at: 0, duration: 100 },
      { id: 'after', at: 5000, duration: 100 },
    ];
    expect(paidSec(jobs, 3000)).toBeCloseTo(110 + 100, 9);
    expect(limitOf(traceOf(jobs), { queue: 'default', bringUpSec: 110, ...PRICES, measureFromSec: 3000 }).jobs).toBe(1);
  });

  it('ignores the jobs of other queues except for the timing of their dependents', () => {
    const jobs = [
      { id: 'elsewhere', at: 0, duration: 500, queue: 'other' },
      { id: 'mine', at: 0, duration: 10, dependsOn: ['elsewhere'] },
    ];
    expect(paidSec(jobs)).toBeCloseTo(110 + 10, 9);
  });

  it('lies between the busy time and busy time + one bring-up per job', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 7200 }), duration: fc.integer({ min: 1, max: 900 }) }), {
          minLength: 1,
          maxLength: 50,
        }),
        (specs) => {
          const jobs = specs.map((spec, index) => ({ id: `j${index}`, at: spec.at, duration: spec.duration }));
          const limit = limitOf(traceOf(jobs), { queue: 'default', bringUpSec: 110, ...PRICES });
          const busy = specs.reduce((total, spec) => total + spec.duration, 0);
          expect(limit.busyInstanceHours * 3600).toBeCloseTo(busy, 6);
          expect(limit.instanceHours * 3600).toBeGreaterThanOrEqual(busy + 110 - 1e-6);
          expect(limit.instanceHours * 3600).toBeLessThanOrEqual(busy + 110 * jobs.length + 1e-6);
        },
      ),
      { numRuns: 100 },
    );
  });
});
