import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';
import { defineConfig } from 'tsup';

/**
 * `import { z } from 'zod'` makes esbuild keep zod's whole namespace, every locale included (~450 KB minified);
 * `import * as z from 'zod'` is the same module object but lets unused members be dropped (~90 KB). Workspace
 * dependencies built with the first form are rewritten to the second while bundling.
 */
const zodNamespaceImport: Plugin = {
  name: 'zod-namespace-import',
  setup(build) {
    build.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]dist[\\/].*\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const rewritten = source.replace(/import\s*\{\s*z\s*\}\s*from\s*(['"])zod\1/g, 'import * as z from $1zod$1');
      return rewritten === source ? undefined : { contents: rewritten, loader: 'js' };
    });
  },
};

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
    esbuildPlugins: [zodNamespaceImport],
    dts: false,
    clean: false,
    sourcemap: false,
  },
]);
