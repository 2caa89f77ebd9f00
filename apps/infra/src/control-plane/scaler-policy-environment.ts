import { AGENT_FLEET_DEFAULTS } from '../agent-fleet/agent-fleet-defaults';
import { CONTROL_PLANE_DEFAULTS, type ElasticCiStackProps } from '../elastic-ci-stack-props';

/** A fixed-size fleet (MinSize = MaxSize) gets no scaler, as Buildkite's stack deploys none. */
export function deploysScaler(props: ElasticCiStackProps): boolean {
  return (props.minSize ?? AGENT_FLEET_DEFAULTS.minSize) !== (props.maxSize ?? AGENT_FLEET_DEFAULTS.maxSize);
}

/** Whether the scaler keeps the warm pool's MinSize: as asked, else whenever the fleet has a warm pool. */
export function warmPoolScalerManagedOf(props: ElasticCiStackProps): boolean {
  return props.warmPoolScalerManaged ?? props.warmPoolEnabled === true;
}

/** The scaler's policy variables (agent-scaler README), every value a string as Lambda wants it. */
export function scalerPolicyEnvironment(
  props: ElasticCiStackProps,
  warmPoolScalerManaged: boolean,
): Record<string, string> {
  const d = CONTROL_PLANE_DEFAULTS;
  const seconds = (value: number) => `${value}s`;
  const environment: Record<string, string> = {
    INCLUDE_WAITING: String(props.includeWaitingJobs ?? d.includeWaitingJobs),
    INSTANCE_BUFFER: String(props.instanceBuffer ?? d.instanceBuffer),
    MAX_INSTANCE_CAP: String(props.maxInstanceCap ?? d.maxInstanceCap),
    AVAILABILITY_THRESHOLD: String(props.availabilityThreshold ?? d.availabilityThreshold),
    SCALE_OUT_FACTOR: String(props.scaleOutFactor ?? d.scaleOutFactor),
    SCALE_IN_FACTOR: String(props.scaleInFactor ?? d.scaleInFactor),
    SCALE_OUT_COOLDOWN_PERIOD: seconds(props.scaleOutCooldownSec ?? d.scaleOutCooldownSec),
    SCALE_IN_COOLDOWN_PERIOD: seconds(props.scaleInCooldownSec ?? d.scaleInCooldownSec),
    SCALE_ONLY_AFTER_ALL_EVENT: String(props.scaleOnlyAfterAllEvent ?? d.scaleOnlyAfterAllEvent),
    DISABLE_SCALE_IN: String(props.disableScaleIn ?? d.disableScaleIn),
    DISABLE_SCALE_OUT: String(props.disableScaleOut ?? d.disableScaleOut),
    ELASTIC_CI_MODE: String(props.elasticCiMode ?? d.elasticCiMode),
    SCALE_IN_STRATEGY: props.scaleInStrategy ?? d.scaleInStrategy,
    SCALE_IN_MIN_RUNNING_TIME: seconds(props.scaleInMinRunningTimeSec ?? d.scaleInMinRunningTimeSec),
    IDLE_COUNT: String(props.idleAgentCount ?? d.idleAgentCount),
    WARM_POOL_ENABLED: String(warmPoolScalerManaged),
  };
  if (props.scaleInStrategy === 'drain') environment.SCALE_IN_ORDER = props.scaleInOrder ?? d.scaleInOrder;
  if (props.staleMetricsAfterSec !== undefined) environment.STALE_METRICS_AFTER = seconds(props.staleMetricsAfterSec);
  if (props.growthThrottleLaunchesPerSec !== undefined) {
    environment.GROWTH_THROTTLE_LAUNCHES_PER_SEC = String(props.growthThrottleLaunchesPerSec);
    if (props.growthThrottleBurst !== undefined) environment.GROWTH_THROTTLE_BURST = String(props.growthThrottleBurst);
  }
  if (warmPoolScalerManaged) {
    environment.WARM_POOL_MIN_SIZE = String(props.warmPoolMinSize ?? AGENT_FLEET_DEFAULTS.warmPoolMinSize);
    environment.WARM_POOL_PREPARE_FOR_WAITING_JOBS = String(
      props.warmPoolPrepareForWaitingJobs ?? d.warmPoolPrepareForWaitingJobs,
    );
  }
  if (props.scalerPolicies !== undefined) environment.SCALER_POLICIES = JSON.stringify(props.scalerPolicies);
  return environment;
}

/**
 * The scaler-core paths that a variable of {@link scalerPolicyEnvironment} sets, and the option behind the variable.
 * agent-scaler lets a variable win over the same path in `SCALER_POLICIES`, so that path in `scalerPolicies` would be
 * ignored without a word: a policy tuned in the simulator and deployed half.
 */
export const POLICY_PATHS_OF_VARIABLES: Readonly<Record<string, { path: string; option: keyof ElasticCiStackProps }>> =
  {
    SCALE_IN_STRATEGY: { path: 'scaleIn.strategy', option: 'scaleInStrategy' },
    SCALE_IN_ORDER: { path: 'scaleIn.order', option: 'scaleInOrder' },
    SCALE_IN_MIN_RUNNING_TIME: { path: 'scaleIn.minRunningTimeSec', option: 'scaleInMinRunningTimeSec' },
    IDLE_COUNT: { path: 'idlePool.idleCount', option: 'idleAgentCount' },
    GROWTH_THROTTLE_LAUNCHES_PER_SEC: { path: 'growthThrottle.launchesPerSec', option: 'growthThrottleLaunchesPerSec' },
    GROWTH_THROTTLE_BURST: { path: 'growthThrottle.burst', option: 'growthThrottleBurst' },
    WARM_POOL_ENABLED: { path: 'warmPool.enabled', option: 'warmPoolScalerManaged' },
    WARM_POOL_MIN_SIZE: { path: 'warmPool.minSize', option: 'warmPoolMinSize' },
    WARM_POOL_PREPARE_FOR_WAITING_JOBS: {
      path: 'warmPool.prepareForWaitingJobs',
      option: 'warmPoolPrepareForWaitingJobs',
    },
  };

/** `scalerPolicies` paths that the scaler's own variables would override (see {@link POLICY_PATHS_OF_VARIABLES}). */
export function shadowedScalerPolicyProblems(props: ElasticCiStackProps): string[] {
  const policies = props.scalerPolicies;
  // Without a scaler nothing reads the policies.
  if (policies === undefined || !deploysScaler(props)) return [];
  return Object.keys(scalerPolicyEnvironment(props, warmPoolScalerManagedOf(props))).flatMap((variable) => {
    const shadowed = POLICY_PATHS_OF_VARIABLES[variable];
    if (shadowed === undefined) return [];
    const [key, field] = shadowed.path.split('.') as [string, string];
    const section = policies[key];
    if (typeof section !== 'object' || section === null || !(field in section)) return [];
    return [
      `scalerPolicies.${shadowed.path} would be ignored: the option ${shadowed.option} sets it (${variable} wins over SCALER_POLICIES); set that option instead`,
    ];
  });
}
