import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Logger } from '../logger.js';
import type { BusyJob } from '../protection/busy-jobs.js';

/**
 * `disk.purgeBuildsOnDiskFull` (Buildkite's `BuildkitePurgeBuildsOnDiskFull`): the last resort when pruning Docker did
 * not free enough — delete the agent's checkouts, so the next jobs clone afresh. Never the checkout of a running job.
 *
 * The busy-job records (`/var/lib/elastic-ci/protection/busy-jobs/`) hold the agent pid, not the checkout path, so the
 * checkout of another agent's running job cannot be told apart: while any job other than the current one is recorded,
 * nothing is purged (a record of a dead agent blocks too, until `reconcile-protection` drops it).
 */

/** Per-job Docker configs of running jobs (the environment hook's), under the build path: never purged. */
export const DOCKER_CONFIG_DIR = '.docker-config';
const TRASH_PREFIX = '.elastic-ci-purge-';

export type PurgeDecision =
  | { readonly purge: true; readonly keep: readonly string[] }
  | { readonly purge: false; readonly reason: string };

function isInside(parent: string, child: string): boolean {
  const path = relative(parent, child);
  return path !== '' && !path.startsWith(`..${sep}`) && path !== '..' && !isAbsolute(path);
}

/**
 * Whether to purge, and what to keep: the current job's checkout (and so the directories above it). `buildsDir` and
 * `currentCheckoutPath` are absolute paths on the same root.
 */
export function decideBuildPurge(input: {
  readonly buildsDir: string;
  readonly currentJobId: string | undefined;
  readonly currentCheckoutPath: string | undefined;
  readonly busyJobs: readonly BusyJob[];
}): PurgeDecision {
  const others = input.busyJobs.filter((job) => job.jobId !== input.currentJobId);
  if (others.length > 0) {
    return {
      purge: false,
      reason: `${others.length} other job(s) running on this instance, and their checkout paths are not recorded`,
    };
  }
  const builds = resolve(input.buildsDir);
  if (input.currentCheckoutPath === undefined || input.currentCheckoutPath === '') return { purge: true, keep: [] };
  const checkout = resolve(input.currentCheckoutPath);
  if (checkout === builds || isInside(checkout, builds)) {
    return { purge: false, reason: "the current job's checkout holds the whole build path" };
  }
  return { purge: true, keep: isInside(builds, checkout) ? [checkout] : [] };
}

/**
 * Entries to delete under `buildsDir`: every entry except the kept paths, the directories that lead to them and the
 * Docker config directory. A symlink is an entry like any other (deleted, never followed).
 */
export async function planBuildPurge(buildsDir: string, keep: readonly string[]): Promise<string[]> {
  const builds = resolve(buildsDir);
  const kept = keep.map((path) => resolve(path));
  const doomed: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (dir === builds && entry.name === DOCKER_CONFIG_DIR) continue;
      if (kept.includes(path)) continue;
      if (kept.some((keepPath) => isInside(path, keepPath))) {
        if (entry.isDirectory()) await walk(path);
        continue;
      }
      doomed.push(path);
    }
  };
  await walk(builds);
  return doomed;
}

export interface PurgeOutcome {
  readonly purged: boolean;
  readonly removed: readonly string[];
}

/**
 * Moves the doomed entries into one trash directory in the build path while `holdingLock` (the protection lock, which
 * `job-started` takes too: a job that starts meanwhile waits, and is seen), then deletes the trash outside the lock,
 * so a long delete never holds up a starting job.
 */
export async function purgeBuilds(input: {
  readonly buildsDir: string;
  readonly currentJobId: string | undefined;
  readonly currentCheckoutPath: string | undefined;
  readonly listBusyJobs: () => Promise<BusyJob[]>;
  readonly holdingLock: <T>(body: () => Promise<T>) => Promise<T>;
  readonly log: Logger;
}): Promise<PurgeOutcome> {
  const trash = join(input.buildsDir, `${TRASH_PREFIX}${randomUUID()}`);
  const moved = await input.holdingLock(async () => {
    const decision = decideBuildPurge({ ...input, busyJobs: await input.listBusyJobs() });
    if (!decision.purge) {
      input.log.info(`not purging build checkouts: ${decision.reason}`);
      return undefined;
    }
    const doomed = await planBuildPurge(input.buildsDir, decision.keep);
    if (doomed.length === 0) return [];
    await mkdir(trash, { mode: 0o700 });
    const done: string[] = [];
    for (const [index, path] of doomed.entries()) {
      try {
        await rename(path, join(trash, String(index)));
        done.push(path);
      } catch (error) {
        input.log.error('could not purge a build checkout', { path, code: (error as NodeJS.ErrnoException).code });
      }
    }
    return done;
  });
  if (moved === undefined) return { purged: false, removed: [] };
  if (moved.length > 0) {
    await rm(trash, { recursive: true, force: true }).catch((error: NodeJS.ErrnoException) =>
      input.log.error('could not delete purged build checkouts', { path: trash, code: error.code }),
    );
  }
  input.log.info(`purged ${moved.length} build checkout entr${moved.length === 1 ? 'y' : 'ies'}`, {
    kept: input.currentCheckoutPath ?? '',
  });
  return { purged: true, removed: moved };
}
