import { defineConfig, type Options } from 'tsup';

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number];

/** Lambda gets its credentials from the environment: swap the SDK's full provider chain for `fromEnv`. */
const environmentCredentialsOnly: EsbuildPlugin = {
  name: 'lambda-environment-credentials',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, (args) =>
      build.resolve('@elastic-ci/custom-resource/lambda-credentials', { kind: args.kind, resolveDir: process.cwd() }),
    );
  },
};

export default defineConfig([
  {
    // The library: pure plan, ports and handler factory, for reuse and tests.
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    dts: true,
    clean: false,
    sourcemap: true,
  },
  {
    // The Lambda: one minified file with every dependency inlined (the runtime's own SDK copy is not relied on).
    entry: { lambda: 'src/lambda.ts' },
    outDir: 'dist/lambda',
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    target: 'node20',
    platform: 'node',
    bundle: true,
    noExternal: [/.*/],
    minify: true,
    treeshake: true,
    splitting: false,
    sourcemap: true,
    clean: false,
    esbuildPlugins: [environmentCredentialsOnly],
    esbuildOptions(options) {
      // Prefer the SDK's ES modules so unused commands are shaken out.
      options.mainFields = ['module', 'main'];
      // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
      options.banner = {
        js: "import { createRequire as __elasticCiCreateRequire } from 'node:module'; const require = __elasticCiCreateRequire(import.meta.url);",
      };
    },
  },
]);
