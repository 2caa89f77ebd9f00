import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeDuration, durationDistributionSchema, medianOf, sampleDuration, withMedian } from './distribution.js';
import { createRandom } from './rng.js';

describe('Function: sampleDuration', () => {
  it('keeps lognormal draws within their bounds and around the median', () => {
    fc.assert(
      fc.property(fc.nat(), (seed) => {
        const distribution = durationDistributionSchema.parse({
          kind: 'lognormal',
          medianSec: 100,
          minSec: 45,
          maxSec: 400,
        });
        const random = createRandom(seed, 'boot');
        const draws = Array.from({ length: 200 }, () => sampleDuration(distribution, random));
        expect(draws.every((draw) => draw >= 45 && draw <= 400)).toBe(true);
        const below = draws.filter((draw) => draw < 100).length;
        expect(below).toBeGreaterThan(60);
        expect(below).toBeLessThan(140);
      }),
      { numRuns: 20 },
    );
  });

  it('returns fixed durations without consuming randomness, and uniform draws within range', () => {
    const random = createRandom(1, 'x');
    expect(sampleDuration(7, random)).toBe(7);
    expect(sampleDuration({ kind: 'fixed', sec: 3 }, random)).toBe(3);
    const uniform = durationDistributionSchema.parse({ kind: 'uniform', minSec: 5, maxSec: 6 });
    const draw = sampleDuration(uniform, random);
    expect(draw).toBeGreaterThanOrEqual(5);
    expect(draw).toBeLessThan(6);
    expect(describeDuration(uniform)).toBe('uniform(5–6 s)');
  });

  it('rejects bounds that cross and unknown kinds', () => {
    expect(durationDistributionSchema.safeParse({ kind: 'uniform', minSec: 6, maxSec: 5 }).success).toBe(false);
    expect(durationDistributionSchema.safeParse({ kind: 'weibull' }).success).toBe(false);
    expect(durationDistributionSchema.safeParse(-1).success).toBe(false);
  });
});

describe('Function: createRandom', () => {
  it('gives the same stream for the same seed and label, and independent ones otherwise', () => {
    const draws = (seed: number, label: string) => {
      const random = createRandom(seed, label);
      return Array.from({ length: 5 }, () => random.next());
    };
    expect(draws(1, 'boot')).toEqual(draws(1, 'boot'));
    expect(draws(1, 'boot')).not.toEqual(draws(2, 'boot'));
    expect(draws(1, 'boot')).not.toEqual(draws(1, 'spot'));
    expect(draws(3, 'boot').every((value) => value >= 0 && value < 1)).toBe(true);
  });
});

describe('Function: withMedian', () => {
  it('stretches every kind of distribution to the new median, keeping its shape', () => {
    expect(withMedian(100, 60)).toEqual({ kind: 'fixed', sec: 60 });
    expect(withMedian({ kind: 'fixed', sec: 100 }, 180)).toEqual({ kind: 'fixed', sec: 180 });
    expect(withMedian({ kind: 'uniform', minSec: 80, maxSec: 120 }, 50)).toEqual({
      kind: 'uniform',
      minSec: 40,
      maxSec: 60,
    });
    expect(withMedian({ kind: 'lognormal', medianSec: 100, sigma: 0.25, minSec: 45, maxSec: 400 }, 180)).toEqual({
      kind: 'lognormal',
      medianSec: 180,
      sigma: 0.25,
      minSec: 81,
      maxSec: 720,
    });
    expect(medianOf(withMedian({ kind: 'lognormal', medianSec: 25, sigma: 0.3, minSec: 10 }, 45))).toBe(45);
  });
});
