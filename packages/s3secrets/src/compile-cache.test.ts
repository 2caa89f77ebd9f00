import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileCacheDirectory, runCachedCommonJs } from './compile-cache';

let work: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 's3secrets-cache-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function bundle(body: string): Promise<string> {
  const file = join(work, 'bundle.cjs');
  await writeFile(file, body);
  return file;
}

describe('Function: compileCacheDirectory', () => {
  it('uses XDG_CACHE_HOME, else HOME/.cache, and can be turned off', () => {
    // Act / Assess
    expect(compileCacheDirectory({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/x/s3secrets');
    expect(compileCacheDirectory({ HOME: '/h' })).toBe('/h/.cache/s3secrets');
    expect(compileCacheDirectory({ HOME: '/h', S3SECRETS_COMPILE_CACHE: '0' })).toBeUndefined();
    expect(compileCacheDirectory({})).toBeUndefined();
  });
});

describe('Function: runCachedCommonJs', () => {
  it('runs the bundle with CommonJS globals', async () => {
    // Prepare
    const file = await bundle('globalThis.__s3secretsProbe = [typeof require, __filename, typeof module.exports];');

    // Act
    runCachedCommonJs(file, undefined);

    // Assess
    expect((globalThis as Record<string, unknown>).__s3secretsProbe).toEqual(['function', file, 'object']);
  });

  it('writes one private cache file for a private directory, then reuses it', async () => {
    // Prepare
    const file = await bundle('void 0;');
    const cache = join(work, 'cache');

    // Act
    runCachedCommonJs(file, cache).persistCache();
    const entries = await readdir(cache);

    const statsBefore = await stat(join(cache, entries[0] ?? ''));
    runCachedCommonJs(file, cache).persistCache();
    const statsAfter = await stat(join(cache, entries[0] ?? ''));

    // Assess
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatch(/^s3secrets-\d+-\d+-\d+-v\d+\.\d+\.\d+-\w+\.v8cache$/);
    expect(statsBefore.mode & 0o777).toBe(0o600);
    expect(statsAfter.mtimeMs).toBe(statsBefore.mtimeMs);
  });

  it('never writes into a directory others can write to', async () => {
    // Prepare
    const file = await bundle('void 0;');
    const shared = join(work, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o777);

    // Act
    runCachedCommonJs(file, shared).persistCache();

    // Assess
    expect(await readdir(shared)).toEqual([]);
  });
});
