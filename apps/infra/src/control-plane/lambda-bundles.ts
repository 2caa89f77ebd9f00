import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The landed Lambda packages whose `dist/lambda/*.mjs` bundles the control plane deploys. */
export type LambdaPackageName =
  | '@elastic-ci/agent-scaler'
  | '@elastic-ci/az-rebalancing-suspender'
  | '@elastic-ci/instance-broker'
  | '@elastic-ci/stop-agents';

/** One deployable bundle: the package, the asset directory and the handler its README documents. */
export interface LambdaBundle {
  readonly packageName: LambdaPackageName;
  /** The package's `dist/lambda` directory (the function code asset; source maps are left out). */
  readonly assetDirectory: string;
  /** `<file>.handler`, as the package's README documents it. */
  readonly handler: string;
}

/** Every bundle, by the role it plays in the stack. Handler names come from each package's README. */
export const LAMBDA_BUNDLES = {
  scalerScheduled: { packageName: '@elastic-ci/agent-scaler', file: 'scheduled.mjs', handler: 'scheduled.handler' },
  scalerWebhook: { packageName: '@elastic-ci/agent-scaler', file: 'webhook.mjs', handler: 'webhook.handler' },
  azRebalancingSuspender: {
    packageName: '@elastic-ci/az-rebalancing-suspender',
    file: 'lambda.mjs',
    handler: 'lambda.handler',
  },
  stopAgents: { packageName: '@elastic-ci/stop-agents', file: 'lambda.mjs', handler: 'lambda.handler' },
  instanceBroker: { packageName: '@elastic-ci/instance-broker', file: 'lambda.mjs', handler: 'lambda.handler' },
} as const satisfies Record<string, { packageName: LambdaPackageName; file: string; handler: string }>;

export type LambdaBundleRole = keyof typeof LAMBDA_BUNDLES;

/** A bundle is missing: the package was not built (turbo builds it before this package's build, test and synth). */
export class LambdaBundleNotBuiltError extends Error {
  override readonly name = 'LambdaBundleNotBuiltError';
}

const requireFromHere = createRequire(import.meta.url);

/**
 * Finds a bundle in the workspace package's directory, looked up like Node looks up the package itself (every
 * `node_modules` from here up), so it works from `src/` under vitest and from the built `dist/` alike. The packages
 * export only ES modules, so `require.resolve` of the package would fail: only the lookup paths are used.
 */
export function resolveLambdaBundle(role: LambdaBundleRole): LambdaBundle {
  const { packageName, file, handler } = LAMBDA_BUNDLES[role];
  const packageDirectory = (requireFromHere.resolve.paths(packageName) ?? [])
    .map((lookupDirectory) => join(lookupDirectory, packageName))
    .find((candidate) => existsSync(join(candidate, 'package.json')));
  if (packageDirectory === undefined) {
    throw new LambdaBundleNotBuiltError(`cannot find ${packageName} from ${dirname(import.meta.url)}`);
  }
  const assetDirectory = join(packageDirectory, 'dist', 'lambda');
  if (!existsSync(join(assetDirectory, file))) {
    throw new LambdaBundleNotBuiltError(
      `${packageName} has no dist/lambda/${file}: build it first (pnpm --filter ${packageName} build)`,
    );
  }
  return { packageName, assetDirectory, handler };
}
