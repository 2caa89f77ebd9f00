import { defineConfig } from 'tsup';

export default defineConfig({
  // The construct library, the CDK app `make synth` runs (dist/bin/app.js) and the CDK CLI launcher of `make deploy`.
  entry: { index: 'src/index.ts', 'bin/app': 'bin/app.ts', 'bin/cdk-deploy': 'bin/cdk-deploy.ts' },
  format: ['esm'],
  target: 'node20',
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  external: ['aws-cdk-lib', 'constructs', 'cdk-nag'],
});
