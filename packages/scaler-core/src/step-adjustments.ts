/**
 * AWS step scaling, evaluated exactly as EC2 Auto Scaling / Application Auto Scaling do
 * (PutScalingPolicy `PolicyType=StepScaling`): bounds are offsets from the alarm threshold, the bound nearer the
 * threshold belongs to the step, percent changes are rounded the AWS way and the result is clamped to [min, max].
 */

export type AdjustmentType = 'ChangeInCapacity' | 'ExactCapacity' | 'PercentChangeInCapacity';

export interface StepAdjustment {
  /** Offset from the alarm threshold; `null` means minus infinity. */
  metricIntervalLowerBound: number | null;
  /** Offset from the alarm threshold; `null` means plus infinity. */
  metricIntervalUpperBound: number | null;
  scalingAdjustment: number;
}

export interface StepScalingPolicy {
  adjustmentType: AdjustmentType;
  stepAdjustments: readonly StepAdjustment[];
  /** Only with `PercentChangeInCapacity`: the smallest absolute change in instances. */
  minAdjustmentMagnitude?: number | undefined;
}

const lowerOf = (step: StepAdjustment) => step.metricIntervalLowerBound ?? Number.NEGATIVE_INFINITY;
const upperOf = (step: StepAdjustment) => step.metricIntervalUpperBound ?? Number.POSITIVE_INFINITY;

/** Every rule AWS enforces on a step policy, as messages naming the step; empty when the policy is valid. */
export function validateStepScalingPolicy(policy: StepScalingPolicy): string[] {
  return [...stepIntervalProblems(policy.stepAdjustments), ...adjustmentTypeProblems(policy)];
}

/** The rules on the intervals alone: gaps, overlaps, null bounds. */
export function stepIntervalProblems(steps: readonly StepAdjustment[]): string[] {
  const problems: string[] = [];
  if (steps.length === 0) problems.push('at least one step adjustment is required');
  steps.forEach((step, index) => {
    if (step.metricIntervalLowerBound === null && step.metricIntervalUpperBound === null) {
      problems.push(`step ${index}: lower and upper bound cannot both be null`);
    } else if (lowerOf(step) >= upperOf(step)) {
      problems.push(`step ${index}: lower bound ${lowerOf(step)} must be below upper bound ${upperOf(step)}`);
    }
  });
  const nullLower = steps.filter((step) => step.metricIntervalLowerBound === null).length;
  const nullUpper = steps.filter((step) => step.metricIntervalUpperBound === null).length;
  if (nullLower > 1) problems.push('at most one step may have a null lower bound');
  if (nullUpper > 1) problems.push('at most one step may have a null upper bound');
  if (nullLower === 0 && steps.some((step) => lowerOf(step) < 0)) {
    problems.push('a step with a null lower bound is required when any lower bound is negative');
  }
  if (nullUpper === 0 && steps.some((step) => upperOf(step) > 0)) {
    problems.push('a step with a null upper bound is required when any upper bound is positive');
  }
  const ordered = [...steps].sort((left, right) => lowerOf(left) - lowerOf(right));
  for (let index = 1; index < ordered.length; index++) {
    const previousUpper = upperOf(ordered[index - 1] as StepAdjustment);
    const lower = lowerOf(ordered[index] as StepAdjustment);
    if (previousUpper < lower) problems.push(`steps leave a gap between ${previousUpper} and ${lower}`);
    if (previousUpper > lower) problems.push(`steps overlap between ${lower} and ${previousUpper}`);
  }
  return problems;
}

/** The rules that depend on the adjustment type. */
export function adjustmentTypeProblems(policy: StepScalingPolicy): string[] {
  const problems: string[] = [];
  if (policy.adjustmentType === 'ExactCapacity') {
    policy.stepAdjustments.forEach((step, index) => {
      if (step.scalingAdjustment < 0) {
        problems.push(`step ${index}: ExactCapacity adjustment must be non-negative, got ${step.scalingAdjustment}`);
      }
    });
  }
  if (policy.minAdjustmentMagnitude !== undefined && policy.adjustmentType !== 'PercentChangeInCapacity') {
    problems.push('minAdjustmentMagnitude is only valid with PercentChangeInCapacity');
  }
  return problems;
}

/**
 * The step whose interval holds `metricValue - threshold`, or `undefined` (no step: the alarm would not act).
 * A bound ≥ 0 is inclusive as a lower bound, a bound ≤ 0 inclusive as an upper bound. At exactly the threshold a
 * policy with steps on both sides picks the step above it.
 */
export function findStepAdjustment(
  steps: readonly StepAdjustment[],
  metricValue: number,
  threshold: number,
): StepAdjustment | undefined {
  const offset = metricValue - threshold;
  let found: StepAdjustment | undefined;
  for (const step of steps) {
    const lower = step.metricIntervalLowerBound;
    const upper = step.metricIntervalUpperBound;
    const aboveLower = lower === null || (lower >= 0 ? offset >= lower : offset > lower);
    const belowUpper = upper === null || (upper <= 0 ? offset <= upper : offset < upper);
    if (aboveLower && belowUpper && (found === undefined || lowerOf(step) > lowerOf(found))) found = step;
  }
  return found;
}

/**
 * AWS rounding of a percent change: above 1 round down (12.7 → 12), between 0 and 1 → 1, between -1 and 0 → -1,
 * below -1 round towards zero (-6.67 → -6).
 */
export function roundPercentChange(change: number): number {
  if (change > 1) return Math.floor(change);
  if (change > 0) return 1;
  if (change >= -1) return change === 0 ? 0 : -1;
  return Math.ceil(change);
}

export interface StepEvaluation {
  /** The matching step, or `undefined` when none holds the metric. */
  step: StepAdjustment | undefined;
  /** New capacity, clamped to [min, max]; `currentCapacity` (clamped) when no step matches. */
  capacity: number;
}

/** Applies a step policy to a metric reading and a current capacity, the way AWS does. */
export function evaluateStepScaling(
  policy: StepScalingPolicy,
  reading: { metricValue: number; threshold: number; currentCapacity: number; min: number; max: number },
): StepEvaluation {
  const step = findStepAdjustment(policy.stepAdjustments, reading.metricValue, reading.threshold);
  let capacity = reading.currentCapacity;
  if (step !== undefined) {
    if (policy.adjustmentType === 'ExactCapacity') {
      capacity = step.scalingAdjustment;
    } else if (policy.adjustmentType === 'ChangeInCapacity') {
      capacity += step.scalingAdjustment;
    } else {
      let change = roundPercentChange((reading.currentCapacity * step.scalingAdjustment) / 100);
      const magnitude = policy.minAdjustmentMagnitude ?? 0;
      if (step.scalingAdjustment !== 0 && Math.abs(change) < magnitude) {
        change = Math.sign(step.scalingAdjustment) * magnitude;
      }
      capacity += change;
    }
  }
  return { step, capacity: Math.min(reading.max, Math.max(reading.min, capacity)) };
}
