import type { Trace, TraceJob } from '@elastic-ci/simulator';

/**
 * `durationSec` of a trace from `fromSec` on: the jobs created in that window, with their dependencies re-indexed and
 * their times shifted so the window starts at t = 0 (and the trace's wall clock with it). A job whose dependency falls
 * outside the cut is left out too (it could never be scheduled), and so on down its dependents, so the cut is itself
 * a valid trace. The sandbox and the simulator's prediction both run exactly this cut.
 */
export function cutTrace(trace: Trace, durationSec: number, fromSec = 0): Trace {
  // A trace may list a dependency after its dependent, so whether a job is kept is decided over its whole dependency
  // chain (memoised; parseTrace guarantees there is no cycle), not in file order.
  const keep = new Map<number, boolean>();
  const isKept = (index: number): boolean => {
    const known = keep.get(index);
    if (known !== undefined) return known;
    const job = trace.jobs[index] as TraceJob;
    const kept = job.createdAtSec >= fromSec && job.createdAtSec < fromSec + durationSec && job.dependsOn.every(isKept);
    keep.set(index, kept);
    return kept;
  };
  const newIndex = new Map<number, number>();
  trace.jobs.forEach((_, index) => {
    if (isKept(index)) newIndex.set(index, newIndex.size);
  });
  const jobs: TraceJob[] = trace.jobs.flatMap((job, index) =>
    newIndex.has(index)
      ? [
          {
            ...job,
            createdAtSec: job.createdAtSec - fromSec,
            dependsOn: job.dependsOn.map((dependency) => newIndex.get(dependency) as number),
          },
        ]
      : [],
  );
  const queues: string[] = [];
  for (const job of jobs) if (!queues.includes(job.queue)) queues.push(job.queue);
  return {
    ...trace,
    startEpochMs: trace.startEpochMs + fromSec * 1000,
    spanSec: Math.max(0, Math.min(trace.spanSec - fromSec, durationSec)),
    jobs,
    queues: queues.length > 0 ? queues : trace.queues.slice(0, 1),
  };
}
