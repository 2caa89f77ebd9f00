import { defineConfig } from 'tsup';

export default defineConfig({
  entry: [
    'src/index.ts',
    'src/vitest-config.ts',
    'src/moto-global-setup.ts',
    'src/test-scratch-global-setup.ts',
    'src/moto-reset-setup.ts',
    'src/moto-server.ts',
    'src/imds-stand-in.ts',
    'src/aws-fault-proxy.ts',
    'src/simulated-agent.ts',
    // Subpaths for code outside vitest (the sandbox's `make demo`): the index imports vitest.
    'src/buildkite-api-stand-in.ts',
    'src/webhook-signing.ts',
  ],
  format: ['esm'],
  target: 'node20',
  dts: true,
  // Never wipe dist: other packages' test runs import it while this one rebuilds.
  clean: false,
  sourcemap: true,
  external: ['vitest', 'vitest/config'],
});
