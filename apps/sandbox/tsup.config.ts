import { defineConfig } from 'tsup';

export default defineConfig({
  // The library the fault suite drives, and the `make demo` CLI.
  entry: { index: 'src/index.ts', 'bin/sandbox': 'src/bin/sandbox.ts' },
  format: ['esm'],
  target: 'node20',
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
});
