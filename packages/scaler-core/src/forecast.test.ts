import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DemandHistory,
  emptyDemandHistory,
  forecast,
  isDemandHistory,
  parseDemandHistory,
  recordDemand,
  releasedRecentPeak,
  SLOTS_PER_WEEK,
  serializeDemandHistory,
} from './forecast.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** Monday 2026-11-02 00:00 UTC. */
const MONDAY_MS = Date.UTC(2026, 10, 2);

/** One day recorded minute by minute: `burst` agents from 02:00 to 02:20, otherwise `base`. */
function recordDay(history: DemandHistory, dayStartMs: number, burst: number, base = 1): DemandHistory {
  let next = history;
  for (let minute = 0; minute < 24 * 60; minute++) {
    const demand = minute >= 120 && minute < 140 ? burst : base;
    next = recordDemand(next, dayStartMs + minute * MINUTE_MS, demand);
  }
  return next;
}

const BEFORE_BURST_MS = (120 - 10) * MINUTE_MS; // 01:50, ten minutes ahead of the burst

describe('Function: forecast', () => {
  it('predicts a recurring burst ahead of its second occurrence, and calls it confident from the third', () => {
    let history = recordDay(emptyDemandHistory(), MONDAY_MS, 200);
    // Day 2 up to 01:50.
    for (let minute = 0; minute <= 110; minute++)
      history = recordDemand(history, MONDAY_MS + DAY_MS + minute * MINUTE_MS, 1);

    const second = forecast(history, MONDAY_MS + DAY_MS + BEFORE_BURST_MS, 900);

    expect(second.expected).toBe(200);
    expect(second.confident).toBe(0);

    for (let minute = 111; minute < 24 * 60; minute++) {
      history = recordDemand(history, MONDAY_MS + DAY_MS + minute * MINUTE_MS, minute >= 120 && minute < 140 ? 200 : 1);
    }
    for (let minute = 0; minute <= 110; minute++)
      history = recordDemand(history, MONDAY_MS + 2 * DAY_MS + minute * MINUTE_MS, 1);

    expect(forecast(history, MONDAY_MS + 2 * DAY_MS + BEFORE_BURST_MS, 900)).toMatchObject({
      expected: 200,
      confident: 200,
    });
  });

  it('does not predict a one-off once it failed to recur, and never calls it confident', () => {
    let history = recordDay(emptyDemandHistory(), MONDAY_MS, 200);
    const nextDay = recordDemand(history, MONDAY_MS + DAY_MS + BEFORE_BURST_MS, 1);

    expect(forecast(nextDay, MONDAY_MS + DAY_MS + BEFORE_BURST_MS, 900).confident).toBe(0);

    history = recordDay(history, MONDAY_MS + DAY_MS, 0, 1);
    history = recordDemand(history, MONDAY_MS + 2 * DAY_MS + BEFORE_BURST_MS, 1);

    expect(forecast(history, MONDAY_MS + 2 * DAY_MS + BEFORE_BURST_MS, 900)).toMatchObject({
      expected: 1,
      confident: 1,
      recent: 1,
    });
  });

  it('scores how much of yesterday came again: 1 before anything was predicted, low after a one-off, 1 if it recurs', () => {
    const first = recordDay(emptyDemandHistory(), MONDAY_MS, 200);
    /** Day 2 from 00:00 to 02:30, with `burst` agents from 02:00 to 02:20 (else 1). */
    const secondDay = (burst: number): DemandHistory => {
      let next = first;
      for (let minute = 0; minute <= 150; minute++) {
        next = recordDemand(next, MONDAY_MS + DAY_MS + minute * MINUTE_MS, minute >= 120 && minute < 140 ? burst : 1);
      }
      return next;
    };
    const afterBurstMs = MONDAY_MS + DAY_MS + 150 * MINUTE_MS;

    expect(forecast(first, MONDAY_MS + DAY_MS - MINUTE_MS, 900).recurrence).toBe(1);
    expect(forecast(secondDay(200), afterBurstMs, 900).recurrence).toBe(1);
    expect(forecast(secondDay(1), afterBurstMs, 900).recurrence).toBeLessThan(0.1);
  });

  it('remembers a weekly burst a week later, and halves it every week it does not recur', () => {
    let history = recordDay(emptyDemandHistory(), MONDAY_MS, 200, 0);
    for (let day = 1; day < 7; day++) history = recordDay(history, MONDAY_MS + day * DAY_MS, 0, 0);
    const nextMonday = MONDAY_MS + 7 * DAY_MS;
    history = recordDemand(history, nextMonday + BEFORE_BURST_MS, 0);

    expect(forecast(history, nextMonday + BEFORE_BURST_MS, 900)).toMatchObject({ expected: 200, confident: 0 });

    history = recordDay(history, nextMonday, 0, 0);
    for (let day = 1; day < 7; day++) history = recordDay(history, nextMonday + day * DAY_MS, 0, 0);
    history = recordDemand(history, nextMonday + 7 * DAY_MS + BEFORE_BURST_MS, 0);

    expect(forecast(history, nextMonday + 7 * DAY_MS + BEFORE_BURST_MS, 900).expected).toBe(100);
  });

  it('knows nothing before the first record, and nothing recent after a gap', () => {
    expect(forecast(emptyDemandHistory(), MONDAY_MS, 900)).toEqual({
      expected: 0,
      confident: 0,
      recent: 0,
      recurrence: 1,
    });

    const history = recordDemand(emptyDemandHistory(), MONDAY_MS, 7);

    expect(forecast(history, MONDAY_MS + MINUTE_MS, 60).recent).toBe(7);
    expect(forecast(history, MONDAY_MS + 2 * 15 * MINUTE_MS, 60).recent).toBe(0);
  });
});

describe('Function: recordDemand', () => {
  it('holds the recent peak for its window after it was last reached, then falls to the demand of the moment', () => {
    let history = recordDemand(emptyDemandHistory(), MONDAY_MS, 6, 0.5, 600);
    history = recordDemand(history, MONDAY_MS + 5 * MINUTE_MS, 2, 0.5, 600);

    expect(forecast(history, MONDAY_MS + 5 * MINUTE_MS, 60).recent).toBe(6);

    history = recordDemand(history, MONDAY_MS + 10 * MINUTE_MS, 2, 0.5, 600);

    expect(forecast(history, MONDAY_MS + 10 * MINUTE_MS, 60).recent).toBe(2);

    const back = recordDemand(history, MONDAY_MS + 9 * MINUTE_MS, 1, 0.5, 600);

    expect(forecast(back, MONDAY_MS + 9 * MINUTE_MS, 60).recent).toBe(1);
  });

  it('returns the same history while the slot peak holds, and raises it in place of a copy otherwise', () => {
    const first = recordDemand(emptyDemandHistory(), MONDAY_MS, 3);

    expect(recordDemand(first, MONDAY_MS + MINUTE_MS, 2)).toBe(first);

    const raised = recordDemand(first, MONDAY_MS + MINUTE_MS, 5.1);

    expect(raised).not.toBe(first);
    expect(forecast(raised, MONDAY_MS + 2 * MINUTE_MS, 60).recent).toBe(5.25);
    expect(forecast(first, MONDAY_MS + 2 * MINUTE_MS, 60).recent).toBe(3);
  });

  it('after more than a week without records decays every slot once, and a clock going back only raises its slot', () => {
    let history = recordDemand(emptyDemandHistory(), MONDAY_MS, 8);
    history = recordDemand(history, MONDAY_MS + 3 * 7 * DAY_MS, 0);

    expect(history.peaks.reduce((sum, units) => sum + units, 0)).toBe(16); // 8 agents × 4 units, halved once

    const back = recordDemand(history, MONDAY_MS + 3 * 7 * DAY_MS - DAY_MS, 2);

    expect(back.lastSlot).toBe(history.lastSlot);
    expect(back.peaks.filter((units, index) => units !== history.peaks[index])).toEqual([8]);
  });

  it('stays within its bound and round-trips through its compact text, whatever it records', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: -3_600_000, max: 30 * DAY_MS }), fc.double({ min: -5, max: 1e6, noNaN: true })),
          {
            maxLength: 60,
          },
        ),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        (records, decay) => {
          let history = emptyDemandHistory();
          let nowMs = MONDAY_MS;
          for (const [stepMs, demand] of records) {
            nowMs = Math.max(0, nowMs + stepMs);
            history = recordDemand(history, nowMs, demand, decay);
          }
          expect(isDemandHistory(history)).toBe(true);
          expect(history.peaks).toHaveLength(SLOTS_PER_WEEK);
          const text = serializeDemandHistory(history);
          // Version, last slot, recent peak, its time, the two scores, the slots.
          expect(text.length).toBeLessThanOrEqual(2 + 17 + 1 + 6 + 1 + 16 + 1 + 8 + 1 + 8 + 1 + SLOTS_PER_WEEK * 3);
          expect(parseDemandHistory(text)).toEqual(history);
        },
      ),
    );
  });
});

describe('Function: parseDemandHistory', () => {
  const text = serializeDemandHistory(recordDemand(emptyDemandHistory(), MONDAY_MS, 3));

  it.each([
    ['not text', 42],
    ['truncated', text.slice(0, -5)],
    ['another version', `1${text.slice(1)}`],
    ['the older format', `1.${text.split('.')[1]}.${text.split('.')[6]}`],
    ['inconsistent (more confirmed than predicted)', text.replace(/^(2\.\d+\.\d+\.\d+)\.(\d+)\.(\d+)\./, '$1.0.5.')],
    ['edited', `${text.slice(0, -1)}*`],
    ['empty', ''],
  ])('drops a history that is %s', (_case, value) => {
    expect(parseDemandHistory(value)).toBeUndefined();
  });

  it('reads an empty history', () => {
    expect(parseDemandHistory(serializeDemandHistory(emptyDemandHistory()))).toEqual(emptyDemandHistory());
  });
});

describe('Function: isDemandHistory', () => {
  const valid = emptyDemandHistory();

  it.each([
    ['null', null],
    ['a string', 'history'],
    ['another version', { ...valid, version: 1 }],
    ['a fractional recent peak', { ...valid, recentPeak: 0.5 }],
    ['a recent peak beyond the encoding', { ...valid, recentPeak: 64 ** 3 }],
    ['a negative recent time', { ...valid, recentSinceMs: -1 }],
    ['a negative score', { ...valid, predicted: -1 }],
    ['a score beyond its bound', { ...valid, predicted: 50 * 64 ** 3, confirmed: 0 }],
    ['more confirmed than predicted', { ...valid, predicted: 2, confirmed: 3 }],
    ['a fractional last slot', { ...valid, lastSlot: 1.5 }],
    ['a last slot below -1', { ...valid, lastSlot: -2 }],
    ['too few slots', { ...valid, peaks: [1, 2] }],
    ['no slots', { ...valid, peaks: 'x' }],
    ['a negative peak', { ...valid, peaks: valid.peaks.map((_units, index) => (index === 5 ? -1 : 0)) }],
    ['a peak beyond the encoding', { ...valid, peaks: valid.peaks.map(() => 64 ** 3) }],
    ['a fractional peak', { ...valid, peaks: valid.peaks.map(() => 0.5) }],
  ])('rejects %s', (_case, value) => {
    expect(isDemandHistory(value)).toBe(false);
  });

  it('accepts a history', () => {
    expect(isDemandHistory(valid)).toBe(true);
  });
});

describe('Function: releasedRecentPeak', () => {
  // A peak of 10 agents at 00:00, demand 2 since; the window (a stopped instance's break-even) is 10 minutes.
  const WINDOW_SEC = 600;
  const peakAt = recordDemand(emptyDemandHistory(), MONDAY_MS, 10, 0.5, WINDOW_SEC);
  const demandFellAfter = (minutes: number) =>
    recordDemand(peakAt, MONDAY_MS + minutes * MINUTE_MS, 2, 0.5, WINDOW_SEC);

  it('gives the excess back gradually: all of it at the peak, three quarters half-way, half at the end, then none', () => {
    expect(releasedRecentPeak(demandFellAfter(0), MONDAY_MS, 2, WINDOW_SEC)).toBe(10);
    expect(releasedRecentPeak(demandFellAfter(5), MONDAY_MS + 5 * MINUTE_MS, 2, WINDOW_SEC)).toBe(8);
    expect(releasedRecentPeak(demandFellAfter(9), MONDAY_MS + 9 * MINUTE_MS, 2, WINDOW_SEC)).toBeCloseTo(6.4, 9);
    // At the window's end the record drops the peak: nothing is held beyond the break-even.
    expect(releasedRecentPeak(demandFellAfter(10), MONDAY_MS + 10 * MINUTE_MS, 2, WINDOW_SEC)).toBe(2);
  });

  it('holds the demand of the moment when it is at or above the peak, and nothing after a gap', () => {
    expect(releasedRecentPeak(demandFellAfter(3), MONDAY_MS + 3 * MINUTE_MS, 12, WINDOW_SEC)).toBe(12);
    expect(releasedRecentPeak(demandFellAfter(3), MONDAY_MS + 40 * MINUTE_MS, 0, WINDOW_SEC)).toBe(0);
  });

  it('stays between the demand and the peak, and never rises while demand stays below the peak', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 60, max: 3600 }),
        fc.array(fc.integer({ min: 0, max: 3_600_000 }), { minLength: 2, maxLength: 8 }),
        (peak, demandSeed, windowSec, offsets) => {
          const demand = demandSeed % peak;
          const history = recordDemand(emptyDemandHistory(), MONDAY_MS, peak, 0.5, windowSec);
          let previous = Number.POSITIVE_INFINITY;
          for (const offset of offsets.sort((a, b) => a - b)) {
            const held = releasedRecentPeak(history, MONDAY_MS + offset, demand, windowSec);
            expect(held).toBeGreaterThanOrEqual(demand);
            expect(held).toBeLessThanOrEqual(peak);
            expect(held).toBeLessThanOrEqual(previous);
            previous = held;
          }
        },
      ),
    );
  });
});
