import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_LOGIN_FAILED, EXIT_OK, main } from './cli';
import {
  buildTinyOciImage,
  type RunningRegistry,
  requirePrograms,
  skopeo,
  startRegistry,
} from './real-registry.test-support';

// A real registry (Debian's docker-registry, htpasswd auth, plain HTTP on loopback) and a real client (skopeo)
// reading the config.json the helper wrote: proof that what we write is what Docker-compatible clients accept.
const USERNAME = 'ci-builder';
const PASSWORD = 'canary-registry-Pw-7731';
const WRONG_PASSWORD = 'canary-wrong-Pw-1188';

let registry: RunningRegistry;
let programs: Record<string, string>;
let imageReference: string;

beforeAll(async () => {
  programs = await requirePrograms({
    'docker-registry': 'docker-registry',
    htpasswd: 'apache2-utils',
    skopeo: 'skopeo',
  });
  registry = await startRegistry({
    registryBinary: programs['docker-registry'] as string,
    htpasswdBinary: programs.htpasswd as string,
    username: USERNAME,
    password: PASSWORD,
  });
  imageReference = await buildTinyOciImage('v1');
});

afterAll(async () => {
  await registry?.stop();
});

async function login(password: string, extraArguments: string[] = []) {
  const dockerConfig = await mkdtemp(join(tmpdir(), 'real-registry-config-'));
  const output: string[] = [];
  const exitCode = await main(
    ['registry', ...extraArguments],
    {
      PATH: process.env.PATH ?? '',
      DOCKER_CONFIG: dockerConfig,
      DOCKER_LOGIN_USER: USERNAME,
      DOCKER_LOGIN_PASSWORD: password,
      // http:// because the test registry has TLS off; the config.json key is still host:port.
      DOCKER_LOGIN_SERVER: `http://${registry.host}`,
      BUILDKITE_PLUGIN_DOCKER_LOGIN_RETRIES: '0',
    },
    { stdout: (text) => output.push(text), stderr: (text) => output.push(text) },
  );
  return { exitCode, output: output.join(''), authFile: join(dockerConfig, 'config.json'), dockerConfig };
}

const listTags = (authFile: string) =>
  skopeo(programs.skopeo as string, [
    'list-tags',
    '--tls-verify=false',
    '--authfile',
    authFile,
    `docker://${registry.host}/elastic-ci/hello`,
  ]);

describe('Command: registry against a real registry', () => {
  it('writes auth that skopeo uses to push an image and list its tags', async () => {
    // Act
    const result = await login(PASSWORD);
    const push = await skopeo(programs.skopeo as string, [
      'copy',
      '--dest-tls-verify=false',
      '--dest-authfile',
      result.authFile,
      imageReference,
      `docker://${registry.host}/elastic-ci/hello:v1`,
    ]);
    const tags = await listTags(result.authFile);

    // Assess
    expect(result.exitCode).toBe(EXIT_OK);
    expect(Object.keys(JSON.parse(await readFile(result.authFile, 'utf8')).auths)).toEqual([registry.host]);
    expect(push.stderr).toBe('');
    expect(push.exitCode).toBe(0);
    expect(tags.exitCode).toBe(0);
    expect(JSON.parse(tags.stdout)).toEqual({ Repository: `${registry.host}/elastic-ci/hello`, Tags: ['v1'] });
    expect(result.output).not.toContain(PASSWORD);
  });

  it('fails with exit 1 and writes nothing when the registry rejects the password', async () => {
    // Act
    const result = await login(WRONG_PASSWORD);

    // Assess
    expect(result.exitCode).toBe(EXIT_LOGIN_FAILED);
    expect(result.output).toContain(`${registry.host} rejected the credentials (HTTP 401)`);
    expect(result.output).not.toContain(WRONG_PASSWORD);
    await expect(readFile(result.authFile)).rejects.toThrow(/ENOENT/);
  });

  it('is not a vacuous check: an unverified wrong password makes skopeo fail', async () => {
    // Act
    const result = await login(WRONG_PASSWORD, ['--no-verify']);
    const tags = await listTags(result.authFile);

    // Assess
    expect(result.exitCode).toBe(EXIT_OK);
    expect(tags.exitCode).not.toBe(0);
    expect(tags.stderr).toMatch(/unauthorized|authentication required|invalid username\/password/i);
  });

  it('logout removes the login so skopeo is refused again', async () => {
    // Prepare
    const result = await login(PASSWORD);
    const before = await listTags(result.authFile);

    // Act
    const exitCode = await main(
      ['logout'],
      { DOCKER_CONFIG: result.dockerConfig, DOCKER_LOGIN_SERVER: `http://${registry.host}` },
      { stdout: () => undefined, stderr: () => undefined },
    );
    const after = await listTags(result.authFile);

    // Assess
    expect(before.exitCode).toBe(0);
    expect(exitCode).toBe(EXIT_OK);
    expect(JSON.parse(await readFile(result.authFile, 'utf8')).auths).toEqual({});
    expect(after.exitCode).not.toBe(0);
  });
});
