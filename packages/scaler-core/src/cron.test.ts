import { describe, expect, it } from 'vitest';
import { CronSchedule, parseCronExpression } from './cron.js';
import { CronExpressionError } from './errors.js';
import type { WallClock } from './time-zone.js';

const at = (overrides: Partial<WallClock>): WallClock => ({
  minute: 0,
  hour: 0,
  dayOfMonth: 1,
  month: 1,
  dayOfWeek: 0,
  ...overrides,
});

describe('Function: parseCronExpression', () => {
  it('matches every minute with five stars', () => {
    const schedule = parseCronExpression('* * * * *');

    expect(schedule.matches(at({ minute: 59, hour: 23, dayOfMonth: 31, month: 12, dayOfWeek: 6 }))).toBe(true);
  });

  it('matches ranges, lists and steps', () => {
    const schedule = parseCronExpression('*/15 8-17 * * 1-5');

    expect(schedule.matches(at({ minute: 45, hour: 8, dayOfWeek: 1 }))).toBe(true);
    expect(schedule.matches(at({ minute: 46, hour: 8, dayOfWeek: 1 }))).toBe(false);
    expect(schedule.matches(at({ minute: 0, hour: 18, dayOfWeek: 1 }))).toBe(false);
    expect(schedule.matches(at({ minute: 0, hour: 9, dayOfWeek: 6 }))).toBe(false);
  });

  it('reads a/n as from a to the end of the field and a-b/n as a stepped range', () => {
    const fromFive = parseCronExpression('5/20 0-10/5 * * *');

    expect([5, 25, 45].every((minute) => fromFive.matches(at({ minute, hour: 10 })))).toBe(true);
    expect(fromFive.matches(at({ minute: 6, hour: 10 }))).toBe(false);
    expect(fromFive.matches(at({ minute: 5, hour: 3 }))).toBe(false);
  });

  it('accepts month and day names in any case, and 7 as Sunday', () => {
    const schedule = parseCronExpression('0 9 * jan,Dec SUN');
    const seven = parseCronExpression('0 9 * * 7');

    expect(schedule.matches(at({ hour: 9, month: 12, dayOfWeek: 0 }))).toBe(true);
    expect(schedule.matches(at({ hour: 9, month: 2, dayOfWeek: 0 }))).toBe(false);
    expect(seven.matches(at({ hour: 9, dayOfWeek: 0 }))).toBe(true);
  });

  it('matches either day field when both are restricted (Vixie cron)', () => {
    const schedule = parseCronExpression('0 0 13 * FRI');

    expect(schedule.matches(at({ dayOfMonth: 13, dayOfWeek: 2 }))).toBe(true);
    expect(schedule.matches(at({ dayOfMonth: 20, dayOfWeek: 5 }))).toBe(true);
    expect(schedule.matches(at({ dayOfMonth: 20, dayOfWeek: 2 }))).toBe(false);
  });

  it('requires both day fields when one is a star', () => {
    const schedule = parseCronExpression('0 0 13 * *');

    expect(schedule.matches(at({ dayOfMonth: 13, dayOfWeek: 2 }))).toBe(true);
    expect(schedule.matches(at({ dayOfMonth: 14, dayOfWeek: 2 }))).toBe(false);
  });

  it('serialises as its expression', () => {
    expect(JSON.stringify({ cron: new CronSchedule('0 8 * * MON-FRI') })).toBe('{"cron":"0 8 * * MON-FRI"}');
  });

  it.each([
    ['* * * *', /has 4 field\(s\); expected 5/],
    ['60 * * * *', /minute value "60" is not in 0-59/],
    ['* 24 * * *', /hour value "24"/],
    ['* * 0 * *', /day of month value "0"/],
    ['* * * 13 *', /month value "13"/],
    ['* * * * 8', /day of week value "8"/],
    ['* * * FOO *', /month value "FOO"/],
    ['*/0 * * * *', /minute step value "0"/],
    ['5-1 * * * *', /range "5-1" is backwards/],
    ['1-2-3 * * * *', /malformed minute range "1-2-3"/],
    ['*/2/3 * * * *', /malformed minute item/],
    ['1,,2 * * * *', /malformed minute item ""/],
    ['*/ * * * *', /malformed minute item/],
    ['-5 * * * *', /minute value ""/],
  ])('rejects %s', (expression, message) => {
    expect(() => parseCronExpression(expression)).toThrow(CronExpressionError);
    expect(() => parseCronExpression(expression)).toThrow(message);
  });
});
