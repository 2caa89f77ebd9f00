/**
 * Jobs behind a `wait` step are the queue's leading signal: they will need agents when the step they wait for ends.
 * The queue metrics give only a count, so the memory keeps cohorts (when a rise in the count was first seen, how many
 * jobs) released first-in first-out, and learns how long a cohort typically waits (its first release) from the last
 * `MAX_SAMPLES` cohorts. Bounded: at most `MAX_COHORTS` cohorts (a rise beyond joins the newest) and `MAX_SAMPLES`
 * samples.
 */

export const WAITING_MEMORY_VERSION = 1;
export const MAX_COHORTS = 16;
export const MAX_SAMPLES = 16;

export interface WaitingMemory {
  version: typeof WAITING_MEMORY_VERSION;
  /** The waiting count at the last record. */
  waiting: number;
  /** Flat triples, oldest first: since (epoch ms), jobs still waiting, 1 once the cohort began to be released. */
  cohorts: number[];
  /** Seconds from a cohort's appearance to its first release, newest last. */
  blockSec: number[];
}

export function emptyWaitingMemory(): WaitingMemory {
  return { version: WAITING_MEMORY_VERSION, waiting: 0, cohorts: [], blockSec: [] };
}

/** The memory after seeing `waitingJobs` at `nowMs`; the same object when the count did not change. */
export function recordWaiting(memory: WaitingMemory, nowMs: number, waitingJobs: number): WaitingMemory {
  const change = waitingJobs - memory.waiting;
  if (change === 0) return memory;
  const cohorts = memory.cohorts.slice();
  let blockSec = memory.blockSec;
  if (change > 0) {
    if (cohorts.length >= MAX_COHORTS * 3)
      cohorts[cohorts.length - 2] = (cohorts[cohorts.length - 2] as number) + change;
    else cohorts.push(nowMs, change, 0);
  } else {
    let released = -change;
    while (released > 0 && cohorts.length > 0) {
      const jobs = cohorts[1] as number;
      if (cohorts[2] === 0) {
        // A clock that stepped back would give a negative wait, which `isWaitingMemory` rejects: the whole memory
        // was dropped on the next pass. The release was seen at once, so it counts as a wait of 0.
        const waitedSec = Math.round(Math.max(0, nowMs - (cohorts[0] as number)) / 1000);
        blockSec = [...blockSec.slice(1 - MAX_SAMPLES), waitedSec];
        cohorts[2] = 1;
      }
      const taken = Math.min(jobs, released);
      released -= taken;
      if (taken === jobs) cohorts.splice(0, 3);
      else cohorts[1] = jobs - taken;
    }
  }
  return { version: WAITING_MEMORY_VERSION, waiting: waitingJobs, cohorts, blockSec };
}

/** The `quantile` of the learned wait lengths, or `undefined` with fewer than `minSamples` samples. */
export function typicalBlockSec(memory: WaitingMemory, quantile: number, minSamples: number): number | undefined {
  const count = memory.blockSec.length;
  if (count === 0 || count < minSamples) return undefined;
  const sorted = memory.blockSec.slice().sort((a, b) => a - b);
  return sorted[Math.floor(quantile * (count - 1))] as number;
}

/**
 * Waiting jobs whose step is expected to end within `leadSec`: those of cohorts at least `releaseSec − leadSec` old.
 * Capacity for them should start now so it is ready when they are scheduled, and not before.
 */
export function dueWaitingJobs(memory: WaitingMemory, nowMs: number, releaseSec: number, leadSec: number): number {
  let due = 0;
  const dueBeforeMs = nowMs - (releaseSec - leadSec) * 1000;
  for (let at = 0; at < memory.cohorts.length; at += 3) {
    if ((memory.cohorts[at] as number) <= dueBeforeMs) due += memory.cohorts[at + 1] as number;
  }
  return due;
}

/** Whether a value is a usable waiting memory (the shape `decide` keeps in `state.waitingMemory`). */
export function isWaitingMemory(value: unknown): value is WaitingMemory {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<WaitingMemory>;
  const { cohorts, blockSec } = candidate;
  return (
    candidate.version === WAITING_MEMORY_VERSION &&
    Number.isSafeInteger(candidate.waiting) &&
    (candidate.waiting as number) >= 0 &&
    Array.isArray(cohorts) &&
    cohorts.length % 3 === 0 &&
    cohorts.length <= MAX_COHORTS * 3 &&
    cohorts.every((entry) => Number.isFinite(entry) && entry >= 0) &&
    Array.isArray(blockSec) &&
    blockSec.length <= MAX_SAMPLES &&
    blockSec.every((entry) => Number.isFinite(entry) && entry >= 0)
  );
}
