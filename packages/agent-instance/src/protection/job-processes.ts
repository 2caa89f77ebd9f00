import { readdir, readFile } from 'node:fs/promises';

/** What a scan of the process table tells about running jobs. */
export interface JobProcesses {
  /** Job ids that live processes carry in their environment (`BUILDKITE_JOB_ID`). */
  readonly ids: ReadonlySet<string>;
  /**
   * Every process's environment was read (as root, /proc listed, no read refused): then a job id missing from `ids`
   * has no process left at all. Otherwise a missing id proves nothing.
   */
  readonly complete: boolean;
}

/**
 * Job ids that a live process still carries in its environment (`BUILDKITE_JOB_ID`, inherited by the job's bootstrap
 * and everything it starts, the hooks included). After the agent itself has exited or crashed, this is what tells
 * whether a job is still running: its agent pid is gone, but the job's processes may not be. And while the agent
 * lives, a complete scan without the id tells that the job's processes were killed before its pre-exit hook ran.
 */
export type RunningJobIds = () => Promise<JobProcesses>;

/** A read that failed because the process exited meanwhile: it carries no job any more. */
const GONE = new Set(['ENOENT', 'ESRCH']);

export function procRunningJobIds(proc = '/proc', isRoot = process.getuid?.() === 0): RunningJobIds {
  return async () => {
    const ids = new Set<string>();
    let entries: string[];
    try {
      entries = await readdir(proc);
    } catch {
      return { ids, complete: false };
    }
    let complete = isRoot;
    await Promise.all(
      entries
        .filter((name) => /^\d+$/.test(name))
        .map(async (pid) => {
          let environ: string;
          try {
            environ = await readFile(`${proc}/${pid}/environ`, 'latin1');
          } catch (error) {
            // Another user's process (when not root) or anything odd: this scan cannot vouch for a missing id.
            if (!GONE.has((error as NodeJS.ErrnoException).code ?? '')) complete = false;
            return;
          }
          for (const variable of environ.split('\0')) {
            if (variable.startsWith('BUILDKITE_JOB_ID=')) ids.add(variable.slice('BUILDKITE_JOB_ID='.length));
          }
        }),
    );
    return { ids, complete };
  };
}
