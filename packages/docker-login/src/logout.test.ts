import { access, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './config';
import { updateDockerConfigFile, withRegistryAuths } from './docker-config';
import { DockerConfigFileError } from './errors';
import { createIsolatedConfig, logout, shellQuote } from './logout';
import { capturedOutput, recordingDockerCli } from './test-doubles.test-support';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

async function isolatedDirectory(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'logout-test-'));
  const lines = await createIsolatedConfig({ isolateConfig: true, temporaryDirectoryRoot: root });
  const match = /^export DOCKER_CONFIG='(.+)'$/.exec(lines[0] ?? '');
  if (match?.[1] === undefined) throw new Error(`unexpected env output: ${lines.join('\n')}`);
  return match[1];
}

/** No test here logs in with --docker-login, so logout has nothing to hand to docker logout. */
const docker = recordingDockerCli().dockerCli;

function logoutConfig(env: Record<string, string>) {
  const config = parseConfig('logout', { HOME: '/nonexistent', ...env });
  if (config.logout === undefined) throw new Error('logout config expected');
  return config.logout;
}

describe('Function: createIsolatedConfig', () => {
  it('creates a private per-job directory and prints eval-safe export lines', async () => {
    // Prepare
    const root = await mkdtemp(join(tmpdir(), "env test 'quoted' "));

    // Act
    const lines = await createIsolatedConfig({ isolateConfig: true, temporaryDirectoryRoot: root });

    // Assess
    expect(lines).toHaveLength(2);
    const directory = /^export DOCKER_CONFIG='(.*)'$/s.exec(lines[0] ?? '')?.[1]?.replaceAll(`'\\''`, "'") ?? '';
    expect(directory.startsWith(join(root, 'elastic-ci-docker-config-'))).toBe(true);
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
    expect(lines[1]).toBe(`export BUILDKITE_DOCKER_LOGIN_TEMP_CONFIG=${shellQuote(directory)}`);
  });

  it('prints nothing when isolate-config is off', async () => {
    expect(await createIsolatedConfig({ isolateConfig: false, temporaryDirectoryRoot: '/nonexistent' })).toEqual([]);
  });
});

describe('Function: logout', () => {
  it('removes the registries this helper wrote and the configured server, then the per-job directory', async () => {
    // Prepare
    const directory = await isolatedDirectory();
    await updateDockerConfigFile(directory, {
      change: (config) =>
        withRegistryAuths({ ...config, auths: { 'ghcr.io': { auth: 'eDp5' } } }, [
          { key: 'public.ecr.aws', auth: 'dTpw' },
        ]),
      remember: ['public.ecr.aws'],
    });
    const { output, captured } = capturedOutput();

    // Act
    await logout(
      logoutConfig({ DOCKER_LOGIN_SERVER: 'ghcr.io', BUILDKITE_DOCKER_LOGIN_TEMP_CONFIG: directory }),
      directory,
      output,
      docker,
    );

    // Assess
    expect(captured.stdout.join('')).toContain('Logged out of public.ecr.aws');
    expect(captured.stdout.join('')).toContain('Logged out of ghcr.io');
    expect(await exists(directory)).toBe(false);
  });

  it('logs out but keeps a shared directory (isolate-config off)', async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), 'logout-shared-'));
    await updateDockerConfigFile(directory, {
      change: (config) =>
        withRegistryAuths({ ...config, experimental: 'enabled' }, [{ key: 'registry.example.com', auth: 'dTpw' }]),
      remember: ['registry.example.com'],
    });
    const { output } = capturedOutput();

    // Act
    await logout(logoutConfig({ BUILDKITE_PLUGIN_DOCKER_LOGIN_ISOLATE_CONFIG: 'false' }), directory, output, docker);

    // Assess
    expect(JSON.parse(await readFile(join(directory, 'config.json'), 'utf8'))).toEqual({
      experimental: 'enabled',
      auths: {},
    });
  });

  it('with disable-logout, removes the per-job directory with the plugin’s note and no warning', async () => {
    // Prepare
    const directory = await isolatedDirectory();
    const { output, captured } = capturedOutput();

    // Act
    await logout(
      logoutConfig({
        BUILDKITE_PLUGIN_DOCKER_LOGIN_DISABLE_LOGOUT: 'true',
        BUILDKITE_DOCKER_LOGIN_TEMP_CONFIG: directory,
      }),
      directory,
      output,
      docker,
    );

    // Assess
    expect(captured.stdout.join('')).toContain(
      'Note: despite not logging out, temporary docker credential file should be removed',
    );
    expect(captured.all()).not.toContain('WARNING');
    expect(await exists(directory)).toBe(false);
  });

  it('warns when credentials are left behind (disable-logout and isolate-config off)', async () => {
    // Prepare
    const directory = await isolatedDirectory();
    const { output, captured } = capturedOutput();

    // Act
    await logout(
      logoutConfig({
        BUILDKITE_PLUGIN_DOCKER_LOGIN_DISABLE_LOGOUT: 'true',
        BUILDKITE_PLUGIN_DOCKER_LOGIN_ISOLATE_CONFIG: 'false',
        BUILDKITE_DOCKER_LOGIN_TEMP_CONFIG: directory,
      }),
      directory,
      output,
      docker,
    );

    // Assess
    expect(captured.stderr.join('')).toContain('WARNING: leaving docker configuration file with credentials around');
    expect(captured.all()).not.toContain('Note:');
    expect(await exists(directory)).toBe(true);
  });

  it('never deletes a directory it did not create', async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), 'logout-foreign-'));
    const { output, captured } = capturedOutput();

    // Act
    await logout(logoutConfig({ BUILDKITE_DOCKER_LOGIN_TEMP_CONFIG: directory }), directory, output, docker);

    // Assess
    expect(await exists(directory)).toBe(true);
    expect(captured.stderr.join('')).toContain('it was not created by elastic-ci-docker-login env');
  });

  it('still deletes the per-job directory when its config.json cannot be edited, and says why', async () => {
    // Prepare: the job left a config.json that is not JSON, with a credential in it.
    const directory = await isolatedDirectory();
    await writeFile(join(directory, 'config.json'), '{"auths": {"ghcr.io": {"auth": "canary-logout-credential"');
    const { output, captured } = capturedOutput();

    // Act
    await logout(logoutConfig({ BUILDKITE_DOCKER_LOGIN_TEMP_CONFIG: directory }), directory, output, docker);

    // Assess
    expect(await exists(directory)).toBe(false);
    expect(captured.stderr.join('')).toContain(`invalid JSON in Docker config file ${join(directory, 'config.json')}`);
    expect(captured.stdout.join('')).toContain(`Removed temporary docker config ${directory}`);
    expect(captured.all()).not.toContain('canary-logout-credential');
  });

  it('fails after deleting the per-job directory when another DOCKER_CONFIG cannot be edited', async () => {
    // Prepare
    const temporary = await isolatedDirectory();
    const shared = await mkdtemp(join(tmpdir(), 'logout-shared-broken-'));
    await writeFile(join(shared, 'config.json'), 'not json canary-logout-credential');
    const { output, captured } = capturedOutput();

    // Act
    const loggingOut = logout(logoutConfig({ BUILDKITE_DOCKER_LOGIN_TEMP_CONFIG: temporary }), shared, output, docker);

    // Assess
    await expect(loggingOut).rejects.toThrow(DockerConfigFileError);
    expect(await exists(temporary)).toBe(false);
    expect(captured.all()).not.toContain('canary-logout-credential');
  });
});
