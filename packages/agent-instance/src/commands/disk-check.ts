import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../aws/clock.js';
import { bootContractSchema } from '../boot-contract.js';
import { DISK_FULL_EXIT_STATUS, nodeStatFs, replaceInstanceWhenFull, runDiskCheck } from '../disk/disk-check.js';
import { purgeBuilds } from '../disk/purge-builds.js';
import { listBusyJobs } from '../protection/busy-jobs.js';
import { withFileLock } from '../protection/file-lock.js';
import { awsInstanceControl } from '../protection/instance-control.js';
import { currentBootId, instanceMetadataFor, readBootContract } from '../protection/instance-runtime.js';
import { isProcessAlive } from '../protection/process-table.js';
import { protectionPaths } from '../protection/protection.js';
import { withRetries } from '../protection/retry.js';
import { spawnCommandRunner } from '../terminate/command-runner.js';
import { type Command, UsageError } from './command.js';

const USAGE = 'disk-check [--prune] [--min-free-gib N] [--min-free-inodes-percent N] [--path DIR]…';

export interface DiskCheckOptions {
  prune: boolean;
  minFreeGigabytes: number | undefined;
  minFreeInodesPercent: number | undefined;
  paths: string[];
}

export function parseDiskCheckArgs(args: readonly string[]): DiskCheckOptions {
  const options: DiskCheckOptions = {
    prune: false,
    minFreeGigabytes: undefined,
    minFreeInodesPercent: undefined,
    paths: [],
  };
  for (let index = 0; index < args.length; index++) {
    const [flag, inline] = (args[index] as string).split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => {
      const next = inline ?? args[++index];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    const number = (max: number) => {
      const text = value();
      if (!/^\d{1,5}$/.test(text) || Number(text) > max)
        throw new UsageError(`${flag} must be an integer from 0 to ${max}`);
      return Number(text);
    };
    if (flag === '--prune' && inline === undefined) options.prune = true;
    else if (flag === '--min-free-gib') options.minFreeGigabytes = number(10_000);
    else if (flag === '--min-free-inodes-percent') options.minFreeInodesPercent = number(100);
    else if (flag === '--path') {
      const path = value();
      if (!path.startsWith('/')) throw new UsageError('--path must be absolute');
      options.paths.push(path);
    } else throw new UsageError(`unknown option ${/^--[a-z-]{1,30}$/.test(flag) ? flag : '…'}`);
  }
  return options;
}

export const diskCheckCommand: Command = {
  name: 'disk-check',
  usage: USAGE,
  summary: `check free space and inodes (build path and Docker data root); with --prune, prune Docker when low, recheck, exit ${DISK_FULL_EXIT_STATUS} if still low`,
  async run({ args, root, env, log }) {
    const options = parseDiskCheckArgs(args);
    // The contract's values, or the schema's defaults when the instance has none (the same defaults, defined once).
    const contract =
      (await readBootContract(root, log)) ??
      bootContractSchema.parse({
        version: 1,
        stack: { name: 'unknown', region: 'us-east-1', version: '0' },
        agent: { token: { kind: 'ssm-parameter', name: '/unknown' } },
      });
    const dataRoot =
      contract.docker.dataRoot ??
      (contract.storage.instanceStoreRaid0 ? `${contract.storage.instanceStoreMountPath}/docker` : '/var/lib/docker');
    const outcome = await runDiskCheck(
      {
        paths: options.paths.length > 0 ? options.paths : [contract.paths.builds, dataRoot],
        thresholds: {
          minFreeGigabytes: options.minFreeGigabytes ?? contract.disk.minFreeGigabytes,
          minFreeInodesPercent: options.minFreeInodesPercent ?? contract.disk.minFreeInodesPercent,
        },
        prune: options.prune
          ? { until: contract.docker.pruneUntil, builderPrune: contract.docker.builderPruneEnabled }
          : undefined,
      },
      {
        root,
        statfs: nodeStatFs,
        runner: spawnCommandRunner,
        log,
        purgeBuilds: contract.disk.purgeBuildsOnDiskFull
          ? () => {
              const at = (path: string) => join(root || '/', path);
              const protection = protectionPaths(root);
              const checkout = env.BUILDKITE_BUILD_CHECKOUT_PATH;
              return purgeBuilds({
                buildsDir: at(contract.paths.builds),
                currentJobId: env.BUILDKITE_JOB_ID || undefined,
                currentCheckoutPath: checkout ? at(checkout) : undefined,
                listBusyJobs: () => listBusyJobs(protection.busyJobsDir),
                holdingLock: async (body) => {
                  await mkdir(protection.stateDir, { recursive: true, mode: 0o755 });
                  const bootId = await currentBootId();
                  return withFileLock(protection.lock, { clock: systemClock, isProcessAlive, bootId }, body);
                },
                log,
              });
            }
          : undefined,
      },
    );
    if (outcome.ok) {
      log.info('disk ok', { pruned: outcome.pruned });
      return 0;
    }
    if (contract.disk.terminateInstanceOnDiskFull) {
      const metadata = instanceMetadataFor(env);
      const control = awsInstanceControl({
        env,
        metadata,
        groupName: contract.stack.autoScalingGroupName,
        region: contract.stack.region,
        instanceBrokerUrl: contract.lifecycle.instanceBrokerUrl,
      });
      await replaceInstanceWhenFull(outcome, {
        setUnhealthy: () => withRetries(() => control.setUnhealthy(), { clock: systemClock }),
        log,
      });
    }
    return DISK_FULL_EXIT_STATUS;
  },
};
