import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGoDuration } from './go-duration';

describe('Function: parseGoDuration', () => {
  it.each([
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['3600s', 3_600_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['-1s', -1_000],
    ['-1ns', -1e-6],
    ['0', 0],
    ['3600', 3_600_000],
    [' 50s ', 50_000],
  ])('reads %j as %d ms', (text, expected) => {
    expect(parseGoDuration(text)).toBe(expected);
  });

  it.each(['', 's', '10x', '1h-5m', 'ten seconds', '1..5s'])('rejects %j', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });

  it('reads any h/m/s combination as the sum of its parts (property)', () => {
    fc.assert(
      fc.property(fc.nat(99), fc.nat(59), fc.nat(59), (hours, minutes, seconds) => {
        expect(parseGoDuration(`${hours}h${minutes}m${seconds}s`)).toBe(
          ((hours * 60 + minutes) * 60 + seconds) * 1_000,
        );
      }),
    );
  });
});
