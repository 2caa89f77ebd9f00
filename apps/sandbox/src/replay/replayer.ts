import type { ReplayJob } from './replay-plan';

/** The world clock as the replay sees it: world seconds since the sandbox started. */
export interface ReplayClock {
  nowWorldSec(): number;
  /** Resolves once the world clock reaches `worldSec` (at once when it has), or rejects when `signal` aborts. */
  sleepUntilWorldSec(worldSec: number, signal?: AbortSignal): Promise<void>;
}

/** Where jobs go: the stand-in's `addJob` (contract §1). */
export interface ReplayTarget {
  addJob(job: { id: string; queue: string; durationSec: number; dependsOn: string[] }): void;
}

export interface ReplayOptions {
  readonly plan: readonly ReplayJob[];
  readonly clock: ReplayClock;
  readonly target: ReplayTarget;
  /** World second of trace t = 0. */
  readonly startWorldSec: number;
  readonly signal?: AbortSignal;
  readonly onJobAdded?: (job: ReplayJob, worldSec: number) => void;
}

/**
 * Adds each job to the stand-in when the world clock reaches its time. The clock is the sandbox's (real time scaled),
 * so a loaded machine delays a job's arrival by the lag, never reorders jobs. Resolves with the jobs added.
 */
export async function runReplay(options: ReplayOptions): Promise<number> {
  const { plan, clock, target, startWorldSec, signal } = options;
  let added = 0;
  for (const job of plan) {
    const dueWorldSec = startWorldSec + job.atWorldSec;
    if (clock.nowWorldSec() < dueWorldSec) await clock.sleepUntilWorldSec(dueWorldSec, signal);
    signal?.throwIfAborted();
    target.addJob({ id: job.id, queue: job.queue, durationSec: job.durationSec, dependsOn: [...job.dependsOn] });
    added += 1;
    options.onJobAdded?.(job, clock.nowWorldSec());
  }
  return added;
}
