import { mkdtemp, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DockerConfigFileError } from './errors';
import {
  acquireFileLock,
  breakStaleLock,
  DEFAULT_LOCK_STALE_MS,
  type FileLockPorts,
  readLockHolder,
} from './file-lock';

const DEAD_PID = 4242;
const LIVE_PID = 4243;

/**
 * Ports with a clock that moves only by the sleeps the lock takes (so elapsed time is exactly what it waited) and a
 * scripted process table: only the test process and LIVE_PID exist.
 */
function fakePorts(overrides: Partial<FileLockPorts> = {}) {
  let now = Date.UTC(2026, 11, 7, 9, 0, 0);
  const start = now;
  let nonces = 0;
  const ports: FileLockPorts = {
    now: () => now,
    sleep: async (milliseconds) => {
      now += milliseconds;
    },
    isProcessAlive: (pid) => pid === process.pid || pid === LIVE_PID,
    pid: process.pid,
    hostname: 'agent-host',
    nonce: () => `00c0ffee${String(++nonces).padStart(8, '0')}`,
    ...overrides,
  };
  return { ports, elapsed: () => now - start, now: () => now };
}

const lockRecord = (pid: number, nonce: string, acquiredAt: number, host = 'agent-host') =>
  `${JSON.stringify({ pid, host, nonce, acquiredAt })}\n`;

async function lockPathIn() {
  const directory = await mkdtemp(join(tmpdir(), 'file-lock-test-'));
  return { directory, lockPath: join(directory, 'config.json.lock') };
}

describe('Function: acquireFileLock', () => {
  it('takes over at once a lock whose recorded pid is dead (ESRCH), without waiting', async () => {
    // Prepare
    const { lockPath } = await lockPathIn();
    const { ports, elapsed, now } = fakePorts();
    await writeFile(lockPath, lockRecord(DEAD_PID, 'deadbeef00000001', now()));

    // Act
    await acquireFileLock(lockPath, {}, ports);

    // Assess
    expect(elapsed()).toBe(0);
    expect(await readLockHolder(lockPath)).toMatchObject({ pid: process.pid, host: 'agent-host' });
  });

  it('takes over at once a bare-pid lock of an older helper whose process is dead', async () => {
    // Prepare
    const { lockPath } = await lockPathIn();
    const { ports, elapsed, now } = fakePorts();
    await writeFile(lockPath, String(DEAD_PID));
    await utimes(lockPath, now() / 1000, now() / 1000);

    // Act
    await acquireFileLock(lockPath, {}, ports);

    // Assess
    expect(elapsed()).toBe(0);
    expect(await readLockHolder(lockPath)).toMatchObject({ pid: process.pid });
  });

  it('waits for a live holder, and breaks its lock once older than the stale age, before the wait gives up', async () => {
    // Prepare: a pid reused by an unrelated process looks alive forever; the age still frees the lock.
    const { lockPath } = await lockPathIn();
    const { ports, elapsed, now } = fakePorts();
    await writeFile(lockPath, lockRecord(LIVE_PID, 'deadbeef00000002', now()));

    // Act: a wait shorter than the stale age (10 s against 30 s was the default) is extended to cover it.
    await acquireFileLock(lockPath, { timeoutMs: 1_000, staleMs: 3_000 }, ports);

    // Assess
    expect(elapsed()).toBeGreaterThan(3_000);
    expect(await readLockHolder(lockPath)).toMatchObject({ pid: process.pid });
  });

  it('does not judge a pid recorded on another host by this host’s process table', async () => {
    // Prepare
    const { lockPath } = await lockPathIn();
    const { ports, elapsed, now } = fakePorts();
    await writeFile(lockPath, lockRecord(DEAD_PID, 'deadbeef00000003', now(), 'other-host'));

    // Act
    await acquireFileLock(lockPath, { staleMs: 3_000 }, ports);

    // Assess
    expect(elapsed()).toBeGreaterThan(3_000);
  });

  it('times out, naming the lock file and holder, while live helpers keep taking the lock', async () => {
    // Prepare: every time the waiter sleeps, another live helper has taken the lock afresh.
    const { lockPath } = await lockPathIn();
    let turns = 0;
    const clock = fakePorts();
    const { ports } = fakePorts({
      now: clock.now,
      sleep: async (milliseconds) => {
        await clock.ports.sleep(milliseconds);
        await writeFile(lockPath, lockRecord(LIVE_PID, `feed${String(++turns).padStart(12, '0')}`, clock.now()));
      },
    });
    await writeFile(lockPath, lockRecord(LIVE_PID, 'deadbeef00000004', clock.now()));

    // Act
    const acquisition = acquireFileLock(lockPath, { staleMs: 3_000 }, ports);

    // Assess
    await expect(acquisition).rejects.toThrow(DockerConfigFileError);
    await expect(acquisition).rejects.toThrow(
      /timed out after 13s waiting for lock .*config\.json\.lock \(held by pid 4243\); delete it if no helper is running/,
    );
    expect(clock.elapsed()).toBeGreaterThanOrEqual(13_000);
  });

  it('never deletes a fresh lock taken by another waiter that saw the same dead holder first', async () => {
    // Prepare: both waiters read the dead holder; the first breaks it and takes the lock.
    const { lockPath } = await lockPathIn();
    const { ports, now } = fakePorts();
    await writeFile(lockPath, lockRecord(DEAD_PID, 'deadbeef00000005', now()));
    const seenBySecond = await readLockHolder(lockPath);
    if (seenBySecond === undefined) throw new Error('lock file missing');
    const releaseFirst = await acquireFileLock(lockPath, {}, ports);
    const heldByFirst = await readLockHolder(lockPath);

    // Act: the second waiter now acts on what it saw.
    const changed = await breakStaleLock(lockPath, seenBySecond, DEFAULT_LOCK_STALE_MS, ports);

    // Assess
    expect(changed).toBe(true);
    expect(await readLockHolder(lockPath)).toEqual(heldByFirst);
    await releaseFirst();
    expect(await readLockHolder(lockPath)).toBeUndefined();
  });

  it('lets one waiter at a time in when many find the same dead holder', async () => {
    // Prepare
    const { lockPath } = await lockPathIn();
    const { ports, now } = fakePorts();
    await writeFile(lockPath, lockRecord(DEAD_PID, 'deadbeef00000006', now()));
    let inside = 0;
    let mostInside = 0;

    // Act
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        const release = await acquireFileLock(lockPath, {}, ports);
        inside++;
        mostInside = Math.max(mostInside, inside);
        await readFile(lockPath, 'utf8');
        inside--;
        await release();
      }),
    );

    // Assess
    expect(mostInside).toBe(1);
    expect((await readdir(join(lockPath, '..'))).filter((name) => name.startsWith('config.json.lock'))).toEqual([]);
  });

  it('breaks a takeover marker left by a breaker that died, and then the dead holder’s lock', async () => {
    // Prepare
    const { lockPath } = await lockPathIn();
    const { ports, now } = fakePorts();
    await writeFile(lockPath, lockRecord(DEAD_PID, 'deadbeef00000007', now()));
    await writeFile(`${lockPath}.break-deadbeef00000007`, lockRecord(DEAD_PID + 2, 'deadbeef00000008', now()));

    // Act
    const release = await acquireFileLock(lockPath, {}, ports);

    // Assess
    expect(await readLockHolder(lockPath)).toMatchObject({ pid: process.pid });
    await release();
    expect((await readdir(join(lockPath, '..'))).filter((name) => name.startsWith('config.json.lock'))).toEqual([]);
  });

  it('releases only its own lock file', async () => {
    // Prepare: held past the stale age, the lock was broken and taken by another helper.
    const { lockPath } = await lockPathIn();
    const { ports, now } = fakePorts();
    const release = await acquireFileLock(lockPath, {}, ports);
    await writeFile(lockPath, lockRecord(LIVE_PID, 'deadbeef00000009', now()));

    // Act
    await release();

    // Assess
    expect(await readLockHolder(lockPath)).toMatchObject({ pid: LIVE_PID, identity: 'deadbeef00000009' });
  });
});
