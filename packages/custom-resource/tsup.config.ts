import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/testing.ts', 'src/lambda-credentials.ts'],
  // A library for any custom-resource Lambda: CommonJS handlers (CDK's NodejsFunction bundles CommonJS by default)
  // and Jest-style CommonJS test runners `require()` it, so they get a build too.
  format: ['esm', 'cjs'],
  target: 'node20',
  dts: true,
  // Never wipe dist: the Lambda packages' test runs import it while this one rebuilds.
  clean: false,
  sourcemap: true,
});
