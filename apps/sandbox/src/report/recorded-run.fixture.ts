import type { PolicySummary } from '@elastic-ci/simulator';
import type { RecordedRun } from './recorded-run';

/**
 * A hand-made run. Expected figures, worked out by hand:
 * - waits of the started "default" jobs: j1 100, j2 10, j3 0, j4 70 → sorted [0, 10, 70, 100]; nearest rank p50 = 2nd
 *   = 10, p95 = ceil(0.95 × 4) = 4th = 100, max 100 (j5 is another queue's, j6 never started);
 * - jobs run 4 (j1–j4 finished), unfinished 1 (j6), interrupted 0;
 * - instance-hours with a 60 s minimum: i-a 0–1800 (1800 s) + 2000–2030 (30 s → 60 s), i-b 100–end 3700 (3600 s) →
 *   5460 s = 1.5166… h → 1.517;
 * - scaling actions 4 (3 SetDesiredCapacity, 1 TerminateInstanceInAutoScalingGroup); peak in service 2;
 * - diagnostics: first job scheduled at 0, desired > 0 in the sample at 0 → scale-out after 0 s; first agent in the
 *   sample at 120 → 120 s later; run/trace duration j1 100/100, j2 280/140, j3 100/100, j4 270/90 → [1, 2, 1, 3],
 *   median 1.5.
 */
export const RECORDED_RUN: RecordedRun = {
  trace: { name: 'hand-made', jobs: 5, cutSec: 3600, fromSec: 0, startEpochMs: Date.UTC(2026, 10, 2) },
  queue: 'default',
  policy: 'elastic-ci',
  timeScale: 60,
  endSec: 3700,
  atRest: true,
  jobs: [
    {
      id: 'j1',
      queue: 'default',
      state: 'finished',
      scheduledAtSec: 0,
      startedAtSec: 100,
      finishedAtSec: 200,
      interrupted: false,
      traceDurationSec: 100,
    },
    {
      id: 'j2',
      queue: 'default',
      state: 'finished',
      scheduledAtSec: 10,
      startedAtSec: 20,
      finishedAtSec: 300,
      interrupted: false,
      traceDurationSec: 140,
    },
    {
      id: 'j3',
      queue: 'default',
      state: 'finished',
      scheduledAtSec: 50,
      startedAtSec: 50,
      finishedAtSec: 150,
      interrupted: false,
      traceDurationSec: 100,
    },
    {
      id: 'j4',
      queue: 'default',
      state: 'finished',
      scheduledAtSec: 60,
      startedAtSec: 130,
      finishedAtSec: 400,
      interrupted: false,
      traceDurationSec: 90,
    },
    {
      id: 'j5',
      queue: 'other',
      state: 'finished',
      scheduledAtSec: 0,
      startedAtSec: 500,
      finishedAtSec: 600,
      interrupted: false,
    },
    { id: 'j6', queue: 'default', state: 'scheduled', scheduledAtSec: 3500, interrupted: false },
  ],
  samples: [
    { atSec: 0, scheduled: 1, running: 0, waiting: 0, desired: 1, inService: 0, warm: 0, agents: 0 },
    { atSec: 120, scheduled: 0, running: 3, waiting: 0, desired: 2, inService: 2, warm: 1, agents: 2 },
    { atSec: 3600, scheduled: 1, running: 0, waiting: 0, desired: 1, inService: 1, warm: 1, agents: 1 },
  ],
  instances: [
    {
      id: 'i-a',
      running: [
        { fromSec: 0, toSec: 1800 },
        { fromSec: 2000, toSec: 2030 },
      ],
    },
    { id: 'i-b', running: [{ fromSec: 100 }] },
  ],
  scalingActions: [
    { atSec: 0, kind: 'SetDesiredCapacity' },
    { atSec: 90, kind: 'SetDesiredCapacity' },
    { atSec: 1700, kind: 'TerminateInstanceInAutoScalingGroup' },
    { atSec: 3500, kind: 'SetDesiredCapacity' },
  ],
  replayLagSec: { mean: 1.5, max: 12 },
};

/** A simulator summary for the same cut, by hand: all 5 jobs, p50 10 s, p95 40 s, 1.5 instance-hours, 4 calls. */
export const PREDICTED_SUMMARY: PolicySummary = {
  policy: 'elastic-ci',
  description: 'hand-made',
  jobs: 5,
  unfinishedJobs: 0,
  waitSec: { p50: 10, p95: 40, p99: 40, max: 40, mean: 12 },
  instanceHours: 1.5,
  idleInstanceHours: 0.4,
  stoppedInstanceHours: 0,
  cost: { compute: 0.26, volume: 0.04, total: 0.3 },
  peakInstances: 2,
  scalingApiCalls: 4,
  apiCalls: { setDesiredCapacity: 3, terminateInstanceInAutoScalingGroup: 1, putWarmPool: 0 },
  decisions: 60,
  coldLaunches: 2,
  warmResumes: 0,
  interruptedJobs: 0,
  spotReclaimedJobs: 0,
  spotInterruptions: 0,
};
