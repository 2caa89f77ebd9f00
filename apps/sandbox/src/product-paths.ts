import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Thrown when a built program the sandbox runs is missing; the message says how to build it. */
export class ProductNotBuiltError extends Error {
  override name = 'ProductNotBuiltError';
}

const BUILD_HINT = 'run `pnpm exec turbo run build --filter=@elastic-ci/sandbox^...` (or `make demo`, which builds it)';

/** The workspace root (the folder with pnpm-workspace.yaml) above this module. */
export function repositoryRoot(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let current = start;
  for (;;) {
    if (existsSync(join(current, 'pnpm-workspace.yaml'))) return current;
    const parent = dirname(current);
    if (parent === current) throw new ProductNotBuiltError(`cannot find the repository root above ${start}`);
    current = parent;
  }
}

/** The built programs the sandbox runs, exactly as installed on instances. */
export function productPaths(root: string = repositoryRoot()) {
  return {
    lifecycled: join(root, 'packages/lifecycled/dist/lifecycled.js'),
    stopAgentGracefully: join(root, 'packages/lifecycled/dist/stop-agent-gracefully.js'),
    elasticCiInstance: join(root, 'packages/agent-instance/dist/bin/elastic-ci-instance.cjs'),
    simulatedAgent: join(root, 'packages/testing/dist/simulated-agent.js'),
    simulatedAgentSource: join(root, 'packages/testing/src/simulated-agent.ts'),
  };
}

/** Checks every program exists before anything starts. */
export function requireBuilt(paths: Readonly<Record<string, string>>): void {
  const missing = Object.entries(paths).filter(([name, path]) => name !== 'simulatedAgentSource' && !existsSync(path));
  if (missing.length > 0) {
    throw new ProductNotBuiltError(`not built: ${missing.map(([, path]) => path).join(', ')}; ${BUILD_HINT}`);
  }
}
