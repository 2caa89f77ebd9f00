// The tsup configuration of every custom-resource Lambda package: a library build for reuse and tests, and the
// Lambda itself as one minified ESM file with every dependency inlined (the runtime's own SDK copy is not relied on).

/** Lambda gets its credentials from the environment: swap the SDK's full provider chain for `fromEnv`. */
const environmentCredentialsOnly = {
  name: 'lambda-environment-credentials',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, (args) =>
      build.resolve('@elastic-ci/custom-resource/lambda-credentials', { kind: args.kind, resolveDir: process.cwd() }),
    );
  },
};

/**
 * @param {{ lambdaEntry?: string }} [options] the handler module bundled to `dist/lambda/lambda.mjs`
 * @returns {import('tsup').Options[]}
 */
export function customResourceLambdaTsupConfig(options = {}) {
  return [
    {
      entry: ['src/index.ts'],
      format: ['esm'],
      target: 'node20',
      dts: true,
      clean: false,
      sourcemap: true,
    },
    {
      entry: { lambda: options.lambdaEntry ?? 'src/lambda.ts' },
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
      esbuildOptions(esbuildOptions) {
        // Prefer the SDK's ES modules so unused commands are shaken out.
        esbuildOptions.mainFields = ['module', 'main'];
        // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
        esbuildOptions.banner = {
          js: "import { createRequire as __elasticCiCreateRequire } from 'node:module'; const require = __elasticCiCreateRequire(import.meta.url);",
        };
      },
    },
  ];
}
