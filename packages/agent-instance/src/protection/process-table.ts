/** Whether a process exists, as `kill(pid, 0)` tells: `ESRCH` is gone, `EPERM` is alive (another user's). */
export type IsProcessAlive = (pid: number) => boolean;

export const isProcessAlive: IsProcessAlive = (pid) => {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};
