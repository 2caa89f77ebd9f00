import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { EnvConfig, LogoutConfig } from './config';
import {
  CONFIG_FILE_NAME,
  releaseRegistries,
  rememberedDockerLogins,
  rememberedRegistries,
  TEMPORARY_DIRECTORY_MARKER,
  updateLoginState,
} from './docker-config';
import type { DockerCli, Output } from './ports';
import { registryAddress } from './registry-hosts';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** POSIX single-quoting, so the `env` output is safe to `eval` whatever the path contains. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The docker-login plugin's environment hook (isolate-config): a fresh per-job Docker config directory, printed as
 * `export` lines for the hook to `eval`. The directory is marked so `logout` only ever deletes directories made here.
 */
export async function createIsolatedConfig(config: EnvConfig): Promise<string[]> {
  if (!config.isolateConfig) return [];
  const directory = await mkdtemp(join(config.temporaryDirectoryRoot, 'elastic-ci-docker-config-'));
  await writeFile(join(directory, TEMPORARY_DIRECTORY_MARKER), '', { mode: 0o600 });
  return [
    `export DOCKER_CONFIG=${shellQuote(directory)}`,
    `export BUILDKITE_DOCKER_LOGIN_TEMP_CONFIG=${shellQuote(directory)}`,
  ];
}

/**
 * The plugins' pre-exit hook: remove the registries this helper logged in to (and the configured server) from
 * config.json, then delete the per-job directory `env` created. Follows the plugin's disable-logout / isolate-config
 * rules and messages.
 */
export async function logout(
  config: LogoutConfig,
  dockerConfigDir: string,
  output: Output,
  dockerCli: DockerCli,
): Promise<void> {
  // The per-job directory goes whatever happens to the config edit: it holds every credential this job got.
  let editFailure: unknown;
  if (!config.disableLogout) {
    try {
      await removeLogins(config, dockerConfigDir, output, dockerCli);
    } catch (error) {
      editFailure = error;
    }
  } else if (config.isolateConfig) {
    output.info('Note: despite not logging out, temporary docker credential file should be removed');
  }
  const directory = config.temporaryConfigDir;
  let removed = false;
  if (config.isolateConfig && directory !== undefined && (await exists(directory))) {
    if (await exists(join(directory, TEMPORARY_DIRECTORY_MARKER))) {
      await rm(directory, { recursive: true, force: true });
      removed = true;
      output.info(`Removed temporary docker config ${directory}`);
    } else {
      output.warn(`Not removing ${directory}: it was not created by elastic-ci-docker-login env`);
    }
  } else if (config.disableLogout) {
    output.warn('WARNING: leaving docker configuration file with credentials around');
  }
  if (editFailure === undefined) return;
  // A config inside the directory just deleted is gone with its credentials: nothing is left to log out of.
  if (removed && directory !== undefined && isSameOrInside(dockerConfigDir, directory)) {
    const reason = editFailure instanceof Error ? editFailure.message : String(editFailure);
    output.warn(`Could not edit the Docker config before deleting it: ${reason}`);
    return;
  }
  throw editFailure;
}

/**
 * Takes this job's logins back: removes from config.json the registries this helper wrote (and the configured server)
 * that no other job on the host still uses, then runs `docker logout` for every server this helper gave to
 * `docker login` whose registry is going (Docker's credential store, if the config names one, keeps those
 * credentials otherwise).
 */
async function removeLogins(
  config: LogoutConfig,
  dockerConfigDir: string,
  output: Output,
  dockerCli: DockerCli,
): Promise<void> {
  const servers = await rememberedDockerLogins(dockerConfigDir);
  if (servers.length === 0 && !(await exists(join(dockerConfigDir, CONFIG_FILE_NAME)))) return;
  const remembered = await rememberedRegistries(dockerConfigDir);
  const keys = [...new Set([...remembered, ...(config.server === '' ? [] : [registryAddress(config.server).authKey])])];
  const { removed, kept } = await releaseRegistries(dockerConfigDir, keys, config.jobId);
  for (const key of kept) output.info(`Kept ${key}: another job on this host uses it`);
  for (const key of removed) output.info(`Logged out of ${key}`);

  const loggedOut: string[] = [];
  let dockerFailure: unknown;
  for (const server of servers) {
    if (kept.includes(registryAddress(server).authKey)) continue;
    try {
      await dockerCli.logout({ server, dockerConfigDir });
      loggedOut.push(server);
      output.info(`Logged out of ${server === '' ? 'Docker Hub' : server} with docker logout`);
    } catch (error) {
      dockerFailure ??= error;
    }
  }
  // Forgotten only once undone: a failed docker logout is tried again by the next logout.
  if (loggedOut.length > 0) await updateLoginState(dockerConfigDir, { forgetDockerLogins: loggedOut });
  if (dockerFailure !== undefined) throw dockerFailure;
}

function isSameOrInside(path: string, directory: string): boolean {
  const relation = relative(resolve(directory), resolve(path));
  return relation === '' || (!relation.startsWith('..') && !isAbsolute(relation));
}
