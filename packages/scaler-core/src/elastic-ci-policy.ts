import type { ScalerConfigInput } from './config.js';

/**
 * The policy the scaling benchmark measures (BENCHMARKS.md, the simulator's `elastic-ci` preset), defined once: the
 * simulator runs it and the infra app's `scalingProfile: 'elastic-ci'` deploys it, and a test on each side checks
 * the parsed result against this object. The instance side (a warm pool that reuses instances on scale-in and holds
 * only what the scaler asks for) belongs to the fleet, not to the decision, and is set by each of them.
 *
 * - A job that finds no idle agent gets one at once: no buffer, no cooldown, no availability threshold.
 * - Scale-in drains the longest-idle instance once it has been idle 45 s, never a busy one (the drain waits).
 * - The warm pool's size is decided each pass: the forecast of recurring demand a boot ahead, the recent peak given
 *   back within a stopped instance's break-even, and instances for jobs waiting behind a step.
 * - Waiting jobs get running capacity a resume before the typical end of the step they wait for (70th percentile of
 *   the learned waits: most cohorts resume just in time, the rest a resume late, not a boot).
 */
export const ELASTIC_CI_POLICY = {
  includeWaiting: false,
  instanceBuffer: 0,
  scaleOutFactor: 1,
  scaleOutCooldownSec: 0,
  disableScaleIn: false,
  availabilityThreshold: 0,
  scaleIn: { strategy: 'drain', order: 'longest-idle-first', minIdleSec: 45 },
  warmPool: { enabled: true, minSize: 0, prepareForWaitingJobs: true },
  forecast: { enabled: true },
  dependencies: { enabled: true, releaseQuantile: 0.7 },
} as const satisfies ScalerConfigInput;
