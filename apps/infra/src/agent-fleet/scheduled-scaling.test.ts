import { describe, expect, it } from 'vitest';
import { cronProblems, isKnownTimeZone } from './scheduled-scaling.js';

describe('Function: cronProblems', () => {
  it('accepts values, ranges, lists, steps and names in every field', () => {
    for (const expression of [
      '0 8 * * MON-FRI',
      '*/5 * * * *',
      '0,30 6-18/2 1-15 JAN-JUN,DEC sun',
      '59 23 31 12 7',
      '  0   8 * *   1-5 ',
    ]) {
      expect(cronProblems(expression), expression).toEqual([]);
    }
  });

  it('names each bad field with its allowed range', () => {
    expect(cronProblems('60 24 0 13 8')).toEqual([
      'minute "60" is not *, a value, a range, a list or a step of 0-59',
      'hour "24" is not *, a value, a range, a list or a step of 0-23',
      'day of month "0" is not *, a value, a range, a list or a step of 1-31',
      'month "13" is not *, a value, a range, a list or a step of 1-12 or JAN-DEC',
      'day of week "8" is not *, a value, a range, a list or a step of 0-7 or SUN-SAT',
    ]);
  });

  it('refuses reversed ranges, zero steps, empty list entries and the 6-field AWS form', () => {
    expect(cronProblems('30-10 * * * *')).toHaveLength(1);
    expect(cronProblems('*/0 * * * *')).toHaveLength(1);
    expect(cronProblems('1,,2 * * * *')).toHaveLength(1);
    expect(cronProblems('0 8 ? * MON-FRI *')).toEqual([
      '"0 8 ? * MON-FRI *" has 6 fields; a schedule needs 5: minute hour day-of-month month day-of-week, e.g. "0 8 * * MON-FRI"',
    ]);
  });
});

describe('Function: isKnownTimeZone', () => {
  it('knows IANA zones and UTC, not abbreviations', () => {
    expect(isKnownTimeZone('Pacific/Tahiti')).toBe(true);
    expect(isKnownTimeZone('UTC')).toBe(true);
    expect(isKnownTimeZone('Etc/GMT-14')).toBe(true);
    expect(isKnownTimeZone('Etc/GMT+13')).toBe(false);
    expect(isKnownTimeZone('CET ')).toBe(false);
    expect(isKnownTimeZone('')).toBe(false);
  });
});
