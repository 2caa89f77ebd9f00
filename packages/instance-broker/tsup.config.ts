import { customResourceLambdaTsupConfig } from '@elastic-ci/custom-resource/lambda-tsup-config';
import { defineConfig } from 'tsup';

// The shared Lambda build (library + `dist/lambda/lambda.mjs`), with two more library entries: `client` (what an
// instance imports: protocol, client, error) and `local-function-url` (the sandbox's and tests' IAM-checking front).
const [library, ...rest] = customResourceLambdaTsupConfig();

export default defineConfig([
  { ...library, entry: ['src/index.ts', 'src/client.ts', 'src/local-function-url.ts'] },
  ...rest,
]);
