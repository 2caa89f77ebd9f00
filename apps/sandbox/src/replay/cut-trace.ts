import type { Trace, TraceJob } from '@elastic-ci/simulator';

/**
 * The first `durationSec` of a trace: the jobs created before it, with their dependencies re-indexed. A job whose
 * dependency falls outside the cut is left out too (it could never be scheduled), and so on down its dependents, so
 * the cut is itself a valid trace. The sandbox and the simulator's prediction both run exactly this cut.
 */
export function cutTrace(trace: Trace, durationSec: number): Trace {
  const kept = new Map<number, number>();
  const jobs: TraceJob[] = [];
  // Jobs are sorted by createdAt, and a dependency is created no later than its dependent, so one pass suffices;
  // the `every` check still guards against a dependency listed after its dependent.
  trace.jobs.forEach((job, index) => {
    if (job.createdAtSec >= durationSec) return;
    if (!job.dependsOn.every((dependency) => kept.has(dependency))) return;
    kept.set(index, jobs.length);
    jobs.push({ ...job, dependsOn: job.dependsOn.map((dependency) => kept.get(dependency) as number) });
  });
  const queues: string[] = [];
  for (const job of jobs) if (!queues.includes(job.queue)) queues.push(job.queue);
  return {
    ...trace,
    spanSec: Math.min(trace.spanSec, durationSec),
    jobs,
    queues: queues.length > 0 ? queues : trace.queues.slice(0, 1),
  };
}
