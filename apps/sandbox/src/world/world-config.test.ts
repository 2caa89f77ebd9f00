import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeConfig, productDefaultDurations, renderStackConfig } from './world-config';

describe('renderStackConfig', () => {
  it('divides every world duration by the time scale and leaves other values alone', () => {
    const rendered = renderStackConfig(
      {
        stackName: 'demo',
        config: {
          buildkite: { queue: 'q', idleTimeoutSec: 600, agentsPerInstance: 2 },
          scaling: { scaleOutCooldownSec: 300, pollIntervalSec: 10, maxSize: 7 },
        },
      },
      30,
    );
    expect(rendered.stackName).toBe('demo');
    expect(rendered.config).toMatchObject({
      stackName: 'demo',
      buildkite: {
        queue: 'q',
        idleTimeoutSec: 20,
        agentsPerInstance: 2,
        agentToken: { parameterName: '/demo/agent-token' },
        webhook: { enabled: true, secretParameterName: '/demo/webhook-secret' },
      },
      scaling: { scaleOutCooldownSec: 10, pollIntervalSec: 1, maxSize: 7 },
    });
  });

  it('raises a duration below the product minimum to it and reports the raise', () => {
    const rendered = renderStackConfig({ config: { scaling: { invocationBudgetSec: 50, leaseTtlSec: 30 } } }, 30);
    expect(rendered.config).toMatchObject({ scaling: { invocationBudgetSec: 10, leaseTtlSec: 21 } });
    expect(rendered.clamped).toEqual([
      { field: 'scaling.invocationBudgetSec', worldSec: 50, scaledSec: 50 / 30, usedSec: 10 },
      { field: 'scaling.leaseTtlSec', worldSec: 30, scaledSec: 1, usedSec: 21 },
    ]);
  });

  it('scales the product defaults the world leaves unset, and the world wins over them', () => {
    const rendered = renderStackConfig({ config: { scaling: { pollIntervalSec: 20 } } }, 10, {
      scaling: { pollIntervalSec: 10, scaleOutCooldownSec: 300 },
      instances: { terminationGracePeriodSec: 3600 },
    });
    expect(rendered.config).toMatchObject({
      scaling: { pollIntervalSec: 2, scaleOutCooldownSec: 30 },
      instances: { terminationGracePeriodSec: 360 },
    });
  });

  it('keeps real-time fields and zero (off) as they are', () => {
    const rendered = renderStackConfig(
      {
        config: {
          buildkite: { webhook: { replayWindowSec: 300 }, disconnectAfterUptimeSec: 0 },
          scaling: { scheduleIntervalSec: 120 },
        },
      },
      10,
    );
    expect(rendered.config).toMatchObject({
      buildkite: { webhook: { replayWindowSec: 300 }, disconnectAfterUptimeSec: 0 },
      scaling: { scheduleIntervalSec: 120 },
    });
  });

  it('gives no webhook secret parameter when the world turns the webhook off', () => {
    const rendered = renderStackConfig({ config: { buildkite: { webhook: { enabled: false } } } }, 10);
    expect(rendered.config.buildkite).toMatchObject({ webhook: { enabled: false } });
    expect(JSON.stringify(rendered.config)).not.toContain('webhook-secret');
  });

  it('refuses a time scale that is not a positive number', () => {
    for (const scale of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => renderStackConfig({}, scale)).toThrow(/timeScale/);
    }
  });

  it('never scales a duration below one second, nor above its world value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.double({ min: 1, max: 1000, noNaN: true }), (sec, scale) => {
        const rendered = renderStackConfig({ config: { scaling: { scaleOutCooldownSec: sec } } }, scale);
        const used = (rendered.config.scaling as { scaleOutCooldownSec: number }).scaleOutCooldownSec;
        expect(used).toBeGreaterThanOrEqual(1);
        expect(used).toBeLessThanOrEqual(sec);
        expect(Number.isInteger(used)).toBe(true);
      }),
    );
  });
});

describe('mergeConfig', () => {
  it('merges objects deeply and lets arrays and scalars of the override win', () => {
    expect(mergeConfig({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: { e: 2 } })).toEqual({
      a: { b: 1, c: [3] },
      d: { e: 2 },
    });
  });
});

describe('productDefaultDurations', () => {
  it('reads the duration defaults from what apps/infra exports, Durations in seconds', () => {
    const defaults = productDefaultDurations({
      CONTROL_PLANE_DEFAULTS: { scalerPollIntervalSec: 10, scaleOutCooldownSec: 300, stopAgentsDrainTimeoutSec: 3000 },
      AGENT_FLEET_DEFAULTS: { terminationGracePeriod: { toSeconds: () => 3600 } },
    });
    expect(defaults).toEqual({
      scaling: { pollIntervalSec: 10, scaleOutCooldownSec: 300 },
      instances: { terminationGracePeriodSec: 3600 },
      controlPlane: { stopAgentsDrainTimeoutSec: 3000 },
    });
  });
});
