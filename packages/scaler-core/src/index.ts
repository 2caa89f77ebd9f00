export {
  mergeConfigInput,
  parseScalerConfig,
  type ScalerConfig,
  type ScalerConfigInput,
  scalerConfigSchema,
} from './config.js';
export { CronSchedule, parseCronExpression } from './cron.js';
export { decide, initialScalerState, inputIssues, poolBreakEvenSec } from './decide.js';
export { ELASTIC_CI_POLICY } from './elastic-ci-policy.js';
export {
  CronExpressionError,
  type InputIssue,
  InvalidInputError,
  ScalerConfigError,
  ScalerCoreError,
} from './errors.js';
export {
  DEMAND_HISTORY_VERSION,
  type DemandForecast,
  type DemandHistory,
  emptyDemandHistory,
  forecast,
  isDemandHistory,
  MIN_RECURRENCE_FOR_ONE_SIGHTING,
  MIN_RECURRENCE_FOR_TWO_SIGHTINGS,
  ONE_SIGHTING_TRUSTED_AGENTS,
  parseDemandHistory,
  recordDemand,
  releasedRecentPeak,
  SLOT_SEC,
  SLOTS_PER_WEEK,
  serializeDemandHistory,
} from './forecast.js';
export { type DrainOrder, isDrainable, planScaleIn, type ScaleInPlanOptions } from './scale-in-plan.js';
export {
  type AdjustmentType,
  adjustmentTypeProblems,
  evaluateStepScaling,
  findStepAdjustment,
  roundPercentChange,
  type StepAdjustment,
  type StepEvaluation,
  type StepScalingPolicy,
  stepIntervalProblems,
  validateStepScalingPolicy,
} from './step-adjustments.js';
export { isKnownTimeZone, type WallClock, ZoneClock } from './time-zone.js';
export type {
  Decision,
  DecisionInput,
  GroupState,
  InstanceLifecycleState,
  InstanceView,
  QueueMetrics,
  ScalerState,
  ScalingAction,
} from './types.js';
export {
  dueWaitingJobs,
  emptyWaitingMemory,
  isWaitingMemory,
  MAX_COHORTS,
  MAX_SAMPLES,
  recordWaiting,
  typicalBlockSec,
  WAITING_MEMORY_VERSION,
  type WaitingMemory,
} from './waiting-release.js';
