import { comparePolicies, type FleetConfig, type Policy, type TimelineSeries, type Trace } from '@elastic-ci/simulator';
import type { Prediction } from './demo-report';

export interface PredictionWithTimeline extends Prediction {
  readonly timeline: TimelineSeries;
  /** The policy the simulator ran: the user's, with the sandbox's physics where it has its own. */
  readonly policy: Policy;
}

/**
 * Runs the simulator in-process on the same cut and policy as the sandbox. Where the sandbox's world has its own
 * physics (e.g. a fixed boot delay instead of the policy's lognormal), `fleetOverrides` puts them into the policy so the
 * prediction models the same world; everything else (scaler settings, idle timeouts, warm pool) is the policy's.
 */
export function predict(input: {
  trace: Trace;
  policy: Policy;
  queue: string;
  seed: number;
  fleetOverrides?: Partial<FleetConfig>;
}): PredictionWithTimeline {
  const policy: Policy = { ...input.policy, fleet: { ...input.policy.fleet, ...input.fleetOverrides } };
  const [run] = comparePolicies({ trace: input.trace, policies: [policy], seed: input.seed, queue: input.queue });
  if (run === undefined) throw new Error('the simulator returned no run for one policy');
  return { summary: run.summary, endSec: run.result.endSec, timeline: run.result.timeline, policy };
}
