import { PolicyConfigError, type PolicyInput, parsePolicy } from '@elastic-ci/simulator';
import { describe, expect, it } from 'vitest';
import { renderStackConfig } from '../world/world-config';
import { policyToWorld, typicalSec } from './policy-to-world';

// Hand-written policies (not the presets, which are tuned over time): one like Buildkite's stack, one like ours.
const POLICIES: Record<string, PolicyInput> = {
  'buildkite-default': {
    name: 'buildkite-like',
    scaler: {
      instanceBuffer: 0,
      scaleOutFactor: 1,
      scaleOutCooldownSec: 300,
      disableScaleIn: true,
      availabilityThreshold: 0.5,
    },
    fleet: { minSize: 0, idleTimeoutSec: 600 },
    control: { scheduleSec: 60, pollIntervalSec: 10, invocationTimeoutSec: 50, webhook: null },
  },
  'elastic-ci': {
    name: 'elastic-ci-like',
    scaler: {
      scaleOutCooldownSec: 0,
      disableScaleIn: false,
      availabilityThreshold: 0,
      scaleIn: { strategy: 'drain', order: 'longest-idle-first', minIdleSec: 300 },
      warmPool: { enabled: true, minSize: 0, prepareForWaitingJobs: true },
    },
    fleet: {
      idleTimeoutSec: 1800,
      warmPool: { maxPreparedCapacity: 10, reuseOnScaleIn: true, surplusRetentionSec: 900 },
    },
    control: { webhook: { latencySec: 2 } },
  },
};
const preset = (name: string) => parsePolicy(POLICIES[name], name);

describe('policyToWorld', () => {
  it('maps buildkite-default onto the stack config: cooldown, no scale-in, 600 s idle exit, no webhook', () => {
    // Act
    const world = policyToWorld(preset('buildkite-default'), 'default', 60);

    // Assess (values from the preset in packages/simulator/src/presets.ts)
    expect(world.stackConfig.buildkite).toEqual({
      queue: 'default',
      agentsPerInstance: 1,
      idleTimeoutSec: 600,
      webhook: { enabled: false },
    });
    expect(world.stackConfig.scaling).toMatchObject({
      minSize: 0,
      maxSize: 10,
      instanceBuffer: 0,
      scaleOutFactor: 1,
      scaleOutCooldownSec: 300,
      disableScaleIn: true,
      availabilityThreshold: 0.5,
      scaleInStrategy: 'set-desired',
      scheduleIntervalSec: 60,
      pollIntervalSec: 10,
      invocationBudgetSec: 50,
    });
    expect(world.bootDelaySec).toBe(100);
    expect(world.webhookLatencySec).toBeNull();
    expect(world.adjustments).toEqual(['fleet.maxSize 500 → 10: the most instances one machine runs']);
    expect(world.predictionPolicy.fleet.bootSec).toEqual({ kind: 'fixed', sec: 100 });
    expect(world.predictionPolicy.fleet.maxSize).toBe(10);
  });

  it('maps elastic-ci: drain scale-in, scaler-managed warm pool, webhook; what the stack lacks is left out of both', () => {
    // Act
    const world = policyToWorld(preset('elastic-ci'), 'default', 60);

    // Assess
    expect(world.stackConfig.buildkite).toMatchObject({ idleTimeoutSec: 1800, webhook: { enabled: true } });
    expect(world.stackConfig.scaling).toMatchObject({
      disableScaleIn: false,
      availabilityThreshold: 0,
      scaleInStrategy: 'drain',
      scaleInOrder: 'longest-idle-first',
      warmPool: {
        enabled: true,
        state: 'Stopped',
        minSize: 0,
        maxGroupPreparedCapacity: 10,
        reuseOnScaleIn: true,
        scalerManaged: true,
        prepareForWaitingJobs: true,
      },
    });
    expect(world.stackConfig.scaling).toMatchObject({ policies: { scaleIn: { minIdleSec: 300 } } });
    expect(world.webhookLatencySec).toBe(2);
    expect(world.adjustments).toEqual([
      'fleet.maxSize 500 → 10: the most instances one machine runs',
      "fleet.warmPool.surplusRetentionSec (900 s) is the simulator's model of a pool that keeps surplus instances; AWS has no such setting: left out",
    ]);
    expect(world.predictionPolicy.scaler).toMatchObject({
      scaleIn: { strategy: 'drain', order: 'longest-idle-first', minRunningTimeSec: 0, minIdleSec: 300 },
    });
    expect(world.predictionPolicy.fleet.warmPool?.surplusRetentionSec).toBe(0);
  });

  it.each([
    // 45 s at 60× is 0.75 real seconds: the sandbox deploys 1, so both sides drain after 60 world seconds.
    [45, 60, 60, ['scaler.scaleIn.minIdleSec 45 s → 60 s: the sandbox deploys whole real seconds (1 s at 60×)']],
    [45, 15, 45, []],
    [100, 60, 120, ['scaler.scaleIn.minIdleSec 100 s → 120 s: the sandbox deploys whole real seconds (2 s at 60×)']],
  ])(
    'deploys scaleIn.minIdleSec %i s through scaling.policies at %i× and predicts the %i s the fleet waits',
    (minIdleSec, timeScale, predictedSec, adjustments) => {
      // Arrange
      const input = POLICIES['elastic-ci'] as PolicyInput;
      const policy = parsePolicy(
        { ...input, scaler: { ...input.scaler, scaleIn: { strategy: 'drain', minIdleSec } } },
        'idle-wait',
      );

      // Act
      const world = policyToWorld(policy, 'default', timeScale);

      // Assess
      expect(world.stackConfig.scaling).toMatchObject({ policies: { scaleIn: { minIdleSec } } });
      const deployed = renderStackConfig({ config: world.stackConfig }, timeScale).config;
      const deployedSec = (deployed.scaling as { policies: { scaleIn: { minIdleSec: number } } }).policies.scaleIn
        .minIdleSec;
      expect(deployedSec * timeScale).toBe(predictedSec);
      expect(world.predictionPolicy.scaler).toMatchObject({ scaleIn: { minIdleSec: predictedSec } });
      expect(world.adjustments.filter((line) => line.includes('minIdleSec'))).toEqual(adjustments);
    },
  );

  it('leaves scaling.policies out when the policy drains at once', () => {
    const input = POLICIES['elastic-ci'] as PolicyInput;
    const policy = parsePolicy({ ...input, scaler: { ...input.scaler, scaleIn: { strategy: 'drain' } } }, 'at-once');

    const world = policyToWorld(policy, 'default', 60);

    expect(world.stackConfig.scaling).not.toHaveProperty('policies');
    expect(world.predictionPolicy.scaler).toMatchObject({ scaleIn: { strategy: 'drain' } });
    expect(world.predictionPolicy.scaler.scaleIn).not.toHaveProperty('minIdleSec');
  });

  it('says the forecast and the learned waits are left out of both: the compressed world cannot feed their clocks', () => {
    // Arrange
    const policy = parsePolicy(
      {
        ...POLICIES['elastic-ci'],
        scaler: { ...POLICIES['elastic-ci']?.scaler, forecast: { enabled: true }, dependencies: { enabled: true } },
      },
      'learning',
    );

    // Act
    const world = policyToWorld(policy, 'default', 60);

    // Assess
    expect(world.adjustments).toEqual(
      expect.arrayContaining([
        'scaler.forecast learns 15-minute slots of the week on the wall clock: a compressed world cannot feed it, left out',
        'scaler.dependencies learns how long jobs wait behind a step in real seconds: a compressed world cannot feed it, left out (waiting jobs still prepare the warm pool)',
      ]),
    );
    expect(world.predictionPolicy.scaler).not.toHaveProperty('forecast');
    expect(world.predictionPolicy.scaler).not.toHaveProperty('dependencies');
    expect(JSON.stringify(world.stackConfig)).not.toContain('forecast');
  });

  it('refuses a policy whose scaler settings scaler-core rejects', () => {
    const policy = { ...preset('elastic-ci'), scaler: { scaleOutFactor: -1 } };
    expect(() => policyToWorld(policy, 'default', 60)).toThrow(PolicyConfigError);
  });
});

describe('typicalSec', () => {
  it.each([
    [42, 42],
    [{ kind: 'fixed' as const, sec: 7 }, 7],
    [{ kind: 'lognormal' as const, medianSec: 100, sigma: 0.25, minSec: 45 }, 100],
    [{ kind: 'lognormal' as const, medianSec: 20, sigma: 0.25, minSec: 45 }, 45],
    [{ kind: 'uniform' as const, minSec: 10, maxSec: 30 }, 20],
  ])('of %j is %d', (distribution, expected) => {
    expect(typicalSec(distribution)).toBe(expected);
  });
});
