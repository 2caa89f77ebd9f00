import { defineElasticCiTestConfig } from '@elastic-ci/testing/vitest-config';

export default defineElasticCiTestConfig({ integrationTestTimeoutMs: 60_000 });
