import { ELASTIC_CI_POLICY, mergeConfigInput } from '@elastic-ci/scaler-core';
import { Duration } from 'aws-cdk-lib';
import { AGENT_FLEET_DEFAULTS } from './agent-fleet/agent-fleet-defaults';
import type { ElasticCiStackProps } from './elastic-ci-stack-props';

export const SCALING_PROFILES = ['buildkite', 'elastic-ci'] as const;
export type ScalingProfile = (typeof SCALING_PROFILES)[number];

/**
 * How long an idle agent of the `elastic-ci` profile waits before it exits on its own: a backstop only, since the
 * scaler drains idle instances after 45 s and returns them to the warm pool (an agent that exits terminates its
 * instance, which the pool then has to replace with a boot). The simulator's `elastic-ci` preset idles as long.
 */
export const ELASTIC_CI_AGENT_IDLE_TIMEOUT = Duration.minutes(30);

/**
 * What `scalingProfile: 'elastic-ci'` sets where the props leave a field unset: scaler-core's `ELASTIC_CI_POLICY`
 * (the benchmarked decision) in this app's option names, and the fleet it needs — a warm pool of stopped instances
 * that reuses instances on scale-in and holds only the `MinSize` the scaler decides (`MaxGroupPreparedCapacity` at
 * the group's `minSize`, so AWS never fills it up to `maxSize`).
 */
export function elasticCiProfileProps(props: ElasticCiStackProps): ElasticCiStackProps {
  const { includeWaiting, scaleIn, warmPool, forecast, dependencies, ...scalars } = ELASTIC_CI_POLICY;
  const { minIdleSec, ...scaleInOptions } = scaleIn;
  // Turned off on purpose (say, a mixed-instances or spot fleet, which AWS refuses a warm pool): the rest of the
  // profile applies, and no pool option is set that validation would then refuse.
  const pool: ElasticCiStackProps =
    props.warmPoolEnabled === false
      ? {}
      : {
          warmPoolEnabled: warmPool.enabled,
          warmPoolMinSize: warmPool.minSize,
          warmPoolPrepareForWaitingJobs: warmPool.prepareForWaitingJobs,
          warmPoolReuseOnScaleIn: true,
          warmPoolMaxGroupPreparedCapacity: props.minSize ?? AGENT_FLEET_DEFAULTS.minSize,
          warmPoolState: 'Stopped',
        };
  return {
    includeWaitingJobs: includeWaiting,
    instanceBuffer: scalars.instanceBuffer,
    scaleOutFactor: scalars.scaleOutFactor,
    scaleOutCooldownSec: scalars.scaleOutCooldownSec,
    // scaler-core's default: Buildkite's hour-long scale-in cooldown would hold every drain back for an hour.
    scaleInCooldownSec: 0,
    disableScaleIn: scalars.disableScaleIn,
    availabilityThreshold: scalars.availabilityThreshold,
    scaleInStrategy: scaleInOptions.strategy,
    scaleInOrder: scaleInOptions.order,
    ...pool,
    agentDisconnectAfterIdleTimeout: ELASTIC_CI_AGENT_IDLE_TIMEOUT,
    // The rest of the policy has no option of its own: it travels as SCALER_POLICIES.
    scalerPolicies: { scaleIn: { minIdleSec }, forecast, dependencies },
  };
}

/**
 * The props with their scaling profile applied: what the props set wins, field by field, and `scalerPolicies` merges
 * key by key (yours over the profile's). `buildkite` (the default) changes nothing: Buildkite's stack defaults.
 */
export function withScalingProfile(props: ElasticCiStackProps): ElasticCiStackProps {
  if (props.scalingProfile !== 'elastic-ci') return props;
  const profile = elasticCiProfileProps(props);
  const defined = Object.fromEntries(Object.entries(props).filter(([, value]) => value !== undefined));
  return {
    ...profile,
    ...defined,
    scalerPolicies: mergeConfigInput(profile.scalerPolicies, props.scalerPolicies) as Record<string, unknown>,
  };
}
