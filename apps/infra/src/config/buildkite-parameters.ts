import { Aws } from 'aws-cdk-lib';
import { StackConfigError } from './stack-config-error.js';
import { checkStackConfig, issuePath, refusedField, type StackConfig, withoutFields } from './stack-config-schema.js';

/**
 * A Buildkite Elastic CI Stack parameter file, accepted unchanged: every parameter of Buildkite's template (all 126,
 * `BUILDKITE_STACK_PARAMETERS`) has a rule here, which either maps it onto our typed config, accepts it because our
 * behaviour already covers it, or refuses it with the reason. Unknown names are refused. Every problem of a file is
 * collected and thrown in one `StackConfigError`.
 *
 * Values are Buildkite's: `"true"`/`"false"` strings, comma lists, Go durations. A value Buildkite accepts that we do
 * not (Windows, a `file://` env URL, an `st1` root volume …) is refused naming the parameter. The agent token's value
 * is never read into the config and never printed: a file that carries it gets `fromDeployParameter`, and the token
 * is passed at deploy time.
 */

/** Every parameter of Buildkite's `aws-stack.yml` (v6), in the order of its documentation. */
export const BUILDKITE_STACK_PARAMETERS = [
  'BuildkiteAgentToken',
  'BuildkiteAgentTokenParameterStorePath',
  'BuildkiteAgentTokenParameterStoreKMSKey',
  'BuildkiteQueue',
  'AgentEndpoint',
  'BuildkiteAgentRelease',
  'BuildkiteAgentTags',
  'BuildkiteAgentTimestampLines',
  'BuildkiteAgentExperiments',
  'BuildkiteAgentEnableGitMirrors',
  'GitMirrorSeedBucket',
  'BuildkiteAgentTracingBackend',
  'BuildkiteAgentCancelGracePeriod',
  'BuildkiteAgentSignalGracePeriod',
  'AgentsPerInstance',
  'BuildkiteAdditionalSudoPermissions',
  'AgentEnvFileUrl',
  'BootstrapScriptUrl',
  'PipelineSigningKMSKeyId',
  'PipelineSigningKMSKeySpec',
  'PipelineSigningKMSAccess',
  'PipelineSigningVerificationFailureBehavior',
  'BuildkiteAgentSigningKeySSMParameter',
  'BuildkiteAgentSigningKeyID',
  'BuildkiteAgentVerificationKeySSMParameter',
  'MinSize',
  'MaxSize',
  'InstanceBuffer',
  'DisableScaleIn',
  'InstanceScaleInProtection',
  'ScaleOutFactor',
  'ScaleOutCooldownPeriod',
  'ScaleInCooldownPeriod',
  'ScaleInIdlePeriod',
  'ScaleOutForWaitingJobs',
  'ScalerEventSchedulePeriod',
  'ScalerEventScheduleJitter',
  'ScalerMinPollInterval',
  'ScalerEnableExperimentalElasticCIMode',
  'BuildkiteAgentScalerServerlessARN',
  'ScalerManagedPolicyARNs',
  'LambdaArchitecture',
  'InstanceCreationTimeout',
  'EnableScheduledScaling',
  'ScheduleTimezone',
  'ScaleUpSchedule',
  'ScaleUpMinSize',
  'ScaleDownSchedule',
  'ScaleDownMinSize',
  'InstanceOperatingSystem',
  'LinuxDistribution',
  'ImageId',
  'ImageIdParameter',
  'InstanceTypes',
  'CpuCredits',
  'NestedVirtualizationEnabled',
  'OnDemandBaseCapacity',
  'OnDemandPercentage',
  'SpotAllocationStrategy',
  'RootVolumeSize',
  'RootVolumeName',
  'RootVolumeType',
  'RootVolumeThroughput',
  'RootVolumeIops',
  'RootVolumeEncrypted',
  'RootVolumeDeleteOnTermination',
  'EnableInstanceStorage',
  'MountTmpfsAtTmp',
  'EnableDetailedMonitoring',
  'InstanceName',
  'KeyName',
  'IMDSv2Tokens',
  'ExperimentalEnableResourceLimits',
  'ResourceLimitsMemoryHigh',
  'ResourceLimitsMemoryMax',
  'ResourceLimitsMemorySwapMax',
  'ResourceLimitsCPUWeight',
  'ResourceLimitsCPUQuota',
  'ResourceLimitsIOWeight',
  'VpcId',
  'Subnets',
  'AvailabilityZones',
  'SecurityGroupIds',
  'AssociatePublicIpAddress',
  'EnableVpcEndpoints',
  'InstanceRoleARN',
  'InstanceRoleName',
  'InstanceRolePermissionsBoundaryARN',
  'InstanceRoleTags',
  'ManagedPolicyARNs',
  'ECRAccessPolicy',
  'AuthorizedUsersUrl',
  'EnableSecretsPlugin',
  'SecretsBucket',
  'SecretsBucketRegion',
  'SecretsBucketEncryption',
  'SecretsPluginSkipSSHKeyNotFoundWarning',
  'ArtifactsBucket',
  'ArtifactsBucketRegion',
  'ArtifactsS3ACL',
  'EnableDockerUserNamespaceRemap',
  'EnableDockerExperimental',
  'DockerNetworkingProtocol',
  'DockerIPv4AddressPool1',
  'DockerIPv4AddressPool2',
  'DockerIPv6AddressPool',
  'DockerFixedCidrV4',
  'DockerFixedCidrV6',
  'DockerPruneUntil',
  'DockerBuilderPruneEnabled',
  'EnablePreExitDiskCleanup',
  'EnableECRPlugin',
  'EnableECRCredentialHelper',
  'EnableDockerLoginPlugin',
  'EnableEC2LogRetentionPolicy',
  'EC2LogRetentionDays',
  'LogRetentionDays',
  'BuildkiteTerminateInstanceAfterJob',
  'BuildkiteAgentDisconnectAfterUptime',
  'BuildkiteTerminateInstanceOnDiskFull',
  'BuildkitePurgeBuildsOnDiskFull',
  'BuildkiteAgentEnableGracefulShutdown',
  'BuildkiteWindowsAdministrator',
  'EnableCostAllocationTags',
  'CostAllocationTagName',
  'CostAllocationTagValue',
] as const;

export type BuildkiteParameterName = (typeof BUILDKITE_STACK_PARAMETERS)[number];

/** What happens to one Buildkite parameter. */
export interface BuildkiteParameterRule {
  readonly parameter: BuildkiteParameterName;
  /**
   * `mapped`: sets the config fields listed; `accepted`: read, and our stack already behaves as asked (or better,
   * see `notes`); `unsupported`: refused unless its value is one of `acceptedValues` (values that change nothing).
   */
  readonly status: 'mapped' | 'accepted' | 'unsupported';
  /** Typed-config fields it sets. */
  readonly fields: readonly string[];
  /** How it maps, or why it is not supported. */
  readonly notes: string;
  /** For `unsupported`: the values accepted because they ask for nothing we lack (Buildkite's defaults). */
  readonly acceptedValues?: readonly string[];
}

/** The parameters of one file, by name, and where the mapping writes. */
interface MappingContext {
  readonly parameters: ReadonlyMap<string, string>;
  set(field: string, value: unknown): void;
  problem(message: string): void;
}

interface Rule extends BuildkiteParameterRule {
  apply?(value: string, context: MappingContext): void;
}

// ---------------------------------------------------------------- value readers (Buildkite's string forms)

const isEmpty = (value: string) => value.trim() === '';

/** Longest value a problem quotes: every setting's value is shorter, an agent token (40+ characters) is not. */
const LONGEST_SHOWN_VALUE = 24;

/** A refused value as a problem quotes it: short ones as they are, a long one (a pasted token?) by its length. */
const shownValue = (value: string) =>
  value.length <= LONGEST_SHOWN_VALUE ? JSON.stringify(value) : `a value of ${value.length} characters, not shown,`;

function booleanOf(parameter: string, value: string, context: MappingContext): boolean | undefined {
  if (value === 'true') return true;
  if (value === 'false') return false;
  context.problem(`${parameter}: ${shownValue(value)} is not "true" or "false"`);
  return undefined;
}

function integerOf(
  parameter: string,
  value: string,
  context: MappingContext,
  minimum: number,
  maximum = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const number = /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (Number.isSafeInteger(number) && number >= minimum && number <= maximum) return number;
  const range = maximum === Number.MAX_SAFE_INTEGER ? `at least ${minimum}` : `from ${minimum} to ${maximum}`;
  context.problem(`${parameter}: ${shownValue(value)} is not a whole number ${range}`);
  return undefined;
}

const listOf = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

/** Buildkite's `k=v,k2=v2` tag lists. */
function keyValuesOf(parameter: string, value: string, context: MappingContext): Record<string, string> | undefined {
  const entries: [string, string][] = [];
  for (const item of listOf(value)) {
    const separator = item.indexOf('=');
    if (separator <= 0) {
      context.problem(`${parameter}: ${shownValue(item)} is not key=value`);
      continue;
    }
    entries.push([item.slice(0, separator).trim(), item.slice(separator + 1).trim()]);
  }
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

const GO_DURATION_UNITS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 0.000001, ns: 1e-9 };

/** Whole seconds of a Go duration (`10s`, `1m30s`, `4h`; Buildkite's DockerPruneUntil also allows `d`). */
function goDurationSeconds(
  parameter: string,
  value: string,
  context: MappingContext,
  allowDays = false,
): number | undefined {
  const units = allowDays ? { ...GO_DURATION_UNITS, d: 86_400 } : GO_DURATION_UNITS;
  const parts = [...value.trim().matchAll(/(\d+(?:\.\d+)?)(ms|us|ns|[hmsd])/g)];
  const consumed = parts.map((part) => part[0]).join('');
  const total = parts.reduce((sum, part) => sum + Number(part[1]) * (units[part[2] ?? ''] ?? Number.NaN), 0);
  if (value.trim() === '0') return 0;
  if (parts.length === 0 || consumed !== value.trim() || !Number.isFinite(total)) {
    context.problem(
      `${parameter}: ${shownValue(value)} is not a duration like 10s, 1m30s or 4h${allowDays ? ' (or 2d)' : ''}`,
    );
    return undefined;
  }
  if (!Number.isInteger(total)) {
    context.problem(`${parameter}: ${shownValue(value)} is not whole seconds (our scaler counts in seconds)`);
    return undefined;
  }
  return total;
}

function oneOf<T extends string>(
  parameter: string,
  value: string,
  context: MappingContext,
  accepted: readonly T[],
  refused: Readonly<Record<string, string>> = {},
): T | undefined {
  if ((accepted as readonly string[]).includes(value)) return value as T;
  const reason = refused[value];
  context.problem(
    reason === undefined
      ? `${parameter}: ${shownValue(value)} is not one of ${accepted.map((item) => JSON.stringify(item)).join(', ')}`
      : `${parameter}: ${shownValue(value)} is not supported: ${reason}; use one of ${accepted.map((item) => JSON.stringify(item)).join(', ')}`,
  );
  return undefined;
}

// ---------------------------------------------------------------- rule builders

const text = (parameter: BuildkiteParameterName, field: string, notes = ''): Rule => ({
  parameter,
  status: 'mapped',
  fields: [field],
  notes: notes || 'Empty means unset.',
  apply: (value, context) => {
    if (!isEmpty(value)) context.set(field, value.trim());
  },
});

const joinNotes = (...notes: string[]) => notes.filter((note) => note !== '').join(' ');

const bool = (parameter: BuildkiteParameterName, field: string, notes = ''): Rule => ({
  parameter,
  status: 'mapped',
  fields: [field],
  notes: notes || '`"true"` or `"false"`.',
  apply: (value, context) => {
    const parsed = booleanOf(parameter, value, context);
    if (parsed !== undefined) context.set(field, parsed);
  },
});

const integer = (
  parameter: BuildkiteParameterName,
  field: string,
  minimum: number,
  maximum?: number,
  notes = '',
): Rule => ({
  parameter,
  status: 'mapped',
  fields: [field],
  notes: joinNotes(
    maximum === undefined ? `A whole number, at least ${minimum}.` : `A whole number from ${minimum} to ${maximum}.`,
    notes,
  ),
  apply: (value, context) => {
    const parsed = integerOf(parameter, value, context, minimum, maximum);
    if (parsed !== undefined) context.set(field, parsed);
  },
});

const list = (
  parameter: BuildkiteParameterName,
  field: string,
  notes = 'Comma-separated; empty means none.',
): Rule => ({
  parameter,
  status: 'mapped',
  fields: [field],
  notes,
  apply: (value, context) => {
    const items = listOf(value);
    if (items.length > 0) context.set(field, items);
  },
});

const choice = <T extends string>(
  parameter: BuildkiteParameterName,
  field: string,
  accepted: readonly T[],
  notes = '',
  refused: Readonly<Record<string, string>> = {},
): Rule => ({
  parameter,
  status: 'mapped',
  fields: [field],
  notes: joinNotes(
    `One of ${accepted.map((item) => `\`${item}\``).join(', ')}.`,
    Object.keys(refused).length === 0
      ? ''
      : `Refused: ${Object.entries(refused)
          .map(([item, reason]) => `\`${item}\` (${reason})`)
          .join(', ')}.`,
    notes,
  ),
  apply: (value, context) => {
    const parsed = oneOf(parameter, value, context, accepted, refused);
    if (parsed !== undefined) context.set(field, parsed);
  },
});

const unsupported = (parameter: BuildkiteParameterName, reason: string, acceptedValues: readonly string[]): Rule => ({
  parameter,
  status: 'unsupported',
  fields: [],
  notes: reason,
  acceptedValues,
});

const accepted = (parameter: BuildkiteParameterName, notes: string, check?: Rule['apply']): Rule => ({
  parameter,
  status: 'accepted',
  fields: [],
  notes,
  ...(check === undefined ? {} : { apply: check }),
});

/** A rule that only checks its value; another rule of its group reads it through `context.parameters`. */
const part = (
  parameter: BuildkiteParameterName,
  fields: readonly string[],
  notes: string,
  check?: Rule['apply'],
): Rule => ({
  parameter,
  status: 'mapped',
  fields,
  notes,
  ...(check === undefined ? {} : { apply: check }),
});

const FETCH_URL_REFUSED = 'http:// fetches code or settings in plaintext and file:// reads a path the image lacks';
function fetchUrl(parameter: BuildkiteParameterName, field: string, schemes: readonly string[]): Rule {
  return {
    parameter,
    status: 'mapped',
    fields: [field],
    notes: `${schemes.join(', ')} URLs; ${FETCH_URL_REFUSED}, so both are refused.`,
    apply: (value, context) => {
      if (isEmpty(value)) return;
      const url = value.trim();
      // The URL is not echoed: a presigned or credentialed URL is a secret.
      if (!schemes.some((scheme) => url.startsWith(scheme))) {
        context.problem(`${parameter}: the URL is not supported: use ${schemes.join(', ')} (${FETCH_URL_REFUSED})`);
        return;
      }
      context.set(field, url);
    },
  };
}

// ---------------------------------------------------------------- defaults of grouped parameters (Buildkite's)

const BUILDKITE_DEFAULTS: Partial<Record<BuildkiteParameterName, string>> = {
  ScheduleTimezone: 'UTC',
  ScaleUpSchedule: '0 8 * * MON-FRI',
  ScaleUpMinSize: '1',
  ScaleDownSchedule: '0 18 * * MON-FRI',
  ScaleDownMinSize: '0',
  DockerIPv4AddressPool1: '172.17.0.0/12',
  DockerIPv4AddressPool2: '192.168.0.0/16',
  EC2LogRetentionDays: '7',
  CostAllocationTagName: 'CreatedBy',
  CostAllocationTagValue: 'buildkite-elastic-ci-stack-for-aws',
  RootVolumeType: 'gp3',
};

const parameterValue = (context: MappingContext, parameter: BuildkiteParameterName) =>
  context.parameters.get(parameter) ?? BUILDKITE_DEFAULTS[parameter] ?? '';

const BUILDKITE_VPC_ENDPOINTS = ['ecr.api', 'ecr.dkr', 'ssm', 'ssmmessages', 'ec2messages', 'secretsmanager', 'kms'];
const LOG_RETENTION = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

function retentionDays(parameter: BuildkiteParameterName, value: string, context: MappingContext): number | undefined {
  const days = integerOf(parameter, value, context, 1, 3653);
  if (days === undefined) return undefined;
  if (LOG_RETENTION.includes(days)) return days;
  context.problem(`${parameter}: ${days} is not a CloudWatch retention (${LOG_RETENTION.join(', ')})`);
  return undefined;
}

/** Buildkite's `rate()` expressions for the scaler schedule: `1 minute`, `5 minutes`, `1 hour`. */
function ratePeriodSeconds(value: string, context: MappingContext): number | undefined {
  const match = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(value.trim());
  const amount = Number(match?.[1]);
  if (match === null || !Number.isSafeInteger(amount) || amount < 1) {
    context.problem(`ScalerEventSchedulePeriod: ${shownValue(value)} is not a rate such as "1 minute" or "5 minutes"`);
    return undefined;
  }
  const unit = match[2]?.startsWith('minute') ? 60 : match[2]?.startsWith('hour') ? 3600 : 86_400;
  return amount * unit;
}

// ---------------------------------------------------------------- the rules, one per Buildkite parameter

const RULES: readonly Rule[] = [
  {
    parameter: 'BuildkiteAgentToken',
    status: 'mapped',
    fields: ['buildkite.agentToken.fromDeployParameter'],
    notes:
      'The value is never read into the template: a non-empty token sets `fromDeployParameter`, and the token is passed at deploy time (`BUILDKITE_AGENT_TOKEN=… make deploy …`) into a NoEcho parameter stored in Secrets Manager.',
    apply: (value, context) => {
      if (!isEmpty(value)) context.set('buildkite.agentToken.fromDeployParameter', true);
    },
  },
  text(
    'BuildkiteAgentTokenParameterStorePath',
    'buildkite.agentToken.parameterName',
    'Name or ARN of an existing parameter. Empty means unset.',
  ),
  {
    parameter: 'BuildkiteAgentTokenParameterStoreKMSKey',
    status: 'mapped',
    fields: ['buildkite.agentToken.parameterKmsKeyArn'],
    notes: "A key id becomes the key's ARN in the stack's account and region, as Buildkite builds it.",
    apply: (value, context) => {
      if (isEmpty(value)) return;
      const key = value.trim();
      context.set(
        'buildkite.agentToken.parameterKmsKeyArn',
        key.startsWith('arn:') ? key : `arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/${key}`,
      );
    },
  },
  text('BuildkiteQueue', 'buildkite.queue'),
  text('AgentEndpoint', 'buildkite.agentEndpoint'),
  choice('BuildkiteAgentRelease', 'buildkite.agentRelease', ['stable', 'oldstable', 'beta', 'edge'] as const),
  {
    parameter: 'BuildkiteAgentTags',
    status: 'mapped',
    fields: ['buildkite.agentTags'],
    notes: '`k=v,k2=v2` becomes a map.',
    apply: (value, context) => {
      const tags = keyValuesOf('BuildkiteAgentTags', value, context);
      if (tags !== undefined) context.set('buildkite.agentTags', tags);
    },
  },
  bool('BuildkiteAgentTimestampLines', 'buildkite.timestampLines'),
  list('BuildkiteAgentExperiments', 'buildkite.experiments'),
  bool('BuildkiteAgentEnableGitMirrors', 'buildkite.gitMirrorsEnabled'),
  text('GitMirrorSeedBucket', 'buildkite.gitMirrorSeedBucketName'),
  {
    parameter: 'BuildkiteAgentTracingBackend',
    status: 'mapped',
    fields: ['buildkite.tracingBackend'],
    notes: 'Empty means none.',
    apply: (value, context) => {
      if (isEmpty(value)) return;
      const backend = oneOf('BuildkiteAgentTracingBackend', value, context, ['datadog', 'opentelemetry'] as const);
      if (backend !== undefined) context.set('buildkite.tracingBackend', backend);
    },
  },
  integer('BuildkiteAgentCancelGracePeriod', 'buildkite.cancelGracePeriodSec', 1, 86_400),
  integer('BuildkiteAgentSignalGracePeriod', 'buildkite.signalGracePeriodSec', -1, 86_400),
  integer(
    'AgentsPerInstance',
    'buildkite.agentsPerInstance',
    1,
    64,
    'Buildkite has no upper bound; 64 is the boot contract limit.',
  ),
  text('BuildkiteAdditionalSudoPermissions', 'buildkite.additionalSudoPermissions'),
  fetchUrl('AgentEnvFileUrl', 'buildkite.envFileUrl', ['s3://', 'ssm:', 'https://']),
  fetchUrl('BootstrapScriptUrl', 'buildkite.bootstrapScriptUrl', ['s3://', 'https://']),
  text('PipelineSigningKMSKeyId', 'buildkite.signing.kmsKeyId'),
  choice('PipelineSigningKMSKeySpec', 'buildkite.signing.kmsKeySpec', ['ECC_NIST_P256', 'none'] as const),
  choice('PipelineSigningKMSAccess', 'buildkite.signing.kmsAccess', ['sign-and-verify', 'verify'] as const),
  choice('PipelineSigningVerificationFailureBehavior', 'buildkite.signing.verificationFailureBehavior', [
    'block',
    'warn',
  ] as const),
  text(
    'BuildkiteAgentSigningKeySSMParameter',
    'buildkite.signing.jwksParameterName',
    'Unlike Buildkite, the instance role gets read access to the parameter.',
  ),
  text('BuildkiteAgentSigningKeyID', 'buildkite.signing.jwksKeyId'),
  text('BuildkiteAgentVerificationKeySSMParameter', 'buildkite.signing.verificationJwksParameterName'),
  integer('MinSize', 'scaling.minSize', 0),
  integer('MaxSize', 'scaling.maxSize', 0),
  integer('InstanceBuffer', 'scaling.instanceBuffer', 0),
  bool('DisableScaleIn', 'scaling.disableScaleIn'),
  bool(
    'InstanceScaleInProtection',
    'instances.newInstancesProtectedFromScaleIn',
    'The instances take protection while busy and release it while idle.',
  ),
  {
    parameter: 'ScaleOutFactor',
    status: 'mapped',
    fields: ['scaling.scaleOutFactor'],
    notes: 'A number above 0.',
    apply: (value, context) => {
      const factor = Number(value.trim());
      if (isEmpty(value) || !Number.isFinite(factor) || factor <= 0) {
        context.problem(`ScaleOutFactor: ${shownValue(value)} is not a number above 0`);
        return;
      }
      context.set('scaling.scaleOutFactor', factor);
    },
  },
  integer('ScaleOutCooldownPeriod', 'scaling.scaleOutCooldownSec', 0),
  integer('ScaleInCooldownPeriod', 'scaling.scaleInCooldownSec', 0),
  integer(
    'ScaleInIdlePeriod',
    'buildkite.idleTimeoutSec',
    0,
    undefined,
    "The agent's `disconnect-after-idle-timeout`.",
  ),
  bool('ScaleOutForWaitingJobs', 'scaling.includeWaitingJobs'),
  {
    parameter: 'ScalerEventSchedulePeriod',
    status: 'mapped',
    fields: ['scaling.scheduleIntervalSec'],
    notes: '`N minute(s)|hour(s)|day(s)` becomes seconds.',
    apply: (value, context) => {
      const period = ratePeriodSeconds(value, context);
      if (period !== undefined) context.set('scaling.scheduleIntervalSec', period);
    },
  },
  {
    parameter: 'ScalerEventScheduleJitter',
    status: 'mapped',
    fields: ['scaling.startupJitterMaxSec'],
    notes: 'A Go duration in whole seconds.',
    apply: (value, context) => {
      const jitter = goDurationSeconds('ScalerEventScheduleJitter', value, context);
      if (jitter !== undefined) context.set('scaling.startupJitterMaxSec', jitter);
    },
  },
  {
    parameter: 'ScalerMinPollInterval',
    status: 'mapped',
    fields: ['scaling.pollIntervalSec'],
    notes: 'A Go duration in whole seconds.',
    apply: (value, context) => {
      const interval = goDurationSeconds('ScalerMinPollInterval', value, context);
      if (interval !== undefined) context.set('scaling.pollIntervalSec', interval);
    },
  },
  bool(
    'ScalerEnableExperimentalElasticCIMode',
    'scaling.elasticCiMode',
    '`"true"` or `"false"`. Buildkite\'s dangling-instance check of this mode (an SSM Run Command probe) is not copied and this does not turn on its replacement, `scaling.zombieCheck.enabled`: that is safe only with the elastic-ci agent image, whose instances tag their agent state.',
  ),
  accepted(
    'BuildkiteAgentScalerServerlessARN',
    'Deprecated and unused by Buildkite too: our scaler is a function of this stack.',
  ),
  list('ScalerManagedPolicyARNs', 'scaling.managedPolicyArns'),
  choice('LambdaArchitecture', 'controlPlane.lambdaArchitecture', ['x86_64', 'arm64'] as const),
  unsupported(
    'InstanceCreationTimeout',
    'the stack waits for no instance signals (no CreationPolicy): an instance that fails to boot marks itself unhealthy and is replaced',
    [''],
  ),
  part(
    'EnableScheduledScaling',
    ['scaling.schedules[]'],
    "`true` creates the actions `scale-up` and `scale-down` from the five parameters below (each with Buildkite's default when absent); they set the group minimum, as Buildkite's do.",
    (value, context) => {
      if (booleanOf('EnableScheduledScaling', value, context) !== true) return;
      const timeZone = parameterValue(context, 'ScheduleTimezone').trim() || 'UTC';
      const schedules = (['Up', 'Down'] as const).map((direction) => ({
        name: `scale-${direction.toLowerCase()}`,
        schedule: parameterValue(context, `Scale${direction}Schedule`).trim(),
        timeZone,
        minSize: integerOf(`Scale${direction}MinSize`, parameterValue(context, `Scale${direction}MinSize`), context, 0),
      }));
      context.set('scaling.schedules', schedules);
    },
  ),
  part('ScheduleTimezone', ['scaling.schedules[].timeZone'], 'Time zone of both actions.'),
  part('ScaleUpSchedule', ['scaling.schedules[].schedule'], 'Cron of `scale-up`.'),
  part('ScaleUpMinSize', ['scaling.schedules[].minSize'], 'Minimum from `scale-up` on.'),
  part('ScaleDownSchedule', ['scaling.schedules[].schedule'], 'Cron of `scale-down`.'),
  part('ScaleDownMinSize', ['scaling.schedules[].minSize'], 'Minimum from `scale-down` on.'),
  unsupported('InstanceOperatingSystem', 'Windows agents are not supported: the agent image is Linux only', ['linux']),
  unsupported('LinuxDistribution', 'the agent image is built on Amazon Linux 2023 only; there is no Ubuntu image', [
    'amazonlinux2023',
  ]),
  text('ImageId', 'instances.imageId'),
  text('ImageIdParameter', 'instances.imageIdSsmParameterName', 'EC2 resolves the parameter at each launch.'),
  {
    parameter: 'InstanceTypes',
    status: 'mapped',
    fields: ['instances.types'],
    notes: 'Comma-separated, 1 to 25; every type must have the same architecture (Buildkite only checks the first).',
    apply: (value, context) => {
      const types = listOf(value);
      if (types.length === 0) {
        context.problem('InstanceTypes: needs at least one instance type');
        return;
      }
      context.set('instances.types', types);
    },
  },
  choice('CpuCredits', 'instances.cpuCredits', ['standard', 'unlimited'] as const),
  unsupported('NestedVirtualizationEnabled', 'nested virtualization has no option in this stack yet', ['false']),
  integer('OnDemandBaseCapacity', 'instances.onDemandBaseCapacity', 0),
  integer('OnDemandPercentage', 'instances.onDemandPercentageAboveBaseCapacity', 0, 100),
  choice('SpotAllocationStrategy', 'instances.spotAllocationStrategy', [
    'price-capacity-optimized',
    'capacity-optimized',
    'lowest-price',
    'capacity-optimized-prioritized',
  ] as const),
  integer('RootVolumeSize', 'storage.rootVolumeSizeGiB', 10),
  text('RootVolumeName', 'storage.rootVolumeDeviceName'),
  choice('RootVolumeType', 'storage.rootVolumeType', ['gp3', 'gp2', 'io1', 'io2'] as const, '', {
    st1: 'throughput-optimized HDD cannot be a boot volume',
    sc1: 'cold HDD cannot be a boot volume',
    standard: 'magnetic volumes are too slow for builds',
  }),
  {
    parameter: 'RootVolumeThroughput',
    status: 'mapped',
    fields: ['storage.rootVolumeThroughputMiBps'],
    notes: 'Applied to gp3 only, as Buildkite does.',
    apply: (value, context) => {
      if (parameterValue(context, 'RootVolumeType') !== 'gp3') return;
      const throughput = integerOf('RootVolumeThroughput', value, context, 125, 2000);
      if (throughput !== undefined) context.set('storage.rootVolumeThroughputMiBps', throughput);
    },
  },
  {
    parameter: 'RootVolumeIops',
    status: 'mapped',
    fields: ['storage.rootVolumeIops'],
    notes: 'Applied to gp3, io1 and io2 only, as Buildkite does.',
    apply: (value, context) => {
      if (!['gp3', 'io1', 'io2'].includes(parameterValue(context, 'RootVolumeType'))) return;
      const iops = integerOf('RootVolumeIops', value, context, 100, 256_000);
      if (iops !== undefined) context.set('storage.rootVolumeIops', iops);
    },
  },
  accepted(
    'RootVolumeEncrypted',
    'The root volume is always encrypted (safer default), so `false` is not honoured.',
    (value, context) => {
      booleanOf('RootVolumeEncrypted', value, context);
    },
  ),
  unsupported(
    'RootVolumeDeleteOnTermination',
    'root volumes are always deleted with their instance (a kept volume would hold build leftovers and secrets)',
    ['true'],
  ),
  bool('EnableInstanceStorage', 'storage.instanceStorageEnabled'),
  bool('MountTmpfsAtTmp', 'storage.mountTmpfsAtTmp'),
  bool('EnableDetailedMonitoring', 'instances.detailedMonitoring'),
  text('InstanceName', 'instances.name'),
  text(
    'KeyName',
    'instances.keyPairName',
    'Unlike Buildkite this opens no SSH port to the internet: add `instances.sshIngressCidrs` (or use Session Manager).',
  ),
  accepted(
    'IMDSv2Tokens',
    'IMDSv2 tokens are always required (safer default), so `optional` is not honoured.',
    (value, context) => {
      oneOf('IMDSv2Tokens', value, context, ['optional', 'required'] as const);
    },
  ),
  bool('ExperimentalEnableResourceLimits', 'resourceLimits.enabled'),
  text('ResourceLimitsMemoryHigh', 'resourceLimits.memoryHigh'),
  text('ResourceLimitsMemoryMax', 'resourceLimits.memoryMax'),
  text('ResourceLimitsMemorySwapMax', 'resourceLimits.memorySwapMax'),
  integer('ResourceLimitsCPUWeight', 'resourceLimits.cpuWeight', 1, 10_000),
  text('ResourceLimitsCPUQuota', 'resourceLimits.cpuQuota'),
  integer('ResourceLimitsIOWeight', 'resourceLimits.ioWeight', 1, 10_000),
  text('VpcId', 'network.vpcId', 'Needs `Subnets` and `AvailabilityZones` (no account lookups at synth).'),
  list('Subnets', 'network.subnetIds'),
  list(
    'AvailabilityZones',
    'network.availabilityZones',
    'Zones of the subnets, in their order (or of the created ones).',
  ),
  list('SecurityGroupIds', 'network.securityGroupIds'),
  bool('AssociatePublicIpAddress', 'network.associatePublicIpAddress'),
  {
    parameter: 'EnableVpcEndpoints',
    status: 'mapped',
    fields: ['network.interfaceEndpoints', 'network.gatewayEndpoints'],
    notes: `\`true\` on a created VPC adds Buildkite's endpoints: the S3 gateway and ${BUILDKITE_VPC_ENDPOINTS.join(', ')}; ignored with \`VpcId\`, as Buildkite does.`,
    apply: (value, context) => {
      if (booleanOf('EnableVpcEndpoints', value, context) !== true || !isEmpty(parameterValue(context, 'VpcId')))
        return;
      context.set('network.interfaceEndpoints', BUILDKITE_VPC_ENDPOINTS);
      context.set('network.gatewayEndpoints', ['s3']);
    },
  },
  text('InstanceRoleARN', 'security.instanceRoleArn', 'Used as is: no policy is added.'),
  text('InstanceRoleName', 'security.instanceRoleName'),
  text(
    'InstanceRolePermissionsBoundaryARN',
    'security.instanceRolePermissionsBoundaryArn',
    'Also bounds the control-plane roles unless `security.rolePermissionsBoundaryArn` is set.',
  ),
  {
    parameter: 'InstanceRoleTags',
    status: 'mapped',
    fields: ['security.instanceRoleTags'],
    notes: '`k=v,k2=v2` becomes a map.',
    apply: (value, context) => {
      const tags = keyValuesOf('InstanceRoleTags', value, context);
      if (tags !== undefined) context.set('security.instanceRoleTags', tags);
    },
  },
  list('ManagedPolicyARNs', 'security.managedPolicyArns'),
  choice('ECRAccessPolicy', 'security.ecrAccessPolicy', [
    'none',
    'readonly',
    'readonly-pullthrough',
    'poweruser',
    'poweruser-pullthrough',
    'full',
  ] as const),
  fetchUrl('AuthorizedUsersUrl', 'security.authorizedUsersUrl', ['s3://', 'https://']),
  bool('EnableSecretsPlugin', 'secrets.pluginEnabled'),
  text('SecretsBucket', 'secrets.bucketName'),
  text('SecretsBucketRegion', 'secrets.bucketRegion'),
  accepted(
    'SecretsBucketEncryption',
    'A created secrets bucket is always encrypted and TLS-only (safer default); give a KMS key to the construct for SSE-KMS.',
    (value, context) => {
      booleanOf('SecretsBucketEncryption', value, context);
    },
  ),
  bool('SecretsPluginSkipSSHKeyNotFoundWarning', 'secrets.skipSshKeyNotFoundWarning'),
  text('ArtifactsBucket', 'artifacts.bucketName'),
  text('ArtifactsBucketRegion', 'artifacts.bucketRegion'),
  choice('ArtifactsS3ACL', 'artifacts.s3Acl', [
    'private',
    'public-read',
    'public-read-write',
    'authenticated-read',
    'aws-exec-read',
    'bucket-owner-read',
    'bucket-owner-full-control',
  ] as const),
  bool('EnableDockerUserNamespaceRemap', 'docker.userNamespaceRemap'),
  bool('EnableDockerExperimental', 'docker.experimental'),
  choice('DockerNetworkingProtocol', 'docker.networkingProtocol', ['ipv4', 'dualstack'] as const),
  {
    parameter: 'DockerIPv4AddressPool1',
    status: 'mapped',
    fields: ['docker.ipv4AddressPools'],
    notes: 'With `DockerIPv4AddressPool2`, the two pools in order (Buildkite defaults for the one not given).',
    apply: (_value, context) => {
      const pools = (['DockerIPv4AddressPool1', 'DockerIPv4AddressPool2'] as const).map((parameter) =>
        parameterValue(context, parameter).trim(),
      );
      context.set('docker.ipv4AddressPools', pools);
    },
  },
  part('DockerIPv4AddressPool2', ['docker.ipv4AddressPools'], 'See `DockerIPv4AddressPool1`.', (_value, context) => {
    if (context.parameters.has('DockerIPv4AddressPool1')) return;
    context.set(
      'docker.ipv4AddressPools',
      (['DockerIPv4AddressPool1', 'DockerIPv4AddressPool2'] as const).map((parameter) =>
        parameterValue(context, parameter).trim(),
      ),
    );
  }),
  text('DockerIPv6AddressPool', 'docker.ipv6AddressPool'),
  text('DockerFixedCidrV4', 'docker.fixedCidrV4'),
  text('DockerFixedCidrV6', 'docker.fixedCidrV6'),
  {
    parameter: 'DockerPruneUntil',
    status: 'mapped',
    fields: ['docker.pruneUntilSec'],
    notes: '`4h`, `30m`, `2d` … becomes seconds; unlike Buildkite the prune timers honour it too.',
    apply: (value, context) => {
      const until = goDurationSeconds('DockerPruneUntil', value, context, true);
      if (until !== undefined) context.set('docker.pruneUntilSec', until);
    },
  },
  bool('DockerBuilderPruneEnabled', 'docker.builderPruneEnabled'),
  bool('EnablePreExitDiskCleanup', 'docker.preExitDiskCleanup'),
  bool('EnableECRPlugin', 'docker.ecrPluginEnabled'),
  bool('EnableECRCredentialHelper', 'docker.ecrCredentialHelperEnabled'),
  bool('EnableDockerLoginPlugin', 'docker.dockerLoginPluginEnabled'),
  part(
    'EnableEC2LogRetentionPolicy',
    ['logs.instanceLogRetentionDays'],
    '`true` sets the instance log retention to `EC2LogRetentionDays` (default 7).',
    (value, context) => {
      if (booleanOf('EnableEC2LogRetentionPolicy', value, context) !== true) return;
      const days = retentionDays('EC2LogRetentionDays', parameterValue(context, 'EC2LogRetentionDays'), context);
      if (days !== undefined) context.set('logs.instanceLogRetentionDays', days);
    },
  ),
  part(
    'EC2LogRetentionDays',
    ['logs.instanceLogRetentionDays'],
    'Used with `EnableEC2LogRetentionPolicy`.',
    (value, context) => {
      if (parameterValue(context, 'EnableEC2LogRetentionPolicy') !== 'true')
        retentionDays('EC2LogRetentionDays', value, context);
    },
  ),
  {
    parameter: 'LogRetentionDays',
    status: 'mapped',
    fields: ['logs.retentionDays'],
    notes: 'Retention of every control-plane log group.',
    apply: (value, context) => {
      const days = retentionDays('LogRetentionDays', value, context);
      if (days !== undefined) context.set('logs.retentionDays', days);
    },
  },
  bool('BuildkiteTerminateInstanceAfterJob', 'buildkite.disconnectAfterJob'),
  integer(
    'BuildkiteAgentDisconnectAfterUptime',
    'buildkite.disconnectAfterUptimeSec',
    0,
    undefined,
    '0 means no limit.',
  ),
  bool('BuildkiteTerminateInstanceOnDiskFull', 'buildkite.terminateInstanceOnDiskFull'),
  bool('BuildkitePurgeBuildsOnDiskFull', 'buildkite.purgeBuildsOnDiskFull'),
  {
    parameter: 'BuildkiteAgentEnableGracefulShutdown',
    status: 'mapped',
    fields: ['controlPlane.stopAgentsEnabled'],
    notes:
      "`true` keeps stop-agents on; `false` (Buildkite's default) is not honoured: a replaced group is always drained (safer default). Turn it off with `controlPlane.stopAgentsEnabled` in a typed config.",
    apply: (value, context) => {
      if (booleanOf('BuildkiteAgentEnableGracefulShutdown', value, context) === true) {
        context.set('controlPlane.stopAgentsEnabled', true);
      }
    },
  },
  unsupported(
    'BuildkiteWindowsAdministrator',
    'Windows agents are not supported (its default changes nothing on Linux)',
    ['true'],
  ),
  part(
    'EnableCostAllocationTags',
    ['tags.costAllocation'],
    '`true` tags the group, instances, volumes and buckets with `CostAllocationTagName`=`CostAllocationTagValue`.',
    (value, context) => {
      if (booleanOf('EnableCostAllocationTags', value, context) !== true) return;
      const name = parameterValue(context, 'CostAllocationTagName').trim();
      if (name === '') {
        context.problem('CostAllocationTagName: must not be empty when EnableCostAllocationTags is true');
        return;
      }
      context.set('tags.costAllocation', { [name]: parameterValue(context, 'CostAllocationTagValue') });
    },
  ),
  part('CostAllocationTagName', ['tags.costAllocation'], 'Tag key (default `CreatedBy`).'),
  part('CostAllocationTagValue', ['tags.costAllocation'], 'Tag value (default `buildkite-elastic-ci-stack-for-aws`).'),
];

/** Every rule, in Buildkite's parameter order; the doc table is generated from it. */
export const BUILDKITE_PARAMETER_RULES: readonly BuildkiteParameterRule[] = RULES;

const RULES_BY_PARAMETER = new Map<string, Rule>(RULES.map((rule) => [rule.parameter, rule]));

// ---------------------------------------------------------------- the file

/** One entry as `aws cloudformation create-stack --parameters file://…` takes it. */
interface ParameterEntry {
  ParameterKey?: unknown;
  ParameterValue?: unknown;
  UsePreviousValue?: unknown;
  ResolvedValue?: unknown;
}

/** Whether a parsed document is a Buildkite parameter file rather than a typed config. */
export function isBuildkiteParameterDocument(document: unknown): boolean {
  if (Array.isArray(document)) return true;
  return (
    document !== null && typeof document === 'object' && Object.keys(document).length === 1 && 'Parameters' in document
  );
}

/** `[{ParameterKey, ParameterValue}]` or `{"Parameters": {Key: Value}}` into name → value, with the file's problems. */
function readEntries(document: unknown): { parameters: Map<string, string>; problems: string[] } {
  const parameters = new Map<string, string>();
  const problems: string[] = [];
  const entries: [unknown, unknown, ParameterEntry | undefined][] = Array.isArray(document)
    ? document.map((entry: unknown) =>
        entry !== null && typeof entry === 'object'
          ? [(entry as ParameterEntry).ParameterKey, (entry as ParameterEntry).ParameterValue, entry as ParameterEntry]
          : [undefined, undefined, undefined],
      )
    : Object.entries(((document ?? {}) as { Parameters?: unknown }).Parameters ?? {}).map(([key, value]) => [
        key,
        value,
        undefined,
      ]);
  for (const [index, [key, value, entry]] of entries.entries()) {
    if (typeof key !== 'string' || key === '') {
      problems.push(`entry ${index + 1}: needs a "ParameterKey" string`);
      continue;
    }
    if (entry?.UsePreviousValue === true) {
      problems.push(`${shownName(key)}: "UsePreviousValue" needs an existing stack; give a ParameterValue`);
      continue;
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      problems.push(`${shownName(key)}: needs a "ParameterValue" string`);
      continue;
    }
    if (parameters.has(key)) {
      problems.push(`${shownName(key)}: is given more than once; keep one`);
      continue;
    }
    parameters.set(key, String(value));
  }
  return { parameters, problems };
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let cursor = target;
  for (const key of keys.slice(0, -1)) {
    cursor[key] ??= {};
    cursor = cursor[key] as Record<string, unknown>;
  }
  cursor[keys[keys.length - 1] ?? ''] = value;
}

/** How to make an unsupported parameter acceptable: remove it, or give a value that changes nothing. */
export function acceptedValuesHint(rule: BuildkiteParameterRule): string {
  const values = (rule.acceptedValues ?? []).filter((value) => value !== '');
  const empty = (rule.acceptedValues ?? []).includes('');
  const options = [
    'remove it',
    ...(empty ? ['leave it empty'] : []),
    ...(values.length === 0 ? [] : [`set it to ${values.map((value) => JSON.stringify(value)).join(' or ')}`]),
  ];
  return `${options.slice(0, -1).join(', ')}${options.length > 1 ? ' or ' : ''}${options[options.length - 1]}`;
}

const PARAMETER_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/** A name not shaped like a parameter may be a pasted secret: it is not echoed. */
const shownName = (key: string) =>
  PARAMETER_NAME.test(key) ? key : '(a parameter whose name is not shown: it is not shaped like a parameter name)';

function suggestionFor(unknown: string): string {
  const lower = unknown.toLowerCase();
  const match = BUILDKITE_STACK_PARAMETERS.find((parameter) => parameter.toLowerCase() === lower);
  return match === undefined ? '' : ` (did you mean ${match}?)`;
}

/** What a Buildkite parameter file maps to, problems and all. */
export interface BuildkiteParameterMapping {
  /** The typed config of the parameters that mapped; undefined when not even that is a valid config. */
  readonly config: StackConfig | undefined;
  /** Every problem of the file, each naming its parameter. */
  readonly problems: readonly string[];
  /** The config fields of the parameters that had a problem (their values are not in `config`). */
  readonly refusedFields: readonly string[];
}

/**
 * Maps a Buildkite parameter file onto the typed config, collecting every problem instead of stopping at the first,
 * so the construct can still check what mapped ({@link buildkiteParametersToConfig} throws instead).
 */
export function mapBuildkiteParameters(document: unknown): BuildkiteParameterMapping {
  if (!isBuildkiteParameterDocument(document)) {
    return {
      config: undefined,
      problems: [
        '(file): is not a Buildkite parameter file: expected [{"ParameterKey": …, "ParameterValue": …}, …] or {"Parameters": {…}}',
      ],
      refusedFields: [],
    };
  }
  const { parameters, problems } = readEntries(document);
  const draft: Record<string, unknown> = {};
  const fieldSources = new Map<string, string>();
  const refusedFields: string[] = [];
  const unknown: string[] = [];
  const unsupportedProblems: string[] = [];
  for (const [parameter, value] of parameters) {
    const rule = RULES_BY_PARAMETER.get(parameter);
    if (rule === undefined) {
      unknown.push(`${shownName(parameter)}: is not a Buildkite Elastic CI Stack parameter${suggestionFor(parameter)}`);
      continue;
    }
    if (rule.status === 'unsupported') {
      if (!(rule.acceptedValues ?? []).includes(value.trim())) {
        unsupportedProblems.push(`${parameter}: is not supported: ${rule.notes}; ${acceptedValuesHint(rule)}`);
      }
      continue;
    }
    rule.apply?.(value, {
      parameters,
      set: (field, fieldValue) => {
        setPath(draft, field, fieldValue);
        fieldSources.set(field, parameter);
      },
      problem: (message) => {
        problems.push(message);
        // `scaling.schedules[].timeZone` is a part of `scaling.schedules`.
        refusedFields.push(...rule.fields.map((field) => field.replace(/\[\].*$/, '')));
      },
    });
  }
  const checked = checkStackConfig(draft);
  // Schema problems name the config field; say which parameter set it.
  const schemaProblems = checked.problems.map((problem) => {
    const field = problem.slice(0, problem.indexOf(':'));
    const parameter = [...fieldSources].find(
      ([path]) => field === path || field.startsWith(`${path}.`) || field.startsWith(`${path}[`),
    )?.[1];
    return parameter === undefined ? problem : `${parameter} (${problem})`;
  });
  let config = checked.config;
  if (config === undefined) {
    const refusedPaths = checked.refusedPaths.map(refusedField);
    refusedFields.push(...refusedPaths.map(issuePath));
    config = checkStackConfig(withoutFields(draft, refusedPaths)).config;
  }
  return {
    config,
    problems: [...unknown, ...unsupportedProblems, ...problems, ...schemaProblems],
    refusedFields: [...new Set(refusedFields)],
  };
}

/**
 * The typed config a Buildkite parameter file describes.
 * @throws StackConfigError listing every problem: unknown parameters, unsupported ones (each with its reason), and
 *   values we do not accept, each naming its parameter.
 */
export function buildkiteParametersToConfig(document: unknown, source = 'parameter file'): StackConfig {
  const { config, problems } = mapBuildkiteParameters(document);
  if (problems.length > 0 || config === undefined) throw StackConfigError.of(source, problems);
  return config;
}

/** For messages elsewhere: the parameter a config field came from, when a rule sets it. */
export function parametersSettingField(field: string): string[] {
  return RULES.filter((rule) => rule.fields.includes(field)).map((rule) => rule.parameter);
}
