import type { Trace, TraceJob } from './trace.js';

export interface ReadyBoundOptions {
  readonly queue: string;
  /** A job behind a step is on time when an agent takes it within this many seconds of its release. */
  readonly onTimeWaitSec: number;
  /** From the start of a bring-up (a warm resume) until the agent takes a job: resume + registration. */
  readonly bringUpSec: number;
  /** Share of the queue's jobs that may be late: 0.05 to match a p95. */
  readonly lateShare: number;
}

export interface ReadyBound {
  /** The queue's jobs, and how many of them wait behind a step. */
  readonly jobs: number;
  readonly dependentJobs: number;
  /** Seconds from each dependent job's creation to its release, ascending (every job started the moment it could). */
  readonly releaseAfterSec: readonly number[];
  /**
   * The latest age (seconds after creation) at which the agents for jobs behind a step may start their bring-up with
   * at most `allowedLateJobs` of the queue's jobs late: the best single age for every cohort, chosen with hindsight.
   */
  readonly bringUpAgeSec: number;
  readonly lateJobs: number;
  readonly allowedLateJobs: number;
  /** Agent-hours the on-time jobs' agents idle between their bring-up and their job's release. */
  readonly idleAgentHours: number;
  /**
   * Per job of the trace (by index): seconds its agent idles before the job's release at that bring-up age; 0 for a
   * job of another queue, one with no step ahead of it, or a late one. What `limitOf`'s `idleBeforeStartSec` takes.
   */
  readonly idleBeforeReleaseSec: readonly number[];
}

/**
 * What being ready for the jobs behind a step costs at the least without knowing when the step ends: a job is on
 * time when its agent's bring-up started by `release + onTimeWaitSec − bringUpSec`; an agent up before the release
 * idles until it. A policy sees a waiting job from its creation and, until the release, only that it has not come;
 * when nothing else tells one cohort's release from another's (a queue's metrics do not), the best it can do is one
 * bring-up age for every cohort, and that age chosen with hindsight of the whole trace beats any chosen in advance.
 * So the idle returned is a floor for such policies that keep the late jobs within `lateShare`. Releases are computed
 * with every job starting the moment it can. `undefined` when the queue has no job behind a step.
 */
export function readyBound(trace: Trace, options: ReadyBoundOptions): ReadyBound | undefined {
  // A trace may list a job before its dependencies: releases are worked out depth first (traces are acyclic).
  const releaseAt: number[] = [];
  const finishOf = (index: number): number => {
    const job = trace.jobs[index] as TraceJob;
    if (releaseAt[index] === undefined) {
      let release = job.createdAtSec;
      for (const dependency of job.dependsOn) release = Math.max(release, finishOf(dependency));
      releaseAt[index] = release;
    }
    return (releaseAt[index] as number) + job.durationSec;
  };
  for (let index = 0; index < trace.jobs.length; index++) finishOf(index);
  const queueJobs = trace.jobs.filter((job) => job.queue === options.queue);
  const dependent = (job: TraceJob) => job.queue === options.queue && job.dependsOn.length > 0;
  const afterSecOf = (index: number) => (releaseAt[index] as number) - (trace.jobs[index] as TraceJob).createdAtSec;
  const releaseAfterSec = trace.jobs
    .flatMap((job, index) => (dependent(job) ? [afterSecOf(index)] : []))
    .sort((a, b) => a - b);
  if (releaseAfterSec.length === 0) return undefined;
  const allowedLateJobs = Math.floor(options.lateShare * queueJobs.length);
  // A job is on time when the bring-up starts no later than its release + the allowed wait − the bring-up.
  const latestStart = (afterSec: number) => afterSec + options.onTimeWaitSec - options.bringUpSec;
  // Late jobs grow with the age: the latest age keeping them within the allowance is the (allowance + 1)-th latest
  // start, counted from the earliest (the jobs before it are the late ones); past all of them, every job is late.
  const bringUpAgeSec = latestStart(releaseAfterSec[Math.min(allowedLateJobs, releaseAfterSec.length - 1)] as number);
  let lateJobs = 0;
  let idleSec = 0;
  const idleBeforeReleaseSec = trace.jobs.map((job, index) => {
    if (!dependent(job)) return 0;
    const afterSec = afterSecOf(index);
    if (latestStart(afterSec) < bringUpAgeSec) {
      lateJobs += 1;
      return 0;
    }
    const idle = Math.max(0, afterSec - bringUpAgeSec - options.bringUpSec);
    idleSec += idle;
    return idle;
  });
  return {
    jobs: queueJobs.length,
    dependentJobs: releaseAfterSec.length,
    releaseAfterSec,
    bringUpAgeSec,
    lateJobs,
    allowedLateJobs,
    idleAgentHours: idleSec / 3600,
    idleBeforeReleaseSec,
  };
}
