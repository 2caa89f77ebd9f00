import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEEP_TEST_SCRATCH_VARIABLE, openTestScratchDirectory, TEST_SCRATCH_VARIABLE } from './test-scratch-directory';

describe('openTestScratchDirectory', () => {
  const bases: string[] = [];
  afterEach(() => {
    for (const base of bases.splice(0)) rmSync(base, { recursive: true, force: true });
  });
  // A base of its own, so the test sees exactly what the scratch directory leaves behind.
  const newBase = () => {
    const base = mkdtempSync(join(tmpdir(), 'scratch-base-'));
    bases.push(base);
    return base;
  };

  it('points TMPDIR at a new directory under the old one, and removes it with all it holds on close', () => {
    // Prepare
    const base = newBase();
    const env: NodeJS.ProcessEnv = { TMPDIR: base };

    // Act
    const close = openTestScratchDirectory(env, '@elastic-ci/infra', () => {});
    const scratch = env.TMPDIR ?? '';
    // What a test and a process it spawns leave there: a nested directory (a synthesized cdk.out) and a file
    // written by a child that only inherited the environment.
    mkdirSync(join(scratch, 'cdk.outAbC', 'asset.1'), { recursive: true });
    writeFileSync(join(scratch, 'cdk.outAbC', 'asset.1', 'index.js'), 'x');
    const child = spawnSync('sh', ['-c', 'mktemp -d'], { env, encoding: 'utf8' });
    close?.();

    // Assess
    expect(dirname(scratch)).toBe(base);
    expect(scratch).toMatch(/elastic-ci-test--elastic-ci-infra-[A-Za-z0-9]+$/);
    expect(dirname(child.stdout.trim())).toBe(scratch);
    expect(readdirSync(base)).toEqual([]);
    expect(env).toEqual({ TMPDIR: base });
  });

  it('restores an unset TMPDIR as unset', () => {
    // Prepare
    const base = newBase();
    const env: NodeJS.ProcessEnv = {};
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = base;

    // Act
    let close: (() => void) | undefined;
    try {
      close = openTestScratchDirectory(env, 'unit', () => {});
    } finally {
      process.env.TMPDIR = previous;
    }
    const opened = env.TMPDIR;
    close?.();

    // Assess
    expect(opened).toBeDefined();
    expect(env).toEqual({});
    expect(readdirSync(base)).toEqual([]);
  });

  it('shares an open scratch directory: a second open in the same environment changes nothing', () => {
    // Prepare
    const base = newBase();
    const env: NodeJS.ProcessEnv = { TMPDIR: base };
    const close = openTestScratchDirectory(env, 'unit', () => {});
    const scratch = env.TMPDIR;

    // Act
    const second = openTestScratchDirectory(env, 'integration', () => {});

    // Assess
    expect(second).toBeUndefined();
    expect(env.TMPDIR).toBe(scratch);
    expect(env[TEST_SCRATCH_VARIABLE]).toBe(scratch);
    expect(readdirSync(base)).toHaveLength(1);
    close?.();
    expect(readdirSync(base)).toEqual([]);
  });

  it(`keeps the directory and says where it is when ${KEEP_TEST_SCRATCH_VARIABLE}=1`, () => {
    // Prepare
    const base = newBase();
    const env: NodeJS.ProcessEnv = { TMPDIR: base, [KEEP_TEST_SCRATCH_VARIABLE]: '1' };
    const lines: string[] = [];

    // Act
    const close = openTestScratchDirectory(env, 'sandbox', (line) => lines.push(line));
    const scratch = env.TMPDIR ?? '';
    writeFileSync(join(scratch, 'host.log'), 'kept for reading');
    close?.();

    // Assess
    expect(existsSync(join(scratch, 'host.log'))).toBe(true);
    expect(lines).toEqual([`test scratch directory kept (${KEEP_TEST_SCRATCH_VARIABLE}=1): ${scratch}`]);
    expect(env.TMPDIR).toBe(base);
  });
});
