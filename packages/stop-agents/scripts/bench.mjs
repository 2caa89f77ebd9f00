// Bundle size and cold init of the Lambda; see @elastic-ci/custom-resource/lambda-bench. `--append` writes the rows
// to BENCHMARKS.md.
import { fileURLToPath } from 'node:url';
import { benchLambdaBundle } from '@elastic-ci/custom-resource/lambda-bench';

benchLambdaBundle({
  packageName: '@elastic-ci/stop-agents',
  packageDir: fileURLToPath(new URL('..', import.meta.url)),
  bundle: 'dist/lambda/lambda.mjs',
});
