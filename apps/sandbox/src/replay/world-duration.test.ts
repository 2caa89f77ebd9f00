import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DurationFormatError,
  formatWorldDuration,
  formatWorldWindow,
  parseWorldDuration,
  parseWorldOffset,
} from './world-duration';

describe('parseWorldDuration', () => {
  it.each([
    ['2h', 7200],
    ['90m', 5400],
    ['1h30m', 5400],
    ['45s', 45],
    ['1h0m10s', 3610],
    ['5400', 5400],
    ['0.5h', 1800],
  ])('reads %s as %d seconds', (text, expected) => {
    expect(parseWorldDuration(text)).toBe(expected);
  });

  it.each(['', 'h', '2d', '-5', '0', '0m', 'ten minutes', '30m2h'])('refuses %j with a hint', (text) => {
    expect(() => parseWorldDuration(text)).toThrow(DurationFormatError);
  });

  it('formats what it parses back to the same seconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 * 86_400 }), (seconds) => {
        expect(parseWorldDuration(formatWorldDuration(seconds))).toBe(seconds);
      }),
    );
  });
});

describe('parseWorldOffset', () => {
  it('reads a point in the trace, its start included', () => {
    expect(parseWorldOffset('0')).toBe(0);
    expect(parseWorldOffset('0m')).toBe(0);
    expect(parseWorldOffset('32h40m')).toBe(117_600);
    expect(() => parseWorldOffset('-5')).toThrow(DurationFormatError);
    expect(() => parseWorldOffset('tuesday')).toThrow(DurationFormatError);
  });
});

describe('formatWorldWindow', () => {
  it('says "first" for a window from the start, and where it starts otherwise', () => {
    expect(formatWorldWindow(0, 5400)).toBe('first 1h30m');
    expect(formatWorldWindow(117_600, 3600)).toBe('1h from 32h40m');
  });
});
