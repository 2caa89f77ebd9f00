import { describe, expect, it } from 'vitest';
import type { ScalerConfigInput } from './config.js';
import { decide } from './decide.js';
import { input, MINUTE_MS, NOW_MS } from './test-fixtures.js';
import type { QueueMetrics, ScalerState } from './types.js';

/**
 * Scenarios of buildkite-agent-scaler 1.12.0's own table tests (scaler/scaler_test.go), restated in our terms:
 * the ASG stub there reports ActualCount = DesiredCount unless told otherwise, MinSize 0, MaxSize 100, and the
 * availability threshold is 0 unless the case sets it. Expected values are the ones the Go tests assert.
 */
interface BuildkiteCase {
  name: string;
  metrics: Partial<QueueMetrics>;
  config?: ScalerConfigInput;
  state?: ScalerState;
  asg: { desired: number; actual?: number; max?: number; min?: number; pending?: number };
  expected: number;
}

function run(testCase: BuildkiteCase) {
  const { asg } = testCase;
  return decide(
    input({
      config: { availabilityThreshold: 0, ...testCase.config },
      metrics: testCase.metrics,
      group: {
        desired: asg.desired,
        inService: asg.actual ?? asg.desired,
        min: asg.min ?? 0,
        max: asg.max ?? 100,
        pending: asg.pending ?? 0,
      },
      ...(testCase.state ? { state: testCase.state } : {}),
    }),
  );
}

const scaleOutCases: BuildkiteCase[] = [
  {
    name: 'scales out to scheduled + running without waiting jobs',
    metrics: { scheduledJobs: 10, runningJobs: 2, waitingJobs: 2, totalAgents: 2 },
    asg: { desired: 2 },
    expected: 12,
  },
  {
    name: 'counts waiting jobs instead of running ones when includeWaiting and waiting > running',
    metrics: { scheduledJobs: 8, runningJobs: 2, waitingJobs: 20, totalAgents: 2 },
    config: { includeWaiting: true },
    asg: { desired: 2 },
    expected: 28,
  },
  {
    name: 'adds the proportional instance buffer',
    metrics: { scheduledJobs: 10, runningJobs: 2, waitingJobs: 2, totalAgents: 2 },
    config: { instanceBuffer: 10 },
    asg: { desired: 12 },
    expected: 22,
  },
  {
    name: 'divides by agents per instance (4)',
    metrics: { scheduledJobs: 10, runningJobs: 2, idleAgents: 2, totalAgents: 4 },
    config: { agentsPerInstance: 4 },
    asg: { desired: 1 },
    expected: 3,
  },
  {
    name: 'divides by agents per instance (2)',
    metrics: { scheduledJobs: 10, runningJobs: 2, totalAgents: 2 },
    config: { agentsPerInstance: 2 },
    asg: { desired: 1 },
    expected: 6,
  },
  {
    name: 'rounds up when jobs do not divide evenly',
    metrics: { scheduledJobs: 10, runningJobs: 2, idleAgents: 3, totalAgents: 5 },
    config: { agentsPerInstance: 5 },
    asg: { desired: 1 },
    expected: 3,
  },
  {
    name: 'needs one instance for many agents per instance',
    metrics: { scheduledJobs: 10, runningJobs: 2, idleAgents: 18, totalAgents: 20 },
    config: { agentsPerInstance: 20 },
    asg: { desired: 1 },
    expected: 1,
  },
  {
    name: 'applies a 50% scale-out factor with ceil',
    metrics: { scheduledJobs: 10, runningJobs: 2, totalAgents: 2 },
    config: { scaleOutFactor: 0.5 },
    asg: { desired: 2 },
    expected: 7,
  },
  {
    name: 'adds at least one instance with a 10% factor',
    metrics: { scheduledJobs: 10, runningJobs: 2, totalAgents: 11 },
    config: { scaleOutFactor: 0.1 },
    asg: { desired: 11 },
    expected: 12,
  },
  {
    name: 'multiplies with a 500% factor',
    metrics: { scheduledJobs: 10 },
    config: { scaleOutFactor: 5 },
    asg: { desired: 0 },
    expected: 50,
  },
  {
    name: 'caps the factored scale-out at MaxSize',
    metrics: { scheduledJobs: 30 },
    config: { scaleOutFactor: 5 },
    asg: { desired: 0 },
    expected: 100,
  },
  {
    name: 'holds while the scale-out cooldown runs',
    metrics: { scheduledJobs: 10, runningJobs: 2, totalAgents: 4 },
    config: { scaleOutCooldownSec: 300 },
    state: { lastScaleOutAtMs: NOW_MS },
    asg: { desired: 4 },
    expected: 4,
  },
  {
    name: 'scales out once the cooldown has passed',
    metrics: { scheduledJobs: 10, runningJobs: 2, totalAgents: 4 },
    config: { scaleOutCooldownSec: 300 },
    state: { lastScaleOutAtMs: NOW_MS - 10 * MINUTE_MS },
    asg: { desired: 4 },
    expected: 12,
  },
  {
    name: 'applies the factor after the cooldown',
    metrics: { scheduledJobs: 10, runningJobs: 2, totalAgents: 4 },
    config: { scaleOutCooldownSec: 300, scaleOutFactor: 2 },
    state: { lastScaleOutAtMs: NOW_MS - 10 * MINUTE_MS },
    asg: { desired: 4 },
    expected: 20,
  },
  {
    name: 'holds when scale-out is disabled',
    metrics: { scheduledJobs: 10, runningJobs: 2, totalAgents: 1 },
    config: { disableScaleOut: true },
    asg: { desired: 1 },
    expected: 1,
  },
  {
    name: 'does not scale out soon after a scale-in with scaleOnlyAfterAllEvent',
    metrics: { scheduledJobs: 1, totalAgents: 1 },
    config: { scaleInCooldownSec: 300, scaleOutCooldownSec: 120, scaleOnlyAfterAllEvent: true },
    state: { lastScaleInAtMs: NOW_MS - 1 * MINUTE_MS, lastScaleOutAtMs: NOW_MS - 10 * MINUTE_MS },
    asg: { desired: 1 },
    expected: 1,
  },
];

const scaleInCases: BuildkiteCase[] = [
  {
    name: 'holds while the scale-in cooldown runs',
    metrics: { totalAgents: 10 },
    config: { scaleInCooldownSec: 300 },
    state: { lastScaleInAtMs: NOW_MS },
    asg: { desired: 10 },
    expected: 10,
  },
  {
    name: 'applies a 10% scale-in factor with floor once out of cooldown',
    metrics: { idleAgents: 10, totalAgents: 10 },
    config: { scaleInCooldownSec: 300, scaleInFactor: 0.1 },
    state: { lastScaleInAtMs: NOW_MS - 10 * MINUTE_MS },
    asg: { desired: 10 },
    expected: 9,
  },
  {
    name: 'keeps the instance buffer when scaling in',
    metrics: { scheduledJobs: 10, runningJobs: 5, idleAgents: 25, totalAgents: 30 },
    config: { instanceBuffer: 10 },
    asg: { desired: 30 },
    expected: 25,
  },
  {
    name: 'scales all the way down with a 500% factor despite scheduled jobs',
    metrics: { scheduledJobs: 10, idleAgents: 20, totalAgents: 20 },
    config: { scaleInFactor: 5 },
    asg: { desired: 20 },
    expected: 0,
  },
  {
    name: 'rounds down so a small factor still reaches zero',
    metrics: { idleAgents: 1, totalAgents: 1 },
    config: { scaleInFactor: 0.1 },
    asg: { desired: 1 },
    expected: 0,
  },
  {
    name: 'holds when scale-in is disabled',
    metrics: { totalAgents: 1 },
    config: { disableScaleIn: true },
    asg: { desired: 1 },
    expected: 1,
  },
  {
    name: 'does not scale in soon after a scale-out with scaleOnlyAfterAllEvent',
    metrics: { idleAgents: 3, totalAgents: 3 },
    config: { scaleOutCooldownSec: 300, scaleInCooldownSec: 120, scaleOnlyAfterAllEvent: true },
    state: { lastScaleOutAtMs: NOW_MS - 1 * MINUTE_MS, lastScaleInAtMs: NOW_MS - 10 * MINUTE_MS },
    asg: { desired: 3 },
    expected: 3,
  },
];

const availabilityCases: BuildkiteCase[] = [
  {
    name: 'boosts by one instance when availability is low and the group converged',
    metrics: { scheduledJobs: 5, runningJobs: 2, totalAgents: 3 },
    config: { agentsPerInstance: 4, availabilityThreshold: 0.5 },
    asg: { desired: 2, actual: 2 },
    expected: 3,
  },
  {
    name: 'does not boost while the group is still converging',
    metrics: { scheduledJobs: 5, runningJobs: 2, totalAgents: 3 },
    config: { agentsPerInstance: 4, availabilityThreshold: 0.5 },
    asg: { desired: 2, actual: 1 },
    expected: 2,
  },
  {
    name: 'does not boost when availability is good',
    metrics: { scheduledJobs: 5, runningJobs: 2, totalAgents: 7 },
    config: { agentsPerInstance: 4, availabilityThreshold: 0.5 },
    asg: { desired: 2, actual: 2 },
    expected: 2,
  },
  {
    name: 'does not boost with threshold 0',
    metrics: { scheduledJobs: 5, runningJobs: 2, totalAgents: 2 },
    config: { agentsPerInstance: 4, availabilityThreshold: 0 },
    asg: { desired: 2, actual: 2 },
    expected: 2,
  },
  {
    name: 'lets job-based scaling act from zero instances',
    metrics: { scheduledJobs: 5 },
    config: { agentsPerInstance: 4, availabilityThreshold: 0.5 },
    asg: { desired: 0, actual: 0 },
    expected: 2,
  },
  {
    name: 'boosts above a lower job-based need',
    metrics: { scheduledJobs: 2, totalAgents: 2 },
    config: { agentsPerInstance: 4, availabilityThreshold: 0.5 },
    asg: { desired: 3, actual: 3 },
    expected: 4,
  },
  {
    name: 'lets a higher job-based need win over the boost',
    metrics: { scheduledJobs: 20, totalAgents: 2 },
    config: { agentsPerInstance: 4, availabilityThreshold: 0.5 },
    asg: { desired: 2, actual: 2 },
    expected: 5,
  },
];

const elasticCiCases: (BuildkiteCase & { dangling: boolean })[] = [
  {
    name: 'flags dangling instances when agents die and MaxSize caps desired',
    metrics: { scheduledJobs: 4, waitingJobs: 7 },
    config: { agentsPerInstance: 6, includeWaiting: true, elasticCiMode: true },
    asg: { desired: 1, actual: 1, max: 1 },
    expected: 1,
    dangling: true,
  },
  {
    name: 'never flags dangling instances outside Elastic CI mode',
    metrics: { scheduledJobs: 4, waitingJobs: 7 },
    config: { agentsPerInstance: 6, includeWaiting: true },
    asg: { desired: 1, actual: 1, max: 1 },
    expected: 1,
    dangling: false,
  },
  {
    name: 'does not flag an empty group',
    metrics: {},
    config: { agentsPerInstance: 6, includeWaiting: true, elasticCiMode: true },
    asg: { desired: 0, actual: 0, max: 1 },
    expected: 0,
    dangling: false,
  },
  {
    name: 'scales idle healthy agents in to zero',
    metrics: { totalAgents: 6 },
    config: { agentsPerInstance: 6, includeWaiting: true, elasticCiMode: true },
    asg: { desired: 1, actual: 1, max: 1 },
    expected: 0,
    dangling: false,
  },
  {
    name: 'flags several instances with zero agents',
    metrics: { scheduledJobs: 10 },
    config: { agentsPerInstance: 4, includeWaiting: true, elasticCiMode: true },
    asg: { desired: 3, actual: 3, max: 3 },
    expected: 3,
    dangling: true,
  },
];

describe('Function: decide (Buildkite 1.12.0 parity)', () => {
  it.each(scaleOutCases)('scale-out: $name', (testCase) => {
    // Act
    const decision = run(testCase);

    // Assess
    expect(decision.desired).toBe(testCase.expected);
  });

  it.each(scaleInCases)('scale-in: $name', (testCase) => {
    const decision = run(testCase);

    expect(decision.desired).toBe(testCase.expected);
  });

  it.each(availabilityCases)('availability: $name', (testCase) => {
    const decision = run(testCase);

    expect(decision.desired).toBe(testCase.expected);
  });

  it.each(elasticCiCases)('elastic CI mode: $name', (testCase) => {
    const decision = run(testCase);

    expect(decision.desired).toBe(testCase.expected);
    expect(decision.checkDanglingInstances).toBe(testCase.dangling);
  });
});

describe('Function: decide (Buildkite derived semantics)', () => {
  it('caps the job-based count and the buffer separately with maxInstanceCap', () => {
    // Prepare: 40 jobs at 2 per instance = 20, capped at 5; buffer ceil(40/2)=20, capped at 5, then at 8
    const decision = run({
      name: 'cap',
      metrics: { scheduledJobs: 40 },
      config: { agentsPerInstance: 2, maxInstanceCap: 5, instanceBuffer: 8 },
      asg: { desired: 0 },
      expected: 10,
    });

    expect(decision.desired).toBe(10);
  });

  it('maps jobs one to one, uncapped, when agentsPerInstance is 0 (Go tolerates ≤ 0)', () => {
    const decision = run({
      name: 'one to one',
      metrics: { scheduledJobs: 7, runningJobs: 1 },
      config: { agentsPerInstance: 0, maxInstanceCap: 3, instanceBuffer: 20 },
      asg: { desired: 0 },
      expected: 0,
    });

    // 8 jobs → 8 instances (cap ignored by the early return), buffer min(8, cap 3, 20) = 3
    expect(decision.desired).toBe(11);
  });

  it('counts all three job kinds in the buffer when including waiting jobs', () => {
    const decision = run({
      name: 'buffer',
      metrics: { scheduledJobs: 1, runningJobs: 3, waitingJobs: 2 },
      config: { includeWaiting: true, instanceBuffer: 100 },
      asg: { desired: 0 },
      expected: 0,
    });

    // demand 1 + 3 (waiting 2 is not above running 3) = 4; buffer 1 + 3 + 2 = 6
    expect(decision.desired).toBe(10);
  });

  it('adds no buffer without any job', () => {
    const decision = run({
      name: 'no jobs',
      metrics: {},
      config: { instanceBuffer: 5 },
      asg: { desired: 0 },
      expected: 0,
    });

    expect(decision).toMatchObject({ desired: 0, action: 'hold' });
  });

  it('raises the result to MinSize', () => {
    const decision = run({ name: 'min', metrics: {}, asg: { desired: 1, min: 3 }, expected: 3 });

    expect(decision).toMatchObject({ desired: 3, action: 'scale-out' });
  });

  it('has no scale-out cooldown before the first scale-out, even after a recent scale-in', () => {
    const decision = run({
      name: 'D1',
      metrics: { scheduledJobs: 3 },
      config: { scaleOutCooldownSec: 3600, scaleOnlyAfterAllEvent: true },
      state: { lastScaleInAtMs: NOW_MS },
      asg: { desired: 1 },
      expected: 3,
    });

    expect(decision).toMatchObject({ desired: 3, action: 'scale-out' });
  });

  it('holds while the group converges towards a desired count it already has', () => {
    const decision = run({
      name: 'converging',
      metrics: { scheduledJobs: 4 },
      asg: { desired: 4, actual: 2 },
      expected: 4,
    });

    expect(decision).toMatchObject({ desired: 4, action: 'hold' });
  });

  it('scales in when the group wants fewer than the desired count but more than in service', () => {
    // Prepare: demand 3 > 2 in service, but desired is 5
    const decision = run({ name: 'in', metrics: { scheduledJobs: 3 }, asg: { desired: 5, actual: 2 }, expected: 3 });

    expect(decision).toMatchObject({ desired: 3, action: 'scale-in' });
  });

  it('calls scale-in with more instances in service than desired (D7), like Go', () => {
    // Prepare: 5 in service, desired 3, demand 3 → Go calls scaleIn(3): SetDesiredCapacity(3) and records the event
    const decision = run({ name: 'D7', metrics: { scheduledJobs: 3 }, asg: { desired: 3, actual: 5 }, expected: 3 });

    expect(decision).toMatchObject({ desired: 3, action: 'scale-in', nextState: { lastScaleInAtMs: NOW_MS } });
  });

  it('waits for pending instances before that scale-in in Elastic CI mode', () => {
    const decision = run({
      name: 'pending',
      metrics: { scheduledJobs: 3, totalAgents: 5 },
      config: { elasticCiMode: true },
      asg: { desired: 3, actual: 5, pending: 1 },
      expected: 3,
    });

    expect(decision).toMatchObject({ desired: 3, action: 'hold' });
  });

  it('ignores disableScaleIn in Elastic CI mode', () => {
    const decision = run({
      name: 'elastic',
      metrics: { totalAgents: 2 },
      config: { elasticCiMode: true, disableScaleIn: true },
      asg: { desired: 2 },
      expected: 0,
    });

    expect(decision).toMatchObject({ desired: 0, action: 'scale-in' });
  });

  it('scales out when more instances are in service than wanted but desired is below the target (deviation)', () => {
    // Prepare: 6 in service, desired 2, target 4. Go calls scaleIn(4), so 2 + floor(2 × 5) = 12 with factor 5,
    // beyond MaxSize 4; we treat raising desired as the scale-out it is.
    const decision = run({
      name: 'raise while shrinking',
      metrics: { scheduledJobs: 4, totalAgents: 6 },
      config: { scaleInFactor: 5, disableScaleIn: true },
      asg: { desired: 2, actual: 6, max: 4 },
      expected: 4,
    });

    expect(decision).toMatchObject({ desired: 4, action: 'scale-out' });
  });

  it('scales out when as many instances are in service as wanted but desired is lower (deviation: Go holds)', () => {
    const decision = run({
      name: 'in service = target',
      metrics: { runningJobs: 3 },
      asg: { desired: 0, actual: 3 },
      expected: 3,
    });

    expect(decision).toMatchObject({ desired: 3, action: 'scale-out' });
  });

  it('records the scale-out time and keeps the other fields of the state', () => {
    const decision = run({
      name: 'state',
      metrics: { scheduledJobs: 2 },
      state: { lastScaleInAtMs: 5, custom: 'kept' },
      asg: { desired: 0 },
      expected: 2,
    });

    expect(decision.nextState).toEqual({ lastScaleInAtMs: 5, custom: 'kept', lastScaleOutAtMs: NOW_MS });
  });
});
