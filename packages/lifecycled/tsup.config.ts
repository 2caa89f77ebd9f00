import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig([
  {
    // The two programs installed on agents: one self-contained file each, AWS SDK included.
    entry: { lifecycled: 'src/lifecycled.ts', 'stop-agent-gracefully': 'src/stop-agent-gracefully.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    bundle: true,
    noExternal: [/.*/],
    splitting: false,
    minify: true,
    clean: false,
    sourcemap: true,
    define: { __LIFECYCLED_VERSION__: JSON.stringify(version) },
    // Bundled CommonJS dependencies call require(); give the ESM bundle one.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  },
  {
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    target: 'node20',
    dts: true,
    clean: false,
    sourcemap: true,
    define: { __LIFECYCLED_VERSION__: JSON.stringify(version) },
  },
]);
