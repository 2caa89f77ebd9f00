import { percentile } from '@elastic-ci/simulator';
import type { RecordedJob, RecordedRun } from './recorded-run';

/** The sandbox's figures, defined exactly like the simulator's `PolicySummary` ones so they can sit side by side. */
export interface MeasuredFigures {
  /** Jobs of the cut in the fleet's queue. */
  readonly jobs: number;
  /** Jobs that finished with their own exit status. */
  readonly jobsRun: number;
  /** Jobs that never finished (the run stopped first); not interrupted, just not done. */
  readonly unfinishedJobs: number;
  /** Must be 0: a job stopped, killed or lost mid-run. */
  readonly interruptedJobs: number;
  /** Scheduled → started, nearest-rank percentiles, world seconds to 0.1 s. */
  readonly waitSec: { readonly p50: number; readonly p95: number; readonly max: number; readonly count: number };
  /** Billed compute, world hours to 0.001 h, with the policy's minimum billed seconds per launch or resume. */
  readonly instanceHours: number;
  readonly scalingActions: number;
  readonly scalingActionsByKind: Readonly<Record<string, number>>;
  readonly peakInService: number;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Waits (world seconds, ascending) of the queue's jobs that have started by `untilSec`. */
export function waitsSoFar(jobs: readonly RecordedJob[], queue: string, untilSec = Number.POSITIVE_INFINITY) {
  const waits: number[] = [];
  for (const job of jobs) {
    if (job.queue !== queue || job.scheduledAtSec === undefined || job.startedAtSec === undefined) continue;
    if (job.startedAtSec > untilSec) continue;
    waits.push(Math.max(0, job.startedAtSec - job.scheduledAtSec));
  }
  return waits.sort((a, b) => a - b);
}

export function measureRun(run: RecordedRun, minimumBilledSec: number): MeasuredFigures {
  const queueJobs = run.jobs.filter((job) => job.queue === run.queue);
  const waits = waitsSoFar(queueJobs, run.queue);
  let billedSec = 0;
  for (const instance of run.instances) {
    for (const interval of instance.running) {
      const toSec = Math.min(interval.toSec ?? run.endSec, run.endSec);
      billedSec += Math.max(minimumBilledSec, toSec - interval.fromSec);
    }
  }
  const byKind: Record<string, number> = {};
  for (const action of run.scalingActions) byKind[action.kind] = (byKind[action.kind] ?? 0) + 1;
  return {
    jobs: run.trace.jobs,
    jobsRun: queueJobs.filter((job) => job.state === 'finished' && !job.interrupted).length,
    unfinishedJobs:
      queueJobs.filter((job) => job.state !== 'finished' && !job.interrupted).length +
      Math.max(0, run.trace.jobs - queueJobs.length),
    interruptedJobs: queueJobs.filter((job) => job.interrupted).length,
    waitSec: {
      p50: round(percentile(waits, 50), 1),
      p95: round(percentile(waits, 95), 1),
      max: round(percentile(waits, 100), 1),
      count: waits.length,
    },
    instanceHours: round(billedSec / 3600, 3),
    scalingActions: run.scalingActions.length,
    scalingActionsByKind: byKind,
    peakInService: Math.max(0, ...run.samples.map((sample) => sample.inService)),
  };
}
