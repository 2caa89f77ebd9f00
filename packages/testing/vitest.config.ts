import { defineElasticCiTestConfig } from './src/vitest-config';

export default defineElasticCiTestConfig();
