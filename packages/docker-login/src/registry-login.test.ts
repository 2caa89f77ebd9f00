import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from './config';
import { loginToRegistry } from './registry-login';
import {
  capturedOutput,
  fakeDependencies,
  recordingDockerCli,
  rejection,
  transientFailure,
} from './test-doubles.test-support';

async function setUp(env: Record<string, string>, verifyFailures: Error[] = []) {
  const dockerConfigDir = await mkdtemp(join(tmpdir(), 'registry-login-test-'));
  const config = parseConfig('registry', { HOME: '/nonexistent', ...env });
  const { output, captured } = capturedOutput();
  const verifications: unknown[] = [];
  const docker = recordingDockerCli();
  const dependencies = fakeDependencies({
    output,
    dockerCli: docker.dockerCli,
    verifier: {
      verify: async (address, username) => {
        verifications.push({ key: address.authKey, username });
        const failure = verifyFailures.shift();
        if (failure !== undefined) throw failure;
      },
    },
  });
  if (config.registry === undefined) throw new Error('registry config expected');
  const request = { config: config.registry, dockerConfigDir, useDockerCli: false };
  const readConfig = async () => JSON.parse(await readFile(join(dockerConfigDir, 'config.json'), 'utf8'));
  return { request, dependencies, captured, verifications, docker, readConfig, dockerConfigDir };
}

const stackEnv = { DOCKER_LOGIN_USER: 'blah', DOCKER_LOGIN_PASSWORD: 'canary-llamas-password' };

describe('Function: loginToRegistry', () => {
  it('logs in to Docker Hub when no server is given, keeping other registries', async () => {
    // Prepare
    const { request, dependencies, readConfig, dockerConfigDir, captured, verifications } = await setUp(stackEnv);
    await writeFile(
      join(dockerConfigDir, 'config.json'),
      JSON.stringify({ auths: { 'ghcr.io': { auth: 'eDp5' } }, detachKeys: 'ctrl-e' }),
    );

    // Act
    const key = await loginToRegistry(request, dependencies);

    // Assess
    expect(key).toBe('https://index.docker.io/v1/');
    expect(verifications).toEqual([{ key: 'https://index.docker.io/v1/', username: 'blah' }]);
    expect(await readConfig()).toEqual({
      auths: {
        'ghcr.io': { auth: 'eDp5' },
        'https://index.docker.io/v1/': { auth: Buffer.from('blah:canary-llamas-password').toString('base64') },
      },
      detachKeys: 'ctrl-e',
    });
    expect(captured.stdout.join('')).toContain('~~~ :docker: Logging into docker registry Docker Hub');
    expect(captured.all()).not.toContain('canary-llamas');
  });

  it('retries until verification passes (retries unused, then used)', async () => {
    // Prepare
    const once = await setUp({ ...stackEnv, BUILDKITE_PLUGIN_DOCKER_LOGIN_RETRIES: '5' });
    const twice = await setUp({ ...stackEnv, BUILDKITE_PLUGIN_DOCKER_LOGIN_RETRIES: '5' }, [
      transientFailure(),
      transientFailure(),
    ]);

    // Act
    await loginToRegistry(once.request, once.dependencies);
    await loginToRegistry(twice.request, twice.dependencies);

    // Assess
    expect(once.verifications).toHaveLength(1);
    expect(twice.verifications).toHaveLength(3);
    expect(twice.dependencies.sleeps).toEqual([1000, 2000]);
  });

  it('writes nothing when the registry rejects the password', async () => {
    // Prepare
    const { request, dependencies, dockerConfigDir, verifications } = await setUp(stackEnv, [rejection()]);

    // Act
    const login = loginToRegistry(request, dependencies);

    // Assess
    await expect(login).rejects.toThrow('HTTP 401');
    expect(verifications).toHaveLength(1);
    await expect(readFile(join(dockerConfigDir, 'config.json'))).rejects.toThrow(/ENOENT/);
  });

  it('skips verification when told to and says so', async () => {
    const { request, dependencies, verifications, captured } = await setUp({
      ...stackEnv,
      BUILDKITE_PLUGIN_DOCKER_LOGIN_VERIFY: 'false',
    });
    await loginToRegistry(request, dependencies);
    expect(verifications).toEqual([]);
    expect(captured.stdout.join('')).toContain('(not verified)');
  });

  it('uses docker login with the server argument under --docker-login', async () => {
    // Prepare
    const { request, dependencies, docker, dockerConfigDir, verifications } = await setUp({
      ...stackEnv,
      DOCKER_LOGIN_SERVER: 'my-server',
    });

    // Act
    await loginToRegistry({ ...request, useDockerCli: true }, dependencies);

    // Assess
    expect(docker.logins).toEqual([
      { server: 'my-server', username: 'blah', password: 'canary-llamas-password', dockerConfigDir },
    ]);
    expect(verifications).toEqual([]);
    await expect(readFile(join(dockerConfigDir, 'config.json'))).rejects.toThrow(/ENOENT/);
  });

  it('warns when credsStore would hide the auths entry, as the ecr command does', async () => {
    // Prepare: Docker asks the credsStore helper, not `auths`, for a registry without a credHelpers entry.
    const { request, dependencies, dockerConfigDir, captured, readConfig } = await setUp({
      ...stackEnv,
      DOCKER_LOGIN_SERVER: 'registry.example.com:5000',
    });
    await writeFile(join(dockerConfigDir, 'config.json'), JSON.stringify({ credsStore: 'desktop' }));

    // Act
    await loginToRegistry(request, dependencies);

    // Assess
    expect((await readConfig()).credsStore).toBe('desktop');
    const stderr = captured.stderr.join('');
    expect(stderr).toContain('sets credsStore "desktop"');
    expect(stderr).toContain('--docker-login');
    expect(`${stderr}${captured.stdout.join('')}`).not.toContain('canary-llamas-password');
  });
});
