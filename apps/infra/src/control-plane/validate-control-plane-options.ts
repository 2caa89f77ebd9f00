import { parseScalerConfig, ScalerConfigError } from '@elastic-ci/scaler-core';
import { Token } from 'aws-cdk-lib';
import { AGENT_FLEET_DEFAULTS } from '../agent-fleet/agent-fleet-defaults';
import type { ControlPlaneOptions, ElasticCiStackProps } from '../elastic-ci-stack-props';
import { SCALING_PROFILES } from '../scaling-profile';
import { agentTokenProblems } from './agent-token';
import { deploysScaler } from './scaler-policy-environment';

/** Retention values CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The structured policies `SCALER_POLICIES` may carry (agent-scaler's `POLICY_JSON_KEYS`). */
export const SCALER_POLICY_KEYS = [
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

const IAM_POLICY_ARN = /^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]{1,512}$/;
const SSM_PARAMETER = /^\/[a-zA-Z0-9_.\-/]+$|^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/[a-zA-Z0-9_.\-/]+$/;
const quoted = (value: unknown): string => JSON.stringify(value);

function range(
  name: keyof ControlPlaneOptions,
  value: number | undefined,
  minimum: number,
  maximum: number,
  options: { integer?: boolean; exclusiveMinimum?: boolean } = {},
): string[] {
  if (value === undefined || Token.isUnresolved(value)) return [];
  const integer = options.integer ?? true;
  const aboveMinimum = options.exclusiveMinimum ? value > minimum : value >= minimum;
  if (Number.isFinite(value) && (!integer || Number.isInteger(value)) && aboveMinimum && value <= maximum) return [];
  const kind = integer ? 'a whole number' : 'a number';
  const lower = options.exclusiveMinimum ? `more than ${minimum}` : `from ${minimum}`;
  return [
    `${name} is ${value}; it must be ${kind} ${lower} ${options.exclusiveMinimum ? 'and at most' : 'to'} ${maximum}`,
  ];
}

/**
 * The policies' values as the scaler reads them (scaler-core's own schema, which agent-scaler parses
 * `SCALER_POLICIES` with at every cold start): a value it refuses would deploy a scaler that fails on every
 * invocation, so it is refused here, at synth.
 */
function scalerPolicyValueProblems(policies: Readonly<Record<string, unknown>>): string[] {
  const known = Object.fromEntries(
    Object.entries(policies).filter(([key]) => (SCALER_POLICY_KEYS as readonly string[]).includes(key)),
  );
  try {
    parseScalerConfig(known);
    return [];
  } catch (error) {
    if (!(error instanceof ScalerConfigError)) throw error;
    return error.issues.map((issue) => `scalerPolicies.${issue.path} is refused by the scaler: ${issue.message}`);
  }
}

/**
 * Every problem with the control-plane options (lowercase, naming the option, the bad value and what is allowed);
 * empty when valid. The fleet's options are checked by the fleet's own validator; the stack joins both lists.
 */
export function validateControlPlaneOptions(props: ElasticCiStackProps): string[] {
  const problems = [
    ...agentTokenProblems(props),
    ...range('scaleOutFactor', props.scaleOutFactor, 0, 100, { integer: false, exclusiveMinimum: true }),
    ...range('scaleInFactor', props.scaleInFactor, 0, 100, { integer: false, exclusiveMinimum: true }),
    ...range('scaleOutCooldownSec', props.scaleOutCooldownSec, 0, 86_400),
    ...range('scaleInCooldownSec', props.scaleInCooldownSec, 0, 86_400),
    ...range('instanceBuffer', props.instanceBuffer, 0, 10_000),
    ...range('maxInstanceCap', props.maxInstanceCap, 0, 10_000),
    ...range('availabilityThreshold', props.availabilityThreshold, 0, 1, { integer: false }),
    ...range('staleMetricsAfterSec', props.staleMetricsAfterSec, 1, 3600),
    ...range('scaleInMinRunningTimeSec', props.scaleInMinRunningTimeSec, 0, 86_400),
    ...range('idleAgentCount', props.idleAgentCount, 0, 10_000),
    ...range('growthThrottleLaunchesPerSec', props.growthThrottleLaunchesPerSec, 0, 1000, {
      integer: false,
      exclusiveMinimum: true,
    }),
    ...range('growthThrottleBurst', props.growthThrottleBurst, 1, 10_000),
    ...range('scalerScheduleIntervalSec', props.scalerScheduleIntervalSec, 60, 3600),
    ...range('scalerPollIntervalSec', props.scalerPollIntervalSec, 1, 300),
    ...range('scalerInvocationBudgetSec', props.scalerInvocationBudgetSec, 10, 830),
    ...range('scalerStartupJitterMaxSec', props.scalerStartupJitterMaxSec, 0, 60),
    ...range('scalerLeaseTtlSec', props.scalerLeaseTtlSec, 10, 900),
    ...range('scalerLeaseWaitSec', props.scalerLeaseWaitSec, 0, 25),
    ...range('webhookReplayWindowSec', props.webhookReplayWindowSec, 1, 3600),
    ...range('webhookReservedConcurrency', props.webhookReservedConcurrency, 1, 1000),
    ...range('stopAgentsDrainTimeoutSec', props.stopAgentsDrainTimeoutSec, 60, 3540),
    ...range('stopAgentsPollIntervalSec', props.stopAgentsPollIntervalSec, 5, 300),
  ];
  const interval = props.scalerScheduleIntervalSec;
  if (interval !== undefined && !Token.isUnresolved(interval) && interval % 60 !== 0) {
    problems.push(
      `scalerScheduleIntervalSec is ${interval}; it must be a multiple of 60 (EventBridge rates are whole minutes)`,
    );
  }
  const profile = props.scalingProfile;
  if (profile !== undefined && !(SCALING_PROFILES as readonly string[]).includes(profile)) {
    problems.push(`scalingProfile is ${quoted(profile)}; it must be one of ${SCALING_PROFILES.join(', ')}`);
  }
  if (props.growthThrottleBurst !== undefined && props.growthThrottleLaunchesPerSec === undefined) {
    problems.push('growthThrottleBurst needs growthThrottleLaunchesPerSec');
  }
  if (props.scalerPollIntervalSec !== undefined && props.scalerInvocationBudgetSec !== undefined) {
    if (props.scalerPollIntervalSec > props.scalerInvocationBudgetSec) {
      problems.push(
        `scalerPollIntervalSec ${props.scalerPollIntervalSec} is longer than scalerInvocationBudgetSec ${props.scalerInvocationBudgetSec}; one invocation would poll once at most`,
      );
    }
  }
  if (props.scaleInOrder !== undefined && props.scaleInStrategy !== 'drain') {
    problems.push(`scaleInOrder ${quoted(props.scaleInOrder)} applies only with scaleInStrategy "drain"`);
  }
  if (props.scaleInStrategy === 'drain' && (props.disableScaleIn ?? true)) {
    problems.push('scaleInStrategy "drain" needs disableScaleIn: false (the scaler never scales in otherwise)');
  }
  if (props.warmPoolScalerManaged === true && props.warmPoolEnabled !== true) {
    problems.push("warmPoolScalerManaged needs warmPoolEnabled: true (the scaler sizes the fleet's warm pool)");
  }
  if (props.warmPoolPrepareForWaitingJobs === true && props.warmPoolEnabled !== true) {
    problems.push('warmPoolPrepareForWaitingJobs needs warmPoolEnabled: true');
  }
  if (props.scalerPolicies !== undefined) {
    const unknown = Object.keys(props.scalerPolicies).filter(
      (key) => !(SCALER_POLICY_KEYS as readonly string[]).includes(key),
    );
    if (unknown.length > 0) {
      problems.push(
        `scalerPolicies has unknown key${unknown.length === 1 ? '' : 's'} ${unknown.map((key) => quoted(key)).join(', ')}; allowed: ${SCALER_POLICY_KEYS.join(', ')}`,
      );
    }
    problems.push(...scalerPolicyValueProblems(props.scalerPolicies));
  }
  problems.push(...zombieCheckProblems(props));
  if (props.webhookEnabled !== true) {
    for (const name of [
      'webhookSecretParameterName',
      'webhookAllowTokenHeader',
      'webhookReplayWindowSec',
      'webhookReservedConcurrency',
    ] as const) {
      if (props[name] !== undefined) problems.push(`${name} has no effect without webhookEnabled: true`);
    }
  }
  if (props.webhookEnabled === true && !deploysScaler(props)) {
    // The webhook is a scaler function: without the scaler there would be no function and no WebhookUrl output.
    problems.push(
      'webhookEnabled needs the scaler, which a fixed-size fleet (minSize equal to maxSize) does not deploy; set maxSize above minSize or leave the webhook off',
    );
  }
  const webhookSecret = props.webhookSecretParameterName;
  if (webhookSecret !== undefined && !Token.isUnresolved(webhookSecret) && !SSM_PARAMETER.test(webhookSecret)) {
    problems.push(
      // Not quoted: the webhook token itself pasted here must not end up in CI logs.
      "webhookSecretParameterName must be an SSM parameter path (/path/name) or ARN (the value is not shown: if it is the webhook token itself, store it in a SecureString and give that parameter's path)",
    );
  }
  const instanceBroker: unknown = props.instanceBroker;
  if (instanceBroker !== undefined && typeof instanceBroker !== 'boolean') {
    // A string "false" from untyped JavaScript would otherwise deploy the broker: it is truthy.
    problems.push(`instanceBroker is ${quoted(instanceBroker)}; it must be true or false`);
  }
  if (props.stopAgentsEnabled === false) {
    for (const name of [
      'stopAgentsDrainTimeoutSec',
      'stopAgentsPollIntervalSec',
      'stopAgentsOnDrainTimeout',
    ] as const) {
      if (props[name] !== undefined) problems.push(`${name} has no effect with stopAgentsEnabled: false`);
    }
  }
  const retention = props.logRetentionDays;
  if (retention !== undefined && !(LOG_RETENTION_DAYS as readonly number[]).includes(retention)) {
    problems.push(`logRetentionDays is ${retention}; it must be one of ${LOG_RETENTION_DAYS.join(', ')}`);
  }
  for (const [name, arn] of [
    ['rolePermissionsBoundaryArn', props.rolePermissionsBoundaryArn],
    ...(props.scalerManagedPolicyArns ?? []).map((value) => ['scalerManagedPolicyArns entry', value] as const),
  ] as const) {
    if (arn !== undefined && !Token.isUnresolved(arn) && !IAM_POLICY_ARN.test(arn)) {
      problems.push(`${name} is ${quoted(arn)}; it must be an IAM policy ARN (arn:aws:iam::<account>:policy/<name>)`);
    }
  }
  const endpoint = props.agentEndpoint;
  if (endpoint !== undefined && !Token.isUnresolved(endpoint)) {
    let secure = false;
    try {
      secure = new URL(endpoint).protocol === 'https:';
    } catch {
      secure = false;
    }
    if (!secure) {
      problems.push(
        `agentEndpoint is ${quoted(endpoint)}; it must be an https:// URL (the agent token goes with every request)`,
      );
    }
  }
  return problems;
}

/** agent-scaler's `ZOMBIE_GRACE_PERIOD` range (5m–24h) and `ZOMBIE_MAX_PER_PASS` range (1–20). */
export const ZOMBIE_GRACE_PERIOD_RANGE_SEC = { min: 300, max: 86_400 } as const;
export const ZOMBIE_MAX_INSTANCES_PER_PASS_RANGE = { min: 1, max: 20 } as const;

function zombieCheckProblems(props: ElasticCiStackProps): string[] {
  const problems = range(
    'zombieMaxInstancesPerPass',
    props.zombieMaxInstancesPerPass,
    ZOMBIE_MAX_INSTANCES_PER_PASS_RANGE.min,
    ZOMBIE_MAX_INSTANCES_PER_PASS_RANGE.max,
  );
  const grace = props.zombieGracePeriod;
  if (grace !== undefined && !grace.isUnresolved()) {
    const seconds = grace.toMilliseconds() / 1000;
    const { min, max } = ZOMBIE_GRACE_PERIOD_RANGE_SEC;
    if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
      problems.push(
        `zombieGracePeriod is ${seconds} s; it must be whole seconds from ${min} (5 min: shorter replaces instances still booting) to ${max} (24 h)`,
      );
    }
  }
  if (props.zombieCheckEnabled !== true) {
    for (const name of ['zombieGracePeriod', 'zombieMaxInstancesPerPass'] as const) {
      if (props[name] !== undefined) problems.push(`${name} has no effect without zombieCheckEnabled: true`);
    }
  } else if ((props.minSize ?? AGENT_FLEET_DEFAULTS.minSize) === (props.maxSize ?? AGENT_FLEET_DEFAULTS.maxSize)) {
    problems.push(
      'zombieCheckEnabled needs the scaler, which a fixed-size fleet (minSize equal to maxSize) does not deploy',
    );
  }
  return problems;
}
