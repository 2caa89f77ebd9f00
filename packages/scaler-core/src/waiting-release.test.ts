import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dueWaitingJobs,
  emptyWaitingMemory,
  isWaitingMemory,
  MAX_COHORTS,
  MAX_SAMPLES,
  recordWaiting,
  typicalBlockSec,
  type WaitingMemory,
} from './waiting-release.js';

const T0 = Date.UTC(2026, 10, 2, 9);
const SECOND_MS = 1000;

/** A build step of `blockSec` holding `jobs` jobs, starting at `startMs` (one cohort released at once). */
function build(memory: WaitingMemory, startMs: number, jobs: number, blockSec: number): WaitingMemory {
  const waiting = recordWaiting(memory, startMs, memory.waiting + jobs);
  return recordWaiting(waiting, startMs + blockSec * SECOND_MS, waiting.waiting - jobs);
}

describe('Function: recordWaiting', () => {
  it('learns how long cohorts wait, first in first out', () => {
    let memory = recordWaiting(emptyWaitingMemory(), T0, 75);
    memory = recordWaiting(memory, T0 + 60 * SECOND_MS, 90); // a second build's 15 jobs
    memory = recordWaiting(memory, T0 + 300 * SECOND_MS, 15); // the first build's step ended

    expect(memory.blockSec).toEqual([300]);
    expect(memory.cohorts).toEqual([T0 + 60 * SECOND_MS, 15, 0]);

    memory = recordWaiting(memory, T0 + 400 * SECOND_MS, 5); // part of the second cohort
    memory = recordWaiting(memory, T0 + 450 * SECOND_MS, 0);

    expect(memory.blockSec).toEqual([300, 340]);
    expect(memory.cohorts).toEqual([]);
  });

  it('keeps its memory when the clock steps back between a rise and its release', () => {
    // Prepare: 5 jobs seen waiting, then released on a clock an hour behind
    const waiting = recordWaiting(emptyWaitingMemory(), T0, 5);

    // Act
    const released = recordWaiting(waiting, T0 - 3600 * SECOND_MS, 0);

    // Assess: a wait of 0, not -3600 s (which made the whole memory invalid and dropped on the next pass)
    expect(released.blockSec).toEqual([0]);
    expect(isWaitingMemory(released)).toBe(true);
  });

  it('returns the same memory while the count holds', () => {
    const memory = recordWaiting(emptyWaitingMemory(), T0, 3);

    expect(recordWaiting(memory, T0 + SECOND_MS, 3)).toBe(memory);
  });

  it('releases more jobs than it tracked without failing', () => {
    const memory: WaitingMemory = { ...emptyWaitingMemory(), waiting: 10, cohorts: [T0, 4, 0] };

    const released = recordWaiting(memory, T0 + 10 * SECOND_MS, 0);

    expect(released).toMatchObject({ waiting: 0, cohorts: [], blockSec: [10] });
  });

  it('keeps at most MAX_COHORTS cohorts and MAX_SAMPLES samples, whatever it sees', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 200 }), (counts) => {
        let memory = emptyWaitingMemory();
        let nowMs = T0;
        for (const count of counts) {
          nowMs += 10 * SECOND_MS;
          memory = recordWaiting(memory, nowMs, count);
          expect(isWaitingMemory(memory)).toBe(true);
          let tracked = 0;
          for (let at = 1; at < memory.cohorts.length; at += 3) tracked += memory.cohorts[at] as number;
          expect(tracked).toBeLessThanOrEqual(count);
        }
        expect(memory.cohorts.length).toBeLessThanOrEqual(MAX_COHORTS * 3);
        expect(memory.blockSec.length).toBeLessThanOrEqual(MAX_SAMPLES);
      }),
    );
  });

  it('adds a rise beyond the last cohort it can hold to the newest', () => {
    let memory = emptyWaitingMemory();
    for (let rise = 1; rise <= MAX_COHORTS + 1; rise++) memory = recordWaiting(memory, T0 + rise * SECOND_MS, rise);

    expect(memory.cohorts).toHaveLength(MAX_COHORTS * 3);
    expect(memory.cohorts.at(-2)).toBe(2);
  });
});

describe('Function: typicalBlockSec', () => {
  it('needs minSamples samples, then answers the quantile of the latest ones', () => {
    let memory = emptyWaitingMemory();

    expect(typicalBlockSec(memory, 0.1, 1)).toBeUndefined();

    for (const [index, blockSec] of [400, 250, 600, 300].entries()) {
      memory = build(memory, T0 + index * 3_600_000, 75, blockSec);
    }

    expect(typicalBlockSec(memory, 0.1, 5)).toBeUndefined();
    expect(typicalBlockSec(memory, 0, 3)).toBe(250);
    expect(typicalBlockSec(memory, 0.5, 3)).toBe(300);
    expect(typicalBlockSec(memory, 1, 3)).toBe(600);
  });
});

describe('Function: dueWaitingJobs', () => {
  it('counts the jobs of cohorts whose step is expected to end within the lead, not earlier', () => {
    let memory = recordWaiting(emptyWaitingMemory(), T0, 75);
    memory = recordWaiting(memory, T0 + 100 * SECOND_MS, 90);

    expect(dueWaitingJobs(memory, T0 + 259 * SECOND_MS, 300, 40)).toBe(0);
    expect(dueWaitingJobs(memory, T0 + 260 * SECOND_MS, 300, 40)).toBe(75);
    expect(dueWaitingJobs(memory, T0 + 360 * SECOND_MS, 300, 40)).toBe(90);
  });
});

describe('Function: isWaitingMemory', () => {
  const valid = recordWaiting(emptyWaitingMemory(), T0, 2);

  it.each([
    ['null', null],
    ['a number', 3],
    ['another version', { ...valid, version: 2 }],
    ['a negative count', { ...valid, waiting: -1 }],
    ['a fractional count', { ...valid, waiting: 0.5 }],
    ['cohorts that are no triples', { ...valid, cohorts: [T0, 2] }],
    ['too many cohorts', { ...valid, cohorts: new Array((MAX_COHORTS + 1) * 3).fill(1) }],
    ['a negative cohort value', { ...valid, cohorts: [T0, -2, 0] }],
    ['cohorts that are no array', { ...valid, cohorts: 'x' }],
    ['samples that are no array', { ...valid, blockSec: 5 }],
    ['too many samples', { ...valid, blockSec: new Array(MAX_SAMPLES + 1).fill(1) }],
    ['an infinite sample', { ...valid, blockSec: [Number.POSITIVE_INFINITY] }],
  ])('rejects %s', (_case, value) => {
    expect(isWaitingMemory(value)).toBe(false);
  });

  it('accepts a memory', () => {
    expect(isWaitingMemory(valid)).toBe(true);
  });
});
