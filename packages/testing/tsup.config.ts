import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/vitest-config.ts', 'src/moto-global-setup.ts', 'src/moto-reset-setup.ts'],
  format: ['esm'],
  target: 'node20',
  dts: true,
  clean: true,
  sourcemap: true,
  external: ['vitest', 'vitest/config'],
});
