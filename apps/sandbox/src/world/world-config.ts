/**
 * The sandbox world in WORLD seconds, and the stack config (apps/infra's typed config file) it becomes: every duration
 * the product sees is the world duration divided by the time scale, so product code runs on its real clock.
 */
export interface WorldSettings {
  /** Stack name of the synthesized template. @default 'elastic-ci-sandbox' */
  readonly stackName?: string;
  /** @default 'sandbox' */
  readonly queue?: string;
  /** Simulated boot: launch → agent started, world seconds (not product code: the host waits this/timeScale). @default 60 */
  readonly bootDelaySec?: number;
  /** A warm-pool instance taken into service: start → agent started, world seconds (its first boot ran in the pool). @default 20 */
  readonly warmPoolResumeDelaySec?: number;
  /**
   * The stack config, in the typed config file's shape (apps/infra `stackConfigSchema`) with durations in WORLD
   * seconds: every numeric field whose name ends in `Sec` is divided by the time scale (see {@link REAL_TIME_FIELDS}
   * for the exceptions). Merged over {@link DEFAULT_WORLD_CONFIG}.
   */
  readonly config?: Readonly<Record<string, unknown>>;
}

/**
 * The world `make demo` runs unless told otherwise: the product's documented defaults, except what a sandbox must set
 * (queue, token and webhook secret parameters the sandbox creates, a created VPC) and a group small enough for one
 * machine.
 */
export const DEFAULT_WORLD_CONFIG: Readonly<Record<string, unknown>> = {
  buildkite: {
    queue: 'sandbox',
    idleTimeoutSec: 600,
    webhook: { enabled: true },
  },
  scaling: { minSize: 0, maxSize: 10 },
  instances: { types: ['c7g.large'], architecture: 'arm64' },
  network: { vpcCidr: '10.0.0.0/16' },
};

/**
 * `…Sec` fields that are not durations of the simulated world: the webhook replay window is compared with real
 * signature timestamps, and the EventBridge rate must stay a whole number of minutes (the sandbox runs the schedule
 * itself at rate / timeScale).
 */
export const REAL_TIME_FIELDS: ReadonlySet<string> = new Set(['replayWindowSec', 'scheduleIntervalSec']);

/**
 * Smallest values apps/infra accepts (its option validators): a scaled duration below is raised to it, and the
 * raise is reported (the report names these distortions).
 */
export const PRODUCT_MINIMUM_SEC: Readonly<Record<string, number>> = {
  invocationBudgetSec: 10,
  // agent-scaler's own rule (stricter than apps/infra's 10): more than BUILDKITE_API_TIMEOUT (5 s) +
  // ASG_ACTIVITY_TIMEOUT (10 s) + 5 s, or the scaler's cold start fails.
  leaseTtlSec: 21,
  stopAgentsDrainTimeoutSec: 60,
  stopAgentsPollIntervalSec: 5,
  drainTimeoutSec: 60,
  terminationGracePeriodSec: 30,
  gracePeriodSec: 300,
  staleMetricsAfterSec: 10,
};

export interface ClampedDuration {
  readonly field: string;
  readonly worldSec: number;
  readonly scaledSec: number;
  readonly usedSec: number;
}

export interface RenderedStackConfig {
  readonly stackName: string;
  readonly config: Record<string, unknown>;
  /** Durations the product could not take at full compression. */
  readonly clamped: readonly ClampedDuration[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge of plain objects; arrays and scalars of `over` replace. */
export function mergeConfig(base: Readonly<Record<string, unknown>>, over: Readonly<Record<string, unknown>>) {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = merged[key];
    merged[key] = isRecord(current) && isRecord(value) ? mergeConfig(current, value) : value;
  }
  return merged;
}

/**
 * The real seconds the sandbox deploys for a world duration in a `…Sec` field named `key`: divided by the time scale,
 * rounded to whole seconds, at least 1 and at least the product's minimum for that field. Times `timeScale`, this is
 * the world duration the fleet actually runs with, which a prediction of the same world must use too.
 */
export function scaledDurationSec(key: string, worldSec: number, timeScale: number): number {
  const minimum = Math.max(1, PRODUCT_MINIMUM_SEC[key] ?? 1);
  return Math.max(minimum, Math.round(worldSec / timeScale));
}

function scaleDurations(
  value: Record<string, unknown>,
  timeScale: number,
  path: string,
  clamped: ClampedDuration[],
): Record<string, unknown> {
  const scaled: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const field = path === '' ? key : `${path}.${key}`;
    if (isRecord(inner)) {
      scaled[key] = scaleDurations(inner, timeScale, field, clamped);
    } else if (typeof inner === 'number' && key.endsWith('Sec') && !REAL_TIME_FIELDS.has(key) && inner > 0) {
      const exact = inner / timeScale;
      const used = scaledDurationSec(key, inner, timeScale);
      if (used > Math.max(1, Math.round(exact))) {
        clamped.push({ field, worldSec: inner, scaledSec: exact, usedSec: used });
      }
      scaled[key] = used;
    } else {
      scaled[key] = inner;
    }
  }
  return scaled;
}

/**
 * The config file the sandbox synthesizes: the world's config with every duration divided by `timeScale` (whole
 * seconds, at least 1 or the product's minimum), plus the parameters the sandbox provides (agent token and webhook
 * secret as SSM SecureStrings it creates in moto). `productDefaults` are the product's own default durations in the
 * config's shape (read from apps/infra by {@link productDefaultDurations}): a duration the world leaves unset runs at its
 * product default in WORLD time, so it is scaled like the others instead of reaching the product unscaled.
 */
export function renderStackConfig(
  world: WorldSettings,
  timeScale: number,
  productDefaults: Readonly<Record<string, unknown>> = {},
): RenderedStackConfig {
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
    throw new RangeError(`timeScale must be a positive number of world seconds per real second, got ${timeScale}`);
  }
  const stackName = world.stackName ?? 'elastic-ci-sandbox';
  const worldConfig = mergeConfig(mergeConfig(productDefaults, DEFAULT_WORLD_CONFIG), world.config ?? {});
  const queue = world.queue ?? (isRecord(worldConfig.buildkite) ? worldConfig.buildkite.queue : undefined);
  const clamped: ClampedDuration[] = [];
  const scaled = scaleDurations(worldConfig, timeScale, '', clamped);
  const buildkite = isRecord(worldConfig.buildkite) ? worldConfig.buildkite : {};
  const webhookEnabled = isRecord(buildkite.webhook) && buildkite.webhook.enabled === true;
  const provided = {
    stackName,
    buildkite: {
      queue: queue ?? 'sandbox',
      agentToken: { parameterName: sandboxParameterNames(stackName).agentToken },
      ...(webhookEnabled ? { webhook: { secretParameterName: sandboxParameterNames(stackName).webhookSecret } } : {}),
    },
  };
  return { stackName, config: mergeConfig(scaled, provided), clamped };
}

/** The SSM SecureStrings the sandbox creates before anything reads them (what an operator creates before deploying). */
export function sandboxParameterNames(stackName: string) {
  return { agentToken: `/${stackName}/agent-token`, webhookSecret: `/${stackName}/webhook-secret` };
}

/** The defaults apps/infra exports (`CONTROL_PLANE_DEFAULTS`, `AGENT_FLEET_DEFAULTS`), as far as the sandbox reads them. */
export interface InfraDefaults {
  readonly CONTROL_PLANE_DEFAULTS: Readonly<Record<string, unknown>>;
  readonly AGENT_FLEET_DEFAULTS: Readonly<Record<string, unknown>>;
}

/**
 * The product's default durations, in the config file's shape and units, from the defaults apps/infra exports (not a
 * copy): each is a world duration the sandbox scales.
 */
export function productDefaultDurations(infra: InfraDefaults): Record<string, unknown> {
  const controlPlane = infra.CONTROL_PLANE_DEFAULTS;
  const fleet = infra.AGENT_FLEET_DEFAULTS;
  const number = (value: unknown) => (typeof value === 'number' ? value : undefined);
  const seconds = (value: unknown) =>
    typeof value === 'object' && value !== null && 'toSeconds' in value && typeof value.toSeconds === 'function'
      ? (value.toSeconds() as number)
      : undefined;
  const defined = (entries: Record<string, number | undefined>) =>
    Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined));
  return {
    scaling: defined({
      scaleOutCooldownSec: number(controlPlane.scaleOutCooldownSec),
      scaleInCooldownSec: number(controlPlane.scaleInCooldownSec),
      pollIntervalSec: number(controlPlane.scalerPollIntervalSec),
      invocationBudgetSec: number(controlPlane.scalerInvocationBudgetSec),
      leaseTtlSec: number(controlPlane.scalerLeaseTtlSec),
      leaseWaitSec: number(controlPlane.scalerLeaseWaitSec),
    }),
    instances: defined({ terminationGracePeriodSec: seconds(fleet.terminationGracePeriod) }),
    controlPlane: defined({
      stopAgentsDrainTimeoutSec: number(controlPlane.stopAgentsDrainTimeoutSec),
      stopAgentsPollIntervalSec: number(controlPlane.stopAgentsPollIntervalSec),
    }),
  };
}
