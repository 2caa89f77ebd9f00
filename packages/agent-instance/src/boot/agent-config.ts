import type { BootContract } from '../boot-contract.js';

export interface AgentConfigInput {
  readonly contract: BootContract;
  readonly instanceId: string;
  /** The registration token. Goes into the file only; never into a log or an error. */
  readonly token: string;
  /** Where the boot wrote the JWKS files (absolute paths on the instance, root not included). */
  readonly signingJwksFile: string;
  readonly verificationJwksFile: string;
}

/** Instance paths as the agent sees them (the config names real paths even when a test writes under a scratch root). */
export const AGENT_SIGNING_JWKS_FILE = '/etc/buildkite-agent/signing-key.json';
export const AGENT_VERIFICATION_JWKS_FILE = '/etc/buildkite-agent/verification-key.json';

export class AgentTokenFormatError extends Error {
  override name = 'AgentTokenFormatError';
}

/** A token is one word of printable ASCII; anything else would break (or inject into) the config file. */
export function assertTokenShape(token: string): void {
  if (!/^[\x21-\x7e]{1,1024}$/.test(token) || token.includes('"') || token.includes('\\')) {
    throw new AgentTokenFormatError(
      'the agent token is empty or not a single word of printable characters (value not shown): store only the token in the parameter or secret',
    );
  }
}

/** The agent tags: ours first (queue, stack, stack-version, instance-id), then the contract's, in order. */
export function agentTags(contract: BootContract, instanceId: string): string[] {
  return [
    `queue=${contract.agent.queue}`,
    `stack=${contract.stack.name}`,
    `stack-version=${contract.stack.version}`,
    `instance-id=${instanceId}`,
    ...contract.agent.tags,
  ];
}

const quote = (value: string) => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

/**
 * `buildkite-agent.cfg` for this instance: one `key=value` line per setting the agent reads. Pure; the token is
 * checked for shape and written verbatim.
 */
export function renderAgentConfig(input: AgentConfigInput): string {
  const { contract, instanceId } = input;
  const { agent, paths, signing } = contract;
  assertTokenShape(input.token);
  const lines: string[] = [
    '# Written by elastic-ci-boot from the boot contract. Holds the agent token: mode 0600, never print it.',
    `name=${quote(`${contract.stack.name}-${instanceId}-%spawn`)}`,
    `token=${quote(input.token)}`,
    `endpoint=${quote(agent.endpoint)}`,
    `tags=${quote(agentTags(contract, instanceId).join(','))}`,
    'tags-from-ec2-meta-data=true',
    `spawn=${agent.agentsPerInstance}`,
    `priority=${agent.priority === undefined ? '%n' : String(agent.priority)}`,
    `disconnect-after-idle-timeout=${agent.idleDisconnectTimeoutSeconds}`,
    `disconnect-after-job=${agent.disconnectAfterJob}`,
    `disconnect-after-uptime=${agent.disconnectAfterUptimeSeconds}`,
    `cancel-grace-period=${agent.cancelGracePeriodSeconds}`,
    `signal-grace-period-seconds=${agent.signalGracePeriodSeconds}`,
    `hooks-path=${quote(paths.hooks)}`,
    `build-path=${quote(paths.builds)}`,
    `plugins-path=${quote(paths.plugins)}`,
    'no-color=true',
  ];
  if (agent.gitMirrorsEnabled) lines.push(`git-mirrors-path=${quote(paths.gitMirrors)}`);
  if (!agent.pluginsEnabled) lines.push('no-plugins=true');
  if (!agent.localHooksEnabled) lines.push('no-local-hooks=true');
  if (agent.timestampLines) lines.push('timestamp-lines=true', 'no-ansi-timestamps=true');
  if (agent.experiments.length > 0) lines.push(`experiment=${quote(agent.experiments.join(','))}`);
  if (agent.tracingBackend !== 'none') lines.push(`tracing-backend=${agent.tracingBackend}`);
  if (signing !== undefined) {
    if (signing.kmsKeyId !== undefined) lines.push(`signing-aws-kms-key=${quote(signing.kmsKeyId)}`);
    if (signing.jwksParameter !== undefined) lines.push(`signing-jwks-file=${quote(input.signingJwksFile)}`);
    if (signing.jwksKeyId !== undefined) lines.push(`signing-jwks-key-id=${quote(signing.jwksKeyId)}`);
    if (signing.verificationJwksParameter !== undefined) {
      lines.push(`verification-jwks-file=${quote(input.verificationJwksFile)}`);
    }
    lines.push(`verification-failure-behavior=${signing.verificationFailureBehavior}`);
  }
  return `${lines.join('\n')}\n`;
}
