import { readFileSync } from 'node:fs';

/**
 * Whether a process exists, as `kill(pid, 0)` tells: `ESRCH` is gone, `EPERM` is alive (another user's). With
 * `recordedStartTicks` (see {@link processStartTicks}) an implementation may also require it to be that process.
 */
export type IsProcessAlive = (pid: number, recordedStartTicks?: number) => boolean;

export const isProcessAlive: IsProcessAlive = (pid) => {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * When a process started, in clock ticks after boot (`/proc/<pid>/stat`, field 22): with the pid it names one process
 * for the whole boot, where the pid alone may be given to another once the first exits. Undefined when the process is
 * gone or its line cannot be read.
 */
export function processStartTicks(pid: number, proc = '/proc'): number | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let line: string;
  try {
    line = readFileSync(`${proc}/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces and parentheses itself: fields follow the last ')'.
  const afterComm = line
    .slice(line.lastIndexOf(')') + 1)
    .trim()
    .split(/\s+/);
  const ticks = Number(afterComm[19]);
  return line.includes(')') && Number.isSafeInteger(ticks) && ticks >= 0 ? ticks : undefined;
}

/**
 * Whether the process a record names still runs: alive, and, when the record kept its start time, started then (a pid
 * the kernel has given to a later process is not the recorded one). A start time that cannot be read now leaves the
 * answer to `kill(pid, 0)` alone, so an unreadable /proc never makes a running agent look gone.
 */
export const isRecordedProcessAlive: IsProcessAlive = (pid, recordedStartTicks) => {
  if (!isProcessAlive(pid)) return false;
  if (recordedStartTicks === undefined) return true;
  const now = processStartTicks(pid);
  return now === undefined || now === recordedStartTicks;
};
