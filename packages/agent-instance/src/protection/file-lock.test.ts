import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { LockTimeoutError, withFileLock } from './file-lock.js';
import { SteppingClock } from './test-fakes.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('lets one holder in at a time', async () => {
  const clock = new SteppingClock(undefined, { frozen: true });
  const lock = join(dir, 'lock');
  let inside = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: 10 }, (_, index) =>
      withFileLock(lock, { clock, isProcessAlive: () => true, pid: 1000 + index }, async () => {
        inside++;
        most = Math.max(most, inside);
        await clock.sleep(10);
        inside--;
      }),
    ),
  );
  expect(most).toBe(1);
  await expect(readFile(lock)).rejects.toMatchObject({ code: 'ENOENT' });
});

it('takes over the lock of a dead holder', async () => {
  const lock = join(dir, 'lock');
  await writeFile(lock, '4242 dead-token\n');
  const result = await withFileLock(
    lock,
    { clock: new SteppingClock(), isProcessAlive: (pid) => pid !== 4242 },
    async () => 'ran',
  );
  expect(result).toBe('ran');
});

it('waits for a live holder and gives up with a clear error', async () => {
  const lock = join(dir, 'lock');
  await writeFile(lock, '4243 live-token\n');
  await expect(
    withFileLock(lock, { clock: new SteppingClock(), isProcessAlive: () => true, timeoutMs: 1000 }, async () => 'ran'),
  ).rejects.toBeInstanceOf(LockTimeoutError);
  expect(await readFile(lock, 'utf8')).toBe('4243 live-token\n');
});

it('never deletes a lock it does not hold', async () => {
  const lock = join(dir, 'lock');
  await withFileLock(lock, { clock: new SteppingClock(), isProcessAlive: () => true }, async () => {
    await writeFile(lock, '999 successor\n'); // as if we had been declared dead and replaced
  });
  expect(await readFile(lock, 'utf8')).toBe('999 successor\n');
});

it('takes over a lock left by an earlier boot, whatever process now has its pid', async () => {
  // /var/lib survives a stop: a warm-pool instance stopped while the reconcile held the lock keeps the file, and after
  // the resume its pid (an early-boot one) may well name a live daemon.
  const lock = join(dir, 'lock');
  await writeFile(lock, '4243 old-token boot-0\n');
  const result = await withFileLock(
    lock,
    { clock: new SteppingClock(), isProcessAlive: () => true, bootId: 'boot-1', timeoutMs: 1000 },
    async () => readFile(lock, 'utf8'),
  );
  expect(result).toMatch(/^\d+ [0-9a-f-]{36} boot-1\n$/);
});

it('waits for a live holder of this boot, and for one whose boot is unknown', async () => {
  const lock = join(dir, 'lock');
  for (const content of ['4243 live-token boot-1\n', '4243 live-token\n']) {
    await writeFile(lock, content);
    await expect(
      withFileLock(
        lock,
        { clock: new SteppingClock(), isProcessAlive: () => true, bootId: 'boot-1', timeoutMs: 1000 },
        async () => 'ran',
      ),
    ).rejects.toBeInstanceOf(LockTimeoutError);
  }
});

it('leaves a lock every user can read, so a job hook can break a dead root holder', async () => {
  // The reconcile timer holds the lock as root, the job hooks take it as buildkite-agent: a lock they cannot read
  // looked released to them, so one left by a root holder that died was never broken by a hook (each waited 2 min).
  const lock = join(dir, 'lock');
  const mode = await withFileLock(
    lock,
    { clock: new SteppingClock(), isProcessAlive: () => true },
    async () => (await stat(lock)).mode & 0o777,
  );
  expect(mode).toBe(0o644);
});
