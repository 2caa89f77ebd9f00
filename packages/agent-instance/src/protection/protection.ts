import { randomBytes } from 'node:crypto';
import { statSync, unlinkSync } from 'node:fs';
import { lchown, lstat, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../aws/clock.js';
import { AGENT_STATE_TAG, type AgentState, formatIdleSinceTag, parseIdleSinceTag } from '../instance-state-tags.js';
import type { Logger } from '../logger.js';
import { addBusyJob, listBusyJobs, removeBusyJob } from './busy-jobs.js';
import {
  type DesiredInstanceState,
  desiredInstanceState,
  type ProtectionSettings,
  partitionJobs,
  protectionCalls,
} from './decide-protection.js';
import { withFileLock } from './file-lock.js';
import type { InstanceControl } from './instance-control.js';
import type { RunningJobIds } from './job-processes.js';
import type { IsProcessAlive } from './process-table.js';
import { withRetries } from './retry.js';

/**
 * Where the protection state lives under the root: `/var/lib/elastic-ci/protection/`, one directory the image makes
 * writable by the `buildkite-agent` user, because the job hooks (as that user) and the reconcile timer share it.
 */
export const PROTECTION_STATE_DIR = 'var/lib/elastic-ci/protection';

export function protectionPaths(root: string) {
  const stateDir = join(root || '/', PROTECTION_STATE_DIR);
  return {
    stateDir,
    busyJobsDir: join(stateDir, 'busy-jobs'),
    lock: join(stateDir, 'lock'),
    idleSince: join(stateDir, 'idle-since'),
    /** What was last set in AWS successfully; absent = unknown, so the next event sets everything. */
    applied: join(stateDir, 'applied.json'),
  };
}

export interface ProtectionDeps {
  readonly root: string;
  readonly clock: Clock;
  readonly isProcessAlive: IsProcessAlive;
  /** The agent's start time, recorded with each job so a reused pid is not taken for its agent. Undefined: not kept. */
  readonly processStartTicks?: (pid: number) => number | undefined;
  readonly bootId: string | undefined;
  readonly control: InstanceControl;
  readonly settings: ProtectionSettings;
  readonly log: Logger;
  /** Job ids live processes carry; consulted by reconcile only (it scans /proc, too slow for every job event). */
  readonly runningJobIds?: RunningJobIds;
  /**
   * Whether the agent unit is active; reconcile writes it as the `elastic-ci:agent-state` tag (`running`/`stopped`),
   * which agent-scaler's zombie probe reads. Undefined: the tag is left alone.
   */
  readonly agentRunning?: () => Promise<boolean>;
  /** Attempts per AWS call (throttling, 5xx, network). @default 5 */
  readonly attempts?: number;
}

export type ProtectionEvent =
  | {
      readonly kind: 'job-started';
      readonly jobId: string;
      readonly agentPid: number;
      /** `BUILDKITE_AGENT_ID`: tells apart the agents of one process (spawn > 1). */
      readonly agentId?: string | undefined;
    }
  | { readonly kind: 'job-finished'; readonly jobId: string }
  | { readonly kind: 'reconcile' };

export interface ProtectionOutcome {
  readonly liveJobs: number;
  readonly staleJobsRemoved: readonly string[];
  readonly desired: DesiredInstanceState;
  /** False when an AWS call failed after its retries: logged, and the next event or reconcile sets it again. */
  readonly applied: boolean;
}

/**
 * Records the event in the busy-job counter and brings the instance's scale-in protection and idle-since tag in line
 * with it. Everything, the AWS calls included, happens under one lock: two agents finishing at once are counted one
 * after the other, and the calls reach AWS in the order of the counts they reflect.
 */
export async function applyProtectionEvent(event: ProtectionEvent, deps: ProtectionDeps): Promise<ProtectionOutcome> {
  const paths = protectionPaths(deps.root);
  await ensureBusyJobsDir(paths);
  const lockOptions = { clock: deps.clock, isProcessAlive: deps.isProcessAlive, bootId: deps.bootId };
  return withFileLock(paths.lock, lockOptions, async () => {
    const now = formatIdleSinceTag(deps.clock.now());
    if (event.kind === 'job-started') {
      await addBusyJob(paths.busyJobsDir, {
        jobId: event.jobId,
        agentPid: event.agentPid,
        agentId: event.agentId,
        agentStartTicks: deps.processStartTicks?.(event.agentPid),
        startedAt: new Date(deps.clock.now()).toISOString(),
        bootId: deps.bootId,
      });
    } else if (event.kind === 'job-finished') {
      if (!(await removeBusyJob(paths.busyJobsDir, event.jobId))) {
        deps.log.info('job was not counted as running (started before protection, or already removed)', {
          job: event.jobId,
        });
      }
    }
    const running = event.kind === 'reconcile' ? await deps.runningJobIds?.() : undefined;
    const { live, stale } = partitionJobs(
      await listBusyJobs(paths.busyJobsDir),
      deps.isProcessAlive,
      deps.bootId,
      running,
    );
    for (const job of stale) {
      if (removeStaleRecord(paths, job.jobId, deps.log)) {
        deps.log.info('removed a stale busy-job record (its agent is gone)', {
          job: job.jobId,
          agentPid: job.agentPid,
        });
      }
    }

    // Only a time counts: the file lies in a directory the job user owns, so it may be a link to any file root can read.
    const idleSinceText = (await readFile(paths.idleSince, 'utf8').catch(() => '')).trim();
    const recordedIdleSince = parseIdleSinceTag(idleSinceText) === undefined ? undefined : idleSinceText;
    const desired = desiredInstanceState({ liveJobs: live.length, recordedIdleSince, now, settings: deps.settings });
    if (desired.idleSince === undefined) await rm(paths.idleSince, { force: true });
    else if (desired.idleSince !== recordedIdleSince) await replaceFile(paths.idleSince, `${desired.idleSince}\n`);

    // A reconcile sets everything again: someone may have changed protection or tags behind our back.
    const applied = event.kind === 'reconcile' ? undefined : await readApplied(paths.applied);
    const calls = protectionCalls(desired, applied);
    let ok = true;
    const call = async (what: string, operation: () => Promise<void>) => {
      try {
        await withRetries(operation, {
          clock: deps.clock,
          attempts: deps.attempts ?? 5,
          onRetry: (error, attempt, delayMs) =>
            deps.log.info(`${what}: retrying`, { attempt, delayMs, error: describe(error) }),
        });
      } catch (error) {
        ok = false;
        deps.log.error(`${what} failed; the next job event or the reconcile timer tries again`, {
          error: describe(error),
        });
      }
    };
    if (calls.setProtection !== undefined) {
      const protect = calls.setProtection;
      await call(protect ? 'SetInstanceProtection(true)' : 'SetInstanceProtection(false)', () =>
        deps.control.setProtection(protect),
      );
    }
    if (calls.idleSinceTag !== undefined) {
      const value = calls.idleSinceTag.value;
      await call(value === undefined ? 'delete idle-since tag' : 'tag idle-since', () =>
        deps.control.setIdleSinceTag(value),
      );
    }
    if (event.kind === 'reconcile' && deps.agentRunning !== undefined) {
      const agentState: AgentState = (await deps.agentRunning()) ? 'running' : 'stopped';
      // A failure here also makes the reconcile report failure (exit 1), so the timer's unit shows it.
      await call(`tag ${AGENT_STATE_TAG}=${agentState}`, () => deps.control.setTag(AGENT_STATE_TAG, agentState));
    }
    if (ok) await replaceFile(paths.applied, `${JSON.stringify(desired)}\n`);
    else await rm(paths.applied, { force: true });
    deps.log.info('protection', {
      event: event.kind,
      runningJobs: live.length,
      protectedFromScaleIn: desired.protectedFromScaleIn,
      idleSince: desired.idleSince ?? null,
      applied: ok,
    });
    return { liveJobs: live.length, staleJobsRemoved: stale.map((job) => job.jobId), desired, applied: ok };
  });
}

/**
 * Removes one busy-job record with the rights of the state directory's owner (buildkite-agent), also when root runs
 * this (the reconcile timer): the owner can swap `busy-jobs` for a link at any moment, and root unlinking through it
 * would delete whatever root-owned file has the name. The effective uid is dropped for this one synchronous call only,
 * so no other work of this process runs meanwhile. Returns whether the record is gone; a failure is logged, and the
 * record stays for the next event (it is stale, so it counts for nothing).
 */
export function removeStaleRecord(
  paths: { readonly busyJobsDir: string; readonly stateDir: string },
  jobId: string,
  log: Logger,
): boolean {
  const path = join(paths.busyJobsDir, jobId);
  let owner: number | undefined;
  try {
    const state = statSync(paths.stateDir);
    owner = process.geteuid?.() === 0 && state.uid !== 0 ? state.uid : undefined;
  } catch {
    owner = undefined;
  }
  try {
    if (owner !== undefined) process.seteuid?.(owner);
    try {
      unlinkSync(path);
    } finally {
      if (owner !== undefined) process.seteuid?.(0);
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    log.error('could not remove a stale busy-job record; it counts for nothing and is tried again', {
      job: jobId,
      error: describe(error),
    });
    return false;
  }
}

/**
 * `busy-jobs/` belongs to the owner of the state directory (the image makes it buildkite-agent's): the job hooks, as
 * that user, write their records there. Root (the reconcile timer, the agent unit's start, the disk check) often
 * comes first; a directory it made would be root's and refuse every job's record, leaving busy instances unprotected.
 * So root hands it over, also one it made before.
 */
async function ensureBusyJobsDir(paths: ReturnType<typeof protectionPaths>): Promise<void> {
  // The state directory is the job user's: a job may have put a symlink (or a file) where busy-jobs/ belongs, and root
  // must not chown its target, list it or remove "stale records" from it (any file whose name looks like a job id).
  const existing = await lstat(paths.busyJobsDir).catch(() => undefined);
  if (existing !== undefined && !existing.isDirectory()) await rm(paths.busyJobsDir, { force: true });
  await mkdir(paths.busyJobsDir, { recursive: true, mode: 0o755 });
  const busy = await lstat(paths.busyJobsDir);
  if (!busy.isDirectory()) {
    throw new Error(`${paths.busyJobsDir} is not a directory (a symlink put back meanwhile?): refusing to follow it`);
  }
  if (process.getuid?.() !== 0) return;
  const state = await stat(paths.stateDir);
  if (busy.uid !== state.uid || busy.gid !== state.gid) await lchown(paths.busyJobsDir, state.uid, state.gid);
}

/**
 * Written beside and renamed over: readers never see half a file, and a file root wrote (the reconcile timer) can be
 * replaced by the agent user, who owns the directory but not the file.
 */
async function replaceFile(path: string, content: string): Promise<void> {
  // An unguessable name created exclusively (O_EXCL follows no symlink): root never writes through a link a job
  // planted in its own directory; the rename replaces whatever entry `path` is, a link included, without following it.
  const temporary = `${path}.${randomBytes(8).toString('hex')}.tmp`;
  await writeFile(temporary, content, { mode: 0o644, flag: 'wx' });
  await rename(temporary, path);
}

async function readApplied(path: string): Promise<DesiredInstanceState | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<DesiredInstanceState>;
    if (typeof parsed.protectedFromScaleIn !== 'boolean') return undefined;
    return {
      protectedFromScaleIn: parsed.protectedFromScaleIn,
      idleSince: typeof parsed.idleSince === 'string' ? parsed.idleSince : undefined,
    };
  } catch {
    return undefined;
  }
}

/** Error name and message only: AWS errors carry no secrets, but request details need not reach the log. */
export function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
