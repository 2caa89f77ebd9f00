import { readFile } from 'node:fs/promises';
import { defineConfig } from 'tsup';

type EsbuildPlugin = NonNullable<
  Parameters<typeof defineConfig>[0] extends infer Options
    ? Options extends { esbuildPlugins?: infer Plugins }
      ? Plugins
      : never
    : never
>[number];

/**
 * The SDK loads a few Node built-ins with `import()`. Inside a `vm.Script` that was compiled from a V8 code cache,
 * Node 20 loses the dynamic-import callback, so those calls would throw; a `require` of a built-in behaves the same.
 */
const builtinImportsAsRequire: EsbuildPlugin = {
  name: 'builtin-imports-as-require',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/].*\.js$/ }, async (args) => {
      const contents = await readFile(args.path, 'utf8');
      if (!/\bimport\(\s*["'](?:node:)?(?:http|https|async_hooks)["']\s*\)/.test(contents)) return undefined;
      return {
        contents: contents.replace(
          /\bimport\(\s*(["'](?:node:)?(?:http|https|async_hooks)["'])\s*\)/g,
          'Promise.resolve(require($1))',
        ),
        loader: 'js',
      };
    });
  },
};

export default defineConfig([
  {
    // The CLI runs before every job, so start-up time is the product. Everything (AWS SDK included) is bundled
    // into one minified CommonJS file that the tiny loader below compiles with a V8 code cache; put/doctor/KMS sit
    // behind dynamic imports, so their code is compiled lazily and never runs on the hot path.
    entry: { 's3secrets-main': 'src/main.ts' },
    outDir: 'dist/bin',
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    target: 'node20',
    platform: 'node',
    minify: true,
    splitting: false,
    noExternal: [/.*/],
    esbuildPlugins: [builtinImportsAsRequire],
    clean: true,
    sourcemap: false,
  },
  {
    entry: { s3secrets: 'src/cli.ts' },
    outDir: 'dist/bin',
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    target: 'node20',
    platform: 'node',
    minify: true,
    clean: false,
    sourcemap: false,
  },
  {
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    dts: true,
    clean: false,
    sourcemap: true,
  },
]);
