import type { BootContract } from '../boot-contract.js';

/**
 * `KEY="value"` as systemd's `EnvironmentFile=` and bash's `source` both read it. A line break stays a line break
 * inside the quotes, which both keep; neither turns `\n` back into one (a certificate would lose its lines).
 */
function envLine(key: string, value: string): string {
  const escaped = value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('$', '\\$').replaceAll('`', '\\`');
  return `${key}="${escaped}"`;
}

function envFile(
  header: string,
  entries: ReadonlyArray<readonly [string, string | number | boolean | undefined]>,
): string {
  const lines = [header];
  for (const [key, value] of entries) if (value !== undefined) lines.push(envLine(key, String(value)));
  return `${lines.join('\n')}\n`;
}

/**
 * `/etc/elastic-ci/agent.env`: the stack's settings for the agent hooks, with Buildkite's variable names (no secrets:
 * the token and the secrets themselves never go here).
 */
export function renderStackEnv(contract: BootContract, instanceId: string): string {
  const { agent, docker, registries, disk, secrets, artifacts, stack } = contract;
  const plugins = [
    secrets === undefined ? undefined : 'secrets',
    registries.ecrPolicy !== 'none' && registries.ecrLoginEnabled ? 'ecr' : undefined,
    registries.dockerLoginEnabled ? 'docker-login' : undefined,
  ].filter((plugin) => plugin !== undefined);
  return envFile('# Written by elastic-ci-boot from the boot contract: stack settings for the agent hooks.', [
    ['BUILDKITE_STACK_NAME', stack.name],
    ['BUILDKITE_STACK_VERSION', stack.version],
    ['ELASTIC_CI_INSTANCE_ID', instanceId],
    ['AWS_REGION', stack.region],
    ['AWS_DEFAULT_REGION', stack.region],
    ['BUILDKITE_QUEUE', agent.queue],
    ['BUILDKITE_AGENTS_PER_INSTANCE', agent.agentsPerInstance],
    ['BUILDKITE_TERMINATE_INSTANCE_AFTER_JOB', agent.disconnectAfterJob],
    ['BUILDKITE_TERMINATE_INSTANCE_ON_DISK_FULL', disk.terminateInstanceOnDiskFull],
    ['BUILDKITE_PURGE_BUILDS_ON_DISK_FULL', disk.purgeBuildsOnDiskFull],
    ['DISK_MIN_AVAILABLE_GB', disk.minFreeGigabytes],
    ['DISK_MIN_INODES_PERCENT', disk.minFreeInodesPercent],
    ['BUILDKITE_ECR_POLICY', registries.ecrPolicy],
    ['ECR_PLUGIN_ENABLED', registries.ecrPolicy !== 'none' && registries.ecrLoginEnabled],
    ['ECR_CREDENTIAL_HELPER_ENABLED', registries.ecrCredentialHelper],
    ['DOCKER_LOGIN_PLUGIN_ENABLED', registries.dockerLoginEnabled],
    ['SECRETS_PLUGIN_ENABLED', secrets !== undefined],
    ['BUILDKITE_SECRETS_BUCKET', secrets?.bucket],
    ['BUILDKITE_SECRETS_BUCKET_REGION', secrets?.region],
    ['BUILDKITE_SECRETS_PREFIX', secrets?.prefix],
    ['BUILDKITE_SECRETS_PLUGIN_SKIP_SSH_KEY_NOT_FOUND_WARNING', secrets?.skipSshKeyNotFoundWarning],
    ['BUILDKITE_ARTIFACTS_BUCKET', artifacts?.bucket],
    ['BUILDKITE_S3_DEFAULT_REGION', artifacts === undefined ? undefined : (artifacts.region ?? stack.region)],
    ['BUILDKITE_S3_ACL', artifacts?.acl],
    ['BUILDKITE_DOCKER_EXPERIMENTAL', docker.experimental || docker.networkingProtocol === 'dualstack'],
    ['DOCKER_USERNS_REMAP', docker.userNamespaceRemap],
    ['DOCKER_PRUNE_UNTIL', docker.pruneUntil],
    ['DOCKER_BUILDER_PRUNE_ENABLED', docker.builderPruneEnabled],
    ['ENABLE_PRE_EXIT_DISK_CLEANUP', docker.preExitDiskCleanup],
    ['PLUGINS_ENABLED', plugins.join(' ')],
  ]);
}

/** Seconds the agent needs after its job's cancel grace period to report the job and exit. */
const CANCEL_REPORT_MARGIN_SECONDS = 10;
/** A spot notice comes two minutes before the deadline and is seen a few seconds late: no lead beyond this is given. */
const SPOT_NOTICE_USABLE_SECONDS = 110;

/**
 * How long before a spot deadline lifecycled's handler sends the agent SIGQUIT (cancel the running job): the job's
 * cancel grace period and the agent's report must fit before the instance is gone, else the cancel is itself cut
 * short (lifecycled's own default, 20 s, cut the default 60 s grace after a third).
 */
export function spotSigquitLeadSeconds(contract: BootContract): number {
  return Math.min(contract.agent.cancelGracePeriodSeconds + CANCEL_REPORT_MARGIN_SECONDS, SPOT_NOTICE_USABLE_SECONDS);
}

/** `/etc/lifecycled`: lifecycled's settings from the contract (see packages/lifecycled/README.md). */
export function renderLifecycledEnv(contract: BootContract, instanceId: string): string {
  const { lifecycled, stack, logs } = contract;
  return envFile('# Written by elastic-ci-boot from the boot contract.', [
    ['AWS_REGION', stack.region],
    ['LIFECYCLED_INSTANCE_ID', instanceId],
    ['LIFECYCLED_HANDLER', lifecycled.handlerPath],
    ['LIFECYCLED_AUTOSCALING_HEARTBEAT_INTERVAL', `${lifecycled.heartbeatIntervalSeconds}s`],
    ['LIFECYCLED_AUTOSCALING_GROUP_NAME', stack.autoScalingGroupName],
    // Heartbeats and the completion go through the broker (signed with the instance profile) when the stack has one.
    ['LIFECYCLED_INSTANCE_BROKER_URL', contract.lifecycle.instanceBrokerUrl],
    ['LIFECYCLED_SNS_TOPIC', lifecycled.mode === 'sqs' ? lifecycled.snsTopicArn : undefined],
    ['LIFECYCLED_NO_LIFECYCLE_STATE', lifecycled.mode === 'sqs' ? true : undefined],
    ['LIFECYCLED_NO_SPOT', lifecycled.spotListener ? undefined : true],
    ['LIFECYCLED_CLOUDWATCH_GROUP', logs.cloudWatchAgentEnabled ? logs.groups.lifecycled : undefined],
    // Read by the default handler (stop-agent-gracefully), which runs with lifecycled's environment.
    ['STOP_AGENT_SIGQUIT_LEAD', `${spotSigquitLeadSeconds(contract)}s`],
    ['LIFECYCLED_JSON', true],
  ]);
}

/**
 * Environment for the agent process from `ssm:/path`: one line per parameter, named after the last segment of its
 * name in upper case (Buildkite's rule), characters an environment name cannot hold replaced by `_`.
 */
export function renderSsmEnvFile(parameters: ReadonlyArray<{ name: string; value: string }>): string {
  return envFile(
    '# Written by elastic-ci-boot from agent.envFileUrl (ssm:).',
    parameters.map(({ name, value }) => {
      const last =
        name
          .split('/')
          .filter((segment) => segment !== '')
          .pop() ?? name;
      const key = last.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
      return [/^[0-9]/.test(key) ? `_${key}` : key, value] as const;
    }),
  );
}

export type SourceUrl =
  | { readonly kind: 's3'; readonly bucket: string; readonly key: string }
  | { readonly kind: 'ssm'; readonly path: string }
  | { readonly kind: 'https'; readonly url: string };

export class SourceUrlError extends Error {
  override name = 'SourceUrlError';
}

/** `s3://bucket/key`, `ssm:/path` or `https://…` (the contract already refused anything else; this is the parse). */
export function parseSourceUrl(url: string): SourceUrl {
  if (url.startsWith('s3://')) {
    const rest = url.slice('s3://'.length);
    const slash = rest.indexOf('/');
    if (slash > 0 && slash < rest.length - 1)
      return { kind: 's3', bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
  } else if (url.startsWith('ssm:/')) {
    return { kind: 'ssm', path: url.slice('ssm:'.length) };
  } else if (url.startsWith('https://')) {
    return { kind: 'https', url };
  }
  throw new SourceUrlError('not an s3://bucket/key, ssm:/path or https:// URL');
}
