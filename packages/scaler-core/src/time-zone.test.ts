import { describe, expect, it } from 'vitest';
import { parseCronExpression } from './cron.js';
import { CronExpressionError } from './errors.js';
import { isKnownTimeZone, ZoneClock } from './time-zone.js';

const MINUTE_MS = 60_000;

describe('Class: ZoneClock', () => {
  it('gives UTC wall-clock fields without an offset', () => {
    const clock = new ZoneClock('UTC');

    expect(clock.wallClock(Date.UTC(2026, 10, 23, 12, 34))).toEqual({
      minute: 34,
      hour: 12,
      dayOfMonth: 23,
      month: 11,
      dayOfWeek: 1,
    });
    expect(clock.offsetMs(0)).toBe(0);
  });

  it('converts to local time across month and year ends', () => {
    const tokyo = new ZoneClock('Asia/Tokyo');

    expect(tokyo.wallClock(Date.UTC(2026, 11, 31, 20, 0))).toEqual({
      minute: 0,
      hour: 5,
      dayOfMonth: 1,
      month: 1,
      dayOfWeek: 5,
    });
    expect(new ZoneClock('America/Los_Angeles').wallClock(Date.UTC(2024, 2, 1, 3, 0))).toMatchObject({
      dayOfMonth: 29,
      month: 2,
      hour: 19,
    });
  });

  it('answers the same from its memo as freshly computed', () => {
    const clock = new ZoneClock('Europe/Berlin');
    const instant = Date.UTC(2026, 6, 1, 10, 7);

    const first = clock.wallClock(instant);
    const second = clock.wallClock(instant + 1000);

    expect(first).toEqual({ minute: 7, hour: 12, dayOfMonth: 1, month: 7, dayOfWeek: 3 });
    expect(second).toEqual(first);
    expect(new ZoneClock('Europe/Berlin').wallClock(instant + 1000)).toEqual(second);
  });

  it('is exact inside a 15-minute bucket that holds a transition (Dublin, 1916-10-01 02:25:21 UTC)', () => {
    // Irish summer time (Dublin mean time + 1 h = +0:34:39) ended at 02:25:21 UTC, off any 15-minute boundary.
    const clock = new ZoneClock('Europe/Dublin');

    expect(clock.offsetMs(Date.UTC(1916, 9, 1, 2, 20))).toBe((34 * 60 + 39) * 1000);
    expect(clock.offsetMs(Date.UTC(1916, 9, 1, 2, 28))).toBe(0);
    expect(clock.offsetMs(Date.UTC(1916, 9, 1, 2, 20))).toBe((34 * 60 + 39) * 1000);
    expect(clock.offsetMs(Date.UTC(1916, 9, 1, 2, 25, 20))).toBe((34 * 60 + 39) * 1000);
    expect(clock.offsetMs(Date.UTC(1916, 9, 1, 2, 25, 21))).toBe(0);
    // Local minutes follow the odd offset: 02:24:00 UTC + 0:34:39 = 02:58:39 local, 02:24:30 UTC = 02:59:09 local
    expect(clock.wallClock(Date.UTC(1916, 9, 1, 2, 24, 0))).toMatchObject({ hour: 2, minute: 58 });
    expect(clock.wallClock(Date.UTC(1916, 9, 1, 2, 24, 30))).toMatchObject({ hour: 2, minute: 59 });
    expect(clock.wallClock(Date.UTC(1916, 9, 1, 2, 25, 21))).toMatchObject({ hour: 2, minute: 25 });
  });

  it('rejects an unknown zone', () => {
    expect(isKnownTimeZone('Europe/Berlin')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(() => new ZoneClock('Mars/Olympus_Mons')).toThrow(CronExpressionError);
  });

  it('serialises as the zone name', () => {
    expect(JSON.stringify(new ZoneClock('Europe/Berlin'))).toBe('"Europe/Berlin"');
  });
});

describe('Daylight saving: cron periods follow local wall-clock time', () => {
  const newYork = new ZoneClock('America/New_York');
  const matchingMinutes = (expression: string, fromMs: number, toMs: number) => {
    const schedule = parseCronExpression(expression);
    const matches: number[] = [];
    for (let instant = fromMs; instant < toMs; instant += MINUTE_MS) {
      if (schedule.matches(newYork.wallClock(instant))) matches.push(instant);
    }
    return matches;
  };

  it('never matches the skipped hour when clocks spring forward (2026-03-08)', () => {
    // Prepare: the whole local day, 05:00 UTC (00:00 EST) to 04:00 UTC next day (00:00 EDT)
    const matches = matchingMinutes('* 2 8 3 *', Date.UTC(2026, 2, 8, 5), Date.UTC(2026, 2, 9, 4));

    expect(matches).toEqual([]);
    expect(newYork.wallClock(Date.UTC(2026, 2, 8, 6, 59))).toMatchObject({ hour: 1, minute: 59 });
    expect(newYork.wallClock(Date.UTC(2026, 2, 8, 7, 0))).toMatchObject({ hour: 3, minute: 0 });
  });

  it('matches the repeated hour twice when clocks fall back (2026-11-01)', () => {
    const matches = matchingMinutes('30 1 1 11 *', Date.UTC(2026, 10, 1, 4), Date.UTC(2026, 10, 2, 5));

    expect(matches).toEqual([Date.UTC(2026, 10, 1, 5, 30), Date.UTC(2026, 10, 1, 6, 30)]);
  });

  it('keeps a 09:00–17:59 weekday window at local hours on both sides of the change', () => {
    const window = '* 9-17 * * MON-FRI';
    // Friday before (EST, UTC-5) and Monday after (EDT, UTC-4) the spring change
    const before = matchingMinutes(window, Date.UTC(2026, 2, 6, 0), Date.UTC(2026, 2, 7, 0));
    const after = matchingMinutes(window, Date.UTC(2026, 2, 9, 0), Date.UTC(2026, 2, 10, 0));

    expect(before[0]).toBe(Date.UTC(2026, 2, 6, 14, 0));
    expect(after[0]).toBe(Date.UTC(2026, 2, 9, 13, 0));
    expect(before).toHaveLength(9 * 60);
    expect(after).toHaveLength(9 * 60);
  });
});
