import type { Trace } from '@elastic-ci/simulator';

/** One job as the stand-in receives it, at the world second (from the start of the replay) it appears. */
export interface ReplayJob {
  readonly atWorldSec: number;
  readonly id: string;
  readonly queue: string;
  /** UNscaled trace seconds: the simulated agent scales them itself (stand-in contract). */
  readonly durationSec: number;
  readonly dependsOn: readonly string[];
}

/**
 * The trace's jobs in the order to add them: by creation time, and a job never before its dependencies (a trace may
 * list a dependency after its dependent; such a job is added together with its last dependency).
 */
export function planReplay(trace: Trace): ReplayJob[] {
  const order = trace.jobs
    .map((job, index) => ({ job, index }))
    .sort((a, b) => a.job.createdAtSec - b.job.createdAtSec || a.index - b.index);
  const addedAt = new Map<number, number>();
  const plan: ReplayJob[] = [];
  let deferred: { job: Trace['jobs'][number]; index: number }[] = [];
  const add = (job: Trace['jobs'][number], index: number, atWorldSec: number) => {
    addedAt.set(index, atWorldSec);
    plan.push({
      atWorldSec,
      id: job.id,
      queue: job.queue,
      durationSec: job.durationSec,
      dependsOn: job.dependsOn.map((dependency) => (trace.jobs[dependency] as { id: string }).id),
    });
  };
  for (const { job, index } of order) {
    deferred.push({ job, index });
    // Release every deferred job whose dependencies are all added, until nothing more can be released.
    for (let released = true; released; ) {
      released = false;
      const still: typeof deferred = [];
      for (const entry of deferred) {
        if (entry.job.dependsOn.every((dependency) => addedAt.has(dependency))) {
          const latest = Math.max(entry.job.createdAtSec, ...entry.job.dependsOn.map((d) => addedAt.get(d) as number));
          add(entry.job, entry.index, latest);
          released = true;
        } else {
          still.push(entry);
        }
      }
      deferred = still;
    }
  }
  return plan;
}
