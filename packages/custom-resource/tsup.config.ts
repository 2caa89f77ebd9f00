import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/testing.ts', 'src/lambda-credentials.ts'],
  format: ['esm'],
  target: 'node20',
  dts: true,
  // Never wipe dist: the Lambda packages' test runs import it while this one rebuilds.
  clean: false,
  sourcemap: true,
});
