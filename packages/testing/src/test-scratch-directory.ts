import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Holds the scratch directory's path while a test run has one open: later projects of the same run reuse it. */
export const TEST_SCRATCH_VARIABLE = 'ELASTIC_CI_TEST_SCRATCH';
/** `1` keeps the scratch directory after the run and prints where it is, e.g. to read the logs of a failed run. */
export const KEEP_TEST_SCRATCH_VARIABLE = 'ELASTIC_CI_KEEP_TEST_SCRATCH';

/**
 * Opens one scratch directory for a whole test run and points `TMPDIR` at it, so everything the run's tests and the
 * processes they start write to the temporary directory — `mkdtemp`, an aws-cdk `App` without an `outdir`, moto, a
 * spawned CLI, `mktemp` in a script — lands inside it; the returned close removes it all, even what a test that
 * failed half-way left behind. A CI machine runs the suite hundreds of times: without this every run left a few
 * hundred directories (synthesized templates among them) in /tmp.
 *
 * Returns `undefined` when a scratch directory is already open in `env` (vitest runs one global setup per project:
 * the first opens it, the rest share it). `label` names the directory (the package), `report` says where a kept one is.
 */
export function openTestScratchDirectory(
  env: NodeJS.ProcessEnv,
  label: string,
  report: (line: string) => void,
): (() => void) | undefined {
  if (env[TEST_SCRATCH_VARIABLE] !== undefined) return undefined;
  const previousTmpdir = env.TMPDIR;
  // Under the caller's TMPDIR when it has one, else the machine's temporary directory.
  const base = previousTmpdir !== undefined && previousTmpdir !== '' ? previousTmpdir : tmpdir();
  const directory = mkdtempSync(join(base, `elastic-ci-test-${label.replace(/[^A-Za-z0-9_-]/g, '-')}-`));
  env.TMPDIR = directory;
  env[TEST_SCRATCH_VARIABLE] = directory;
  return () => {
    if (previousTmpdir === undefined) delete env.TMPDIR;
    else env.TMPDIR = previousTmpdir;
    delete env[TEST_SCRATCH_VARIABLE];
    if (env[KEEP_TEST_SCRATCH_VARIABLE] === '1') {
      report(`test scratch directory kept (${KEEP_TEST_SCRATCH_VARIABLE}=1): ${directory}`);
      return;
    }
    // Retries: a process a test started (moto, a sandbox host) may still be closing a file in it.
    rmSync(directory, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  };
}
