import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

export interface ElasticCiTestConfigOptions {
  /** Package folder. @default process.cwd() (pnpm runs scripts in the package folder) */
  packageDir?: string;
  /** Coverage thresholds in percent, enforced when set (pure packages use 100). */
  coverageThresholds?: { lines: number; branches: number; functions: number; statements: number };
  /** Files excluded from coverage in addition to tests (entry points that only wire things together). */
  coverageExclude?: string[];
  /** @default 30_000 */
  integrationTestTimeoutMs?: number;
  /** @default 20_000 — generous on purpose: `make test` runs several packages at once on 2 cores */
  unitTestTimeoutMs?: number;
  /** @default 300_000 — an end-to-end file starts a whole sandbox; this catches hangs, not slowness */
  e2eTestTimeoutMs?: number;
}

const UNIT_GLOB = 'src/**/*.test.ts';
const INTEGRATION_GLOB = 'src/**/*.int.test.ts';
const E2E_GLOB = 'src/**/*.e2e.test.ts';

function hasTestsEndingWith(directory: string, suffix: string): boolean {
  if (!existsSync(directory)) return false;
  return readdirSync(directory, { withFileTypes: true }).some((entry) =>
    entry.isDirectory() ? hasTestsEndingWith(join(directory, entry.name), suffix) : entry.name.endsWith(suffix),
  );
}

const moduleFile = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));

/**
 * The vitest configuration every package uses: a `unit` project (parallel, no emulator) and, when the package has
 * `*.int.test.ts` files, an `integration` project that starts moto once and runs files one at a time with a reset
 * between them; when it has `*.e2e.test.ts` files, an `e2e` project run the same way with generous timeouts. Every
 * project's run writes its temporary files into one scratch directory, removed when the run ends
 * (`openTestScratchDirectory`).
 */
export function defineElasticCiTestConfig(options: ElasticCiTestConfigOptions = {}): ViteUserConfig {
  const packageDir = options.packageDir ?? process.cwd();
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  // First in every project: the run's scratch TMPDIR opens before moto starts and closes after it stops.
  const scratchSetup = moduleFile(`test-scratch-global-setup.${extension}`);
  const motoSetups = [scratchSetup, moduleFile(`moto-global-setup.${extension}`)];
  const projects: NonNullable<NonNullable<ViteUserConfig['test']>['projects']> = [
    {
      extends: true,
      test: {
        name: 'unit',
        include: [UNIT_GLOB],
        exclude: [INTEGRATION_GLOB, E2E_GLOB],
        globalSetup: [scratchSetup],
        // Timeouts catch hangs, not slowness: speed targets live in benchmarks, and a loaded CI machine is slow.
        testTimeout: options.unitTestTimeoutMs ?? 20_000,
      },
    },
  ];
  if (hasTestsEndingWith(join(packageDir, 'src'), '.int.test.ts')) {
    projects.push({
      extends: true,
      test: {
        name: 'integration',
        include: [INTEGRATION_GLOB],
        globalSetup: motoSetups,
        setupFiles: [moduleFile(`moto-reset-setup.${extension}`)],
        pool: 'forks',
        poolOptions: { forks: { singleFork: true } },
        testTimeout: options.integrationTestTimeoutMs ?? 30_000,
        hookTimeout: 60_000,
      },
    });
  }
  if (hasTestsEndingWith(join(packageDir, 'src'), '.e2e.test.ts')) {
    // End-to-end files (apps/sandbox's fault suite) each start a whole sandbox of processes: one file at a time on
    // the shared moto, so two sandboxes never compete for the 2 cores `make test` runs on.
    projects.push({
      extends: true,
      test: {
        name: 'e2e',
        include: [E2E_GLOB],
        globalSetup: motoSetups,
        setupFiles: [moduleFile(`moto-reset-setup.${extension}`)],
        pool: 'forks',
        poolOptions: { forks: { singleFork: true } },
        // After the package's unit and integration projects, not beside them.
        sequence: { groupOrder: 1 },
        testTimeout: options.e2eTestTimeoutMs ?? 300_000,
        hookTimeout: options.e2eTestTimeoutMs ?? 300_000,
      },
    });
  }
  const coverageExclude = ['src/**/*.test.ts', 'src/**/*.bench.ts', ...(options.coverageExclude ?? [])];
  return defineConfig({
    test: {
      root: packageDir,
      projects,
      coverage: {
        provider: 'v8',
        include: ['src/**/*.ts'],
        exclude: coverageExclude,
        reporter: ['text-summary', 'text'],
        ...(options.coverageThresholds ? { enabled: true, thresholds: options.coverageThresholds } : {}),
      },
    },
  });
}
