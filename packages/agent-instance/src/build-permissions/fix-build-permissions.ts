import { constants } from 'node:fs';
import { type FileHandle, lstat, open, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
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
  | {
      readonly action: 'chown';
      /** The checkout's real path (for the log). */
      readonly directory: string;
      /** Path components from the build directory down to the checkout, each a plain name. */
      readonly components: readonly string[];
      /** Run with the checkout as working directory: `.` is the directory that was opened and checked. */
      readonly command: readonly [string, ...string[]];
    }
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
 * Pure: given the real (symlink-free) paths of the build directory and of the checkout, what to open and run. The
 * checkout must lie strictly inside the build directory after every symlink is resolved. The chown then runs on the
 * directory as opened (see {@link fixBuildPermissions}), never on a path that could be re-resolved.
 */
export function planBuildPermissions(input: {
  readonly realBuildsDir: string;
  readonly realCheckout: string | undefined;
  readonly checkoutIsDirectory: boolean;
  /** `user:group` to hand the checkout to. @default buildkite-agent:buildkite-agent */
  readonly owner?: string | undefined;
}): BuildPermissionsPlan {
  if (input.realCheckout === undefined) return { action: 'nothing', reason: 'the checkout does not exist' };
  if (!strictlyInside(input.realBuildsDir, input.realCheckout)) {
    throw new BuildPermissionsRefusedError('the checkout is not inside the build path (after resolving symlinks)');
  }
  if (!input.checkoutIsDirectory) throw new BuildPermissionsRefusedError('the checkout is not a directory');
  return {
    action: 'chown',
    directory: input.realCheckout,
    components: relative(input.realBuildsDir, input.realCheckout).split(sep),
    // -R -P: a physical walk that never traverses a symlink; -h: a symlink's own owner changes, never its target's.
    // GNU chown walks with directory descriptors (fts), so a swap below `.` cannot lead it out either.
    command: ['chown', '-R', '-P', '-h', input.owner ?? `${AGENT_USER}:${AGENT_USER}`, '--', '.'],
  };
}

const DIRECTORY_NO_FOLLOW = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * Opens the checkout one component at a time from `/` (the build path, then the checkout inside it), each relative to
 * the descriptor of the one above (`/proc/self/fd/<n>/<name>`: the kernel starts from the directory the descriptor
 * holds, as openat does) and with O_NOFOLLOW: a component that is (or has just become) a symlink fails the open
 * instead of leading elsewhere. The returned handle holds the very directory that was checked, whatever is renamed
 * or swapped afterwards.
 */
async function openCheckoutWithoutFollowing(components: readonly string[]): Promise<FileHandle> {
  let current = await open('/', DIRECTORY_NO_FOLLOW);
  try {
    for (const component of components) {
      if (component === '' || component === '.' || component === '..' || component.includes('/')) {
        throw new BuildPermissionsRefusedError('the checkout path has an unexpected component');
      }
      let next: FileHandle;
      try {
        next = await open(`/proc/self/fd/${current.fd}/${component}`, DIRECTORY_NO_FOLLOW);
      } catch (error) {
        throw new BuildPermissionsRefusedError(
          `the checkout path changed while it was checked: a component is no longer a directory (${codeOf(error)})`,
          { cause: error },
        );
      }
      await current.close();
      current = next;
    }
    return current;
  } catch (error) {
    await current.close();
    throw error;
  }
}

function codeOf(error: unknown): string {
  return String((error as NodeJS.ErrnoException | undefined)?.code ?? 'error');
}

async function realpathOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Exit 0 done (or nothing to do), 1 chown failed; throws `BuildPermissionsRefusedError` for a refused path.
 *
 * Race-free against the build user (who owns everything under the build path and may rename or swap any of it while
 * this runs as root): the path is checked (realpath strictly inside the build path), then opened component by
 * component without following symlinks, and chown runs with the opened directory as its working directory
 * (`/proc/<pid>/fd/<n>`) on `.` — it changes the directory that was checked, never whatever a path names later.
 */
export async function fixBuildPermissions(
  input: { readonly buildsDir: string; readonly checkout: string; readonly owner?: string | undefined },
  deps: {
    readonly runner: CommandRunner;
    readonly log: Logger;
    /** Test port: runs after the path is checked, before it is opened (a swap here must be refused). */
    readonly afterCheck?: () => Promise<void>;
    /** Test port: runs after the checkout is checked and opened, right before chown (a swap here must not matter). */
    readonly beforeChown?: () => Promise<void>;
  },
): Promise<number> {
  const realBuildsDir = await realpathOrUndefined(input.buildsDir);
  if (realBuildsDir === undefined) throw new BuildPermissionsRefusedError('the build path does not exist');
  // The build path lies in buildkite-agent's home, which the build user owns: were it allowed to be a symlink, that
  // user could point it (and so "inside the build path") anywhere.
  if (realBuildsDir !== resolve(input.buildsDir)) {
    throw new BuildPermissionsRefusedError(
      'the build path leads through a symlink; paths.builds must be a real directory path',
    );
  }
  const realCheckout = await realpathOrUndefined(input.checkout);
  const plan = planBuildPermissions({
    realBuildsDir,
    realCheckout,
    checkoutIsDirectory: realCheckout !== undefined && (await lstat(realCheckout)).isDirectory(),
    owner: input.owner,
  });
  if (plan.action === 'nothing') {
    deps.log.info(`build permissions: nothing to do, ${plan.reason}`);
    return 0;
  }
  await deps.afterCheck?.();
  const checkout = await openCheckoutWithoutFollowing([
    ...realBuildsDir.split(sep).filter((component) => component !== ''),
    ...plan.components,
  ]);
  try {
    await deps.beforeChown?.();
    const [program, ...args] = plan.command;
    const result = await deps.runner(program, args, { cwd: `/proc/${process.pid}/fd/${checkout.fd}` });
    if (result.exitCode !== 0) {
      deps.log.error('build permissions: chown failed', {
        exitCode: result.exitCode,
        stderr: result.stderr.slice(0, 500),
      });
      return 1;
    }
  } finally {
    await checkout.close();
  }
  deps.log.info('build permissions: checkout handed back', { checkout: plan.directory });
  return 0;
}
