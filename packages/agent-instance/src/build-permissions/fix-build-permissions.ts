import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { AGENT_USER } from '../boot/paths.js';
import type { Logger } from '../logger.js';
import type { CommandRunner } from '../terminate/command-runner.js';

/**
 * Buildkite's `fix-buildkite-agent-builds-permissions`, for Docker without user-namespace remap
 * (`docker.userNamespaceRemap: false`): containers run as root and leave root-owned files in the checkout, and the
 * next checkout (as buildkite-agent) fails on them. The `pre-exit` hook runs this through sudo; it hands ONE job's
 * checkout back to buildkite-agent, and nothing outside the build path.
 */
export class BuildPermissionsRefusedError extends Error {
  override name = 'BuildPermissionsRefusedError';
}

export type BuildPermissionsPlan =
  | { readonly action: 'chown'; readonly directory: string; readonly command: readonly [string, ...string[]] }
  | { readonly action: 'nothing'; readonly reason: string };

/** Checks the argument as typed, before anything on disk is looked at: absolute, no `..`, nothing odd. */
export function checkCheckoutArgument(path: string): void {
  if (path === '' || !isAbsolute(path)) throw new BuildPermissionsRefusedError('the checkout path must be absolute');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  if (/[\u0000-\u001f\u007f]/.test(path))
    throw new BuildPermissionsRefusedError('the checkout path has control characters');
  if (path.split('/').some((segment) => segment === '..' || segment === '.')) {
    throw new BuildPermissionsRefusedError('the checkout path must not contain . or .. segments');
  }
}

function strictlyInside(parent: string, child: string): boolean {
  const path = relative(parent, child);
  return path !== '' && path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path);
}

/**
 * Pure: given the real (symlink-free) paths of the build directory and of the checkout, what to run. The checkout
 * must lie strictly inside the build directory after every symlink is resolved, so a symlink in the checkout path
 * cannot point the chown elsewhere.
 */
export function planBuildPermissions(input: {
  readonly realBuildsDir: string;
  readonly realCheckout: string | undefined;
  readonly checkoutIsDirectory: boolean;
}): BuildPermissionsPlan {
  if (input.realCheckout === undefined) return { action: 'nothing', reason: 'the checkout does not exist' };
  if (!strictlyInside(input.realBuildsDir, input.realCheckout)) {
    throw new BuildPermissionsRefusedError('the checkout is not inside the build path (after resolving symlinks)');
  }
  if (!input.checkoutIsDirectory) throw new BuildPermissionsRefusedError('the checkout is not a directory');
  return {
    action: 'chown',
    directory: input.realCheckout,
    // -h with -R (physical walk, the default): symlinks inside the checkout are changed themselves, never followed.
    command: ['chown', '-hR', `${AGENT_USER}:${AGENT_USER}`, '--', input.realCheckout],
  };
}

async function realpathOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Exit 0 done (or nothing to do), 1 chown failed; throws `BuildPermissionsRefusedError` for a refused path. */
export async function fixBuildPermissions(
  input: { readonly buildsDir: string; readonly checkout: string },
  deps: { readonly runner: CommandRunner; readonly log: Logger },
): Promise<number> {
  const realBuildsDir = await realpathOrUndefined(input.buildsDir);
  if (realBuildsDir === undefined) throw new BuildPermissionsRefusedError('the build path does not exist');
  const realCheckout = await realpathOrUndefined(input.checkout);
  const plan = planBuildPermissions({
    realBuildsDir,
    realCheckout,
    checkoutIsDirectory: realCheckout !== undefined && (await lstat(realCheckout)).isDirectory(),
  });
  if (plan.action === 'nothing') {
    deps.log.info(`build permissions: nothing to do, ${plan.reason}`);
    return 0;
  }
  const [program, ...args] = plan.command;
  const result = await deps.runner(program, args);
  if (result.exitCode !== 0) {
    deps.log.error('build permissions: chown failed', {
      exitCode: result.exitCode,
      stderr: result.stderr.slice(0, 500),
    });
    return 1;
  }
  deps.log.info('build permissions: checkout handed back to buildkite-agent', { checkout: plan.directory });
  return 0;
}
