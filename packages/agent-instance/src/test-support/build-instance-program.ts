// Test support: `elastic-ci-instance` exactly as installed on agents, built from the package's own tsup config.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Options } from 'tsup';
import tsupConfig from '../../tsup.config';

/**
 * Bundles the `bin/elastic-ci-instance` entry into a new temporary directory and returns the bundle's path (run it
 * with `node`). `minify: false` keeps stack traces readable; otherwise the entry's own setting applies.
 */
export async function buildInstanceProgram(options: { readonly minify?: false } = {}): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'elastic-ci-instance-bundle-'));
  const configs = (Array.isArray(tsupConfig) ? tsupConfig : [tsupConfig]) as Options[];
  const programs = configs.find(
    (config) => typeof config.entry === 'object' && 'bin/elastic-ci-instance' in config.entry,
  );
  if (programs === undefined) throw new Error('tsup.config.ts has no bin/elastic-ci-instance entry');
  await build({ ...programs, outDir, silent: true, config: false, sourcemap: false, ...options });
  return join(outDir, 'bin', 'elastic-ci-instance.cjs');
}
