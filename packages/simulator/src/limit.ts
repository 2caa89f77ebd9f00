import { EventQueue } from './event-queue.js';
import type { Trace } from './trace.js';

export interface LimitOptions {
  readonly queue: string;
  /** From launch until the agent takes its first job: cold boot + agent registration. */
  readonly bringUpSec: number;
  readonly agentsPerInstance?: number;
  readonly pricePerInstanceHour: number;
  readonly volumeCostPerInstanceHour: number;
  /** Count only jobs created from then on, and capacity from then on (as `--measure-from`). @default 0 */
  readonly measureFromSec?: number;
  /**
   * With it, a bring-up of `bringUpSec` (a warm resume) needs an instance freed earlier, which pays its volume while
   * stopped; a start without one, or for which that costs more, boots a new instance in `coldBringUpSec`. Without
   * it, every bring-up takes `bringUpSec` and stopped instances cost nothing.
   */
  readonly coldBringUpSec?: number;
  /**
   * Per job of the trace (by index): seconds its agent must be up and idle before the job starts — what a policy
   * that cannot tell when a step ends pays to be ready for the jobs behind it (`readyBound`'s
   * `idleBeforeReleaseSec`). The slot kept or brought up for the job is measured to the start of that idle.
   */
  readonly idleBeforeStartSec?: readonly number[];
}

/** What no scaling policy can beat on a trace: every job waits 0 s and capacity exists only to run jobs. */
export interface Limit {
  readonly jobs: number;
  /** Always 0: a job waits only for dispatch, which the model does the moment it is scheduled. */
  readonly waitP95Sec: number;
  readonly busyInstanceHours: number;
  /**
   * Busy time plus, per start, the cheaper of keeping a just-freed agent idle and bringing a new one up; per agent
   * slot, divided by the agents per instance.
   */
  readonly instanceHours: number;
  /** Hours freed instances spent stopped before a warm resume (0 without `coldBringUpSec`). */
  readonly stoppedInstanceHours: number;
  readonly cost: number;
}

type LimitEvent = { kind: 'end'; index: number } | { kind: 'start'; index: number };

/**
 * The limit of issue 15: a job waits only for dispatch, and capacity is paid from its boot to its first use. Every
 * job starts the moment it is scheduled (so the schedule follows the dependencies with zero wait); an agent slot is
 * paid while it runs a job, and before each start either the gap since a slot became free (kept idle) or a full
 * bring-up (boot + registration), whichever is shorter — the most recently freed slot is always the cheapest to
 * keep. Nothing is billed after a slot's last job, no minimum billing, EBS only while paid. Jobs of other queues run
 * at once and only shape the timing. It is a bound, not a policy: it knows the future.
 */
export function limitOf(trace: Trace, options: LimitOptions): Limit {
  const measureFromSec = options.measureFromSec ?? 0;
  const events = new EventQueue<LimitEvent>();
  const remaining = trace.jobs.map((job) => job.dependsOn.length);
  const dependents: number[][] = trace.jobs.map(() => []);
  trace.jobs.forEach((job, index) => {
    for (const dependency of job.dependsOn) (dependents[dependency] as number[]).push(index);
  });
  const startAt = (index: number, atSec: number) => events.push(atSec, { kind: 'start', index });
  trace.jobs.forEach((job, index) => {
    if (job.dependsOn.length === 0) startAt(index, job.createdAtSec);
  });

  // Slots freed, as a stack: the most recently freed on top.
  const freedAt: number[] = [];
  let paidSec = 0;
  let stoppedSec = 0;
  let busySec = 0;
  const { bringUpSec, coldBringUpSec } = options;
  const compute = options.pricePerInstanceHour;
  const volume = options.volumeCostPerInstanceHour;
  let jobs = 0;
  // Without a window, a bring-up before t = 0 counts too: a job at t = 0 still needs its agent booted.
  const windowStart = measureFromSec > 0 ? measureFromSec : Number.NEGATIVE_INFINITY;
  const measured = (fromSec: number, toSec: number) => Math.max(0, toSec - Math.max(fromSec, windowStart));
  for (;;) {
    const next = events.pop();
    if (next === undefined) break;
    const now = next.time;
    const job = trace.jobs[next.payload.index];
    if (job === undefined) continue;
    if (next.payload.kind === 'start') {
      // Dependencies that finish before the job exists: it starts when it is created.
      if (job.createdAtSec > now) {
        startAt(next.payload.index, job.createdAtSec);
        continue;
      }
      events.push(now + job.durationSec, { kind: 'end', index: next.payload.index });
      if (job.queue !== options.queue) continue;
      if (job.createdAtSec >= measureFromSec) jobs += 1;
      busySec += measured(now, now + job.durationSec);
      const lastFreed = freedAt.length > 0 ? (freedAt[freedAt.length - 1] as number) : undefined;
      // The agent must be up from `readyAt`; a slot freed after it took over from one brought up for the job.
      const readyAt = now - (options.idleBeforeStartSec?.[next.payload.index] ?? 0);
      const gapSec = lastFreed === undefined ? Number.POSITIVE_INFINITY : Math.max(0, readyAt - lastFreed);
      // Keep the last freed slot idle, stop it and resume it, or bring a new one up. Without `coldBringUpSec` every
      // bring-up is `bringUpSec` and stopping is free, so keeping wins up to a bring-up's length.
      let choice: 'keep' | 'resume' | 'new';
      if (coldBringUpSec === undefined) choice = gapSec <= bringUpSec ? 'keep' : 'new';
      else {
        // In running-second equivalents.
        const keep = gapSec * (compute + volume);
        const resume = Math.max(0, gapSec - bringUpSec) * volume + bringUpSec * (compute + volume);
        const boot = coldBringUpSec * (compute + volume);
        choice = keep <= resume && keep <= boot ? 'keep' : resume <= boot ? 'resume' : 'new';
      }
      if (choice === 'keep') {
        freedAt.pop();
        paidSec += measured(Math.min(lastFreed as number, readyAt), now);
      } else if (choice === 'resume') {
        freedAt.pop();
        stoppedSec += measured(lastFreed as number, readyAt - bringUpSec);
        paidSec += measured(readyAt - bringUpSec, now);
      } else {
        paidSec += measured(readyAt - (coldBringUpSec ?? bringUpSec), now);
      }
      paidSec += measured(now, now + job.durationSec);
      continue;
    }
    if (job.queue === options.queue) freedAt.push(now);
    for (const dependent of dependents[next.payload.index] as number[]) {
      remaining[dependent] = (remaining[dependent] as number) - 1;
      if (remaining[dependent] === 0) startAt(dependent, now);
    }
  }
  const perInstance = options.agentsPerInstance ?? 1;
  const instanceHours = paidSec / 3600 / perInstance;
  const stoppedInstanceHours = stoppedSec / 3600 / perInstance;
  return {
    jobs,
    waitP95Sec: 0,
    busyInstanceHours: busySec / 3600 / perInstance,
    instanceHours,
    stoppedInstanceHours,
    cost: instanceHours * (compute + volume) + stoppedInstanceHours * volume,
  };
}
