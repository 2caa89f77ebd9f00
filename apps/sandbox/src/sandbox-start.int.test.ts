// startSandbox's failures: one clear error naming the fix, and nothing it started left running.
import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox } from './sandbox';

const savedMoto = process.env.ELASTIC_CI_MOTO_SERVER;
afterEach(() => {
  if (savedMoto === undefined) delete process.env.ELASTIC_CI_MOTO_SERVER;
  else process.env.ELASTIC_CI_MOTO_SERVER = savedMoto;
});

/** Live child processes of this test process. */
function children(): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('startSandbox failures', () => {
  it('names the fix when moto is missing', async () => {
    process.env.ELASTIC_CI_MOTO_SERVER = '/nonexistent/moto_server';
    const failure = startSandbox({ timeScale: 10, logDir: await mkdtemp(join(tmpdir(), 'sandbox-nomoto-')) });
    await expect(failure).rejects.toMatchObject({ name: 'MotoUnavailableError' });
    await expect(failure).rejects.toThrow(/make test/);
    expect(children()).toEqual([]);
  });

  it('stops its own moto and servers when the world config is bad, and says what is wrong', async () => {
    const before = children();
    const failure = startSandbox({
      timeScale: 10,
      logDir: await mkdtemp(join(tmpdir(), 'sandbox-badworld-')),
      world: { config: { scaling: { minSize: 5, maxSize: 2 } } },
    });
    await expect(failure).rejects.toThrow(/minSize/);
    expect(children().filter((pid) => !before.includes(pid))).toEqual([]);
  }, 120_000);
});
