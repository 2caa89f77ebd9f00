import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { findRepositoryRoot, MotoUnavailableError, startMotoServer } from './moto-server';

vi.mock('node:child_process', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:child_process')>();
  return { ...actual, spawn: vi.fn(actual.spawn) };
});

/** Startup timeouts no test waits for: an outcome that needs them shows up as the test's own timeout. */
const NEVER_MS = 3_600_000;

describe('Function: startMotoServer', () => {
  it('fails at once with the fix when moto is not installed', async () => {
    // Act: "at once" means before spawning anything or waiting for a startup that cannot happen.
    const attempt = startMotoServer({ executable: '/nonexistent/.venv/bin/moto_server', startupTimeoutMs: NEVER_MS });

    // Assess
    await expect(attempt).rejects.toThrow(MotoUnavailableError);
    await expect(attempt).rejects.toThrow(/moto server not found at \/nonexistent.*run `make test`/);
    expect(spawn).not.toHaveBeenCalled();
  });

  it('reports the exit and the fix when the executable dies before answering', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'moto-broken-'));
    const executable = join(directory, 'moto_server');
    writeFileSync(executable, '#!/bin/sh\necho "ModuleNotFoundError: No module named moto" >&2\nexit 3\n', {
      mode: 0o755,
    });

    const attempt = startMotoServer({ executable, startupTimeoutMs: NEVER_MS });

    await expect(attempt).rejects.toThrow(/exited with code 3.*No module named moto.*make test/);
    expect(spawn).toHaveBeenCalledWith(executable, expect.any(Array), expect.any(Object));
  });

  it('quotes what the executable wrote on stderr even when it arrives after the exit', async () => {
    // Prepare: the message comes a while after the executable has exited (and been reaped): the order a loaded
    // machine can produce for a message written just before exiting, stretched so it is always seen.
    const directory = mkdtempSync(join(tmpdir(), 'moto-late-stderr-'));
    const executable = join(directory, 'moto_server');
    writeFileSync(
      executable,
      [
        '#!/bin/sh',
        'parent=$$',
        '(while kill -0 "$parent" 2>/dev/null; do sleep 0.01; done; sleep 1; echo "ModuleNotFoundError: No module named moto" >&2) &',
        'exit 3',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );

    // Act
    const attempt = startMotoServer({ executable, startupTimeoutMs: NEVER_MS });

    // Assess
    await expect(attempt).rejects.toThrow(/exited with code 3.*No module named moto.*make test/);
  });

  it('rejects a chosen port that is in use with the listen error, before spawning moto', async () => {
    // Prepare: a port something else listens on, and an executable that must never be run.
    const occupier = createServer();
    await new Promise<void>((resolveListen) => occupier.listen(0, '127.0.0.1', () => resolveListen()));
    const { port } = occupier.address() as { port: number };
    const directory = mkdtempSync(join(tmpdir(), 'moto-port-in-use-'));
    const executable = join(directory, 'moto_server');
    writeFileSync(executable, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });

    try {
      // Act
      const attempt = startMotoServer({ executable, port, startupTimeoutMs: NEVER_MS });

      // Assess
      await expect(attempt).rejects.toMatchObject({ code: 'EADDRINUSE', address: '127.0.0.1', port });
      expect(spawn).not.toHaveBeenCalledWith(executable, expect.any(Array), expect.any(Object));
    } finally {
      await new Promise((resolveClose) => occupier.close(resolveClose));
    }
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
