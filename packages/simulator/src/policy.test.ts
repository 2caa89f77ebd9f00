import { describe, expect, it } from 'vitest';
import { PolicyConfigError } from './errors.js';
import { parsePolicy } from './policy.js';
import { PRESET_NAMES, PRESETS } from './presets.js';
import { resolvePolicy } from './resolve-policy.js';
import { fleetFor, scalerConfigOf } from './scaler-core-policy.js';

const noFiles = (path: string): string => {
  throw new Error(`unexpected read of ${path}`);
};

describe('Function: parsePolicy', () => {
  it('fills every default', () => {
    const policy = parsePolicy({ name: 'bare' }, 'test');
    expect(policy.fleet).toMatchObject({ minSize: 0, maxSize: 500, agentsPerInstance: 1, idleTimeoutSec: 600 });
    expect(policy.control).toMatchObject({
      scheduleSec: 60,
      pollIntervalSec: 10,
      invocationTimeoutSec: 50,
      webhook: null,
    });
  });

  it('names every bad field with its path', () => {
    expect(() =>
      parsePolicy({ name: '', fleet: { minSize: 5, maxSize: 2, extra: 1 }, control: { pollIntervalSec: 0 } }, 'p.json'),
    ).toThrow(/p\.json: invalid policy:[\s\S]*name[\s\S]*fleet[\s\S]*control\.pollIntervalSec/);
  });

  it('refuses fleet sizes and poll rates no run could finish with (they hung or crashed mid-run), naming each field', () => {
    const sizes = {
      minSize: 100_000_000,
      maxSize: 1e12,
      agentsPerInstance: 100_000_000,
      warmPool: { minSize: 100_000_000, maxPreparedCapacity: 100_000_000 },
    };
    const control = { scheduleSec: 0.001, pollIntervalSec: 0.000_001 };
    let message = '';
    try {
      parsePolicy({ name: 'huge', fleet: sizes, control }, 'huge.json');
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    for (const field of [
      'fleet.minSize',
      'fleet.maxSize',
      'fleet.agentsPerInstance',
      'fleet.warmPool.minSize',
      'fleet.warmPool.maxPreparedCapacity',
      'control.scheduleSec',
      'control.pollIntervalSec',
    ]) {
      expect(message).toContain(`  ${field}: Too `);
    }
  });

  it('accepts the largest fleet and the fastest polling it allows', () => {
    const fleet = { minSize: 10_000, maxSize: 10_000, agentsPerInstance: 1000, warmPool: { minSize: 10_000 } };
    expect(() =>
      parsePolicy(
        { name: 'edge', fleet, control: { scheduleSec: 1, pollIntervalSec: 1, invocationTimeoutSec: 1 } },
        'x',
      ),
    ).not.toThrow();
  });
});

describe('Presets', () => {
  it.each(PRESET_NAMES)('%s is valid for the simulator and for scaler-core', (name) => {
    const policy = resolvePolicy(name, noFiles);
    expect(policy.name).toBe(name);
    expect(() => scalerConfigOf(policy)).not.toThrow();
  });

  it('differ between buildkite-default and buildkite-tuned only in the scale-out cooldown', () => {
    const byDefault = parsePolicy(PRESETS['buildkite-default'], 'a');
    const tuned = parsePolicy(PRESETS['buildkite-tuned'], 'b');
    expect(scalerConfigOf(byDefault).scaleOutCooldownSec).toBe(300);
    expect(scalerConfigOf(tuned).scaleOutCooldownSec).toBe(0);
    expect({ ...tuned.scaler, scaleOutCooldownSec: 300 }).toEqual(byDefault.scaler);
    expect(tuned.fleet).toEqual(byDefault.fleet);
    expect(tuned.control).toEqual(byDefault.control);
  });

  it('expresses the elastic-ci warm pool through scaler-core: the scaler sets MinSize, the fleet models AWS', () => {
    const policy = resolvePolicy('elastic-ci', noFiles);
    const config = scalerConfigOf(policy);

    expect(config.warmPool).toEqual({ enabled: true, minSize: 0, prepareForWaitingJobs: true, schedules: [] });
    expect(config.forecast.enabled).toBe(true);
    expect(config.dependencies.enabled).toBe(true);
    // No fixed prepared capacity: the pool is what the scaler's MinSize (forecast, waiting jobs) asks for.
    expect(policy.fleet.warmPool).toMatchObject({ minSize: 0, maxPreparedCapacity: 0, reuseOnScaleIn: true });
  });

  it('rejects a scaler-managed warm pool on a fleet without one, or with a MinSize of its own', () => {
    const managed = { warmPool: { enabled: true, minSize: 2 } };
    const noPool = parsePolicy({ name: 'x', scaler: managed }, 'x');
    const ownMinSize = parsePolicy({ name: 'x', scaler: managed, fleet: { warmPool: { minSize: 5 } } }, 'x');
    const sameMinSize = parsePolicy({ name: 'x', scaler: managed, fleet: { warmPool: { minSize: 2 } } }, 'x');

    expect(() => scalerConfigOf(noPool)).toThrow(
      /scaler\.warmPool\.enabled sizes the group's warm pool, but fleet\.warmPool is null/,
    );
    expect(() => scalerConfigOf(ownMinSize)).toThrow(
      /fleet\.warmPool\.minSize \(5\) is set by the scaler[\s\S]*set scaler\.warmPool\.minSize instead/,
    );
    expect(scalerConfigOf(sameMinSize).warmPool.minSize).toBe(2);
  });

  it('starts a scaler-managed pool at the scaler minSize and leaves other fleets as they are', () => {
    const managed = parsePolicy(
      { name: 'x', scaler: { warmPool: { enabled: true, minSize: 3 } }, fleet: { warmPool: {} } },
      'x',
    );
    const unmanaged = parsePolicy({ name: 'y', fleet: { warmPool: { minSize: 4 } } }, 'y');

    expect(fleetFor(managed, scalerConfigOf(managed)).warmPool?.minSize).toBe(3);
    expect(fleetFor(unmanaged, scalerConfigOf(unmanaged))).toBe(unmanaged.fleet);
  });

  it('no longer accepts the simulator-only fleet.warmPool.prepareForWaitingJobs', () => {
    expect(() =>
      parsePolicy({ name: 'old', fleet: { warmPool: { prepareForWaitingJobs: true } } }, 'old.json'),
    ).toThrow(
      /fleet\.warmPool: Unrecognized key: "prepareForWaitingJobs" \(now scaler\.warmPool\.prepareForWaitingJobs, with scaler\.warmPool\.enabled\)/,
    );
  });

  it('rejects a scaler agentsPerInstance that contradicts the fleet', () => {
    const policy = parsePolicy({ name: 'x', scaler: { agentsPerInstance: 2 } }, 'x');
    expect(() => scalerConfigOf(policy)).toThrow(PolicyConfigError);
    expect(() => scalerConfigOf(policy)).toThrow(/set only fleet\.agentsPerInstance/);
  });
});
