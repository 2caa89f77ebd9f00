import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EnvConfig, LogoutConfig } from './config';
import {
  CONFIG_FILE_NAME,
  rememberedRegistries,
  TEMPORARY_DIRECTORY_MARKER,
  updateDockerConfigFile,
  withoutRegistries,
} from './docker-config';
import type { Output } from './ports';
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
export async function logout(config: LogoutConfig, dockerConfigDir: string, output: Output): Promise<void> {
  if (!config.disableLogout) {
    if (await exists(join(dockerConfigDir, CONFIG_FILE_NAME))) {
      const remembered = await rememberedRegistries(dockerConfigDir);
      const keys = [
        ...new Set([...remembered, ...(config.server === '' ? [] : [registryAddress(config.server).authKey])]),
      ];
      await updateDockerConfigFile(dockerConfigDir, {
        change: (dockerConfig) => withoutRegistries(dockerConfig, keys),
        forget: keys,
      });
      for (const key of keys) output.info(`Logged out of ${key}`);
    }
  } else if (config.isolateConfig) {
    output.info('Note: despite not logging out, temporary docker credential file should be removed');
  }
  const directory = config.temporaryConfigDir;
  if (config.isolateConfig && directory !== undefined && (await exists(directory))) {
    if (await exists(join(directory, TEMPORARY_DIRECTORY_MARKER))) {
      await rm(directory, { recursive: true, force: true });
      output.info(`Removed temporary docker config ${directory}`);
    } else {
      output.warn(`Not removing ${directory}: it was not created by elastic-ci-docker-login env`);
    }
  } else if (config.disableLogout) {
    output.warn('WARNING: leaving docker configuration file with credentials around');
  }
}
