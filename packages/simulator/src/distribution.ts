import * as z from 'zod';
import type { Random } from './rng.js';

const seconds = z.number().finite().nonnegative();

/**
 * A duration in seconds drawn per event: a bare number is a fixed duration; `lognormal` is the usual shape of boot
 * times (a long right tail: most launches take about the median, a few take much longer).
 */
export const durationDistributionSchema = z.union([
  seconds,
  z.strictObject({ kind: z.literal('fixed'), sec: seconds }),
  z
    .strictObject({
      kind: z.literal('lognormal'),
      medianSec: z.number().finite().positive(),
      /** Standard deviation of ln(duration); 0.25 puts 90 % of draws within ×0.66–×1.5 of the median. */
      sigma: z.number().finite().nonnegative().default(0.25),
      minSec: seconds.default(0),
      maxSec: seconds.optional(),
    })
    .refine((value) => value.maxSec === undefined || value.maxSec >= value.minSec, {
      message: 'maxSec must be at least minSec',
    }),
  z
    .strictObject({ kind: z.literal('uniform'), minSec: seconds, maxSec: seconds })
    .refine((value) => value.maxSec >= value.minSec, { message: 'maxSec must be at least minSec' }),
]);

export type DurationDistributionInput = z.input<typeof durationDistributionSchema>;
export type DurationDistribution = z.output<typeof durationDistributionSchema>;

/** Draws one duration in seconds. A fixed duration consumes no randomness. */
export function sampleDuration(distribution: DurationDistribution, random: Random): number {
  if (typeof distribution === 'number') return distribution;
  switch (distribution.kind) {
    case 'fixed':
      return distribution.sec;
    case 'uniform':
      return distribution.minSec + (distribution.maxSec - distribution.minSec) * random.next();
    case 'lognormal': {
      const drawn = distribution.medianSec * Math.exp(distribution.sigma * random.normal());
      const floored = Math.max(distribution.minSec, drawn);
      return distribution.maxSec === undefined ? floored : Math.min(distribution.maxSec, floored);
    }
  }
}

/** Human summary used in reports: `lognormal(median 100 s, σ 0.25)`. */
export function describeDuration(distribution: DurationDistribution): string {
  if (typeof distribution === 'number') return `${distribution} s`;
  switch (distribution.kind) {
    case 'fixed':
      return `${distribution.sec} s`;
    case 'uniform':
      return `uniform(${distribution.minSec}–${distribution.maxSec} s)`;
    case 'lognormal':
      return `lognormal(median ${distribution.medianSec} s, σ ${distribution.sigma})`;
  }
}

/** The median of a distribution (uniform: its midpoint). */
export function medianOf(distribution: DurationDistribution): number {
  if (typeof distribution === 'number') return distribution;
  switch (distribution.kind) {
    case 'fixed':
      return distribution.sec;
    case 'uniform':
      return (distribution.minSec + distribution.maxSec) / 2;
    case 'lognormal':
      return distribution.medianSec;
  }
}

/**
 * The same distribution stretched so its median is `medianSec`: bounds scale with it and the spread (σ, or the
 * uniform width relative to the midpoint) keeps its shape. Used for sensitivity runs (`--boot-sec`, `--resume-sec`).
 */
export function withMedian(distribution: DurationDistribution, medianSec: number): DurationDistribution {
  const median = medianOf(distribution);
  if (typeof distribution === 'number' || distribution.kind === 'fixed' || median === 0) {
    return { kind: 'fixed', sec: medianSec };
  }
  const factor = medianSec / median;
  if (distribution.kind === 'uniform') {
    return { kind: 'uniform', minSec: distribution.minSec * factor, maxSec: distribution.maxSec * factor };
  }
  return {
    kind: 'lognormal',
    medianSec,
    sigma: distribution.sigma,
    minSec: distribution.minSec * factor,
    ...(distribution.maxSec === undefined ? {} : { maxSec: distribution.maxSec * factor }),
  };
}
