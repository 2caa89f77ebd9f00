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
  let busySec = 0;
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
      if (lastFreed !== undefined && now - lastFreed <= options.bringUpSec) {
        freedAt.pop();
        paidSec += measured(lastFreed, now);
      } else {
        paidSec += measured(now - options.bringUpSec, now);
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
  return {
    jobs,
    waitP95Sec: 0,
    busyInstanceHours: busySec / 3600 / perInstance,
    instanceHours,
    cost: instanceHours * (options.pricePerInstanceHour + options.volumeCostPerInstanceHour),
  };
}
