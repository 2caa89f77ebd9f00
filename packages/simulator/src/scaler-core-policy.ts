import {
  decide,
  type InstanceView,
  initialScalerState,
  parseScalerConfig,
  type ScalerConfig,
  ScalerConfigError,
  type ScalerState,
} from '@elastic-ci/scaler-core';
import type { DurationDistribution } from './distribution.js';
import { PolicyConfigError } from './errors.js';
import type { Policy } from './policy.js';
import type { FleetObservation, InstanceObservation, ScalingDecision, ScalingPolicy } from './scaling-policy.js';

/**
 * Validates the policy's `scaler` section with scaler-core's own schema. `agentsPerInstance` comes from the fleet
 * unless given; giving a different one is an error (the scaler would size the group for the wrong instance).
 */
export function scalerConfigOf(policy: Policy): ScalerConfig {
  const given = policy.scaler.agentsPerInstance;
  if (given !== undefined && given !== policy.fleet.agentsPerInstance) {
    throw new PolicyConfigError(
      `policy "${policy.name}": scaler.agentsPerInstance (${String(given)}) differs from fleet.agentsPerInstance (${policy.fleet.agentsPerInstance}); set only fleet.agentsPerInstance`,
    );
  }
  const derived = costsOf(policy.fleet);
  const givenCosts = policy.scaler.costs;
  // Costs given as anything but an object go to scaler-core as they are, so its message names them.
  const costsAreObject = typeof givenCosts === 'object' && givenCosts !== null && !Array.isArray(givenCosts);
  const costsGiven: Record<string, unknown> = costsAreObject ? (givenCosts as Record<string, unknown>) : {};
  let config: ScalerConfig;
  try {
    config = parseScalerConfig({
      ...policy.scaler,
      agentsPerInstance: policy.fleet.agentsPerInstance,
      costs: costsAreObject || givenCosts === undefined ? { ...derived, ...costsGiven } : givenCosts,
    });
  } catch (error) {
    if (error instanceof ScalerConfigError) {
      const problems = error.issues.map((issue) => {
        // A cost the policy does not give comes from its fleet: name where, since the scaler section holds nothing.
        const field = /^costs\.(\w+)$/.exec(issue.path)?.[1];
        const source = field === undefined || field in costsGiven ? undefined : DERIVED_COST_SOURCES[field];
        return source === undefined
          ? `  scaler.${issue.path}: ${issue.message}`
          : `  scaler.${issue.path}: ${issue.message} (${derived[field as string]}, derived from ${source}); change that, or set scaler.costs.${field} in a policy file`;
      });
      throw new PolicyConfigError(`policy "${policy.name}": invalid scaler settings:\n${problems.join('\n')}`, {
        cause: error,
      });
    }
    throw error;
  }
  if (config.warmPool.enabled) {
    const pool = policy.fleet.warmPool;
    if (pool === null) {
      throw new PolicyConfigError(
        `policy "${policy.name}": scaler.warmPool.enabled sizes the group's warm pool, but fleet.warmPool is null; give the fleet a warm pool or turn the scaler's off`,
      );
    }
    if (pool.minSize !== 0 && pool.minSize !== config.warmPool.minSize) {
      throw new PolicyConfigError(
        `policy "${policy.name}": fleet.warmPool.minSize (${pool.minSize}) is set by the scaler when scaler.warmPool.enabled; set scaler.warmPool.minSize instead`,
      );
    }
  }
  return config;
}

/** A lead time to plan with: the 90th percentile of a duration, so capacity is ready in time for most launches. */
export function leadSecOf(distribution: DurationDistribution): number {
  if (typeof distribution === 'number') return distribution;
  switch (distribution.kind) {
    case 'fixed':
      return distribution.sec;
    case 'uniform':
      return distribution.maxSec;
    case 'lognormal': {
      const high = Math.max(distribution.minSec, distribution.medianSec * Math.exp(1.2816 * distribution.sigma));
      return distribution.maxSec === undefined ? high : Math.min(distribution.maxSec, high);
    }
  }
}

/** Where each of scaler-core's `costs` comes from when a policy does not give it (see `costsOf`). */
const DERIVED_COST_SOURCES: Readonly<Record<string, string>> = {
  instanceHour: 'fleet.pricePerInstanceHour (--instance-price)',
  volumeHour: 'fleet.volumeCostPerInstanceHour (--volume-price)',
  bootSec: "fleet.bootSec's 90th percentile plus agentRegistrationSec (--boot-sec sets the median)",
  resumeSec: "fleet.warmPool.resumeSec's 90th percentile plus agentRegistrationSec (--resume-sec sets the median)",
};

/**
 * scaler-core's prices and lead times from the fleet's own (a policy's `scaler.costs` overrides them): what the
 * stack passes the agent-scaler from its instance type, volume and measured boot.
 */
export function costsOf(fleet: Policy['fleet']): Record<string, number> {
  const registration = leadSecOf(fleet.agentRegistrationSec);
  return {
    instanceHour: fleet.pricePerInstanceHour,
    volumeHour: fleet.volumeCostPerInstanceHour,
    bootSec: Math.round(leadSecOf(fleet.bootSec) + registration),
    resumeSec: Math.round(leadSecOf(fleet.warmPool?.resumeSec ?? fleet.bootSec) + registration),
  };
}

/**
 * The fleet as the stack creates it: with the scaler managing the warm pool, the pool starts at the scaler's
 * `warmPool.minSize` (the same value the stack passes to both).
 */
export function fleetFor(policy: Policy, config: ScalerConfig): Policy['fleet'] {
  const pool = policy.fleet.warmPool;
  if (!config.warmPool.enabled || pool === null) return policy.fleet;
  return { ...policy.fleet, warmPool: { ...pool, minSize: config.warmPool.minSize } };
}

/**
 * scaler-core's `decide` behind the simulator's `ScalingPolicy` port. It keeps the `ScalerState` between calls, as
 * the agent-scaler Lambda persists it, and hands the instance list over only when the drain strategy needs it.
 */
export class ScalerCorePolicy implements ScalingPolicy {
  private state: ScalerState = initialScalerState();
  private readonly needsInstances: boolean;
  private mappedFrom: readonly InstanceObservation[] | undefined;
  private mapped: InstanceView[] = [];
  private readonly views = new WeakMap<InstanceObservation, InstanceView>();
  /** Reasons of the latest decision, for debugging a run. */
  lastReasons: readonly string[] = [];

  constructor(private readonly config: ScalerConfig) {
    this.needsInstances = config.scaleIn.strategy === 'drain';
  }

  /** Maps the instance list; an instance observation the simulator hands over again keeps its mapped view. */
  private instanceViews(instances: readonly InstanceObservation[], startMs: number): InstanceView[] {
    if (instances === this.mappedFrom) return this.mapped;
    this.mappedFrom = instances;
    this.mapped = instances.map((instance) => {
      let view = this.views.get(instance);
      if (view === undefined) {
        view = {
          id: instance.id,
          launchedAtMs: startMs + instance.launchedAtSec * 1000,
          lifecycleState: instance.lifecycleState,
          busyAgents: instance.busyAgents,
          idleAgents: instance.idleAgents,
          ...(instance.idleSinceSec === undefined ? {} : { idleSinceMs: startMs + instance.idleSinceSec * 1000 }),
        };
        this.views.set(instance, view);
      }
      return view;
    });
    return this.mapped;
  }

  decide(observation: FleetObservation): ScalingDecision {
    const { group, queue, nowMs } = observation;
    const startMs = nowMs - observation.nowSec * 1000;
    const decision = decide({
      config: this.config,
      nowMs,
      metrics: { ...queue, collectedAtMs: nowMs },
      group: {
        desired: group.desired,
        min: group.min,
        max: group.max,
        inService: group.inService,
        pending: group.pending,
        ...(this.needsInstances ? { instances: this.instanceViews(group.instances, startMs) } : {}),
      },
      state: this.state,
    });
    this.state = decision.nextState;
    this.lastReasons = decision.reasons;
    return {
      desired: decision.desired,
      instancesToDrain: decision.instancesToDrain,
      warmPoolMinSize: decision.warmPoolMinSize,
    };
  }
}
