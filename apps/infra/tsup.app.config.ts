import { defineConfig } from 'tsup';

// `make synth` bundles only the app (one file, no type declarations): the declarations of the full build take most
// of its time and synth does not need them.
export default defineConfig({
  entry: { 'bin/app': 'bin/app.ts', 'bin/cdk-deploy': 'bin/cdk-deploy.ts' },
  format: ['esm'],
  target: 'node20',
  dts: false,
  sourcemap: true,
  clean: false,
  splitting: false,
  external: ['aws-cdk-lib', 'constructs', 'cdk-nag'],
});
