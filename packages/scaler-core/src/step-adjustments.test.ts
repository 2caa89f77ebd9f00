import { describe, expect, it } from 'vitest';
import {
  evaluateStepScaling,
  findStepAdjustment,
  roundPercentChange,
  type StepAdjustment,
  type StepScalingPolicy,
  validateStepScalingPolicy,
} from './step-adjustments.js';

const step = (lower: number | null, upper: number | null, scalingAdjustment: number): StepAdjustment => ({
  metricIntervalLowerBound: lower,
  metricIntervalUpperBound: upper,
  scalingAdjustment,
});

// AWS's worked example (EC2 Auto Scaling user guide, "Step adjustments"): alarm threshold 50, capacity 10.
const scaleOutPolicy: StepScalingPolicy = {
  adjustmentType: 'PercentChangeInCapacity',
  stepAdjustments: [step(0, 10, 0), step(10, 20, 10), step(20, null, 30)],
};
const scaleInPolicy: StepScalingPolicy = {
  adjustmentType: 'PercentChangeInCapacity',
  stepAdjustments: [step(-10, 0, 0), step(-20, -10, -10), step(null, -20, -30)],
};
const bounds = { threshold: 50, min: 0, max: 100 };

describe('Function: evaluateStepScaling (AWS worked example)', () => {
  it('keeps 10 between 40 and 60', () => {
    expect(evaluateStepScaling(scaleOutPolicy, { ...bounds, metricValue: 55, currentCapacity: 10 }).capacity).toBe(10);
    expect(evaluateStepScaling(scaleInPolicy, { ...bounds, metricValue: 45, currentCapacity: 10 }).capacity).toBe(10);
  });

  it('adds 10% of 10 → 11 when the metric reaches 60', () => {
    expect(evaluateStepScaling(scaleOutPolicy, { ...bounds, metricValue: 60, currentCapacity: 10 }).capacity).toBe(11);
  });

  it('adds 30% of 11 = 3.3 → 3, to 14, when the metric reaches 70', () => {
    expect(evaluateStepScaling(scaleOutPolicy, { ...bounds, metricValue: 70, currentCapacity: 11 }).capacity).toBe(14);
  });

  it('removes 10% of 14 = 1.4 → 1, to 13, when the metric falls to 40', () => {
    expect(evaluateStepScaling(scaleInPolicy, { ...bounds, metricValue: 40, currentCapacity: 14 }).capacity).toBe(13);
  });

  it('removes 30% of 13 = 3.9 → 3, to 10, when the metric falls to 30', () => {
    expect(evaluateStepScaling(scaleInPolicy, { ...bounds, metricValue: 30, currentCapacity: 13 }).capacity).toBe(10);
  });

  it('applies MinAdjustmentMagnitude: 25% of 4 = 1 becomes 2', () => {
    const policy: StepScalingPolicy = {
      adjustmentType: 'PercentChangeInCapacity',
      stepAdjustments: [step(0, null, 25)],
      minAdjustmentMagnitude: 2,
    };

    expect(evaluateStepScaling(policy, { ...bounds, metricValue: 50, currentCapacity: 4 }).capacity).toBe(6);
  });

  it('applies MinAdjustmentMagnitude downwards too, and not to a zero adjustment', () => {
    const policy: StepScalingPolicy = {
      adjustmentType: 'PercentChangeInCapacity',
      stepAdjustments: [step(null, -10, -10), step(-10, 0, 0)],
      minAdjustmentMagnitude: 3,
    };

    expect(evaluateStepScaling(policy, { ...bounds, metricValue: 30, currentCapacity: 10 }).capacity).toBe(7);
    expect(evaluateStepScaling(policy, { ...bounds, metricValue: 45, currentCapacity: 10 }).capacity).toBe(10);
  });

  it('changes by a count or sets an exact capacity', () => {
    const change: StepScalingPolicy = { adjustmentType: 'ChangeInCapacity', stepAdjustments: [step(0, null, 2)] };
    const exact: StepScalingPolicy = { adjustmentType: 'ExactCapacity', stepAdjustments: [step(0, null, 7)] };

    expect(evaluateStepScaling(change, { ...bounds, metricValue: 51, currentCapacity: 3 }).capacity).toBe(5);
    expect(evaluateStepScaling(exact, { ...bounds, metricValue: 51, currentCapacity: 3 }).capacity).toBe(7);
  });

  it('clamps to [min, max]', () => {
    const change: StepScalingPolicy = { adjustmentType: 'ChangeInCapacity', stepAdjustments: [step(null, 0, -5)] };
    const grow: StepScalingPolicy = { adjustmentType: 'ChangeInCapacity', stepAdjustments: [step(0, null, 50)] };

    expect(evaluateStepScaling(change, { ...bounds, metricValue: 10, currentCapacity: 3, min: 1 }).capacity).toBe(1);
    expect(evaluateStepScaling(grow, { ...bounds, metricValue: 60, currentCapacity: 3, max: 10 }).capacity).toBe(10);
  });

  it('reports no step (and keeps capacity) when the metric is outside every step', () => {
    const evaluation = evaluateStepScaling(scaleOutPolicy, { ...bounds, metricValue: 49.9, currentCapacity: 4 });

    expect(evaluation).toEqual({ step: undefined, capacity: 4 });
  });
});

describe('Function: findStepAdjustment', () => {
  it('gives the bound nearer the threshold to the step (inclusive at 60, exclusive at 70 above; at 40 below)', () => {
    const [, ten, thirty] = scaleOutPolicy.stepAdjustments;
    const [, minusTen] = scaleInPolicy.stepAdjustments;

    expect(findStepAdjustment(scaleOutPolicy.stepAdjustments, 60, 50)).toBe(ten);
    expect(findStepAdjustment(scaleOutPolicy.stepAdjustments, 69.99, 50)).toBe(ten);
    expect(findStepAdjustment(scaleOutPolicy.stepAdjustments, 70, 50)).toBe(thirty);
    expect(findStepAdjustment(scaleInPolicy.stepAdjustments, 40, 50)).toBe(minusTen);
    expect(findStepAdjustment(scaleInPolicy.stepAdjustments, 30.01, 50)).toBe(minusTen);
  });

  it('picks the step above the threshold when steps on both sides touch it', () => {
    const below = step(null, 0, -1);
    const above = step(0, null, 1);

    expect(findStepAdjustment([below, above], 50, 50)).toBe(above);
    expect(findStepAdjustment([above, below], 50, 50)).toBe(above);
    expect(findStepAdjustment([above, below], 49, 50)).toBe(below);
  });
});

describe('Function: roundPercentChange', () => {
  it.each([
    [12.7, 12],
    [1, 1],
    [0.3, 1],
    [0, 0],
    [-0.3, -1],
    [-1, -1],
    [-6.67, -6],
  ])('rounds %d to %d', (change, expected) => {
    expect(roundPercentChange(change)).toBe(expected);
  });
});

describe('Function: validateStepScalingPolicy', () => {
  it('accepts the AWS example policies', () => {
    expect(validateStepScalingPolicy(scaleOutPolicy)).toEqual([]);
    expect(validateStepScalingPolicy(scaleInPolicy)).toEqual([]);
  });

  it.each<[string, StepScalingPolicy, string]>([
    ['no steps', { adjustmentType: 'ChangeInCapacity', stepAdjustments: [] }, 'at least one step'],
    [
      'both bounds null',
      { adjustmentType: 'ChangeInCapacity', stepAdjustments: [step(null, null, 1)] },
      'both be null',
    ],
    [
      'an empty interval',
      { adjustmentType: 'ChangeInCapacity', stepAdjustments: [step(10, 10, 1), step(10, null, 1)] },
      'must be below upper bound',
    ],
    [
      'a gap',
      { adjustmentType: 'ChangeInCapacity', stepAdjustments: [step(0, 10, 1), step(20, null, 2)] },
      'gap between 10 and 20',
    ],
    [
      'an overlap',
      { adjustmentType: 'ChangeInCapacity', stepAdjustments: [step(0, 20, 1), step(10, null, 2)] },
      'overlap between 10 and 20',
    ],
    [
      'two null lower bounds',
      { adjustmentType: 'ChangeInCapacity', stepAdjustments: [step(null, -10, -2), step(null, 0, -1)] },
      'one step may have a null lower bound',
    ],
    [
      'two null upper bounds',
      { adjustmentType: 'ChangeInCapacity', stepAdjustments: [step(0, null, 1), step(10, null, 2)] },
      'one step may have a null upper bound',
    ],
    [
      'a negative lower bound without a null one',
      { adjustmentType: 'ChangeInCapacity', stepAdjustments: [step(-10, 0, -1)] },
      'null lower bound is required',
    ],
    [
      'a positive upper bound without a null one',
      { adjustmentType: 'ChangeInCapacity', stepAdjustments: [step(0, 10, 1)] },
      'null upper bound is required',
    ],
    [
      'a negative exact capacity',
      { adjustmentType: 'ExactCapacity', stepAdjustments: [step(0, null, -1)] },
      'must be non-negative',
    ],
    [
      'a min magnitude without percent',
      { adjustmentType: 'ChangeInCapacity', stepAdjustments: [step(0, null, 1)], minAdjustmentMagnitude: 2 },
      'only valid with PercentChangeInCapacity',
    ],
  ])('rejects %s', (_name, policy, message) => {
    expect(validateStepScalingPolicy(policy).join('\n')).toContain(message);
  });
});
