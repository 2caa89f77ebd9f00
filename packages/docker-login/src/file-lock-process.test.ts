// The lock against a real holder process killed with SIGKILL while holding it: no cleanup ran, its pid is gone.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import { beforeAll, describe, expect, it } from 'vitest';
import { updateDockerConfigFile } from './docker-config';
import { type FileLockPorts, readLockHolder, systemLockPorts } from './file-lock';

let holderProgram: string;

beforeAll(async () => {
  const outDir = await mkdtemp(join(tmpdir(), 'lock-holder-'));
  await build({
    entry: { 'lock-holder': fileURLToPath(new URL('./lock-holder.test-support.ts', import.meta.url)) },
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    noExternal: [/.*/],
    outDir,
    silent: true,
    config: false,
  });
  holderProgram = join(outDir, 'lock-holder.js');
}, 60_000);

describe('Feature: a lock left by a helper killed with SIGKILL', () => {
  it('is taken over by the next run at once, without waiting for the stale age', async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), 'killed-holder-'));
    const lockPath = join(directory, 'config.json.lock');
    const holder = spawn(process.execPath, [holderProgram, lockPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [firstOutput] = (await once(holder.stdout, 'data')) as [Buffer];
    const recorded = await readLockHolder(lockPath);
    const exited = once(holder, 'exit');
    holder.kill('SIGKILL');
    await exited;
    const sleeps: number[] = [];
    // Real process table and files; a clock stopped at the moment the holder took the lock (age 0, so only the
    // dead pid can free it), where any wait would show as a sleep.
    const stoppedAt = recorded?.acquiredAt ?? Number.NaN;
    const ports: FileLockPorts = {
      ...systemLockPorts,
      now: () => stoppedAt,
      sleep: async (milliseconds) => {
        sleeps.push(milliseconds);
        throw new Error('the lock waited instead of taking over a dead holder’s lock');
      },
    };

    // Act
    await updateDockerConfigFile(
      directory,
      { change: (config) => ({ ...config, experimental: 'enabled' }) },
      {},
      ports,
    );

    // Assess
    expect(firstOutput.toString()).toBe('held\n');
    expect(recorded?.pid).toBe(holder.pid);
    expect(sleeps).toEqual([]);
    expect(JSON.parse(await readFile(join(directory, 'config.json'), 'utf8'))).toEqual({ experimental: 'enabled' });
    expect(await readLockHolder(lockPath)).toBeUndefined();
  });
});
