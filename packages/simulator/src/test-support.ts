import type { DurationDistributionInput } from './distribution.js';
import { type ControlConfig, type FleetConfig, parsePolicy } from './policy.js';
import type { FleetObservation, ScalingDecision, ScalingPolicy } from './scaling-policy.js';
import { parseTrace, type Trace } from './trace.js';

/** Test-only helpers: build traces and configs from a few hand-written jobs. */
export interface JobSpec {
  id: string;
  at: number;
  duration: number;
  dependsOn?: string[];
  queue?: string;
}

export function traceOf(jobs: readonly JobSpec[], spanSec = 0): Trace {
  const header = JSON.stringify({ trace: 'micro', start: '2026-11-02T00:00:00Z', spanSec, description: 'test' });
  const lines = jobs.map((job) =>
    JSON.stringify({
      job: job.id,
      build: `b-${job.id}`,
      queue: job.queue ?? 'default',
      createdAt: job.at,
      durationSec: job.duration,
      dependsOn: job.dependsOn ?? [],
    }),
  );
  return parseTrace([header, ...lines].join('\n'), 'micro');
}

export function fleetOf(overrides: Record<string, unknown> = {}): FleetConfig {
  return parsePolicy({ name: 'test', fleet: overrides }, 'test').fleet;
}

export function controlOf(overrides: Record<string, unknown> = {}): ControlConfig {
  return parsePolicy({ name: 'test', control: overrides }, 'test').control;
}

export const fixed = (sec: number): DurationDistributionInput => ({ kind: 'fixed', sec });

/** A perfectly reactive policy: one instance per scheduled or running job, never scales in itself. */
export class ReactivePolicy implements ScalingPolicy {
  readonly observations: FleetObservation[] = [];
  decide(observation: FleetObservation): ScalingDecision {
    this.observations.push(observation);
    const needed = observation.queue.scheduledJobs + observation.queue.runningJobs;
    return { desired: Math.max(observation.group.desired, needed) };
  }
}

/** Holds desired where it is, optionally draining the instances a callback names. */
export class ScriptedPolicy implements ScalingPolicy {
  constructor(private readonly script: (observation: FleetObservation) => ScalingDecision) {}
  decide(observation: FleetObservation): ScalingDecision {
    return this.script(observation);
  }
}
