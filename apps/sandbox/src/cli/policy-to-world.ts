import { type DurationDistribution, type Policy, scalerConfigOf } from '@elastic-ci/simulator';
import { scaledDurationSec } from '../world/world-config';

/** The largest group one 2-core machine runs (one simulated agent and one lifecycled process per instance). */
export const SANDBOX_MAX_SIZE = 10;

/** What the sandbox deploys for a simulator policy, and the policy the prediction runs so both model one world. */
export interface PolicyWorld {
  /** apps/infra's typed stack config with WORLD durations (the sandbox divides them by the time scale). */
  readonly stackConfig: Record<string, unknown>;
  /** Launch → agent starting, world seconds: the policy's median boot. */
  readonly bootDelaySec: number;
  /** The policy as the stack can express it: what the simulator predicts. */
  readonly predictionPolicy: Policy;
  /** Every setting the stack cannot express (or the sandbox caps), in words; the report prints them. */
  readonly adjustments: readonly string[];
  /** `control.webhook.latencySec` (world seconds) when the policy uses webhooks, else `null`. */
  readonly webhookLatencySec: number | null;
}

/** The typical value of a duration distribution: what a fixed sandbox delay should be. */
export function typicalSec(distribution: DurationDistribution): number {
  if (typeof distribution === 'number') return distribution;
  switch (distribution.kind) {
    case 'fixed':
      return distribution.sec;
    case 'lognormal':
      return Math.max(distribution.minSec, distribution.medianSec);
    case 'uniform':
      return (distribution.minSec + distribution.maxSec) / 2;
  }
}

/**
 * Maps a simulator policy onto apps/infra's stack config: the scaler settings the stack passes to the agent-scaler,
 * the group sizes, the warm pool, the agents' idle exit, the scaler's schedule. Settings the stack has no option for
 * are left out of both the sandbox AND the prediction (listed in `adjustments`), and boot times become a fixed delay
 * in both, so measured and predicted figures describe the same world. `timeScale` (world seconds per real second) is
 * the demo's speed: a duration the sandbox rounds to whole real seconds is predicted as deployed.
 * @throws PolicyConfigError when the policy's scaler settings are invalid (from scaler-core's schema).
 */
export function policyToWorld(policy: Policy, queue: string, timeScale: number): PolicyWorld {
  const config = scalerConfigOf(policy);
  const adjustments: string[] = [];
  const scaling: Record<string, unknown> = {};
  const scaler: Record<string, unknown> = {};
  const pass = (scalerKey: string, stackKey: string, value: unknown) => {
    scaler[scalerKey] = value;
    scaling[stackKey] = value;
  };

  pass('includeWaiting', 'includeWaitingJobs', config.includeWaiting);
  pass('instanceBuffer', 'instanceBuffer', config.instanceBuffer);
  pass('maxInstanceCap', 'maxInstanceCap', config.maxInstanceCap);
  pass('availabilityThreshold', 'availabilityThreshold', config.availabilityThreshold);
  pass('scaleOutFactor', 'scaleOutFactor', config.scaleOutFactor);
  pass('scaleInFactor', 'scaleInFactor', config.scaleInFactor);
  pass('scaleOutCooldownSec', 'scaleOutCooldownSec', config.scaleOutCooldownSec);
  pass('scaleInCooldownSec', 'scaleInCooldownSec', config.scaleInCooldownSec);
  pass('scaleOnlyAfterAllEvent', 'scaleOnlyAfterAllEvent', config.scaleOnlyAfterAllEvent);
  pass('disableScaleOut', 'disableScaleOut', config.disableScaleOut);
  pass('disableScaleIn', 'disableScaleIn', config.disableScaleIn);
  pass('elasticCiMode', 'elasticCiMode', config.elasticCiMode);
  pass('staleMetricsAfterSec', 'staleMetricsAfterSec', config.staleMetricsAfterSec);
  scaling.scaleInStrategy = config.scaleIn.strategy;
  scaling.scaleInOrder = config.scaleIn.order;
  scaling.scaleInMinRunningTimeSec = config.scaleIn.minRunningTimeSec;
  // No typed stack option: minIdleSec reaches the scaler through `scaling.policies` (SCALER_POLICIES), as the infra
  // app's elastic-ci profile deploys it. The sandbox deploys whole real seconds, so the prediction drains after the
  // idle time the fleet really waits (45 s at 60× is 1 real second: 60 world seconds).
  const minIdleSec = config.scaleIn.minIdleSec;
  const deployedSec = minIdleSec > 0 ? scaledDurationSec('minIdleSec', minIdleSec, timeScale) * timeScale : 0;
  scaler.scaleIn = {
    strategy: config.scaleIn.strategy,
    order: config.scaleIn.order,
    minRunningTimeSec: config.scaleIn.minRunningTimeSec,
    ...(minIdleSec > 0 ? { minIdleSec: deployedSec } : {}),
  };
  if (minIdleSec > 0) {
    scaling.policies = { scaleIn: { minIdleSec } };
    if (deployedSec !== minIdleSec) {
      adjustments.push(
        `scaler.scaleIn.minIdleSec ${minIdleSec} s → ${deployedSec} s: the sandbox deploys whole real seconds (${deployedSec / timeScale} s at ${timeScale}×)`,
      );
    }
  }
  const idle = config.idlePool;
  if (idle.idleCount > 0 || idle.idleScaleFactor > 0 || idle.periods.length > 0) {
    if (idle.idleScaleFactor === 0 && idle.periods.length === 0) {
      scaling.idleAgentCount = idle.idleCount;
      scaler.idlePool = { idleCount: idle.idleCount };
    } else {
      adjustments.push('scaler.idlePool scale factor and periods have no stack option: left out');
    }
  }
  if (config.growthThrottle !== undefined) {
    scaling.growthThrottleLaunchesPerSec = config.growthThrottle.launchesPerSec;
    scaling.growthThrottleBurst = config.growthThrottle.burst;
    scaler.growthThrottle = { ...config.growthThrottle };
  }
  if (config.overProvision.strategy !== 'none') adjustments.push('scaler.overProvision has no stack option: left out');
  if (config.scheduledMinimums.length > 0) adjustments.push('scaler.scheduledMinimums: left out of the demo');
  if (config.stepScaling !== undefined) adjustments.push('scaler.stepScaling: left out of the demo');

  const fleet = policy.fleet;
  const maxSize = Math.min(fleet.maxSize, SANDBOX_MAX_SIZE);
  if (fleet.maxSize > SANDBOX_MAX_SIZE) {
    adjustments.push(`fleet.maxSize ${fleet.maxSize} → ${SANDBOX_MAX_SIZE}: the most instances one machine runs`);
  }
  scaling.minSize = Math.min(fleet.minSize, maxSize);
  scaling.maxSize = maxSize;
  let warmPool = fleet.warmPool;
  if (warmPool !== null) {
    scaling.warmPool = {
      enabled: true,
      state: 'Stopped',
      minSize: config.warmPool.enabled ? config.warmPool.minSize : warmPool.minSize,
      ...(warmPool.maxPreparedCapacity === null ? {} : { maxGroupPreparedCapacity: warmPool.maxPreparedCapacity }),
      reuseOnScaleIn: warmPool.reuseOnScaleIn,
      scalerManaged: config.warmPool.enabled,
      prepareForWaitingJobs: config.warmPool.prepareForWaitingJobs,
    };
    if (warmPool.surplusRetentionSec > 0) {
      adjustments.push(
        `fleet.warmPool.surplusRetentionSec (${warmPool.surplusRetentionSec} s) is the simulator's model of a pool that keeps surplus instances; AWS has no such setting: left out`,
      );
      warmPool = { ...warmPool, surplusRetentionSec: 0 };
    }
  }
  scaler.warmPool = {
    enabled: config.warmPool.enabled,
    minSize: config.warmPool.minSize,
    prepareForWaitingJobs: config.warmPool.prepareForWaitingJobs,
  };
  // The forecast and the learned waits run on the wall clock the Lambda sees (15-minute slots of a week, waits in
  // real seconds) and plan with lead times in real seconds that scaler-core bounds below (a boot ≥ 10 s): a world
  // compressed 60× cannot feed them. Left out of both, and said so, rather than run on a clock they misread.
  if (config.forecast.enabled) {
    adjustments.push(
      'scaler.forecast learns 15-minute slots of the week on the wall clock: a compressed world cannot feed it, left out',
    );
  }
  if (config.dependencies.enabled) {
    adjustments.push(
      'scaler.dependencies learns how long jobs wait behind a step in real seconds: a compressed world cannot feed it, left out (waiting jobs still prepare the warm pool)',
    );
  }
  if (fleet.spot !== null) adjustments.push('fleet.spot: the demo runs no spot interruptions (the fault suite does)');

  const bootDelaySec = typicalSec(fleet.bootSec);
  const control = policy.control;
  const scheduleIntervalSec = Math.max(60, Math.round(control.scheduleSec / 60) * 60);
  if (scheduleIntervalSec !== control.scheduleSec) {
    adjustments.push(
      `control.scheduleSec ${control.scheduleSec} → ${scheduleIntervalSec}: EventBridge rates are whole minutes`,
    );
  }
  const stackConfig: Record<string, unknown> = {
    buildkite: {
      queue,
      agentsPerInstance: fleet.agentsPerInstance,
      // The stack's idle exit is off at 0; the policy says so with null.
      idleTimeoutSec: fleet.idleTimeoutSec ?? 0,
      webhook: { enabled: control.webhook !== null },
    },
    scaling: {
      ...scaling,
      scheduleIntervalSec,
      pollIntervalSec: control.pollIntervalSec,
      invocationBudgetSec: control.invocationTimeoutSec,
    },
  };

  const predictionPolicy: Policy = {
    ...policy,
    scaler,
    fleet: {
      ...fleet,
      minSize: Math.min(fleet.minSize, maxSize),
      maxSize,
      bootSec: { kind: 'fixed', sec: bootDelaySec },
      warmPool,
      spot: null,
    },
    control: { ...control, scheduleSec: scheduleIntervalSec },
  };
  const webhookLatencySec = control.webhook === null ? null : typicalSec(control.webhook.latencySec);
  return { stackConfig, bootDelaySec, predictionPolicy, adjustments, webhookLatencySec };
}
