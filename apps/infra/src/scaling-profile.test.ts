import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadStackConfig } from './config/load-stack-config';
import { validateElasticCiStackProps } from './elastic-ci-stack';
import { withScalingProfile } from './scaling-profile';
import { MINIMAL_PROPS } from './test-support/synthesize';

describe('withScalingProfile', () => {
  it("leaves the props alone without a profile or with 'buildkite'", () => {
    const props = { ...MINIMAL_PROPS, scaleOutFactor: 2 };

    expect(withScalingProfile(props)).toBe(props);
    expect(withScalingProfile({ ...props, scalingProfile: 'buildkite' })).toEqual({
      ...props,
      scalingProfile: 'buildkite',
    });
  });

  it("fills what the props leave unset with 'elastic-ci', keeps what they set, and ignores explicit undefined", () => {
    const profiled = withScalingProfile({
      ...MINIMAL_PROPS,
      scalingProfile: 'elastic-ci',
      minSize: 2,
      scaleOutCooldownSec: 120,
      scaleInOrder: undefined,
      scalerPolicies: { dependencies: { releaseQuantile: 0.5 }, costs: { bootSec: 90 } },
    });

    expect(profiled).toMatchObject({
      scaleOutCooldownSec: 120,
      scaleInOrder: 'longest-idle-first',
      scaleInStrategy: 'drain',
      disableScaleIn: false,
      warmPoolEnabled: true,
      warmPoolReuseOnScaleIn: true,
      // The pool holds what the scaler decides: AWS's prepared capacity stays at the group's MinSize.
      warmPoolMaxGroupPreparedCapacity: 2,
    });
    expect(profiled.scalerPolicies).toEqual({
      scaleIn: { minIdleSec: 45 },
      forecast: { enabled: true },
      dependencies: { enabled: true, releaseQuantile: 0.5 },
      costs: { bootSec: 90 },
    });
  });
});

describe('validateElasticCiStackProps with a scaling profile', () => {
  it('names an unknown profile', () => {
    expect(validateElasticCiStackProps({ ...MINIMAL_PROPS, scalingProfile: 'fast' as never })).toContain(
      'scalingProfile is "fast"; it must be one of buildkite, elastic-ci',
    );
  });

  it("checks the warm pool 'elastic-ci' turns on: one instance type, on-demand only", () => {
    const problems = validateElasticCiStackProps({
      ...MINIMAL_PROPS,
      scalingProfile: 'elastic-ci',
      instanceTypes: ['c7g.large', 'm7g.large'],
      onDemandPercentageAboveBaseCapacity: 0,
    });

    expect(problems).toEqual([
      'warmPoolEnabled needs exactly one instance type (AWS refuses warm pools on mixed instances groups), got 2',
      'warmPoolEnabled needs onDemandPercentageAboveBaseCapacity 100 (AWS refuses warm pools with spot), got 0',
    ]);
  });

  it("keeps the rest of 'elastic-ci' on a fleet that turns the warm pool off (mixed instances, spot)", () => {
    const props = {
      ...MINIMAL_PROPS,
      scalingProfile: 'elastic-ci',
      warmPoolEnabled: false,
      instanceTypes: ['c7g.large', 'm7g.large'],
      onDemandPercentageAboveBaseCapacity: 0,
    } as const;

    expect(validateElasticCiStackProps(props)).toEqual([]);
    const profiled = withScalingProfile(props);
    expect(profiled).toMatchObject({ warmPoolEnabled: false, scaleInStrategy: 'drain', disableScaleIn: false });
    expect(profiled.warmPoolMinSize).toBeUndefined();
    expect(profiled.warmPoolPrepareForWaitingJobs).toBeUndefined();
  });

  it("accepts 'elastic-ci' on the default single on-demand instance type", () => {
    expect(validateElasticCiStackProps({ ...MINIMAL_PROPS, scalingProfile: 'elastic-ci' })).toEqual([]);
  });
});

describe("the README's scaling-profile config", () => {
  const fixture = fileURLToPath(new URL('./config/fixtures/elastic-ci-profile.yaml', import.meta.url));

  it('is the fixture, which loads into valid props with the profile and your forecast time zone', () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    expect(readme).toContain(`\`\`\`yaml\n${readFileSync(fixture, 'utf8')}\`\`\``);

    const { props } = loadStackConfig(fixture);
    expect(props).toMatchObject({ scalingProfile: 'elastic-ci', instanceTypes: ['c7g.xlarge'], webhookEnabled: true });
    expect(validateElasticCiStackProps(props)).toEqual([]);
    expect(withScalingProfile(props).scalerPolicies).toMatchObject({
      forecast: { enabled: true, timezone: 'Europe/Berlin' },
    });
  });
});

describe('scalerPolicies that a variable of the stack would override', () => {
  it('refuses a warm-pool setting the profile passes as its own variable, naming the option to set instead', () => {
    const props = {
      ...MINIMAL_PROPS,
      scalingProfile: 'elastic-ci' as const,
      scalerPolicies: { warmPool: { prepareForWaitingJobs: false }, dependencies: { releaseQuantile: 0.3 } },
    };

    expect(validateElasticCiStackProps(props)).toEqual([
      'scalerPolicies.warmPool.prepareForWaitingJobs would be ignored: the option warmPoolPrepareForWaitingJobs sets it (WARM_POOL_PREPARE_FOR_WAITING_JOBS wins over SCALER_POLICIES); set that option instead',
    ]);
    expect(
      validateElasticCiStackProps({
        ...props,
        warmPoolPrepareForWaitingJobs: false,
        scalerPolicies: { dependencies: { releaseQuantile: 0.3 } },
      }),
    ).toEqual([]);
  });

  it('refuses a path only while the stack sets its variable', () => {
    const throttle = { scalerPolicies: { growthThrottle: { launchesPerSec: 1, burst: 5 } } };

    // Without the options the stack sets no GROWTH_THROTTLE_* variable: SCALER_POLICIES carries the throttle.
    expect(validateElasticCiStackProps({ ...MINIMAL_PROPS, ...throttle })).toEqual([]);
    expect(validateElasticCiStackProps({ ...MINIMAL_PROPS, ...throttle, growthThrottleLaunchesPerSec: 2 })).toEqual([
      'scalerPolicies.growthThrottle.launchesPerSec would be ignored: the option growthThrottleLaunchesPerSec sets it (GROWTH_THROTTLE_LAUNCHES_PER_SEC wins over SCALER_POLICIES); set that option instead',
    ]);
    // A fixed-size fleet deploys no scaler to override anything.
    expect(
      validateElasticCiStackProps({
        ...MINIMAL_PROPS,
        minSize: 3,
        maxSize: 3,
        scalerPolicies: { scaleIn: { strategy: 'drain' } },
      }),
    ).toEqual([]);
  });
});
