import { describe, expect, it } from 'vitest';
import { formatProgressLine, formatWorldClock } from './progress';

describe('formatWorldClock', () => {
  it.each([
    [0, '+00:00:00'],
    [59.9, '+00:00:59'],
    [3_725, '+01:02:05'],
    [90_000, '+1d01:00:00'],
    [-3, '+00:00:00'],
  ])('shows %d world seconds as %s', (seconds, expected) => {
    expect(formatWorldClock(seconds)).toBe(expected);
  });
});

describe('formatProgressLine', () => {
  it('shows the clock, the queue, the fleet and the waits so far', () => {
    // Arrange: waits 0, 10, 20, 95 → nearest-rank p50 = 10 (2nd of 4), p95 = 95 (4th of 4).
    const line = formatProgressLine({
      sample: { atSec: 2_530, scheduled: 2, running: 3, waiting: 1, desired: 5, inService: 4, warm: 3, agents: 4 },
      jobsAdded: 21,
      jobsTotal: 60,
      jobsFinished: 17,
      waitsSec: [0, 10, 20, 95],
    });

    // Assess
    expect(line).toBe(
      '+00:42:10 jobs 21/60 added, 17 done · queue 2 scheduled / 3 running / 1 waiting · fleet desired 5, in service 4, warm 3 · wait p50 10 s, p95 95 s, max 95 s (4 started)',
    );
  });

  it('says so before any job started', () => {
    const line = formatProgressLine({
      sample: { atSec: 0, scheduled: 1, running: 0, waiting: 0, desired: 1, inService: 0, warm: 0, agents: 0 },
      jobsAdded: 1,
      jobsTotal: 60,
      jobsFinished: 0,
      waitsSec: [],
    });
    expect(line).toMatch(/· no job started yet$/);
  });
});
