import { defineConfig } from 'tsup';

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
    // The CLI agents run from hooks: one self-contained file (AWS SDK and zod bundled in), no node_modules needed.
    entry: { cli: 'src/bin.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    noExternal: [/.*/],
    splitting: false,
    banner: {
      // Bundled CommonJS parts of the SDK call require(); give them one in the ESM bundle.
      js: "#!/usr/bin/env node\nimport { createRequire as __elasticCiCreateRequire } from 'node:module';\nconst require = __elasticCiCreateRequire(import.meta.url);",
    },
    clean: false,
    sourcemap: false,
    minify: true,
  },
]);
