import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm'],
  target: 'node20',
  dts: { entry: 'src/index.ts' },
  // Never wipe dist: `make demo` and the benchmark may run the CLI while this package rebuilds.
  clean: false,
  sourcemap: true,
});
