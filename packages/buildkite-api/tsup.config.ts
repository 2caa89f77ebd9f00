import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'node20',
  dts: true,
  // Never wipe dist: the agent-scaler's test runs import it while this package rebuilds.
  clean: false,
  sourcemap: true,
});
