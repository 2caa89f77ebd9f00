import { describe, expect, it } from 'vitest';
import { measureRun, waitsSoFar } from './measure';
import { RECORDED_RUN } from './recorded-run.fixture';

describe('measureRun', () => {
  it('computes the figures of a recorded run (expected values worked out by hand in the fixture)', () => {
    // Act
    const figures = measureRun(RECORDED_RUN, 60);

    // Assess
    expect(figures).toEqual({
      jobs: 5,
      jobsRun: 4,
      unfinishedJobs: 1,
      interruptedJobs: 0,
      waitSec: { p50: 10, p95: 100, max: 100, count: 4 },
      instanceHours: 1.517,
      scalingActions: 4,
      scalingActionsByKind: { SetDesiredCapacity: 3, TerminateInstanceInAutoScalingGroup: 1 },
      peakInService: 2,
    });
  });

  it('counts a job stopped mid-run as interrupted, not as run', () => {
    // Arrange: j4 was cancelled by a signal while running.
    const run = {
      ...RECORDED_RUN,
      jobs: RECORDED_RUN.jobs.map((job) => (job.id === 'j4' ? { ...job, state: 'canceled', interrupted: true } : job)),
    };

    // Act
    const figures = measureRun(run, 60);

    // Assess
    expect(figures.interruptedJobs).toBe(1);
    expect(figures.jobsRun).toBe(3);
    expect(figures.unfinishedJobs).toBe(1);
  });

  it('counts jobs the stand-in never received as unfinished', () => {
    const figures = measureRun({ ...RECORDED_RUN, trace: { ...RECORDED_RUN.trace, jobs: 8 } }, 60);
    expect(figures.unfinishedJobs).toBe(4);
  });
});

describe('waitsSoFar', () => {
  it('lists the waits of jobs started by then, ascending', () => {
    expect(waitsSoFar(RECORDED_RUN.jobs, 'default', 110)).toEqual([0, 10, 100]);
  });
});
