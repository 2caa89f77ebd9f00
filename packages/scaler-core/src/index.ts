export { parseScalerConfig, type ScalerConfig, type ScalerConfigInput, scalerConfigSchema } from './config.js';
export { CronSchedule, parseCronExpression } from './cron.js';
export { decide, initialScalerState, inputIssues } from './decide.js';
export {
  CronExpressionError,
  type InputIssue,
  InvalidInputError,
  ScalerConfigError,
  ScalerCoreError,
} from './errors.js';
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
