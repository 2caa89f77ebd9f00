import { describe, expect, it } from 'vitest';
import { parseScalerConfig } from './config.js';
import { decide } from './decide.js';
import { ELASTIC_CI_POLICY } from './elastic-ci-policy.js';
import { input } from './test-fixtures.js';

describe('ELASTIC_CI_POLICY', () => {
  it('parses, and turns on the forecast, the waiting-job capacity, the decided warm pool and the idle drain', () => {
    const config = parseScalerConfig(ELASTIC_CI_POLICY);

    expect(config.forecast.enabled).toBe(true);
    expect(config.dependencies.enabled).toBe(true);
    expect(config.warmPool).toMatchObject({ enabled: true, prepareForWaitingJobs: true });
    expect(config.scaleIn).toMatchObject({ strategy: 'drain', minIdleSec: 45 });
    expect(config.disableScaleIn).toBe(false);
  });

  it('asks for one instance per scheduled job with no idle agent, at once, and sizes the pool', () => {
    const decision = decide(
      input({
        config: ELASTIC_CI_POLICY,
        metrics: { scheduledJobs: 3, runningJobs: 2, busyAgents: 2, totalAgents: 2 },
        group: { desired: 2, inService: 2, max: 50 },
      }),
    );

    expect(decision.desired).toBe(5);
    expect(typeof decision.warmPoolMinSize).toBe('number');
  });
});
