import { mergeConfigInput, parseScalerConfig, ScalerConfigError } from '@elastic-ci/scaler-core';
import * as z from 'zod';
import { durationDistributionSchema } from './distribution.js';
import { PolicyConfigError } from './errors.js';

const seconds = z.number().finite().nonnegative();
/**
 * Instance counts are bounded where a run still ends: beyond any CI fleet a queue has, and a day of 1,000 instances
 * always in service simulates in about 20 s (a MaxSize of 2^32 or more failed inside scaler-core mid-run; 10^8 ran
 * for ever).
 */
const MAX_INSTANCES = 10_000;
const MAX_AGENTS_PER_INSTANCE = 1000;
/** The scaler's schedule and poll interval: sub-second polling multiplies the decisions to simulate without end. */
const MIN_POLL_SEC = 1;
/**
 * Spot interruptions per running instance-hour: 10 is a mean life of 6 minutes, far beyond anything EC2 reclaims.
 * Much more and few jobs ever finish, so a run churns launches until it gives up a week later (100, a percentage
 * typed as a rate, did not end in minutes).
 */
export const MAX_SPOT_INTERRUPTIONS_PER_HOUR = 10;
const count = z.number().int().nonnegative().max(MAX_INSTANCES);

/** The Auto Scaling group, its instances and what they cost. */
export const fleetSchema = z
  .strictObject({
    /** ASG MinSize. */
    minSize: count.default(0),
    /** ASG MaxSize. The same for every preset so comparisons measure scaling behaviour, not a cap. */
    maxSize: z.number().int().positive().max(MAX_INSTANCES).default(500),
    agentsPerInstance: z.number().int().positive().max(MAX_AGENTS_PER_INSTANCE).default(1),
    /** Cold launch until the instance is InService (the agent then still has to register). */
    bootSec: durationDistributionSchema.default({ kind: 'lognormal', medianSec: 100, sigma: 0.25, minSec: 45 }),
    /** InService until the agent is registered and can take a job (after a cold boot or a warm resume). */
    agentRegistrationSec: durationDistributionSchema.default(10),
    /**
     * ScaleInIdlePeriod: an instance whose agents have all been idle this long exits and terminates itself,
     * decrementing desired capacity. `null`: agents never exit on their own.
     */
    idleTimeoutSec: seconds.nullable().default(600),
    /** Agent exit (or end of draining) until the instance stops being billed. */
    shutdownSec: seconds.default(20),
    /** EC2 bills per second with this minimum per launch or resume. */
    minimumBilledSec: seconds.default(60),
    /** Compute price per running instance-hour, in dollars. */
    pricePerInstanceHour: seconds.default(0.17),
    /** Root volume price per instance-hour for as long as the instance exists, running or stopped (250 GB gp3). */
    volumeCostPerInstanceHour: seconds.default(0.0274),
    warmPool: z
      .strictObject({
        /**
         * The pool's MinSize: instances kept stopped in it at all times. With `scaler.warmPool.enabled` the scaler
         * owns it (PutWarmPool at each decision): leave it 0 and set `scaler.warmPool.minSize`.
         */
        minSize: count.default(0),
        /**
         * Pool + group may hold this many instances: the pool is refilled to `maxPreparedCapacity − desired`
         * (never below `minSize`). `null`: the pool is exactly `minSize`.
         */
        maxPreparedCapacity: count.nullable().default(null),
        /** Warmed:Stopped until InService. */
        resumeSec: durationDistributionSchema.default({ kind: 'lognormal', medianSec: 25, sigma: 0.3, minSec: 10 }),
        /** Scale-in (idle exit or a drain) stops the instance back into the pool instead of terminating it. */
        reuseOnScaleIn: z.boolean().default(false),
        /**
         * A stopped instance the pool no longer needs is terminated only after it has been stopped this long, so a
         * pool size that dips and recovers does not pay a cold boot each time (a stopped hour costs only EBS).
         */
        surplusRetentionSec: seconds.default(0),
      })
      .nullable()
      .default(null),
    spot: z
      .strictObject({
        /** Mean interruptions per running instance-hour (exponential inter-arrival per instance). */
        interruptionsPerInstanceHour: z.number().finite().nonnegative().max(MAX_SPOT_INTERRUPTIONS_PER_HOUR),
        /** Warning before the instance is reclaimed; the agent stops taking jobs when it arrives. */
        noticeSec: seconds.default(120),
      })
      .nullable()
      .default(null),
  })
  .refine((fleet) => fleet.minSize <= fleet.maxSize, { message: 'minSize must not exceed maxSize', path: ['minSize'] });

/** How often, and on what, the scaler is invoked. */
export const controlSchema = z.strictObject({
  /** The scaler Lambda's schedule (EventBridge rate). */
  scheduleSec: z.number().finite().min(MIN_POLL_SEC).default(60),
  /** Poll interval inside one invocation. */
  pollIntervalSec: z.number().finite().min(MIN_POLL_SEC).default(10),
  /** An invocation polls at 0, interval, 2·interval, … while the offset is below this. */
  invocationTimeoutSec: z.number().finite().positive().default(50),
  /** A `job.scheduled` webhook triggers one extra decision this long after a job becomes scheduled. */
  webhook: z
    .strictObject({ latencySec: durationDistributionSchema.default(2) })
    .nullable()
    .default(null),
});

export const policySchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  /** Preset this policy starts from; the rest of the file overrides it field by field. */
  extends: z.string().optional(),
  /** scaler-core configuration, validated by scaler-core's own schema. */
  scaler: z.record(z.string(), z.unknown()).default({}),
  fleet: fleetSchema.prefault({}),
  control: controlSchema.prefault({}),
});

export type PolicyInput = z.input<typeof policySchema>;
export type Policy = z.output<typeof policySchema>;
export type FleetConfig = Policy['fleet'];
export type ControlConfig = Policy['control'];

/** Field-by-field merge (scaler-core's `mergeConfigInput`): objects merge recursively, anything else replaces. */
export const mergePolicyInput = mergeConfigInput;

/** Validates a policy; every bad field is named with its path in one `PolicyConfigError`. */
export function parsePolicy(raw: unknown, source: string): Policy {
  const result = policySchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      // The pool's pre-sizing for waiting jobs moved into the product (scaler-core): point old files at it.
      const moved =
        issue.code === 'unrecognized_keys' && issue.keys.includes('prepareForWaitingJobs')
          ? ' (now scaler.warmPool.prepareForWaitingJobs, with scaler.warmPool.enabled)'
          : '';
      return `  ${issue.path.join('.') || '(root)'}: ${issue.message}${moved}`;
    });
    throw new PolicyConfigError(`${source}: invalid policy:\n${[...problems, ...scalerIssuesOf(raw)].join('\n')}`);
  }
  return result.data;
}

/**
 * scaler-core's problems with a policy's `scaler` section as given, so a policy that fails on its other sections
 * names its scaler mistakes in the same message rather than on the next run. `agentsPerInstance` is left out: it comes
 * from the fleet (`scalerConfigOf` checks the two agree once the fleet is valid).
 */
function scalerIssuesOf(raw: unknown): string[] {
  const scaler = typeof raw === 'object' && raw !== null ? (raw as { scaler?: unknown }).scaler : undefined;
  if (typeof scaler !== 'object' || scaler === null || Array.isArray(scaler)) return [];
  const { agentsPerInstance: _fromTheFleet, ...given } = scaler as Record<string, unknown>;
  try {
    parseScalerConfig(given);
    return [];
  } catch (error) {
    if (error instanceof ScalerConfigError)
      return error.issues.map((issue) => `  scaler.${issue.path}: ${issue.message}`);
    throw error;
  }
}
