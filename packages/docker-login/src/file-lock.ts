import { randomBytes } from 'node:crypto';
import { link, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as z from 'zod/mini';
import { DockerConfigFileError } from './errors';

/** A lock older than this is broken even when its holder looks alive (a reused pid, another host). */
export const DEFAULT_LOCK_STALE_MS = 30_000;
/** How much longer than the stale age a waiter keeps trying, so a lock that turns stale is always outwaited. */
const WAIT_BEYOND_STALE_MS = 10_000;

export interface FileLockOptions {
  /** How long to wait for the lock; never less than `staleMs` plus a margin. @default staleMs + 10 s */
  timeoutMs?: number;
  /** A lock older than this is broken whoever holds it. @default 30_000 */
  staleMs?: number;
}

/** What the lock needs from the world; tests pass a fake clock and a scripted process table. */
export interface FileLockPorts {
  now(): number;
  sleep(milliseconds: number): Promise<void>;
  /** Whether a process with this id exists on this host. */
  isProcessAlive(pid: number): boolean;
  pid: number;
  hostname: string;
  /** A fresh unique token for each lock file written. */
  nonce(): string;
}

/** `kill(pid, 0)`: ESRCH means no such process; EPERM means it exists but belongs to someone else. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export const systemLockPorts: FileLockPorts = {
  now: () => Date.now(),
  sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
  isProcessAlive,
  pid: process.pid,
  hostname: hostname(),
  nonce: () => randomBytes(12).toString('hex'),
};

/** Who holds a lock file. `identity` names this one file instance: no later lock file ever has the same. */
export interface LockHolder {
  identity: string;
  pid: number | undefined;
  /** Undefined for lock files written before holders recorded their host (then the pid is taken as local). */
  host: string | undefined;
  acquiredAt: number;
}

const lockRecordSchema = z.object({
  pid: z.number().check(z.int(), z.positive()),
  host: z.string(),
  nonce: z.string().check(z.regex(/^[0-9a-f]{8,64}$/)),
  acquiredAt: z.number(),
});

export async function readLockHolder(path: string): Promise<LockHolder | undefined> {
  let text: string;
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DockerConfigFileError(`cannot read lock file ${path}`, path, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const record = lockRecordSchema.safeParse(parsed);
  if (record.success) {
    return {
      identity: record.data.nonce,
      pid: record.data.pid,
      host: record.data.host,
      acquiredAt: record.data.acquiredAt,
    };
  }
  // A bare pid or an empty file (older versions of this helper, which created the file before writing it): the file
  // itself is the identity, and its age counts from its modification time.
  const legacyPid = /^\s*(\d+)\s*$/.exec(text)?.[1];
  return {
    identity: `file-${info.dev}-${info.ino}-${Math.trunc(info.mtimeMs)}-${info.size}`,
    pid: legacyPid === undefined ? undefined : Number(legacyPid),
    host: undefined,
    acquiredAt: info.mtimeMs,
  };
}

/**
 * Creates `path` holding this process's record, or returns undefined when it exists. The record is written to a
 * private file first and hard-linked into place, so a lock file never exists without its record: a waiter can always
 * tell who holds it.
 */
async function tryCreate(path: string, ports: FileLockPorts): Promise<string | undefined> {
  const nonce = ports.nonce();
  const record = { pid: ports.pid, host: ports.hostname, nonce, acquiredAt: ports.now() };
  const privatePath = `${path}.${nonce}.tmp`;
  try {
    await writeFile(privatePath, `${JSON.stringify(record)}\n`, { flag: 'wx', mode: 0o600 });
    await link(privatePath, path);
    return nonce;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw new DockerConfigFileError(`cannot create lock file ${path}`, path, { cause: error });
  } finally {
    await rm(privatePath, { force: true });
  }
}

function isStale(holder: LockHolder, staleMs: number, ports: FileLockPorts): boolean {
  const local = holder.host === undefined || holder.host === ports.hostname;
  if (local && holder.pid !== undefined && holder.pid > 0 && !ports.isProcessAlive(holder.pid)) return true;
  return ports.now() - holder.acquiredAt > staleMs;
}

/**
 * Removes the stale lock file `holder` read at `path`, if it is still that file. Two waiters that both saw the same
 * dead holder must not both delete: the second could delete the fresh lock the first one took meanwhile. So only the
 * one that creates `<path>.break-<identity>` (exclusively) may delete, and only after re-reading `path` and finding
 * the same file instance. Nobody else deletes that instance (its owner is dead, every other breaker holds a marker
 * for another identity), so the re-read stays true until the delete. A marker left by a breaker that died is itself
 * a stale lock file, broken the same way. Returns whether `path` changed hands.
 */
export async function breakStaleLock(
  path: string,
  holder: LockHolder,
  staleMs: number,
  ports: FileLockPorts,
): Promise<boolean> {
  const marker = `${path}.break-${holder.identity}`;
  const markerNonce = await tryCreate(marker, ports);
  if (markerNonce === undefined) {
    const breaker = await readLockHolder(marker);
    if (breaker !== undefined && isStale(breaker, staleMs, ports))
      await breakStaleLock(marker, breaker, staleMs, ports);
    return false;
  }
  try {
    const current = await readLockHolder(path);
    if (current?.identity === holder.identity) await rm(path, { force: true });
    return true;
  } finally {
    await rm(marker, { force: true });
  }
}

/**
 * Takes `<directory>/config.json.lock` (waiting while another live helper holds it) and returns its release. A lock
 * whose holder is dead (its pid gone on this host) is taken over at once; any lock older than `staleMs` is broken.
 */
export async function acquireFileLock(
  lockPath: string,
  options: FileLockOptions = {},
  ports: FileLockPorts = systemLockPorts,
): Promise<() => Promise<void>> {
  const staleMs = options.staleMs ?? DEFAULT_LOCK_STALE_MS;
  const waitMs = Math.max(options.timeoutMs ?? 0, staleMs + WAIT_BEYOND_STALE_MS);
  const deadline = ports.now() + waitMs;
  let lastHolder: LockHolder | undefined;
  for (;;) {
    const nonce = await tryCreate(lockPath, ports);
    if (nonce !== undefined) {
      return async () => {
        // Only our own file: had we held it past the stale age, it may be someone else's by now.
        if ((await readLockHolder(lockPath))?.identity === nonce) await rm(lockPath, { force: true });
      };
    }
    const holder = await readLockHolder(lockPath);
    if (holder === undefined) continue;
    lastHolder = holder;
    if (isStale(holder, staleMs, ports) && (await breakStaleLock(lockPath, holder, staleMs, ports))) continue;
    if (ports.now() >= deadline) {
      const heldBy = lastHolder.pid === undefined ? 'an unknown process' : `pid ${lastHolder.pid}`;
      throw new DockerConfigFileError(
        `timed out after ${waitMs / 1000}s waiting for lock ${lockPath} (held by ${heldBy}); delete it if no helper is running`,
        lockPath,
      );
    }
    await ports.sleep(25 + Math.floor(Math.random() * 50));
  }
}
