import { basename } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openTestScratchDirectory } from './test-scratch-directory';

/**
 * Vitest global setup of every project (`defineElasticCiTestConfig`): one scratch directory as `TMPDIR` for the whole
 * run, removed at its end. It runs before the workers start, so they and every process they spawn inherit it.
 */
export default function setup(project: TestProject): () => void {
  const close = openTestScratchDirectory(process.env, basename(project.config.root), (line) => console.log(line));
  return close ?? (() => {});
}
