import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  // Reused outside this repo (ECS services, other CI fleets), so CommonJS callers get a build too.
  format: ['esm', 'cjs'],
  target: 'node20',
  dts: true,
  // Never wipe dist: the simulator and agent-scaler import it while this package rebuilds.
  clean: false,
  sourcemap: true,
});
