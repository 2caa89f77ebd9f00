import type { BusyJob } from './busy-jobs.js';
import type { JobProcesses } from './job-processes.js';

export interface ProtectionSettings {
  /** `lifecycle.protectWhileBusy`: protect from scale-in while a job runs. */
  readonly protectWhileBusy: boolean;
  /** `lifecycle.releaseProtectionWhenIdle`: clear the protection when the last job ends. */
  readonly releaseProtectionWhenIdle: boolean;
}

/** What the instance should look like from outside: scale-in protection, and the idle-since tag (absent while busy). */
export interface DesiredInstanceState {
  readonly protectedFromScaleIn: boolean;
  readonly idleSince: string | undefined;
}

export interface JobsPartition {
  readonly live: readonly BusyJob[];
  /** Files to delete: the agent that ran the job is gone (crashed, killed, rebooted) or the file is damaged. */
  readonly stale: readonly BusyJob[];
}

/**
 * Splits job files into live and stale. A job is live while one of its processes runs (when `running` is given)
 * or while its agent process is (in this boot: after a reboot the
 * same pid names another process). One agent runs one job at a time,
 * so of several files naming the same agent only the newest is live: the others are jobs whose pre-exit hook never
 * ran (a killed job process), which would otherwise keep the instance protected for as long as that agent lives.
 * "The same agent" is the same agent id, never the same pid: with spawn > 1 all agents share one process, and their
 * jobs run side by side. A record without an agent id is never taken for an older job.
 *
 * A complete scan of the processes (`running.complete`) that finds no process with the job's id makes the job stale
 * even while its agent lives: the job's bootstrap carries the id from before its environment hook recorded it until
 * after its pre-exit hook forgot it, so the job was killed before pre-exit ran (a cancel past its grace period, the
 * OOM killer), and the idle agent would otherwise hold the protection until it runs another job.
 */
export function partitionJobs(
  jobs: readonly BusyJob[],
  /** Whether the agent process still runs: the pid, and the start time the record kept (when it kept one). */
  isAlive: (pid: number, recordedStartTicks?: number) => boolean,
  currentBootId: string | undefined,
  /** What live processes still carry (see `procRunningJobIds`): such a job is live even if its agent is gone. */
  running?: JobProcesses,
): JobsPartition {
  const live: BusyJob[] = [];
  const stale: BusyJob[] = [];
  const newestByAgent = new Map<string, BusyJob>();
  for (const job of jobs) {
    if (running?.ids.has(job.jobId)) {
      live.push(job);
      continue;
    }
    const otherBoot = currentBootId !== undefined && job.bootId !== currentBootId;
    if (
      job.agentPid === undefined ||
      otherBoot ||
      !isAlive(job.agentPid, job.agentStartTicks) ||
      running?.complete === true
    ) {
      stale.push(job);
      continue;
    }
    if (job.agentId === undefined) {
      live.push(job);
      continue;
    }
    const current = newestByAgent.get(job.agentId);
    if (current === undefined) newestByAgent.set(job.agentId, job);
    else if ((job.startedAt ?? '') > (current.startedAt ?? '')) {
      stale.push(current);
      newestByAgent.set(job.agentId, job);
    } else stale.push(job);
  }
  live.push(...newestByAgent.values());
  return { live, stale };
}

/**
 * Busy: protected (when configured), no idle-since tag. Idle: protection released (when configured) and idle since
 * the recorded time, or `now` when none is recorded yet.
 */
export function desiredInstanceState(input: {
  readonly liveJobs: number;
  readonly recordedIdleSince: string | undefined;
  readonly now: string;
  readonly settings: ProtectionSettings;
}): DesiredInstanceState {
  if (input.liveJobs > 0) return { protectedFromScaleIn: input.settings.protectWhileBusy, idleSince: undefined };
  return {
    protectedFromScaleIn: input.settings.protectWhileBusy && !input.settings.releaseProtectionWhenIdle,
    idleSince: input.recordedIdleSince ?? input.now,
  };
}

/** The AWS calls that bring `applied` (what was last set successfully; undefined = unknown) to `desired`. */
export interface ProtectionCalls {
  readonly setProtection: boolean | undefined;
  /** `{ value }` writes the tag, `{ value: undefined }` deletes it, undefined leaves it. */
  readonly idleSinceTag: { readonly value: string | undefined } | undefined;
}

export function protectionCalls(
  desired: DesiredInstanceState,
  applied: DesiredInstanceState | undefined,
): ProtectionCalls {
  return {
    setProtection:
      applied?.protectedFromScaleIn === desired.protectedFromScaleIn ? undefined : desired.protectedFromScaleIn,
    idleSinceTag:
      applied !== undefined && applied.idleSince === desired.idleSince ? undefined : { value: desired.idleSince },
  };
}
