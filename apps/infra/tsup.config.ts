import { defineConfig } from 'tsup';

export default defineConfig({
  // The construct library, and the CDK app `make synth` runs (dist/bin/app.js).
  entry: { index: 'src/index.ts', 'bin/app': 'bin/app.ts' },
  format: ['esm'],
  target: 'node20',
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  external: ['aws-cdk-lib', 'constructs', 'cdk-nag'],
});
