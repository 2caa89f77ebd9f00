import type { ScalerConfig } from '@elastic-ci/scaler-core';
import { withMedian } from './distribution.js';
import { formatDurationArg } from './duration-arg.js';
import { UsageError } from './errors.js';
import type { FleetConfig, Policy } from './policy.js';
import { type PolicySummary, summarize } from './report.js';
import { fleetFor, ScalerCorePolicy, scalerConfigOf } from './scaler-core-policy.js';
import { type SimulationResult, simulate } from './simulation.js';
import type { Trace } from './trace.js';

export interface CompareOptions {
  readonly trace: Trace;
  readonly policies: readonly Policy[];
  readonly seed: number;
  /** Defaults to the trace's only queue; required when the trace has several. */
  readonly queue?: string;
  /** Spot interruptions per instance-hour applied to every policy (overrides the policies' own spot settings). */
  readonly spotRate?: number;
  /**
   * Start of the measured window in seconds since the trace start, the same for every policy: earlier jobs run and
   * teach the policy but are not counted in waits, instance-hours or cost. @default 0
   */
  readonly measureFromSec?: number;
  /** Median cold boot for every policy (each distribution stretched to it, see `withMedian`); default each policy's own. */
  readonly bootMedianSec?: number;
  /** Median warm-pool resume for every policy with a warm pool; default each policy's own. */
  readonly resumeMedianSec?: number;
  /** Compute price per running instance-hour for every policy (your instance type's); default each policy's own. */
  readonly instancePricePerHour?: number;
  /** Root volume price per instance-hour for every policy; default each policy's own. */
  readonly volumePricePerHour?: number;
}

/** The run-wide physics every policy shares: spot rate, boot and resume medians, prices. */
export type PhysicsOverrides = Pick<
  CompareOptions,
  'spotRate' | 'bootMedianSec' | 'resumeMedianSec' | 'instancePricePerHour' | 'volumePricePerHour'
>;

/**
 * The fleet with the run-wide physics overrides applied. Prices reach the scaler too: scaler-core's `costs` come from
 * the fleet (`costsOf`), so a pool sized from prices is sized from the overridden ones.
 */
export function fleetWithOverrides(fleet: FleetConfig, options: PhysicsOverrides): FleetConfig {
  let result = fleet;
  if (options.instancePricePerHour !== undefined) {
    result = { ...result, pricePerInstanceHour: options.instancePricePerHour };
  }
  if (options.volumePricePerHour !== undefined) {
    result = { ...result, volumeCostPerInstanceHour: options.volumePricePerHour };
  }
  if (options.spotRate !== undefined) {
    result = {
      ...result,
      spot:
        options.spotRate > 0
          ? { interruptionsPerInstanceHour: options.spotRate, noticeSec: fleet.spot?.noticeSec ?? 120 }
          : null,
    };
  }
  if (options.bootMedianSec !== undefined) {
    result = { ...result, bootSec: withMedian(result.bootSec, options.bootMedianSec) };
  }
  if (options.resumeMedianSec !== undefined && result.warmPool !== null) {
    result = {
      ...result,
      warmPool: { ...result.warmPool, resumeSec: withMedian(result.warmPool.resumeSec, options.resumeMedianSec) },
    };
  }
  return result;
}

export interface PolicyRun {
  readonly policy: Policy;
  readonly result: SimulationResult;
  readonly summary: PolicySummary;
  /** Wall-clock time the simulation took. Not part of the JSON report (that must be deterministic). */
  readonly elapsedMs: number;
}

/** Picks the queue to simulate: the given one (must exist) or the trace's only queue. */
export function chooseQueue(trace: Trace, queue: string | undefined): string {
  if (queue !== undefined) {
    if (!trace.queues.includes(queue)) {
      throw new UsageError(
        `queue "${queue}" has no jobs in trace ${trace.name}; its queues: ${trace.queues.join(', ')}`,
      );
    }
    return queue;
  }
  if (trace.queues.length > 1) {
    throw new UsageError(
      `trace ${trace.name} has several queues (${trace.queues.join(', ')}): choose one with --queue (the others' jobs then start at once, as if another fleet ran them)`,
    );
  }
  return trace.queues[0] ?? 'default';
}

/** Checks that the measured window starts inside the trace and holds at least one job of the queue. */
export function checkMeasureFrom(trace: Trace, queue: string, measureFromSec: number): void {
  if (!Number.isFinite(measureFromSec) || measureFromSec < 0) {
    throw new UsageError(`--measure-from must be a non-negative duration, got ${measureFromSec} s`);
  }
  if (measureFromSec === 0) return;
  const measured = trace.jobs.some((job) => job.queue === queue && job.createdAtSec >= measureFromSec);
  if (!measured) {
    const lastSec = trace.jobs.reduce(
      (latest, job) => (job.queue === queue ? Math.max(latest, job.createdAtSec) : latest),
      0,
    );
    throw new UsageError(
      `--measure-from ${formatDurationArg(measureFromSec)} leaves no job to measure: the last job of queue "${queue}" in trace ${trace.name} is created at ${lastSec} s (${(lastSec / 3600).toFixed(1)} h); choose an earlier start`,
    );
  }
}

/**
 * The scaler config and fleet a policy runs with: the run-wide overrides first, so scaler-core plans with the boot
 * and resume times the run simulates (its `costs` come from the fleet).
 */
export function runSetupOf(given: Policy, options: PhysicsOverrides): { config: ScalerConfig; fleet: FleetConfig } {
  const policy = { ...given, fleet: fleetWithOverrides(given.fleet, options) };
  const config = scalerConfigOf(policy);
  return { config, fleet: fleetFor(policy, config) };
}

/** Runs every policy over the same trace with the same seed (and the same measured window). */
export function comparePolicies(options: CompareOptions): PolicyRun[] {
  const queue = chooseQueue(options.trace, options.queue);
  const measureFromSec = options.measureFromSec ?? 0;
  checkMeasureFrom(options.trace, queue, measureFromSec);
  return options.policies.map((policy) => {
    const { config, fleet } = runSetupOf(policy, options);
    const started = performance.now();
    const result = simulate({
      trace: options.trace,
      fleet,
      control: policy.control,
      policy: new ScalerCorePolicy(config),
      seed: options.seed,
      queue,
      measureFromSec,
    });
    const elapsedMs = performance.now() - started;
    return { policy, result, summary: summarize(policy, result), elapsedMs };
  });
}
