import { defineElasticCiTestConfig } from '@elastic-ci/testing/vitest-config';

// A pure package: every line, branch, function and statement is covered, or the run fails.
export default defineElasticCiTestConfig({
  coverageThresholds: { lines: 100, branches: 100, functions: 100, statements: 100 },
  coverageExclude: ['src/index.ts', 'src/test-fixtures.ts'],
});
