import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { awsEnvironment } from '@elastic-ci/testing';
import { build, type Options } from 'tsup';
import { beforeAll, describe, expect, it } from 'vitest';
import tsupConfig from '../tsup.config';

const execFileAsync = promisify(execFile);
let cliPath: string;

// Builds the real CLI bundle (entry and chunks) from the package's own tsup config, so these tests run exactly what
// agents run: separate processes, each with its own environment.
beforeAll(async () => {
  const outDir = await mkdtemp(join(tmpdir(), 'docker-login-bundle-'));
  const configs = (Array.isArray(tsupConfig) ? tsupConfig : [tsupConfig]) as Options[];
  const cliConfig = configs.find((config) => typeof config.entry === 'object' && !Array.isArray(config.entry));
  if (cliConfig === undefined) throw new Error('tsup.config.ts has no CLI entry');
  await build({ ...cliConfig, outDir, silent: true, config: false });
  cliPath = join(outDir, 'cli.js');
}, 120_000);

async function runCli(argv: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [cliPath, ...argv], { env, timeout: 60_000 });
    return { exitCode: 0, output: stdout + stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { exitCode: failure.code ?? -1, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

const jobEnvironment = (dockerConfig: string, extra: Record<string, string>) => ({
  ...awsEnvironment(),
  PATH: process.env.PATH ?? '',
  HOME: dockerConfig,
  DOCKER_CONFIG: dockerConfig,
  BUILDKITE_PLUGIN_ECR_RETRIES: '0',
  ...extra,
});

const readConfig = async (directory: string) => JSON.parse(await readFile(join(directory, 'config.json'), 'utf8'));

describe('Concurrency: two jobs on one agent host', () => {
  it('keeps each job’s assumed role and registries in its own DOCKER_CONFIG', async () => {
    // Prepare
    const [first, second] = await Promise.all([mkdtemp(join(tmpdir(), 'job-a-')), mkdtemp(join(tmpdir(), 'job-b-'))]);
    await writeFile(join(first, 'config.json'), JSON.stringify({ auths: { 'ghcr.io': { auth: 'YTpi' } } }));

    // Act
    const results = await Promise.all([
      runCli(
        ['ecr'],
        jobEnvironment(first, { BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_ROLE_ARN: 'arn:aws:iam::111111111111:role/job-a' }),
      ),
      runCli(
        ['ecr'],
        jobEnvironment(second, { BUILDKITE_PLUGIN_ECR_ASSUME_ROLE_ROLE_ARN: 'arn:aws:iam::222222222222:role/job-b' }),
      ),
    ]);

    // Assess
    expect(results.map((result) => result.exitCode)).toEqual([0, 0]);
    const firstConfig = await readConfig(first);
    const secondConfig = await readConfig(second);
    expect(Object.keys(firstConfig.auths)).toEqual(['ghcr.io', '111111111111.dkr.ecr.us-east-1.amazonaws.com']);
    expect(Object.keys(secondConfig.auths)).toEqual(['222222222222.dkr.ecr.us-east-1.amazonaws.com']);
    expect(
      Buffer.from(secondConfig.auths['222222222222.dkr.ecr.us-east-1.amazonaws.com'].auth, 'base64').toString(),
    ).toBe('AWS:222222222222-auth-token');
    for (const result of results) expect(result.output).not.toContain('-auth-token');
  });

  it('loses neither login when two helpers write the same DOCKER_CONFIG at once', async () => {
    // Prepare
    const shared = await mkdtemp(join(tmpdir(), 'job-shared-'));
    const password = 'canary-shared-Pw-4410';

    // Act
    const results = await Promise.all([
      runCli(['ecr'], jobEnvironment(shared, { BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '111111111111,222222222222' })),
      runCli(
        ['registry', '--no-verify'],
        jobEnvironment(shared, {
          DOCKER_LOGIN_USER: 'builder',
          DOCKER_LOGIN_PASSWORD: password,
          DOCKER_LOGIN_SERVER: 'registry.example.com',
        }),
      ),
    ]);

    // Assess
    expect(results.map((result) => result.exitCode)).toEqual([0, 0]);
    expect(Object.keys((await readConfig(shared)).auths).sort()).toEqual([
      '111111111111.dkr.ecr.us-east-1.amazonaws.com',
      '222222222222.dkr.ecr.us-east-1.amazonaws.com',
      'registry.example.com',
    ]);
    for (const result of results) expect(result.output).not.toContain(password);
  });

  it('exits 2 on bad usage from the bundled binary', async () => {
    const result = await runCli(['ecr', '--no-such-flag'], { PATH: process.env.PATH ?? '', HOME: tmpdir() });
    expect(result.exitCode).toBe(2);
    expect(result.output).toContain('elastic-ci-docker-login: invalid configuration');
  });
});
