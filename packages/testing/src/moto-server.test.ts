import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRepositoryRoot, MotoUnavailableError, startMotoServer } from './moto-server';

describe('Function: startMotoServer', () => {
  it('fails at once with the fix when moto is not installed', async () => {
    const started = Date.now();

    const attempt = startMotoServer({ executable: '/nonexistent/.venv/bin/moto_server' });

    await expect(attempt).rejects.toThrow(MotoUnavailableError);
    await expect(attempt).rejects.toThrow(/moto server not found at \/nonexistent.*run `make test`/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('reports the exit and the fix when the executable dies before answering', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'moto-broken-'));
    const executable = join(directory, 'moto_server');
    writeFileSync(executable, '#!/bin/sh\necho "ModuleNotFoundError: No module named moto" >&2\nexit 3\n', {
      mode: 0o755,
    });

    const attempt = startMotoServer({ executable, startupTimeoutMs: 10_000 });

    await expect(attempt).rejects.toThrow(/exited with code 3.*No module named moto.*make test/);
  });

  it('gives up after the startup timeout with the fix when the server never answers', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'moto-silent-'));
    const executable = join(directory, 'moto_server');
    writeFileSync(executable, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });

    const attempt = startMotoServer({ executable, startupTimeoutMs: 500 });

    await expect(attempt).rejects.toThrow(/did not answer .* within 500 ms.*make test/);
  });
});

describe('Function: findRepositoryRoot', () => {
  it('finds the folder holding pnpm-workspace.yaml', () => {
    expect(findRepositoryRoot(join(process.cwd(), 'src'))).toMatch(/[^/]+$/);
  });

  it('explains when there is no workspace above', () => {
    expect(() => findRepositoryRoot('/')).toThrow(/cannot find the repository root/);
  });
});
