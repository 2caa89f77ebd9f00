import { defineElasticCiTestConfig } from '@elastic-ci/testing/vitest-config';

export default defineElasticCiTestConfig();
