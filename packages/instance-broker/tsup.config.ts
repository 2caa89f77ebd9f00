import { customResourceLambdaTsupConfig } from '@elastic-ci/custom-resource/lambda-tsup-config';
import { defineConfig } from 'tsup';

export default defineConfig(customResourceLambdaTsupConfig());
