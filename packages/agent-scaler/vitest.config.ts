import { defineElasticCiTestConfig } from '@elastic-ci/testing/vitest-config';

export default defineElasticCiTestConfig({
  coverageExclude: ['src/index.ts', 'src/lambda/**', 'src/testing-fakes.ts'],
});
