import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { awsEnvironment } from '@elastic-ci/testing';
import { build, type Options } from 'tsup';
import { beforeAll, describe, expect, it } from 'vitest';
import tsupConfig from '../tsup.config';
import { EXIT_LOGIN_FAILED, EXIT_OK } from './cli';

const execFileAsync = promisify(execFile);

// Strings every AWS SDK v3 client carries (Smithy runtime packages and the SDK's user agent prefix) and our own
// sources never do: a file holding one holds SDK code.
const SDK_MARKERS = ['@smithy/', 'aws-sdk-js'];
const containsSdkCode = (text: string) => SDK_MARKERS.some((marker) => text.includes(marker));

let outDir: string;
let cliPath: string;
let deletedSdkChunks: string[];

// Builds the real CLI from the package's own tsup config, then deletes every chunk holding AWS SDK code. The hot
// commands (run in every job's hooks) must still work: proof that they never load the SDK, whatever the timing.
beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'docker-login-bundle-'));
  const configs = (Array.isArray(tsupConfig) ? tsupConfig : [tsupConfig]) as Options[];
  const cliConfig = configs.find((config) => typeof config.entry === 'object' && !Array.isArray(config.entry));
  if (cliConfig === undefined) throw new Error('tsup.config.ts has no CLI entry');
  await build({ ...cliConfig, outDir, silent: true, config: false });
  cliPath = join(outDir, 'cli.js');
  deletedSdkChunks = [];
  const chunkDirectory = join(outDir, 'cli-chunks');
  for (const name of await readdir(chunkDirectory)) {
    const path = join(chunkDirectory, name);
    if (containsSdkCode(await readFile(path, 'utf8'))) {
      await rm(path);
      deletedSdkChunks.push(name);
    }
  }
}, 120_000);

async function runCli(argv: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [cliPath, ...argv], { env, timeout: 60_000 });
    return { exitCode: 0, stdout, output: stdout + stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return {
      exitCode: failure.code ?? -1,
      stdout: failure.stdout ?? '',
      output: `${failure.stdout ?? ''}${failure.stderr ?? ''}`,
    };
  }
}

describe('CLI bundle: the AWS SDK is loaded by ecr only', () => {
  it('keeps the SDK out of the entry file and in chunks of its own', async () => {
    // Assess
    expect(containsSdkCode(await readFile(cliPath, 'utf8'))).toBe(false);
    expect(deletedSdkChunks.length).toBeGreaterThan(0);
  });

  it('runs --help, env, registry and logout with every SDK chunk deleted', async () => {
    // Prepare
    const root = await mkdtemp(join(tmpdir(), 'docker-login-no-sdk-'));
    const base = { PATH: process.env.PATH ?? '', HOME: root, TMPDIR: root };

    // Act
    const help = await runCli(['--help'], base);
    const env = await runCli(['env'], base);
    const dockerConfig = /export DOCKER_CONFIG='([^']+)'/.exec(env.stdout)?.[1] ?? '';
    const jobEnvironment = {
      ...base,
      DOCKER_CONFIG: dockerConfig,
      BUILDKITE_DOCKER_LOGIN_TEMP_CONFIG: dockerConfig,
      DOCKER_LOGIN_USER: 'builder',
      DOCKER_LOGIN_PASSWORD: 'canary-no-sdk-Pw-7731',
      DOCKER_LOGIN_SERVER: 'registry.example.com',
    };
    const registry = await runCli(['registry', '--no-verify'], jobEnvironment);
    const written = JSON.parse(await readFile(join(dockerConfig, 'config.json'), 'utf8'));
    const logout = await runCli(['logout'], jobEnvironment);

    // Assess
    expect(help.exitCode).toBe(EXIT_OK);
    expect(help.stdout).toContain('Usage: elastic-ci-docker-login <command>');
    expect(env.exitCode).toBe(EXIT_OK);
    expect(dockerConfig.startsWith(join(root, 'elastic-ci-docker-config-'))).toBe(true);
    expect(registry.exitCode).toBe(EXIT_OK);
    expect(Object.keys(written.auths)).toEqual(['registry.example.com']);
    expect(logout.exitCode).toBe(EXIT_OK);
    expect(logout.output).toContain(`Removed temporary docker config ${dockerConfig}`);
    await expect(stat(dockerConfig)).rejects.toMatchObject({ code: 'ENOENT' });
    for (const result of [help, env, registry, logout]) expect(result.output).not.toContain('canary-no-sdk');
  });

  it('fails ecr cleanly without the SDK chunks: they are what ecr loads', async () => {
    // Prepare
    const dockerConfig = await mkdtemp(join(tmpdir(), 'docker-login-no-sdk-ecr-'));

    // Act
    const result = await runCli(['ecr'], {
      ...awsEnvironment(),
      PATH: process.env.PATH ?? '',
      DOCKER_CONFIG: dockerConfig,
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '123456789012',
      BUILDKITE_PLUGIN_ECR_RETRIES: '0',
    });

    // Assess
    expect(result.exitCode).toBe(EXIT_LOGIN_FAILED);
    expect(result.output).toContain('elastic-ci-docker-login: unexpected error');
    expect(result.output).toContain('cli-chunks');
  });
});
