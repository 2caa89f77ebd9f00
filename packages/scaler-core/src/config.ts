import * as z from 'zod';
import { CronSchedule } from './cron.js';
import { type InputIssue, ScalerConfigError } from './errors.js';
import { adjustmentTypeProblems, stepIntervalProblems } from './step-adjustments.js';
import { ZoneClock } from './time-zone.js';

const count = () => z.number().int().nonnegative();
const seconds = () => z.number().nonnegative();

/** Parsed once at config time so `decide` never parses a cron expression. */
const cronExpression = z.string().transform((expression, context) => {
  try {
    return new CronSchedule(expression);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const timeZone = z
  .string()
  .prefault('UTC')
  .transform((name, context) => {
    try {
      return new ZoneClock(name);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

const idlePoolValues = {
  /** Spare job slots (agents, not instances) to keep idle. */
  idleCount: count().default(0),
  /** Idle slots as a factor of in-use slots; 0 turns the factor off (then `idleCount` is the target). */
  idleScaleFactor: z.number().nonnegative().default(0),
  /** Floor of the factor result. */
  idleCountMin: count().default(0),
};

type IdleValues = { idleCount: number; idleScaleFactor: number; idleCountMin: number };

const idleBoundsHold = (values: IdleValues) => !(values.idleScaleFactor > 0 && values.idleCountMin > values.idleCount);

const idleBounds = {
  path: ['idleCountMin'],
  message: 'idleCountMin must not exceed idleCount, the cap of the idle scale factor',
  // Checked even when a sibling (a period) is invalid, so one parse reports every problem.
  when: (payload: { value: unknown }) => {
    const values = payload.value as Partial<Record<keyof IdleValues, unknown>>;
    return [values.idleCount, values.idleScaleFactor, values.idleCountMin].every((value) => typeof value === 'number');
  },
};

const idlePeriodSchema = z
  .strictObject({ cron: cronExpression, timezone: timeZone, ...idlePoolValues })
  .refine(idleBoundsHold, idleBounds);

const idlePoolSchema = z
  .strictObject({ ...idlePoolValues, periods: z.array(idlePeriodSchema).default([]) })
  .refine(idleBoundsHold, idleBounds);

const scheduledMinimumSchema = z.strictObject({ cron: cronExpression, timezone: timeZone, minSize: count() });

const overProvisionSchema = z.discriminatedUnion('strategy', [
  z.strictObject({ strategy: z.literal('none') }),
  z.strictObject({ strategy: z.literal('instances'), instances: z.number().int().positive() }),
  z.strictObject({ strategy: z.literal('percent'), percent: z.number().positive() }),
]);

const stepScalingSchema = z
  .strictObject({
    /** What the alarm watches: see README ("Step scaling"). */
    metric: z.enum(['scheduledJobs', 'pendingJobs', 'backlogPerInstance', 'busyAgentPercent']),
    alarmThreshold: z.number(),
    adjustmentType: z.enum(['ChangeInCapacity', 'ExactCapacity', 'PercentChangeInCapacity']),
    stepAdjustments: z
      .array(
        z.strictObject({
          metricIntervalLowerBound: z.number().nullable().default(null),
          metricIntervalUpperBound: z.number().nullable().default(null),
          scalingAdjustment: z.number().int(),
        }),
      )
      // Checked on the array so gaps and overlaps are reported even when a sibling field is wrong.
      .superRefine((steps, context) => {
        for (const message of stepIntervalProblems(steps)) context.addIssue({ code: 'custom', message });
      }),
    minAdjustmentMagnitude: z.number().int().positive().optional(),
  })
  .superRefine((policy, context) => {
    for (const message of adjustmentTypeProblems(policy)) {
      context.addIssue({ code: 'custom', path: ['stepAdjustments'], message });
    }
  });

const growthThrottleSchema = z.strictObject({
  /** Sustained instance launches allowed per second (token refill rate). */
  launchesPerSec: z.number().positive(),
  /** Launches allowed at once (bucket size). */
  burst: z.number().int().positive(),
});

const scaleInSchema = z.strictObject({
  strategy: z.enum(['set-desired', 'drain']).default('set-desired'),
  order: z.enum(['oldest-first', 'newest-first', 'longest-idle-first']).default('oldest-first'),
  minRunningTimeSec: seconds().default(0),
  minIdleSec: seconds().default(0),
});

/**
 * The scaler's say in the group's EC2 Auto Scaling warm pool: the pool's `MinSize`. The rest of the pool (its
 * `MaxGroupPreparedCapacity`, pool state, reuse on scale-in) belongs to the group's own definition, because AWS
 * applies it continuously against the live desired capacity, between decisions as well.
 */
const warmPoolSchema = z.strictObject({
  /** Off: `decision.warmPoolMinSize` is `null` and the pool is left alone. */
  enabled: z.boolean().default(false),
  /** Stopped instances to keep in the pool at all times. */
  minSize: count().default(0),
  /**
   * Raise the pool to the instances that the jobs behind a `wait` step will need beyond the idle agents and the
   * agents of running jobs (free when the step ends), so they boot while the build step runs and only resume when
   * their jobs are scheduled.
   */
  prepareForWaitingJobs: z.boolean().default(false),
  /**
   * `{ cron, timezone, minSize }`: while `cron` matches, the pool's MinSize is exactly `minSize` (the last matching
   * entry wins); a stated schedule takes precedence over the forecast and the waiting jobs.
   */
  schedules: z.array(z.strictObject({ cron: cronExpression, timezone: timeZone, minSize: count() })).default([]),
});

/**
 * What capacity costs, for sizing from prices: a stopped instance costs its volume, one launched into the warm pool
 * costs a boot of compute before it stops, a resume instead of a cold launch saves a boot of waiting.
 */
const costsSchema = z.strictObject({
  /** Compute, $ per running instance-hour. */
  instanceHour: z.number().nonnegative().max(1000).default(0.17),
  /** Volume (EBS), $ per hour an instance exists, running or stopped. */
  volumeHour: z.number().nonnegative().max(1000).default(0.0274),
  /** A cold launch until its agent takes jobs. */
  bootSec: z.number().min(10).max(1800).default(120),
  /** A warm-pool resume until its agent takes jobs. */
  resumeSec: z.number().min(1).max(600).default(40),
});

/** Forecast of recurring demand from the history `decide` keeps in `state.demandHistory`. */
const forecastSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** Share of last week's peak a slot keeps when entered again a week later (0.5: a peak halves every week). */
  weeklyDecay: z.number().gt(0).max(1).default(0.5),
  /** Raise desired ahead of demand seen on two days at this time (recurring), not only the warm pool. */
  prelaunch: z.boolean().default(false),
  /** Pre-launch only for a predicted rise of at least this many agents over the current demand. */
  prelaunchMinAgents: z.number().int().min(1).max(100_000).default(10),
  /**
   * The zone whose wall clock the history's slots follow (IANA name). A team's load follows its office hours, which
   * move by an hour in UTC when daylight saving time starts or ends: slotted in UTC, the forecast would expect
   * yesterday's 09:00 burst an hour early or late for a week.
   */
  timezone: timeZone,
});

/** Capacity for waiting jobs just in time, from the learned time jobs wait behind a step. */
const dependenciesSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** Which quantile of the learned wait lengths to be ready for (0.1: ready in time for 9 of 10 cohorts). */
  releaseQuantile: z.number().min(0).max(1).default(0.1),
  /** Cohorts to learn from before acting (until then waiting jobs only prepare the warm pool). */
  minSamples: z.number().int().min(1).max(16).default(3),
});

/**
 * The scaler's whole configuration. With only the Buildkite knobs set, decisions equal buildkite-agent-scaler
 * 1.12.0; every other policy defaults to off. See the README for each option and the Buildkite name mapping.
 */
export const scalerConfigSchema = z.strictObject({
  agentsPerInstance: count().default(1),
  includeWaiting: z.boolean().default(false),
  instanceBuffer: count().default(0),
  maxInstanceCap: count().default(0),
  availabilityThreshold: z.number().nonnegative().default(0.5),
  scaleOutFactor: z.number().positive().default(1),
  scaleInFactor: z.number().positive().default(1),
  scaleOutCooldownSec: seconds().default(0),
  scaleInCooldownSec: seconds().default(0),
  scaleOnlyAfterAllEvent: z.boolean().default(false),
  disableScaleOut: z.boolean().default(false),
  disableScaleIn: z.boolean().default(false),
  elasticCiMode: z.boolean().default(false),
  staleMetricsAfterSec: seconds().default(120),
  overProvision: overProvisionSchema.default({ strategy: 'none' }),
  idlePool: idlePoolSchema.prefault({}),
  scheduledMinimums: z.array(scheduledMinimumSchema).default([]),
  growthThrottle: growthThrottleSchema.optional(),
  stepScaling: stepScalingSchema.optional(),
  scaleIn: scaleInSchema.prefault({}),
  warmPool: warmPoolSchema.prefault({}),
  costs: costsSchema.prefault({}),
  forecast: forecastSchema.prefault({}),
  dependencies: dependenciesSchema.prefault({}),
});

/** What a caller writes (JSON-like, everything optional). */
export type ScalerConfigInput = z.input<typeof scalerConfigSchema>;
/** What `decide` takes: defaults filled in, cron expressions and time zones compiled. */
export type ScalerConfig = z.output<typeof scalerConfigSchema>;

function pathOf(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    text += typeof key === 'number' ? `[${key}]` : text === '' ? String(key) : `.${String(key)}`;
  }
  return text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `override` over `base`, field by field, as layered configs (a preset and a user's file, a profile and a user's
 * options) combine: objects merge recursively, anything else in `override` (arrays too) replaces `base`, and an
 * `undefined` override keeps `base`. Neither argument is changed.
 */
export function mergeConfigInput(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    merged[key] = mergeConfigInput(base[key], value);
  }
  return merged;
}

/** Parses and validates a config; throws `ScalerConfigError` listing every problem with its path. */
export function parseScalerConfig(raw: unknown): ScalerConfig {
  const result = scalerConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const issues: InputIssue[] = result.error.issues.flatMap((issue) =>
    // A typo'd option is named by its own path, so the message points at it.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: pathOf([...issue.path, key]), message: 'unknown option' }))
      : [{ path: pathOf(issue.path), message: issue.message }],
  );
  throw new ScalerConfigError(issues, { cause: result.error });
}
