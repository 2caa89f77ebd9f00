export interface LambdaBenchOptions {
  /** The package's npm name, e.g. `@elastic-ci/stop-agents`. */
  packageName: string;
  /** The package folder. */
  packageDir: string;
  /** The bundle, relative to `packageDir`. */
  bundle: string;
  /** Fresh processes measured (after one warm-up). @default 15 */
  runs?: number;
  /** Extra environment for the measured processes. */
  environment?: Record<string, string>;
}

/** Prints BENCHMARKS.md rows for bundle size and cold init; `--append` appends them; exits 1 on a missed target. */
export function benchLambdaBundle(options: LambdaBenchOptions): void;
