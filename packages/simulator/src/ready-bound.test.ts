import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readyBound } from './ready-bound.js';
import { type JobSpec, traceOf } from './test-support.js';

/** Builds created at `at`: a step of `stepSec`, then `tests` jobs behind it. */
function fanOuts(builds: readonly { at: number; stepSec: number; tests: number }[]): JobSpec[] {
  return builds.flatMap(({ at, stepSec, tests }, build) => [
    { id: `s${build}`, at, duration: stepSec },
    ...Array.from({ length: tests }, (_, test) => ({
      id: `s${build}-t${test}`,
      at,
      duration: 60,
      dependsOn: [`s${build}`],
    })),
  ]);
}

const OPTIONS = { queue: 'default', onTimeWaitSec: 20, bringUpSec: 35 } as const;

describe('Function: readyBound', () => {
  it('picks the latest bring-up age that keeps the late jobs within the share, and counts the idle it forces', () => {
    // Steps of 100, 300 and 500 s, two jobs behind each: 9 jobs, 25 % may be late → 2. A job is on time when its
    // bring-up starts by release + 20 − 35 = release − 15 s: 85, 285 or 485 s after creation.
    const trace = traceOf(
      fanOuts([
        { at: 0, stepSec: 100, tests: 2 },
        { at: 1000, stepSec: 300, tests: 2 },
        { at: 2000, stepSec: 500, tests: 2 },
      ]),
    );
    const bound = readyBound(trace, { ...OPTIONS, lateShare: 0.25 });

    expect(bound).toMatchObject({
      jobs: 9,
      dependentJobs: 6,
      releaseAfterSec: [100, 100, 300, 300, 500, 500],
      allowedLateJobs: 2,
      bringUpAgeSec: 285,
      lateJobs: 2,
    });
    // The 300 s jobs' agents are up 320 s after creation (no idle); the 500 s ones idle 180 s each.
    expect((bound?.idleAgentHours ?? 0) * 3600).toBeCloseTo(2 * 180, 9);
    // Per job in trace order: the steps and the late 100 s jobs idle nothing.
    expect(bound?.idleBeforeReleaseSec).toEqual([0, 0, 0, 0, 0, 0, 0, 180, 180]);

    // None late: every cohort's agents start by 85 s and idle until their release.
    const strict = readyBound(trace, { ...OPTIONS, lateShare: 0 });
    expect(strict).toMatchObject({ bringUpAgeSec: 85, lateJobs: 0 });
    expect((strict?.idleAgentHours ?? 0) * 3600).toBeCloseTo(2 * (300 - 120) + 2 * (500 - 120), 9);
  });

  it('releases a job when all of its dependencies have ended, through chains in any order, ignoring other queues', () => {
    // Listed before their dependencies, as a trace may list them.
    const trace = traceOf([
      { id: 'deploy', at: 0, duration: 30, dependsOn: ['test'] },
      { id: 'test', at: 0, duration: 100, dependsOn: ['build', 'lint'] },
      { id: 'build', at: 0, duration: 200 },
      { id: 'lint', at: 0, duration: 50 },
      { id: 'other', at: 0, duration: 30, dependsOn: ['build'], queue: 'other' },
    ]);
    expect(readyBound(trace, { ...OPTIONS, lateShare: 0 })?.releaseAfterSec).toEqual([200, 300]);
  });

  it('is undefined without jobs behind a step, and forces no idle when every dependent job may be late', () => {
    expect(readyBound(traceOf([{ id: 'lone', at: 0, duration: 60 }]), { ...OPTIONS, lateShare: 0 })).toBeUndefined();
    const trace = traceOf(fanOuts([{ at: 0, stepSec: 400, tests: 1 }]));
    expect(readyBound(trace, { ...OPTIONS, lateShare: 0.5 })).toMatchObject({ lateJobs: 0, idleAgentHours: 0 });
  });

  it('never lets more jobs be late than allowed, and a larger allowance never forces more idle', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ stepSec: fc.integer({ min: 1, max: 2000 }), tests: fc.integer({ min: 1, max: 5 }) }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        (builds, share) => {
          const trace = traceOf(fanOuts(builds.map((build, index) => ({ ...build, at: index * 5000 }))));
          const tight = readyBound(trace, { ...OPTIONS, lateShare: share });
          const loose = readyBound(trace, { ...OPTIONS, lateShare: share + 0.1 });
          expect(tight?.lateJobs).toBeLessThanOrEqual(tight?.allowedLateJobs ?? -1);
          expect(loose?.idleAgentHours).toBeLessThanOrEqual((tight?.idleAgentHours ?? 0) + 1e-12);
        },
      ),
    );
  });
});
