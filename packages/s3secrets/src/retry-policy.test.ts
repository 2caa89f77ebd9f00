import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffMs, isRetryable } from './retry-policy';

const failed = (kind: 'throttled' | 'server-error' | 'network' | 'deadline' | 'other') =>
  ({ status: 'failed', kind, reason: kind }) as const;

describe('Function: isRetryable', () => {
  it('retries throttling, 5xx and network errors only', () => {
    // Act / Assess
    expect(['throttled', 'server-error', 'network'].map((kind) => isRetryable(failed(kind as 'network')))).toEqual([
      true,
      true,
      true,
    ]);
    expect(isRetryable(failed('deadline'))).toBe(false);
    expect(isRetryable(failed('other'))).toBe(false);
    expect(isRetryable({ status: 'not-found' })).toBe(false);
    expect(isRetryable({ status: 'access-denied' })).toBe(false);
  });
});

describe('Function: backoffMs', () => {
  it('grows exponentially from 100 ms (500 ms when throttled) with full jitter', () => {
    // Act / Assess
    expect([1, 2, 3].map((attempt) => backoffMs(attempt, failed('server-error'), 0.999_999))).toEqual([99, 199, 399]);
    expect([1, 2, 3].map((attempt) => backoffMs(attempt, failed('throttled'), 0.999_999))).toEqual([499, 999, 1999]);
    expect(backoffMs(3, failed('throttled'), 0)).toBe(0);
  });

  it('never waits more than 20 s or less than 0 (property)', () => {
    // Act / Assess
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.constantFrom(failed('throttled'), failed('network')),
        (attempt, random, outcome) => {
          const delay = backoffMs(attempt, outcome, random);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(20_000);
        },
      ),
    );
  });
});
