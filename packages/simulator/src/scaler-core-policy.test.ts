import { describe, expect, it } from 'vitest';
import { parsePolicy } from './policy.js';
import { costsOf, leadSecOf, scalerConfigOf } from './scaler-core-policy.js';

describe('Function: scalerConfigOf (costs)', () => {
  it("hands scaler-core the fleet's prices and lead times, which a policy's scaler.costs overrides", () => {
    const policy = parsePolicy(
      {
        name: 'x',
        fleet: {
          pricePerInstanceHour: 0.5,
          volumeCostPerInstanceHour: 0.01,
          bootSec: 90,
          agentRegistrationSec: 10,
          warmPool: { resumeSec: { kind: 'uniform', minSec: 10, maxSec: 30 } },
        },
      },
      'x',
    );
    const overridden = parsePolicy({ name: 'y', scaler: { costs: { bootSec: 200 } }, fleet: { bootSec: 90 } }, 'y');

    expect(scalerConfigOf(policy).costs).toEqual({ instanceHour: 0.5, volumeHour: 0.01, bootSec: 100, resumeSec: 40 });
    expect(scalerConfigOf(overridden).costs.bootSec).toBe(200);
  });

  it('plans with the 90th percentile of a lognormal duration, within its bounds', () => {
    expect(leadSecOf({ kind: 'lognormal', medianSec: 100, sigma: 0.25, minSec: 45 })).toBeCloseTo(137.8, 1);
    expect(leadSecOf({ kind: 'lognormal', medianSec: 100, sigma: 0.25, minSec: 0, maxSec: 120 })).toBe(120);
    expect(leadSecOf({ kind: 'fixed', sec: 7 })).toBe(7);
    expect(costsOf(parsePolicy({ name: 'z', fleet: { bootSec: 60 } }, 'z').fleet)).toMatchObject({
      bootSec: 70,
      resumeSec: 70,
    });
  });
});
