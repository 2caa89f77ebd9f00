import { statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '../logger.js';
import type { CommandRunner } from '../terminate/command-runner.js';
import { checkDisk, type DiskThresholds, type DiskVerdict, type FileSystemStats } from './decide-disk.js';

/** The exit status the agent's environment hook passes on when the disk is full: Buildkite's "hook failed" code. */
export const DISK_FULL_EXIT_STATUS = 53;

export type StatFs = (path: string) => Promise<FileSystemStats>;

/** `fs.statfs` of the path, or of its nearest existing parent (a data root that does not exist yet). */
export const nodeStatFs: StatFs = async (path) => {
  for (let current = path; ; current = dirname(current)) {
    try {
      return await statfs(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || current === dirname(current)) throw error;
    }
  }
};

export interface DiskCheckDeps {
  readonly root: string;
  readonly statfs: StatFs;
  readonly runner: CommandRunner;
  readonly log: Logger;
  /** `disk.purgeBuildsOnDiskFull`: the last resort after a prune, see `purge-builds.ts`. Absent: never purge. */
  readonly purgeBuilds?: (() => Promise<{ readonly purged: boolean }>) | undefined;
}

export interface DiskCheckRequest {
  /** Absolute paths on the instance (joined to the root): the build path and Docker's data root. */
  readonly paths: readonly string[];
  readonly thresholds: DiskThresholds;
  /** When low: prune Docker images (and the build cache) older than `pruneUntil`, then check again. */
  readonly prune: { readonly until: string; readonly builderPrune: boolean } | undefined;
}

/**
 * `disk.terminateInstanceOnDiskFull`: after a prune that did not free enough, mark the instance unhealthy. Auto Scaling
 * then replaces it through the termination lifecycle hook, where lifecycled lets the running jobs finish first.
 */
export async function replaceInstanceWhenFull(
  outcome: DiskCheckOutcome,
  deps: { readonly setUnhealthy: () => Promise<void>; readonly log: Logger },
): Promise<boolean> {
  if (outcome.ok || !outcome.pruned) return false;
  try {
    await deps.setUnhealthy();
    deps.log.error('disk full after pruning: instance marked unhealthy; it is replaced once its running jobs end');
    return true;
  } catch (error) {
    deps.log.error('disk full after pruning, and marking the instance unhealthy failed', {
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    return false;
  }
}

export interface DiskCheckOutcome {
  readonly ok: boolean;
  readonly pruned: boolean;
  /** Build checkouts were purged (only after a prune that did not free enough). */
  readonly purged?: boolean;
  readonly verdicts: readonly DiskVerdict[];
}

async function checkAll(request: DiskCheckRequest, deps: DiskCheckDeps): Promise<DiskVerdict[]> {
  return Promise.all(
    [...new Set(request.paths)].map(async (path) =>
      checkDisk(path, await deps.statfs(join(deps.root || '/', path)), request.thresholds),
    ),
  );
}

export async function runDiskCheck(request: DiskCheckRequest, deps: DiskCheckDeps): Promise<DiskCheckOutcome> {
  const first = await checkAll(request, deps);
  if (first.every((verdict) => verdict.ok)) return { ok: true, pruned: false, verdicts: first };
  for (const problem of first.flatMap((verdict) => verdict.problems)) deps.log.info(`low disk: ${problem}`);
  if (request.prune === undefined) return { ok: false, pruned: false, verdicts: first };

  const filter = `until=${request.prune.until}`;
  const prunes = [['image', 'prune', '--all', '--force', '--filter', filter]];
  if (request.prune.builderPrune) prunes.push(['builder', 'prune', '--all', '--force', '--filter', filter]);
  for (const args of prunes) {
    deps.log.info(`running docker ${args.join(' ')}`);
    const result = await deps.runner('docker', args);
    if (result.exitCode !== 0) deps.log.error(`docker ${args[0]} prune failed`, { exitCode: result.exitCode });
  }
  const second = await checkAll(request, deps);
  const ok = second.every((verdict) => verdict.ok);
  if (ok || deps.purgeBuilds === undefined) {
    for (const problem of second.flatMap((verdict) => verdict.problems)) {
      deps.log.error(`disk still low after pruning: ${problem}`);
    }
    return { ok, pruned: true, verdicts: second };
  }
  const { purged } = await deps.purgeBuilds();
  const third = purged ? await checkAll(request, deps) : second;
  for (const problem of third.flatMap((verdict) => verdict.problems)) {
    deps.log.error(`disk still low after pruning${purged ? ' and purging build checkouts' : ''}: ${problem}`);
  }
  return { ok: third.every((verdict) => verdict.ok), pruned: true, purged, verdicts: third };
}
