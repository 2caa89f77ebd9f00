import { randomUUID } from 'node:crypto';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import type { Clock } from '../aws/clock.js';
import type { IsProcessAlive } from './process-table.js';

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

export interface FileLockOptions {
  readonly clock: Clock;
  readonly isProcessAlive: IsProcessAlive;
  /** Give up after this long. @default 120000 (longer than the AWS retries a holder may run) */
  readonly timeoutMs?: number;
  /** @default 50 */
  readonly pollMs?: number;
  /** This process's pid, recorded in the lock. @default process.pid */
  readonly pid?: number;
  /**
   * `/proc/sys/kernel/random/boot_id`, recorded in the lock: a lock left by an earlier boot (the file survives a stop)
   * is stale whatever process now has its pid. Undefined: the pid alone decides.
   */
  readonly bootId?: string | undefined;
}

/**
 * Holding a lock whose file is created with `O_EXCL`. The file records `<pid> <token> [<boot id>]`; a holder that died
 * (its pid is gone, or it ran in an earlier boot) leaves it behind, and the next taker breaks it. Breaking is serialised by a second `O_EXCL` file
 * (`<lock>.break`) so two waiters that find the same dead holder cannot delete each other's fresh lock; a break file
 * older than `BREAK_STALE_MS` belongs to a breaker that died mid-break (a break takes microseconds) and is removed.
 */
const BREAK_STALE_MS = 30_000;
/** A lock file still empty after this long was created by a process that died before writing its pid. */
const EMPTY_STALE_MS = 10_000;

export async function withFileLock<T>(path: string, options: FileLockOptions, body: () => Promise<T>): Promise<T> {
  const release = await acquire(path, options);
  try {
    return await body();
  } finally {
    await release();
  }
}

async function acquire(path: string, options: FileLockOptions): Promise<() => Promise<void>> {
  const { clock } = options;
  const bootId = options.bootId !== undefined && /^\S+$/.test(options.bootId) ? options.bootId : undefined;
  const token = `${options.pid ?? process.pid} ${randomUUID()}${bootId === undefined ? '' : ` ${bootId}`}`;
  const deadline = clock.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    try {
      // Readable by all (it holds no secret): root (the reconcile timer) and buildkite-agent (the job hooks) take
      // turns, and each must read the other's lock to break it when its holder has died.
      const handle = await open(path, 'wx', 0o644);
      try {
        await handle.chmod(0o644);
        await handle.writeFile(`${token}\n`);
      } finally {
        await handle.close();
      }
      return async () => {
        // Only our own lock: a holder declared dead by mistake must not delete its successor's.
        if ((await readFile(path, 'utf8').catch(() => '')).trim() === token) await unlink(path).catch(() => {});
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readLock(path);
    if (holder !== undefined && (await isStale(holder, options))) await breakLock(path, holder, options);
    else {
      if (clock.now() >= deadline) {
        throw new LockTimeoutError(`timed out waiting for the lock ${path} (held by pid ${holder?.pid ?? 'unknown'})`);
      }
      await clock.sleep(options.pollMs ?? 50);
    }
  }
}

interface LockHolder {
  readonly content: string;
  readonly pid: number | undefined;
  readonly bootId: string | undefined;
  readonly modifiedAt: number;
}

async function readLock(path: string): Promise<LockHolder | undefined> {
  try {
    const [content, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const [pidField, , bootId] = content.trim().split(' ');
    const pid = Number(pidField);
    return {
      content,
      pid: Number.isInteger(pid) && pid > 0 ? pid : undefined,
      bootId: bootId || undefined,
      modifiedAt: info.mtimeMs,
    };
  } catch {
    return undefined; // released between our open and read: try again at once
  }
}

async function isStale(holder: LockHolder, options: FileLockOptions): Promise<boolean> {
  // After a reboot every pid names another process: a holder of an earlier boot is dead whatever runs under its pid.
  if (holder.bootId !== undefined && options.bootId !== undefined && holder.bootId !== options.bootId) return true;
  if (holder.pid !== undefined) return !options.isProcessAlive(holder.pid);
  return options.clock.now() - holder.modifiedAt > EMPTY_STALE_MS;
}

async function breakLock(path: string, holder: LockHolder, options: FileLockOptions): Promise<void> {
  const breakPath = `${path}.break`;
  try {
    const handle = await open(breakPath, 'wx', 0o600);
    await handle.close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const info = await stat(breakPath).catch(() => undefined);
    if (info && options.clock.now() - info.mtimeMs > BREAK_STALE_MS) await unlink(breakPath).catch(() => {});
    else await options.clock.sleep(options.pollMs ?? 50);
    return;
  }
  try {
    const current = await readFile(path, 'utf8').catch(() => undefined);
    if (current === holder.content) await unlink(path).catch(() => {});
  } finally {
    await unlink(breakPath).catch(() => {});
  }
}
