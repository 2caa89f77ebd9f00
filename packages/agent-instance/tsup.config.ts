import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts', 'src/boot-contract.ts', 'src/instance-state-tags.ts'],
    format: ['esm'],
    target: 'node20',
    dts: true,
    sourcemap: true,
    clean: false,
  },
  {
    // The programs installed on agents: one self-contained CommonJS file each (AWS SDK included), so the image
    // needs Node.js and nothing from a registry.
    entry: {
      'bin/elastic-ci-instance': 'src/bin/elastic-ci-instance.ts',
      'bin/elastic-ci-boot': 'src/bin/elastic-ci-boot.ts',
    },
    format: ['cjs'],
    target: 'node20',
    platform: 'node',
    bundle: true,
    noExternal: [/.*/],
    splitting: false,
    minify: true,
    clean: false,
    sourcemap: true,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
