import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../aws/clock.js';
import { createImdsClient, imdsEndpointFromEnv } from '../aws/imds-client.js';
import type { InstanceBrokerClientFactory } from '../aws/instance-broker.js';
import { instancePaths } from '../boot/paths.js';
import { type BootContract, parseBootContract } from '../boot-contract.js';
import type { Logger } from '../logger.js';
import { spawnCommandRunner } from '../terminate/command-runner.js';
import { awsInstanceControl, type InstanceControl, type InstanceIdentity } from './instance-control.js';
import { procRunningJobIds } from './job-processes.js';
import { isRecordedProcessAlive, processStartTicks } from './process-table.js';
import type { ProtectionDeps } from './protection.js';

export const BOOT_CONTRACT_PATH = 'etc/elastic-ci/boot-contract.json';

/**
 * The boot contract the instance booted with, or undefined (logged) when it is missing or invalid: the hook-time
 * commands then run on the schema's defaults rather than fail a job.
 */
export async function readBootContract(root: string, log: Logger): Promise<BootContract | undefined> {
  const path = join(root || '/', BOOT_CONTRACT_PATH);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    log.info('no boot contract; using the defaults', { path, error: (error as NodeJS.ErrnoException).code ?? 'read' });
    return undefined;
  }
  try {
    return parseBootContract(text);
  } catch (error) {
    log.error('boot contract is invalid; using the defaults', { path, error: (error as Error).message });
    return undefined;
  }
}

/** The id of this boot; undefined where /proc has none (then pids alone decide whether an agent is alive). */
export async function currentBootId(): Promise<string | undefined> {
  return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim() || undefined;
}

/** The boot's IMDSv2 client, with fewer attempts: a job hook must not hang on metadata for long. */
export function instanceMetadataFor(env: NodeJS.ProcessEnv) {
  return createImdsClient({ endpoint: imdsEndpointFromEnv(env), clock: systemClock, attempts: 3, backoffMs: 500 });
}

const INSTANCE_ID_LINE = /^ELASTIC_CI_INSTANCE_ID="(i-[0-9a-f]{8,32})"$/m;

/**
 * The instance id the boot read from IMDS and wrote to `/etc/elastic-ci/agent.env`; undefined when the file or the
 * line is missing or not an instance id (then IMDS is asked, as before the boot ran).
 */
export async function bootInstanceId(root: string): Promise<string | undefined> {
  const text = await readFile(instancePaths(root).stackEnv, 'utf8').catch(() => '');
  return INSTANCE_ID_LINE.exec(text)?.[1];
}

/**
 * This instance's Auto Scaling and EC2 calls, from what the boot recorded (instance id, the contract's region, group
 * and instance broker URL) with IMDS only for what is missing.
 */
export async function instanceControlFor(input: {
  root: string;
  env: NodeJS.ProcessEnv;
  contract: BootContract | undefined;
  /** Injected for tests; default: the real broker client, loaded on its first call. */
  brokerClient?: InstanceBrokerClientFactory;
}): Promise<InstanceControl & { identity(): Promise<InstanceIdentity> }> {
  return awsInstanceControl({
    env: input.env,
    metadata: instanceMetadataFor(input.env),
    groupName: input.contract?.stack.autoScalingGroupName,
    region: input.contract?.stack.region,
    instanceId: await bootInstanceId(input.root),
    instanceBrokerUrl: input.contract?.lifecycle.instanceBrokerUrl,
    ...(input.brokerClient === undefined ? {} : { brokerClient: input.brokerClient }),
  });
}

export async function protectionDeps(input: {
  root: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
}): Promise<ProtectionDeps> {
  const contract = await readBootContract(input.root, input.log);
  return {
    root: input.root,
    clock: systemClock,
    isProcessAlive: isRecordedProcessAlive,
    processStartTicks: (pid) => processStartTicks(pid),
    bootId: await currentBootId(),
    runningJobIds: procRunningJobIds(),
    agentRunning: async () =>
      (await spawnCommandRunner('systemctl', ['is-active', '--quiet', 'buildkite-agent'])).exitCode === 0,
    control: await instanceControlFor({ root: input.root, env: input.env, contract }),
    settings: {
      protectWhileBusy: contract?.lifecycle.protectWhileBusy ?? true,
      releaseProtectionWhenIdle: contract?.lifecycle.releaseProtectionWhenIdle ?? true,
    },
    log: input.log,
  };
}
