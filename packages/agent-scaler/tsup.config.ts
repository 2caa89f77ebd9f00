import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library: factories and types for tests, the sandbox and the infra app.
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    dts: true,
    clean: false,
    sourcemap: true,
  },
  {
    // The Lambda bundles: one minified file per handler. The AWS SDK v3 (and its @smithy runtime) ships with the
    // nodejs22.x runtime and is left out, as AWS recommends; Powertools, zod and our packages are inside.
    entry: { scheduled: 'src/lambda/scheduled.ts', webhook: 'src/lambda/webhook.ts' },
    outDir: 'dist/lambda',
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    target: 'node22',
    platform: 'node',
    noExternal: [/^@elastic-ci\//, /^@aws-lambda-powertools\//, 'zod'],
    external: [/^@aws-sdk\//, /^@smithy\//],
    splitting: false,
    minify: true,
    treeshake: true,
    dts: false,
    clean: false,
    sourcemap: false,
  },
]);
