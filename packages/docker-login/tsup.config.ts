import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { defineConfig, type Options } from 'tsup';

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number];

/** Where the CLI's lazily loaded chunks go, beside `cli.js`, apart from the library's own chunks. */
const CLI_CHUNK_DIRECTORY = 'cli-chunks';

/** Chunk names carry content hashes: drop the previous build's chunks so stale ones never pile up in `dist/`. */
const freshCliChunks: EsbuildPlugin = {
  name: 'fresh-cli-chunks',
  setup(build) {
    build.onStart(async () => {
      const outDir = build.initialOptions.outdir;
      if (outDir !== undefined) await rm(join(outDir, CLI_CHUNK_DIRECTORY), { recursive: true, force: true });
    });
  },
};

export default defineConfig([
  {
    // The library: dependencies stay external.
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    dts: true,
    clean: false,
    sourcemap: true,
  },
  {
    // The CLI agents run from hooks: `cli.js` plus chunks in `cli-chunks/`, every dependency bundled in, no
    // node_modules needed. The AWS SDK sits in a chunk loaded only by `ecr` (a dynamic import), so `--help`,
    // `registry`, `logout` and `env`, which run in every job, do not pay for evaluating it.
    entry: { cli: 'src/bin.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    noExternal: [/.*/],
    splitting: true,
    esbuildPlugins: [freshCliChunks],
    esbuildOptions(options) {
      options.chunkNames = `${CLI_CHUNK_DIRECTORY}/[name]-[hash]`;
      // Bundled CommonJS parts of the SDK call require(); give every chunk one. The entry's hashbang comes from
      // src/bin.ts (esbuild keeps it first, above this banner).
      options.banner = {
        js: "import { createRequire as __elasticCiCreateRequire } from 'node:module';const require = __elasticCiCreateRequire(import.meta.url);",
      };
    },
    clean: false,
    sourcemap: false,
    minify: true,
  },
]);
