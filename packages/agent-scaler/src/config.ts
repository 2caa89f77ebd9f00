import { DEFAULT_AGENT_ENDPOINT, MAX_REQUEST_TIMEOUT_MS } from '@elastic-ci/buildkite-api';
import {
  parseScalerConfig,
  type ScalerConfig,
  ScalerConfigError,
  type ScalerConfigInput,
} from '@elastic-ci/scaler-core';
import * as z from 'zod';
import packageJson from '../package.json' with { type: 'json' };
import { ConfigurationError } from './errors';
import { parseGoDuration } from './go-duration';

/** Everything the Lambda needs, parsed once per container from the environment. */
export interface AgentScalerConfig {
  queue: string;
  groupName: string;
  agentTokenParameter: string;
  agentEndpoint: string;
  userAgent: string;
  requestTimeoutMs: number;
  pollIntervalMs: number;
  /** `LAMBDA_TIMEOUT`: stop polling after this long; `undefined` = until the deadline margin. */
  invocationBudgetMs: number | undefined;
  /** Time kept free before the Lambda's own timeout so the last pass always finishes. */
  deadlineMarginMs: number;
  startupJitterMaxMs: number;
  activityScanTimeoutMs: number;
  /** Pages of DescribeScalingActivities to read at most; `undefined` = no limit. */
  maxActivityPages: number | undefined;
  publishMetrics: boolean;
  /** SSM parameter that persists the scaler state; without one it is re-derived from scaling activities. */
  stateParameter: string | undefined;
  webhook: { secretParameter: string | undefined; replayWindowSec: number; allowTokenHeader: boolean };
  /** The cross-container scaling lease (`SCALER_LOCK_TABLE`); `undefined`: only the in-container single-flight. */
  lease: ScalingLeaseConfig | undefined;
  /** The zombie check (`ZOMBIE_CHECK`); `undefined`: off. */
  zombieCheck: ZombieCheckConfig | undefined;
  scaler: ScalerConfig;
}

export interface ZombieCheckConfig {
  /** An instance launched less than this long ago is still booting or resuming and is never judged. */
  gracePeriodMs: number;
  /** At most this many instances are marked unhealthy per pass. */
  maxPerPass: number;
}

/** Boot (cloud-init, docker, agent start: a few minutes) and a warm-pool resume fit well inside. */
export const DEFAULT_ZOMBIE_GRACE_PERIOD_MS = 10 * 60_000;
export const DEFAULT_ZOMBIE_MAX_PER_PASS = 3;
export const ZOMBIE_MAX_PER_PASS_RANGE = {
  min: 1,
  max: 20,
  why: 'replacing many instances at once can take the whole fleet down with a wrong tag',
} as const;

export interface ScalingLeaseConfig {
  /** DynamoDB table (name or ARN) with a string partition key `pk`. */
  tableName: string;
  /** How long a lease lasts: bounds how long a holder that crashed blocks the other containers. */
  ttlMs: number;
  /** How long a webhook pass waits for another container's pass to release the lease. */
  webhookWaitMs: number;
}

/** A little above a slow pass: Buildkite API timeout (5 s) + activity scan (10 s) + a few AWS calls. */
export const DEFAULT_LEASE_TTL_MS = 30_000;
/** The part of the lease kept free at its end: no pass starts acting this close to expiry. */
export const LEASE_ACT_MARGIN_MS = 5_000;
/**
 * A mutating call started inside the lease is abandoned this long before the lease ends (SDK retries included), so
 * that it cannot overlap a call of the container that takes over; the rest covers network latency and clock skew.
 */
export const LEASE_CALL_END_MARGIN_MS = 1_000;
const MIN_LEASE_TTL_MS = 2 * LEASE_ACT_MARGIN_MS;

const SECOND_MS = 1_000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
/** The longest a Lambda invocation can run. */
export const LAMBDA_MAX_RUN_MS = 15 * MINUTE_MS;

/** An allowed range and why it is that range: the reason goes into the cold-start error. */
export interface AllowedRange {
  min: number;
  max: number;
  why: string;
}

/**
 * The allowed range of every duration (ms) the Lambda reads. A value outside fails the cold start naming the
 * variable and the range: each bound keeps scaling working (see the README's configuration table).
 */
export const DURATION_RANGES = {
  BUILDKITE_API_TIMEOUT: { min: 1 * SECOND_MS, max: MAX_REQUEST_TIMEOUT_MS, why: 'the metrics call must fit a pass' },
  LAMBDA_INTERVAL: {
    min: 1 * SECOND_MS,
    max: 14 * MINUTE_MS,
    why: 'a pass and the pause after it must fit one invocation, at most 15m',
  },
  LAMBDA_TIMEOUT: { min: 1 * SECOND_MS, max: LAMBDA_MAX_RUN_MS, why: 'a Lambda runs 15m at most; unset = until then' },
  LAMBDA_DEADLINE_MARGIN: {
    min: 1 * SECOND_MS,
    max: 5 * MINUTE_MS,
    why: 'the last pass needs time to finish; more leaves no time to poll',
  },
  LAMBDA_STARTUP_JITTER_MAX: {
    min: 0,
    max: 10 * MINUTE_MS,
    why: 'the first pass must still start within the invocation',
  },
  ASG_ACTIVITY_TIMEOUT: {
    min: 1 * SECOND_MS,
    max: 5 * MINUTE_MS,
    why: '0 aborts every scan and blocks scale-in; the scan runs inside a pass',
  },
  SCALER_LOCK_TTL: {
    min: MIN_LEASE_TTL_MS,
    max: LAMBDA_MAX_RUN_MS,
    why: 'above the slowest pass plus the 5s act margin; a crashed holder blocks scaling this long',
  },
  SCALER_LOCK_WAIT: { min: 0, max: LAMBDA_MAX_RUN_MS, why: 'a webhook invocation runs 15m at most' },
  WEBHOOK_REPLAY_WINDOW: {
    min: 10 * SECOND_MS,
    max: 1 * HOUR_MS,
    why: 'shorter rejects webhooks delayed in delivery; longer lets old signed requests be replayed',
  },
  SCALE_OUT_COOLDOWN_PERIOD: { min: 0, max: 24 * HOUR_MS, why: 'longer would stall scale-out for days' },
  SCALE_IN_COOLDOWN_PERIOD: { min: 0, max: 24 * HOUR_MS, why: 'longer would stall scale-in for days' },
  STALE_METRICS_AFTER: {
    min: 0,
    max: 1 * HOUR_MS,
    why: '0 = off; a value between 0 and 10s holds on almost every pass (metrics are seconds old)',
  },
  SCALE_IN_MIN_RUNNING_TIME: { min: 0, max: 24 * HOUR_MS, why: 'longer would keep idle instances for days' },
  SCALE_IN_MIN_IDLE: { min: 0, max: 24 * HOUR_MS, why: 'longer would keep idle instances for days' },
  ZOMBIE_GRACE_PERIOD: {
    min: 5 * MINUTE_MS,
    max: 24 * HOUR_MS,
    why: 'shorter replaces instances still booting or resuming from the warm pool; longer pays for zombies for days',
  },
} satisfies Record<string, AllowedRange>;

/** `STALE_METRICS_AFTER` is 0 (off) or at least this: metrics are always a few seconds old when a pass decides. */
const MIN_STALE_METRICS_AFTER_MS = 10 * SECOND_MS;

/** The allowed range of every ratio and factor the Lambda reads. */
export const RATIO_RANGES = {
  AVAILABILITY_THRESHOLD: {
    min: 0,
    max: 1,
    why: 'a fraction of the expected agents; above 1 adds an instance on every pass while jobs wait',
  },
  SCALE_OUT_FACTOR: { min: -10, max: 10, why: 'its absolute value multiplies each step; 0 = none' },
  SCALE_IN_FACTOR: { min: -10, max: 10, why: 'its absolute value multiplies each step; 0 = none' },
  IDLE_SCALE_FACTOR: { min: 0, max: 10, why: 'idle slots per busy slot' },
} satisfies Record<string, AllowedRange>;

/** `90000` → `1m30s`: ranges in errors read like the values users write. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['h', HOUR_MS],
    ['m', MINUTE_MS],
    ['s', SECOND_MS],
    ['ms', 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.join('');
}

const dynamoDbTable = z.union([
  z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/),
  z.string().regex(/^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]{3,255}$/),
]);

/**
 * A name PutParameter takes: `name` or `/path/to/name` of A-Z a-z 0-9 _ . -, at most 1011 characters. Unlike
 * GetParameter it takes no ARN, and a path needs its leading slash: the state could be read but never written.
 */
const writableParameterName = z
  .string()
  .max(1011)
  .regex(/^(?:[A-Za-z0-9_.-]+|(?:\/[A-Za-z0-9_.-]+)+)$/);

export type Environment = Readonly<Record<string, string | undefined>>;

type Issue = { variable: string; message: string };

const TRUE_WORDS = new Set(['1', 't', 'true', 'y', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'f', 'false', 'n', 'no', 'off']);

/** Reads one variable at a time so that every bad variable is reported, not only the first. */
class EnvironmentReader {
  readonly issues: Issue[] = [];

  constructor(private readonly environment: Environment) {}

  /** The trimmed value, `undefined` when unset or empty (Buildkite treats empty as unset). */
  raw(variable: string): string | undefined {
    const value = this.environment[variable]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  has(variable: string): boolean {
    return this.raw(variable) !== undefined;
  }

  problem(variable: string, message: string): undefined {
    this.issues.push({ variable, message });
    return undefined;
  }

  requiredString(variable: string, hint: string): string {
    return this.raw(variable) ?? this.problem(variable, `is required: ${hint}`) ?? '';
  }

  string(variable: string): string | undefined {
    return this.raw(variable);
  }

  bool(variable: string, fallback: boolean): boolean {
    const value = this.raw(variable);
    if (value === undefined) return fallback;
    const word = value.toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    return (
      this.problem(variable, `must be a boolean (true/false, 1/0, yes/no, on/off), got ${quote(value)}`) ?? fallback
    );
  }

  number(variable: string, fallback: number, schema: z.ZodNumber, expectation: string): number {
    const value = this.raw(variable);
    if (value === undefined) return fallback;
    const parsed = schema.safeParse(Number(value));
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(value) && parsed.success) return parsed.data;
    return this.problem(variable, `must be ${expectation}, got ${quote(value)}`) ?? fallback;
  }

  /**
   * A Go duration (`10s`, `1m30s`) or whole seconds, in ms, within `range`. With `negativeMeansUnset` a negative
   * value is passed through unchecked (the variable's documented "off").
   */
  durationMs(
    variable: string,
    fallbackMs: number,
    range: AllowedRange,
    options: { negativeMeansUnset?: boolean } = {},
  ): number {
    const value = this.raw(variable);
    if (value === undefined) return fallbackMs;
    const parsed = parseGoDuration(value);
    if (parsed === undefined) {
      return (
        this.problem(variable, `must be a duration like 10s, 1m30s or 1h (or whole seconds), got ${quote(value)}`) ??
        fallbackMs
      );
    }
    if (parsed < 0 && options.negativeMeansUnset) return parsed;
    if (parsed < range.min || parsed > range.max) {
      return (
        this.problem(
          variable,
          `must be between ${formatDurationMs(range.min)} and ${formatDurationMs(range.max)} (${range.why}), got ${quote(value)}`,
        ) ?? fallbackMs
      );
    }
    return parsed;
  }

  /** A number within `range`. */
  ratio(variable: string, fallback: number, range: AllowedRange): number {
    return this.number(
      variable,
      fallback,
      z.number().min(range.min).max(range.max),
      `a number between ${range.min} and ${range.max} (${range.why})`,
    );
  }

  json(variable: string): unknown {
    const value = this.raw(variable);
    if (value === undefined) return undefined;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return this.problem(variable, 'must be a JSON object (see the README for its fields)');
    }
  }
}

/**
 * Longest value an error quotes: every setting's value (a duration, number, flag, option name, cron line) is shorter,
 * a Buildkite token (40+ characters) pasted into the wrong variable is not. The error goes to the logs of a failed
 * cold start, which more people read than can read the token.
 */
const LONGEST_SHOWN_VALUE = 24;

/** A refused value as an error quotes it: a short one as it is, a long one by its length only. */
function quote(value: string): string {
  return value.length <= LONGEST_SHOWN_VALUE
    ? JSON.stringify(value)
    : `a value of ${value.length} characters, not shown`;
}

/**
 * A scaler-core problem without the long values it may quote (`unknown IANA time zone "…"`) or name in its path (an
 * unknown key): both come from `SCALER_POLICIES`, where a token can be pasted like anywhere else.
 */
function withoutLongValues(issue: { path: string; message: string }): { path: string; message: string } {
  return {
    path: issue.path
      .split('.')
      .map((segment) => (segment.length <= LONGEST_SHOWN_VALUE ? segment : `(a key of ${segment.length} characters)`))
      .join('.'),
    message: issue.message.replace(/"([^"]*)"/g, (quoted, inner: string) =>
      inner.length <= LONGEST_SHOWN_VALUE ? quoted : quote(inner),
    ),
  };
}

const nonNegativeInteger = z.number().int().nonnegative();
const integer = z.number().int();
const nonNegativeNumber = z.number().nonnegative();

/**
 * Scaler-core option paths → the variable that sets them, so a core validation problem names the variable to fix.
 * Options not listed come from `SCALER_POLICIES` (JSON); a path given both ways is refused (the infra app refuses
 * `scalerPolicies` paths its own variables set, naming its option).
 */
export const CORE_OPTION_VARIABLES: Readonly<Record<string, string>> = {
  agentsPerInstance: 'AGENTS_PER_INSTANCE',
  includeWaiting: 'INCLUDE_WAITING',
  instanceBuffer: 'INSTANCE_BUFFER',
  maxInstanceCap: 'MAX_INSTANCE_CAP',
  availabilityThreshold: 'AVAILABILITY_THRESHOLD',
  scaleOutFactor: 'SCALE_OUT_FACTOR',
  scaleInFactor: 'SCALE_IN_FACTOR',
  scaleOutCooldownSec: 'SCALE_OUT_COOLDOWN_PERIOD',
  scaleInCooldownSec: 'SCALE_IN_COOLDOWN_PERIOD',
  scaleOnlyAfterAllEvent: 'SCALE_ONLY_AFTER_ALL_EVENT',
  disableScaleOut: 'DISABLE_SCALE_OUT',
  disableScaleIn: 'DISABLE_SCALE_IN',
  elasticCiMode: 'ELASTIC_CI_MODE',
  staleMetricsAfterSec: 'STALE_METRICS_AFTER',
  'scaleIn.strategy': 'SCALE_IN_STRATEGY',
  'scaleIn.order': 'SCALE_IN_ORDER',
  'scaleIn.minRunningTimeSec': 'SCALE_IN_MIN_RUNNING_TIME',
  'scaleIn.minIdleSec': 'SCALE_IN_MIN_IDLE',
  'idlePool.idleCount': 'IDLE_COUNT',
  'idlePool.idleScaleFactor': 'IDLE_SCALE_FACTOR',
  'idlePool.idleCountMin': 'IDLE_COUNT_MIN',
  'growthThrottle.launchesPerSec': 'GROWTH_THROTTLE_LAUNCHES_PER_SEC',
  'growthThrottle.burst': 'GROWTH_THROTTLE_BURST',
  'warmPool.enabled': 'WARM_POOL_ENABLED',
  'warmPool.minSize': 'WARM_POOL_MIN_SIZE',
  'warmPool.prepareForWaitingJobs': 'WARM_POOL_PREPARE_FOR_WAITING_JOBS',
};

/**
 * The keys `SCALER_POLICIES` may hold: only the structured policies that have no variable of their own (the infra app
 * checks its `scalerPolicies` against this list).
 */
export const POLICY_JSON_KEYS = [
  'overProvision',
  'idlePool',
  'scheduledMinimums',
  'growthThrottle',
  'stepScaling',
  'scaleIn',
  'warmPool',
  'costs',
  'forecast',
  'dependencies',
] as const;

/** Buildkite factors: `math.Abs` is applied and 0 means "no factor", which is a factor of 1 in scaler-core. */
function buildkiteFactor(value: number): number {
  const magnitude = Math.abs(value);
  return magnitude === 0 ? 1 : magnitude;
}

function readScalerInput(env: EnvironmentReader): ScalerConfigInput {
  const elasticCiMode = env.bool('ELASTIC_CI_MODE', false);
  const policies = env.json('SCALER_POLICIES');
  const input: Record<string, unknown> = {};
  if (policies !== undefined) {
    if (typeof policies !== 'object' || policies === null || Array.isArray(policies)) {
      env.problem('SCALER_POLICIES', 'must be a JSON object');
    } else {
      for (const [key, value] of Object.entries(policies)) {
        if ((POLICY_JSON_KEYS as readonly string[]).includes(key)) input[key] = value;
        else env.problem('SCALER_POLICIES', `unknown key ${quote(key)}; allowed: ${POLICY_JSON_KEYS.join(', ')}`);
      }
      // A path that a set variable also sets would be overridden without a word: one of the two values is lost.
      for (const [path, variable] of Object.entries(CORE_OPTION_VARIABLES)) {
        const [key, field] = path.split('.');
        if (field === undefined || !env.has(variable)) continue;
        const section = input[key as string];
        if (typeof section === 'object' && section !== null && field in section) {
          env.problem(`SCALER_POLICIES (${path})`, `is also set by ${variable}, which would win; set it in one place`);
        }
      }
    }
  }

  const agentsPerInstance = env.number('AGENTS_PER_INSTANCE', 1, integer, 'a whole number');
  if (!env.has('AGENTS_PER_INSTANCE'))
    env.problem('AGENTS_PER_INSTANCE', 'is required: agents started per instance, e.g. 1');
  Object.assign(input, {
    // Buildkite tolerates ≤ 0 as "one instance per agent"; scaler-core spells that 0.
    agentsPerInstance: Math.max(0, agentsPerInstance),
    includeWaiting: env.bool('INCLUDE_WAITING', false),
    instanceBuffer: env.number('INSTANCE_BUFFER', 0, nonNegativeInteger, 'a whole number ≥ 0'),
    maxInstanceCap: env.number('MAX_INSTANCE_CAP', 0, nonNegativeInteger, 'a whole number ≥ 0 (0 = no cap)'),
    availabilityThreshold: env.ratio('AVAILABILITY_THRESHOLD', 0.5, RATIO_RANGES.AVAILABILITY_THRESHOLD),
    scaleOutFactor: buildkiteFactor(env.ratio('SCALE_OUT_FACTOR', 0, RATIO_RANGES.SCALE_OUT_FACTOR)),
    scaleInFactor: buildkiteFactor(env.ratio('SCALE_IN_FACTOR', 0, RATIO_RANGES.SCALE_IN_FACTOR)),
    scaleOutCooldownSec:
      env.durationMs('SCALE_OUT_COOLDOWN_PERIOD', 0, DURATION_RANGES.SCALE_OUT_COOLDOWN_PERIOD) / 1000,
    scaleInCooldownSec:
      env.durationMs(
        'SCALE_IN_COOLDOWN_PERIOD',
        elasticCiMode ? HOUR_MS : 0,
        DURATION_RANGES.SCALE_IN_COOLDOWN_PERIOD,
      ) / 1000,
    scaleOnlyAfterAllEvent: env.bool('SCALE_ONLY_AFTER_ALL_EVENT', false),
    disableScaleOut: env.bool('DISABLE_SCALE_OUT', false),
    disableScaleIn: env.bool('DISABLE_SCALE_IN', false),
    elasticCiMode,
  });
  if (env.has('STALE_METRICS_AFTER')) {
    const staleAfterMs = env.durationMs('STALE_METRICS_AFTER', 0, DURATION_RANGES.STALE_METRICS_AFTER);
    if (staleAfterMs > 0 && staleAfterMs < MIN_STALE_METRICS_AFTER_MS) {
      const { max, why } = DURATION_RANGES.STALE_METRICS_AFTER;
      env.problem(
        'STALE_METRICS_AFTER',
        `must be 0 or between ${formatDurationMs(MIN_STALE_METRICS_AFTER_MS)} and ${formatDurationMs(max)} (${why})`,
      );
    }
    input.staleMetricsAfterSec = staleAfterMs / 1000;
  }

  const nested = (key: string, values: Record<string, unknown>) => {
    const defined = Object.entries(values).filter(([, value]) => value !== undefined);
    if (defined.length === 0) return;
    const fromJson = input[key];
    // A JSON value that is no object stays as it is, so scaler-core refuses it: merged, it would vanish unreported.
    if (fromJson !== undefined && (typeof fromJson !== 'object' || fromJson === null || Array.isArray(fromJson)))
      return;
    input[key] = { ...(fromJson as object | undefined), ...Object.fromEntries(defined) };
  };
  const optionalDurationSec = (variable: 'SCALE_IN_MIN_RUNNING_TIME' | 'SCALE_IN_MIN_IDLE') =>
    env.has(variable) ? env.durationMs(variable, 0, DURATION_RANGES[variable]) / 1000 : undefined;
  const optionalNumber = (variable: string, schema: z.ZodNumber, expectation: string) =>
    env.has(variable) ? env.number(variable, 0, schema, expectation) : undefined;
  const optionalBool = (variable: string) => (env.has(variable) ? env.bool(variable, false) : undefined);
  nested('scaleIn', {
    strategy: env.string('SCALE_IN_STRATEGY'),
    order: env.string('SCALE_IN_ORDER'),
    minRunningTimeSec: optionalDurationSec('SCALE_IN_MIN_RUNNING_TIME'),
    minIdleSec: optionalDurationSec('SCALE_IN_MIN_IDLE'),
  });
  nested('idlePool', {
    idleCount: optionalNumber('IDLE_COUNT', nonNegativeInteger, 'a whole number ≥ 0'),
    idleScaleFactor: env.has('IDLE_SCALE_FACTOR')
      ? env.ratio('IDLE_SCALE_FACTOR', 0, RATIO_RANGES.IDLE_SCALE_FACTOR)
      : undefined,
    idleCountMin: optionalNumber('IDLE_COUNT_MIN', nonNegativeInteger, 'a whole number ≥ 0'),
  });
  nested('growthThrottle', {
    launchesPerSec: optionalNumber('GROWTH_THROTTLE_LAUNCHES_PER_SEC', nonNegativeNumber, 'a number > 0'),
    burst: optionalNumber('GROWTH_THROTTLE_BURST', nonNegativeInteger, 'a whole number > 0'),
  });
  nested('warmPool', {
    enabled: optionalBool('WARM_POOL_ENABLED'),
    minSize: optionalNumber('WARM_POOL_MIN_SIZE', nonNegativeInteger, 'a whole number ≥ 0'),
    prepareForWaitingJobs: optionalBool('WARM_POOL_PREPARE_FOR_WAITING_JOBS'),
  });
  return input as ScalerConfigInput;
}

function variableForCorePath(path: string): string {
  // `scaleIn.minIdleSec` → SCALE_IN_MIN_IDLE; `idlePool.periods[0].cron` → SCALER_POLICIES (idlePool.periods[0].cron)
  const segments = path.split('.');
  for (let length = segments.length; length > 0; length -= 1) {
    const variable = CORE_OPTION_VARIABLES[segments.slice(0, length).join('.')];
    if (variable) return variable;
  }
  return path === '' ? 'SCALER_POLICIES' : `SCALER_POLICIES (${path})`;
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * Parses the Lambda's environment. Throws one {@link ConfigurationError} naming every bad variable.
 * `requireWebhook` makes `WEBHOOK_SECRET_SSM_KEY` mandatory (the function-URL handler).
 */
export function parseAgentScalerConfig(
  environment: Environment,
  options: { requireWebhook?: boolean } = {},
): AgentScalerConfig {
  const env = new EnvironmentReader(environment);

  const queue = env.requiredString('BUILDKITE_QUEUE', 'the Buildkite queue this group serves, e.g. default');
  const groupName = env.requiredString('ASG_NAME', 'the Auto Scaling group to scale');
  if (env.has('BUILDKITE_AGENT_TOKEN')) {
    env.problem(
      'BUILDKITE_AGENT_TOKEN',
      'plain-text tokens are refused (anyone with lambda:GetFunctionConfiguration can read them); store the token as an SSM SecureString and set BUILDKITE_AGENT_TOKEN_SSM_KEY',
    );
  }
  const agentTokenParameter = env.requiredString(
    'BUILDKITE_AGENT_TOKEN_SSM_KEY',
    'name or ARN of the SSM SecureString holding the agent token',
  );

  const agentEndpoint = env.string('BUILDKITE_AGENT_ENDPOINT') ?? DEFAULT_AGENT_ENDPOINT;
  try {
    const url = new URL(agentEndpoint);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
      env.problem('BUILDKITE_AGENT_ENDPOINT', 'must use https:// (the agent token is sent with every request)');
    }
    // fetch refuses such a URL, and every failed request's log line names the URL: the credentials with it.
    if (url.username !== '' || url.password !== '') {
      env.problem(
        'BUILDKITE_AGENT_ENDPOINT',
        'must not contain a user name or password (the agent token comes from BUILDKITE_AGENT_TOKEN_SSM_KEY)',
      );
    }
  } catch {
    env.problem('BUILDKITE_AGENT_ENDPOINT', `must be a URL like ${DEFAULT_AGENT_ENDPOINT}`);
  }

  const requestTimeoutMs = env.durationMs(
    'BUILDKITE_API_TIMEOUT',
    MAX_REQUEST_TIMEOUT_MS,
    DURATION_RANGES.BUILDKITE_API_TIMEOUT,
  );
  const pollIntervalMs = env.durationMs('LAMBDA_INTERVAL', 10_000, DURATION_RANGES.LAMBDA_INTERVAL);
  const lambdaTimeoutMs = env.durationMs('LAMBDA_TIMEOUT', -1, DURATION_RANGES.LAMBDA_TIMEOUT, {
    negativeMeansUnset: true,
  });
  const maxActivityPages = env.number(
    'MAX_DESCRIBE_SCALING_ACTIVITIES_PAGES',
    -1,
    integer,
    'a whole number (-1 = no limit)',
  );
  const replayWindowMs = env.durationMs('WEBHOOK_REPLAY_WINDOW', 300_000, DURATION_RANGES.WEBHOOK_REPLAY_WINDOW);
  const activityScanTimeoutMs = env.durationMs('ASG_ACTIVITY_TIMEOUT', 10_000, DURATION_RANGES.ASG_ACTIVITY_TIMEOUT);

  const webhookSecretParameter = env.string('WEBHOOK_SECRET_SSM_KEY');
  if (options.requireWebhook && webhookSecretParameter === undefined) {
    env.problem(
      'WEBHOOK_SECRET_SSM_KEY',
      'is required by the webhook handler: SSM SecureString with the webhook token',
    );
  }

  const lease = readLeaseConfig(env, { requestTimeoutMs, activityScanTimeoutMs });
  const zombieCheck = readZombieCheckConfig(env);

  const partial = {
    queue,
    groupName,
    agentTokenParameter,
    agentEndpoint,
    userAgent: `elastic-ci-agent-scaler/${packageJson.version}`,
    requestTimeoutMs,
    pollIntervalMs,
    invocationBudgetMs: lambdaTimeoutMs >= 0 ? lambdaTimeoutMs : undefined,
    deadlineMarginMs: env.durationMs('LAMBDA_DEADLINE_MARGIN', 5_000, DURATION_RANGES.LAMBDA_DEADLINE_MARGIN),
    // Negative: no jitter, as in Buildkite's scaler.
    startupJitterMaxMs: env.durationMs('LAMBDA_STARTUP_JITTER_MAX', 0, DURATION_RANGES.LAMBDA_STARTUP_JITTER_MAX, {
      negativeMeansUnset: true,
    }),
    activityScanTimeoutMs,
    // Buildkite's off-by-one (N pages means N−1) is not copied: N means N.
    maxActivityPages: maxActivityPages >= 0 ? maxActivityPages : undefined,
    publishMetrics: env.bool('CLOUDWATCH_METRICS', true),
    stateParameter: readStateParameter(env),
    webhook: {
      secretParameter: webhookSecretParameter,
      replayWindowSec: replayWindowMs / 1000,
      allowTokenHeader: env.bool('WEBHOOK_ALLOW_TOKEN_HEADER', true),
    },
    lease,
    zombieCheck,
  };

  const scalerInput = readScalerInput(env);
  let scaler: ScalerConfig | undefined;
  try {
    scaler = parseScalerConfig(scalerInput);
  } catch (error) {
    if (!(error instanceof ScalerConfigError)) throw error;
    for (const issue of error.issues.map(withoutLongValues)) {
      env.problem(variableForCorePath(issue.path), issue.message);
    }
  }
  if (env.issues.length > 0 || scaler === undefined) throw new ConfigurationError(dedupe(env.issues));
  return { ...partial, scaler };
}

function readStateParameter(env: EnvironmentReader): string | undefined {
  const name = env.string('SCALER_STATE_PARAMETER');
  if (name === undefined || writableParameterName.safeParse(name).success) return name;
  return env.problem(
    'SCALER_STATE_PARAMETER',
    `must be an SSM parameter name, e.g. /buildkite/scaler-state (A-Z a-z 0-9 _ . -, a path with its leading /), not an ARN: the state is written with PutParameter, which takes names only; got ${quote(name)}`,
  );
}

function readLeaseConfig(
  env: EnvironmentReader,
  pass: { requestTimeoutMs: number; activityScanTimeoutMs: number },
): ScalingLeaseConfig | undefined {
  const tableName = env.string('SCALER_LOCK_TABLE');
  const ttlMs = env.durationMs('SCALER_LOCK_TTL', DEFAULT_LEASE_TTL_MS, DURATION_RANGES.SCALER_LOCK_TTL);
  const webhookWaitMs = env.durationMs('SCALER_LOCK_WAIT', 10_000, DURATION_RANGES.SCALER_LOCK_WAIT);
  if (tableName === undefined) {
    for (const variable of ['SCALER_LOCK_TTL', 'SCALER_LOCK_WAIT']) {
      if (env.has(variable)) env.problem(variable, 'has no effect without SCALER_LOCK_TABLE; set both or neither');
    }
    return undefined;
  }
  if (!dynamoDbTable.safeParse(tableName).success) {
    env.problem(
      'SCALER_LOCK_TABLE',
      `must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -) or table ARN, got ${quote(tableName)}`,
    );
  }
  // A pass that uses both of its timeouts in full must still reach its act deadline, 5s before the lease ends.
  const slowestPassMs = pass.requestTimeoutMs + pass.activityScanTimeoutMs + LEASE_ACT_MARGIN_MS;
  if (ttlMs >= MIN_LEASE_TTL_MS && ttlMs <= slowestPassMs) {
    env.problem(
      'SCALER_LOCK_TTL',
      `must be more than ${formatDurationMs(slowestPassMs)} (BUILDKITE_API_TIMEOUT + ASG_ACTIVITY_TIMEOUT + the 5s act margin), got ${formatDurationMs(ttlMs)}`,
    );
  }
  return { tableName, ttlMs, webhookWaitMs };
}

function readZombieCheckConfig(env: EnvironmentReader): ZombieCheckConfig | undefined {
  const enabled = env.bool('ZOMBIE_CHECK', false);
  const gracePeriodMs = env.durationMs(
    'ZOMBIE_GRACE_PERIOD',
    DEFAULT_ZOMBIE_GRACE_PERIOD_MS,
    DURATION_RANGES.ZOMBIE_GRACE_PERIOD,
  );
  const { min, max, why } = ZOMBIE_MAX_PER_PASS_RANGE;
  const maxPerPass = env.number(
    'ZOMBIE_MAX_PER_PASS',
    DEFAULT_ZOMBIE_MAX_PER_PASS,
    z.number().int().min(min).max(max),
    `a whole number between ${min} and ${max} (${why})`,
  );
  if (enabled) return { gracePeriodMs, maxPerPass };
  for (const variable of ['ZOMBIE_GRACE_PERIOD', 'ZOMBIE_MAX_PER_PASS']) {
    if (env.has(variable)) env.problem(variable, 'has no effect without ZOMBIE_CHECK=true; set both or neither');
  }
  return undefined;
}

function dedupe(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.variable}\n${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
