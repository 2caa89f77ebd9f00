import { readdir, readFile } from 'node:fs/promises';

/**
 * Job ids that a live process still carries in its environment (`BUILDKITE_JOB_ID`, inherited by the job's bootstrap
 * and everything it starts). After the agent itself has exited or crashed, this is what tells whether a job is still
 * running: its agent pid is gone, but the job's processes may not be. Processes whose environment cannot be read
 * (another user's, when not root) are skipped.
 */
export type RunningJobIds = () => Promise<ReadonlySet<string>>;

export function procRunningJobIds(proc = '/proc'): RunningJobIds {
  return async () => {
    const ids = new Set<string>();
    const entries = await readdir(proc).catch(() => [] as string[]);
    await Promise.all(
      entries
        .filter((name) => /^\d+$/.test(name))
        .map(async (pid) => {
          const environ = await readFile(`${proc}/${pid}/environ`, 'latin1').catch(() => '');
          for (const variable of environ.split('\0')) {
            if (variable.startsWith('BUILDKITE_JOB_ID=')) ids.add(variable.slice('BUILDKITE_JOB_ID='.length));
          }
        }),
    );
    return ids;
  };
}
