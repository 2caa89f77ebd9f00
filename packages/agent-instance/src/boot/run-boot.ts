import type { InstanceAws } from '../aws/aws-ports.js';
import { type BootContract, BootContractError, parseBootContract } from '../boot-contract.js';
import {
  AGENT_SIGNING_JWKS_FILE,
  AGENT_VERIFICATION_JWKS_FILE,
  AgentTokenFormatError,
  agentTags,
  assertTokenShape,
  renderAgentConfig,
} from './agent-config.js';
import { mergeDockerDaemonConfig, parseDockerDaemonConfig } from './docker-daemon.js';
import { parseSourceUrl, renderLifecycledEnv, renderSsmEnvFile, renderStackEnv } from './env-files.js';
import { seedGitMirrors } from './git-mirror-seeds.js';
import { prePullImages } from './image-pre-pull.js';
import { instanceStoreDevices, planInstanceStore } from './instance-store.js';
import { AGENT_USER, type InstancePaths, instancePaths, LOGIN_USER } from './paths.js';
import type { BootPorts, WriteOptions } from './ports.js';
import { renderAgentSlice, renderAgentSliceDropIn } from './resource-limits.js';

export const AGENT_SERVICE = 'buildkite-agent.service';
export const LIFECYCLED_SERVICE = 'lifecycled.service';
export const START_AGENT_SERVICE = 'elastic-ci-start-agent.service';
/** The bootstrap script may install things; it may not hold the boot forever. */
export const BOOTSTRAP_SCRIPT_TIMEOUT_MS = 15 * 60_000;

/** A boot step that failed: `step` names it, `fix` says what to do where that is known. Never carries a secret. */
export class BootStepError extends Error {
  override name = 'BootStepError';
  constructor(
    readonly step: string,
    message: string,
    readonly fix: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface BootOptions {
  readonly contractPath: string;
  readonly root: string;
}

export type BootOutcome =
  | { readonly status: 'agent-started'; readonly firstBoot: boolean }
  | { readonly status: 'warm-pool'; readonly firstBoot: boolean; readonly lifecycleState: string }
  | { readonly status: 'failed'; readonly error: BootStepError };

/** One line, whatever the cause: error name and message with line breaks folded (a contract lists several problems). */
function describe(error: unknown): string {
  if (error instanceof BootContractError) return error.problems.join('; ');
  if (error instanceof Error) return `${error.name}: ${error.message}`.replace(/\s*\n\s*/g, '; ');
  return String(error);
}

function hintFor(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ENOSPC') return 'the disk is full: give the instance a larger root volume';
  if (code === 'EACCES' || code === 'EPERM') return 'run the boot as root';
  return undefined;
}

async function step<T>(name: string, fix: string | undefined, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof BootStepError) throw error;
    throw new BootStepError(name, describe(error), hintFor(error) ?? fix, { cause: error });
  }
}

interface Owner {
  uid: number;
  gid: number;
}

/** A user's uid/gid and home from `/etc/passwd`, or undefined where it does not exist (a scratch root). */
async function account(
  ports: BootPorts,
  paths: InstancePaths,
  user: string,
): Promise<(Owner & { home: string }) | undefined> {
  const passwd = await ports.fs.readText(paths.passwd);
  for (const line of passwd?.split('\n') ?? []) {
    const [name, , uid, gid, , home] = line.split(':');
    if (name === user && uid !== undefined && gid !== undefined && home !== undefined) {
      return { uid: Number(uid), gid: Number(gid), home };
    }
  }
  return undefined;
}

async function agentOwner(ports: BootPorts, paths: InstancePaths): Promise<Owner | undefined> {
  const found = await account(ports, paths, AGENT_USER);
  return found === undefined ? undefined : { uid: found.uid, gid: found.gid };
}

/**
 * Reads where the contract says the token is, and checks its shape there and then: a value that is no token (empty, a
 * JSON secret) fails the boot before anything on the instance changes. The value only ever goes into
 * buildkite-agent.cfg.
 */
async function fetchToken(contract: BootContract, aws: InstanceAws): Promise<string> {
  const { token } = contract.agent;
  const value = (
    token.kind === 'ssm-parameter' ? await aws.getParameter(token.name) : await aws.getSecretString(token.secretArn)
  ).trim();
  try {
    assertTokenShape(value);
  } catch (error) {
    if (!(error instanceof AgentTokenFormatError)) throw error;
    const where = token.kind === 'ssm-parameter' ? `SSM parameter ${token.name}` : 'the secret';
    throw new BootStepError('agent token', error.message, `put the bare agent token into ${where}`, { cause: error });
  }
  return value;
}

async function fetchSource(url: string, ports: BootPorts, aws: InstanceAws): Promise<string> {
  const source = parseSourceUrl(url);
  if (source.kind === 's3') return aws.getS3Object(source.bucket, source.key);
  if (source.kind === 'ssm') return renderSsmEnvFile(await aws.getParametersByPath(source.path));
  return ports.httpsGet(source.url);
}

/**
 * The every-boot steps, at most once per boot of the machine: the first run on a boot (elastic-ci-boot on the first
 * boot, elastic-ci-start-agent.service on later ones) does them; a second run on the same boot skips them, because
 * restarting Docker under an agent that already runs jobs would kill them.
 */
export async function everyBootStepsOncePerBoot(
  contract: BootContract,
  ports: BootPorts,
  paths: InstancePaths,
): Promise<void> {
  const bootId = (await ports.fs.readText(paths.kernelBootId))?.trim();
  if (bootId !== undefined && bootId !== '' && (await ports.fs.readText(paths.everyBootMarker))?.trim() === bootId) {
    ports.log.info('every-boot steps already done on this boot');
    return;
  }
  await everyBootSteps(contract, ports, paths);
  if (bootId !== undefined && bootId !== '') {
    await step('boot marker', undefined, () =>
      ports.fs.writeFile(paths.everyBootMarker, `${bootId}\n`, { mode: 0o644 }),
    );
  }
}

/** Steps re-done on every boot: what does not survive a stop (instance store) or is cheap and must match the contract. */
async function everyBootSteps(contract: BootContract, ports: BootPorts, paths: InstancePaths): Promise<void> {
  const { storage } = contract;
  if (!storage.mountTmpfsAtTmp) {
    await step('tmp on the root disk', undefined, () =>
      ports.commands.run('systemctl', ['mask', '--now', 'tmp.mount']),
    );
  }
  if (storage.instanceStoreRaid0) {
    await step(
      'instance storage',
      'use an instance type with NVMe instance storage, or turn storage.instanceStoreRaid0 off',
      async () => {
        const mountPath = paths.at(storage.instanceStoreMountPath);
        const bindMounts = [
          { source: `${mountPath}/builds`, target: paths.at(contract.paths.builds) },
          ...(contract.agent.gitMirrorsEnabled
            ? [{ source: `${mountPath}/git-mirrors`, target: paths.at(contract.paths.gitMirrors) }]
            : []),
        ];
        const plan = planInstanceStore({
          devices: instanceStoreDevices(await ports.fs.listLinks(paths.at('/dev/disk/by-id'))),
          mounted: await ports.fs.isMountPoint(mountPath),
          mountPath,
          bindMounts,
        });
        for (const { command, args } of plan) await ports.commands.run(command, args);
        if (plan.length === 0) {
          ports.log.info('instance storage: nothing to do (no instance-store volume, or already mounted)');
          return;
        }
        // The fresh file system's directories are root's; the first-boot steps that hand them to buildkite-agent
        // do not run again after a stop or reboot, and the agent could not check anything out.
        const owner = await agentOwner(ports, paths);
        for (const { target } of bindMounts) await ports.fs.mkdir(target, owner);
      },
    );
  }
  await step('docker daemon config', 'fix /etc/docker/daemon.json in the image', async () => {
    const existing = parseDockerDaemonConfig(await ports.fs.readText(paths.dockerDaemonConfig));
    const merged = mergeDockerDaemonConfig(existing, contract);
    await ports.fs.writeFile(paths.dockerDaemonConfig, `${JSON.stringify(merged, null, 2)}\n`, { mode: 0o644 });
    await ports.commands.run('systemctl', ['restart', 'docker.service']);
  });
}

function fetchTokenStep(contract: BootContract, ports: BootPorts): Promise<string> {
  return step(
    'agent token',
    contract.agent.token.kind === 'ssm-parameter'
      ? `check that SSM parameter ${contract.agent.token.name} exists in ${contract.stack.region} and the instance role may read (and decrypt) it`
      : 'check that the secret exists and the instance role may read it',
    () => fetchToken(contract, ports.aws(contract.stack.region)),
  );
}

async function firstBootSteps(
  contract: BootContract,
  instanceId: string,
  token: string,
  ports: BootPorts,
  paths: InstancePaths,
): Promise<void> {
  const aws = ports.aws(contract.stack.region);
  const owner = await agentOwner(ports, paths);
  const secretFile: WriteOptions = { mode: 0o600, owner };

  const { signing } = contract;
  if (signing?.jwksParameter !== undefined) {
    const name = signing.jwksParameter;
    await step('signing key', `check SSM parameter ${name} and the instance role's access to it`, async () =>
      ports.fs.writeFile(paths.signingJwks, await aws.getParameter(name), secretFile),
    );
  }
  if (signing?.verificationJwksParameter !== undefined) {
    const name = signing.verificationJwksParameter;
    await step('verification key', `check SSM parameter ${name} and the instance role's access to it`, async () =>
      ports.fs.writeFile(paths.verificationJwks, await aws.getParameter(name), secretFile),
    );
  }
  await step('agent config', undefined, async () => {
    let text: string;
    try {
      text = renderAgentConfig({
        contract,
        instanceId,
        token,
        signingJwksFile: AGENT_SIGNING_JWKS_FILE,
        verificationJwksFile: AGENT_VERIFICATION_JWKS_FILE,
      });
    } catch (error) {
      if (error instanceof AgentTokenFormatError) throw new BootStepError('agent token', error.message, undefined);
      throw error;
    }
    await ports.fs.writeFile(paths.agentConfig, text, secretFile);
  });
  ports.log.info('wrote buildkite-agent.cfg', {
    tags: agentTags(contract, instanceId).join(','),
    spawn: contract.agent.agentsPerInstance,
  });

  await step('stack settings', undefined, async () => {
    await ports.fs.writeFile(paths.stackEnv, renderStackEnv(contract, instanceId), { mode: 0o644 });
    await ports.fs.writeFile(paths.lifecycledEnv, renderLifecycledEnv(contract, instanceId), { mode: 0o644 });
  });

  const { envFileUrl, bootstrapScriptUrl } = contract.agent;
  if (envFileUrl !== undefined) {
    await step('agent env file', 'check agent.envFileUrl and that the instance role may read it', async () =>
      ports.fs.writeFile(paths.agentProcessEnv, await fetchSource(envFileUrl, ports, aws), { mode: 0o640, owner }),
    );
  }

  await step('agent directories', undefined, async () => {
    const directories = [contract.paths.builds, contract.paths.plugins];
    if (contract.agent.gitMirrorsEnabled) directories.push(contract.paths.gitMirrors);
    for (const directory of directories) await ports.fs.mkdir(paths.at(directory), owner);
  });

  const seedBucket = contract.agent.gitMirrorSeedBucket;
  if (contract.agent.gitMirrorsEnabled && seedBucket !== undefined) {
    // Not a step: mirrors are a cache, so a seed that fails is logged and the boot goes on.
    await seedGitMirrors({ bucket: seedBucket, mirrorsDir: paths.at(contract.paths.gitMirrors), aws, ports });
  }

  if (contract.resourceLimits !== undefined) {
    const limits = contract.resourceLimits;
    await step('resource limits', undefined, async () => {
      await ports.fs.writeFile(paths.agentSlice, renderAgentSlice(limits), { mode: 0o644 });
      await ports.fs.writeFile(paths.agentResourceLimitsDropIn, renderAgentSliceDropIn(), { mode: 0o644 });
      await ports.commands.run('systemctl', ['daemon-reload']);
    });
  }

  const { additionalSudoPermissions, authorizedUsersUrl } = contract.access;
  if (additionalSudoPermissions !== undefined) {
    await step(
      'sudo permissions',
      'fix access.additionalSudoPermissions: it must be a valid sudoers command list',
      async () => {
        await ports.fs.writeFile(
          paths.additionalSudoers,
          `${AGENT_USER} ALL=NOPASSWD: ${additionalSudoPermissions}\n`,
          {
            mode: 0o440,
          },
        );
        try {
          // A sudoers file with a syntax error breaks sudo for everyone: check it, and never leave a bad one behind.
          await ports.commands.run('visudo', ['-c', '-q', '-f', paths.additionalSudoers]);
        } catch (error) {
          await ports.fs.remove(paths.additionalSudoers);
          throw error;
        }
      },
    );
  }
  if (authorizedUsersUrl !== undefined) {
    await step(
      'authorized keys',
      'check access.authorizedUsersUrl and that the instance role may read it',
      async () => {
        const login = await account(ports, paths, LOGIN_USER);
        const keys = await fetchSource(authorizedUsersUrl, ports, aws);
        const owner = login === undefined ? undefined : { uid: login.uid, gid: login.gid };
        await ports.fs.writeFile(paths.at(`${login?.home ?? `/home/${LOGIN_USER}`}/.ssh/authorized_keys`), keys, {
          mode: 0o600,
          owner,
        });
      },
    );
  }

  if (bootstrapScriptUrl !== undefined) {
    await step(
      'bootstrap script',
      'check agent.bootstrapScriptUrl, the instance role, and the script itself (it must exit 0)',
      async () => {
        await ports.fs.writeFile(paths.bootstrapScript, await fetchSource(bootstrapScriptUrl, ports, aws), {
          mode: 0o700,
        });
        await ports.commands.run('bash', [paths.bootstrapScript], { timeoutMs: BOOTSTRAP_SCRIPT_TIMEOUT_MS });
        await ports.fs.remove(paths.bootstrapScript);
      },
    );
  }
}

interface BootMarker {
  instanceId: string;
  completedAt: string;
}

async function readMarker(ports: BootPorts, paths: InstancePaths): Promise<BootMarker | undefined> {
  const text = await ports.fs.readText(paths.bootMarker);
  if (text === undefined) return undefined;
  try {
    const marker = JSON.parse(text) as Partial<BootMarker>;
    return typeof marker.instanceId === 'string' ? (marker as BootMarker) : undefined;
  } catch {
    return undefined;
  }
}

const isWarmed = (state: string | undefined) => state?.startsWith('Warmed:') === true;

export async function readContract(ports: BootPorts, contractPath: string): Promise<BootContract> {
  return step(
    'boot contract',
    'fix the stack configuration; the stack renders the contract into user data',
    async () => {
      const text = await ports.fs.readText(contractPath);
      if (text === undefined)
        throw new BootStepError('boot contract', `${contractPath} does not exist`, 'check the user data');
      return parseBootContract(text);
    },
  );
}

/**
 * Completes the launch lifecycle hook (`lifecycle.launchHookName`), if the group has one: CONTINUE lets Auto Scaling
 * move the instance on (into the warm pool, or InService), ABANDON has it terminated. An instance that waits in no
 * action of the hook (a reboot, a later start, not in a group) is fine.
 */
export async function completeLaunchHook(
  contract: BootContract,
  instanceId: string,
  result: 'CONTINUE' | 'ABANDON',
  ports: BootPorts,
): Promise<void> {
  const hookName = contract.lifecycle.launchHookName;
  if (hookName === undefined) return;
  const aws = ports.aws(contract.stack.region, { instanceBrokerUrl: contract.lifecycle.instanceBrokerUrl });
  const outcome = await aws.completeLifecycleAction({
    instanceId,
    hookName,
    result,
    groupName: contract.stack.autoScalingGroupName,
  });
  if (outcome === 'completed') ports.log.info('completed the launch lifecycle hook', { hookName, result });
  else ports.log.info('no launch lifecycle action pending for this instance', { hookName });
}

function completeLaunchHookStep(contract: BootContract, instanceId: string, ports: BootPorts): Promise<void> {
  return step(
    'launch lifecycle hook',
    contract.lifecycle.instanceBrokerUrl === undefined
      ? 'the instance role needs autoscaling:CompleteLifecycleAction on its group; the hook must still be waiting (its heartbeat timeout must cover the boot)'
      : 'the instance role needs lambda:InvokeFunctionUrl on the instance broker, and the broker must accept this group; the hook must still be waiting (its heartbeat timeout must cover the boot)',
    () => completeLaunchHook(contract, instanceId, 'CONTINUE', ports),
  );
}

/**
 * The boot: every step, in order, the agent last. First boot (no marker for this instance): everything. Later boots
 * (reboot, warm-pool resume): only the every-boot steps. In a warm pool (`Warmed:*`) everything is prepared, the
 * agent is not started; `start-agent-when-in-service` starts it later. Any failure: one line naming the step, the
 * instance marked unhealthy, power off — the agent is never started on a half-configured instance.
 */
export async function runBoot(options: BootOptions, ports: BootPorts): Promise<BootOutcome> {
  const paths = instancePaths(options.root);
  let instanceId: string | undefined;
  let contract: BootContract | undefined;
  try {
    // The instance id first: without it a failure could not mark the instance unhealthy.
    instanceId = await step(
      'instance metadata',
      'the instance metadata service must answer IMDSv2 (HttpTokens required, hop limit ≥ 1)',
      () => ports.metadata.instanceId(),
    );
    const id = instanceId;
    contract = await readContract(ports, options.contractPath);
    const loaded = contract;
    const marker = await readMarker(ports, paths);
    const firstBoot = marker?.instanceId !== id;
    ports.log.info(
      firstBoot ? 'first boot: configuring the instance' : 'boot already completed: re-doing the every-boot steps',
      {
        instanceId: id,
      },
    );
    if (firstBoot) {
      await step('boot marker', undefined, () =>
        ports.fs.writeFile(paths.bootStartedMarker, `${JSON.stringify({ instanceId: id })}\n`, { mode: 0o644 }),
      );
    }
    // The token first: an instance that cannot register must fail before it changes anything.
    const token = firstBoot ? await fetchTokenStep(loaded, ports) : undefined;
    await everyBootStepsOncePerBoot(loaded, ports, paths);
    if (token !== undefined) {
      await firstBootSteps(loaded, id, token, ports, paths);
      await step('boot marker', undefined, () =>
        ports.fs.writeFile(
          paths.bootMarker,
          `${JSON.stringify({ instanceId: id, completedAt: new Date(ports.clock.now()).toISOString() })}\n`,
          { mode: 0o644 },
        ),
      );
    }
    await step('start lifecycled', undefined, () =>
      ports.commands.run('systemctl', ['enable', '--now', LIFECYCLED_SERVICE]),
    );
    const state = loaded.lifecycle.warmPoolEnabled
      ? await step('instance metadata', 'the instance metadata service must answer IMDSv2', () =>
          ports.metadata.targetLifecycleState(),
        )
      : undefined;
    if (state !== undefined && isWarmed(state)) {
      // Not a step: the images are a cache, a failed pull is logged and the boot goes on.
      await prePullImages(loaded, ports, paths);
      // The waiter runs after this boot (Warmed:Running) and on every later start (Warmed:Stopped → InService).
      // --no-block: its unit is ordered after cloud-final, which is waiting for this very program.
      await step('warm pool', undefined, () =>
        ports.commands.run('systemctl', ['enable', '--now', '--no-block', START_AGENT_SERVICE]),
      );
      // Prepared: only now may Auto Scaling stop (or hibernate) the instance in the pool.
      await completeLaunchHookStep(loaded, id, ports);
      ports.log.info('warm pool: instance prepared, the agent starts when it goes InService', {
        lifecycleState: state,
      });
      return { status: 'warm-pool', firstBoot, lifecycleState: state };
    }
    // Before the agent: a hook that cannot be completed fails the boot while no job can have started yet.
    await completeLaunchHookStep(loaded, id, ports);
    await step('start agent', undefined, () => ports.commands.run('systemctl', ['start', AGENT_SERVICE]));
    ports.log.info('boot completed: agent started', { instanceId: id });
    return { status: 'agent-started', firstBoot };
  } catch (error) {
    const failure =
      error instanceof BootStepError ? error : new BootStepError('boot', describe(error), undefined, { cause: error });
    await failClosed(failure, instanceId, contract, ports);
    return { status: 'failed', error: failure };
  }
}

/** One line naming the step, then unhealthy, then power off. Each part runs even if the one before failed. */
export async function failClosed(
  failure: BootStepError,
  instanceId: string | undefined,
  contract: BootContract | undefined,
  ports: BootPorts,
): Promise<void> {
  ports.log.error(
    `boot failed at step "${failure.step}": ${failure.message}${failure.fix === undefined ? '' : ` — fix: ${failure.fix}`}`,
  );
  if (instanceId !== undefined && contract?.lifecycle.launchHookName !== undefined) {
    try {
      // While the launch hook waits the instance is not InService, so unhealthy alone might not end it: abandon it.
      await completeLaunchHook(contract, instanceId, 'ABANDON', ports);
    } catch (error) {
      ports.log.error(`could not abandon the launch lifecycle action (${describe(error)}): marking it Unhealthy`);
    }
  }
  if (instanceId !== undefined) {
    try {
      // Without a (valid) contract the region comes from the instance metadata.
      const region = contract?.stack.region ?? (await ports.metadata.region());
      await ports
        .aws(region, { instanceBrokerUrl: contract?.lifecycle.instanceBrokerUrl })
        .setInstanceUnhealthy(instanceId, contract?.stack.autoScalingGroupName);
      ports.log.info('marked the instance Unhealthy: the Auto Scaling group replaces it', { instanceId });
    } catch (error) {
      ports.log.error(`could not mark the instance Unhealthy (${describe(error)}): powering off anyway`);
    }
  }
  try {
    await ports.commands.run('systemctl', ['poweroff']);
  } catch (error) {
    ports.log.error(`could not power off (${describe(error)})`);
  }
}
