import { type ChartFormat, renderChart, type TimelineSeries } from '@elastic-ci/simulator';
import { formatWorldWindow } from '../replay/world-duration';
import type { DemoReport } from './demo-report';
import type { RecordedRun } from './recorded-run';

/**
 * The sandbox's run in the simulator's chart series: per bucket, the peak of scheduled + running jobs and of connected
 * agents over the samples in it (a bucket without a sample keeps the previous value: both are step functions), and the
 * longest wait of the jobs that started in it.
 */
export function measuredTimeline(run: RecordedRun, bucketSec: number, buckets: number): TimelineSeries {
  const count = Math.max(1, buckets, Math.ceil(run.endSec / bucketSec));
  const demand = new Array<number>(count).fill(-1);
  const capacity = new Array<number>(count).fill(-1);
  const maxWaitSec = new Array<number>(count).fill(0);
  const starts = new Array<number>(count).fill(0);
  const bucketOf = (sec: number) => Math.min(count - 1, Math.max(0, Math.floor(sec / bucketSec)));
  for (const sample of [...run.samples].sort((a, b) => a.atSec - b.atSec)) {
    const bucket = bucketOf(sample.atSec);
    demand[bucket] = Math.max(demand[bucket] as number, sample.scheduled + sample.running);
    capacity[bucket] = Math.max(capacity[bucket] as number, sample.agents);
  }
  let lastDemand = 0;
  let lastCapacity = 0;
  for (let bucket = 0; bucket < count; bucket += 1) {
    if ((demand[bucket] as number) < 0) demand[bucket] = lastDemand;
    if ((capacity[bucket] as number) < 0) capacity[bucket] = lastCapacity;
    lastDemand = demand[bucket] as number;
    lastCapacity = capacity[bucket] as number;
  }
  for (const job of run.jobs) {
    if (job.queue !== run.queue || job.startedAtSec === undefined || job.scheduledAtSec === undefined) continue;
    const bucket = bucketOf(job.startedAtSec);
    maxWaitSec[bucket] = Math.max(maxWaitSec[bucket] as number, job.startedAtSec - job.scheduledAtSec);
    starts[bucket] = (starts[bucket] as number) + 1;
  }
  return { bucketSec, demand, capacity, maxWaitSec, starts };
}

/** The simulator's chart with two panels: the sandbox (measured) and the simulator (predicted), same axes. */
export function renderComparisonChart(
  run: RecordedRun,
  report: DemoReport,
  predictedTimeline: TimelineSeries,
  format: ChartFormat,
): string {
  const measured = measuredTimeline(run, predictedTimeline.bucketSec, predictedTimeline.demand.length);
  return renderChart(
    {
      title: `${run.trace.name}, ${formatWorldWindow(run.trace.fromSec, run.trace.cutSec)}, policy ${run.policy}: sandbox (measured) vs simulator (predicted)`,
      startEpochMs: run.trace.startEpochMs,
      series: [
        {
          policy: `${run.policy} — sandbox, measured at ${run.timeScale}×`,
          waitP95Sec: report.measured.waitSec.p95,
          instanceHours: report.measured.instanceHours,
          timeline: measured,
        },
        {
          policy: `${run.policy} — simulator, predicted`,
          waitP95Sec: report.predicted.waitSec.p95,
          instanceHours: report.predicted.instanceHours,
          timeline: predictedTimeline,
        },
      ],
    },
    format,
  );
}
