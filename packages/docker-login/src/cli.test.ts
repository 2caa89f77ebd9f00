import { EventEmitter } from 'node:events';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_LOGIN_FAILED, EXIT_OK, EXIT_USAGE, main } from './cli';
import { fakeAws, recordingDockerCli, rejection } from './test-doubles.test-support';

async function run(argv: string[], env: Record<string, string>, overrides: Parameters<typeof main>[3] = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exitCode = await main(
    argv,
    env,
    { stdout: (text) => stdout.push(text), stderr: (text) => stderr.push(text) },
    overrides,
  );
  return { exitCode, stdout: stdout.join(''), stderr: stderr.join('') };
}

const CANARY = 'canary-Zq9-secret-value';

describe('Function: main', () => {
  it('logs one job out of a shared Docker config without removing what another job on the host still uses', async () => {
    // Prepare: two agents on one instance, isolate-config off, so both jobs share one config.json.
    const dockerConfig = await mkdtemp(join(tmpdir(), 'cli-shared-config-'));
    const shared = {
      HOME: '/nonexistent',
      PATH: '/usr/bin',
      DOCKER_CONFIG: dockerConfig,
      BUILDKITE_PLUGIN_DOCKER_LOGIN_ISOLATE_CONFIG: 'false',
      AWS_DEFAULT_REGION: 'us-west-2',
    };
    const jobA = { ...shared, BUILDKITE_JOB_ID: 'job-a', BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '111111111111' };
    const jobB = {
      ...shared,
      BUILDKITE_JOB_ID: 'job-b',
      BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '111111111111,222222222222',
      DOCKER_LOGIN_USER: 'ci',
      DOCKER_LOGIN_PASSWORD: CANARY,
      DOCKER_LOGIN_SERVER: 'ghcr.io',
    };
    const aws = { aws: fakeAws().factory };
    const verifier = { verifier: { verify: async () => undefined } };
    expect((await run(['ecr'], jobA, aws)).exitCode).toBe(EXIT_OK);
    expect((await run(['ecr'], jobB, aws)).exitCode).toBe(EXIT_OK);
    expect((await run(['registry'], jobB, verifier)).exitCode).toBe(EXIT_OK);
    const registries = async () =>
      Object.keys(JSON.parse(await readFile(join(dockerConfig, 'config.json'), 'utf8')).auths ?? {}).sort();

    // Act: job A ends while job B still pulls.
    const first = await run(['logout'], jobA);
    const whileBRuns = await registries();
    const second = await run(['logout'], jobB);

    // Assess: A's logout left every registry B logged in to; B's logout removed them.
    expect([first.exitCode, second.exitCode]).toEqual([EXIT_OK, EXIT_OK]);
    expect(whileBRuns).toEqual([
      '111111111111.dkr.ecr.us-west-2.amazonaws.com',
      '222222222222.dkr.ecr.us-west-2.amazonaws.com',
      'ghcr.io',
    ]);
    expect(first.stdout).toContain(
      'Kept 111111111111.dkr.ecr.us-west-2.amazonaws.com: another job on this host uses it',
    );
    expect(await registries()).toEqual([]);
  });

  it('undoes the logins made with --docker-login with docker logout, so a credential store forgets them too', async () => {
    // Prepare: a shared Docker config whose credsStore keeps what `docker login` is given (the reason to use
    // --docker-login); editing config.json alone would leave those credentials in the store.
    const dockerConfig = await mkdtemp(join(tmpdir(), 'cli-docker-login-'));
    const docker = recordingDockerCli();
    const env = {
      HOME: '/nonexistent',
      PATH: '/usr/bin',
      DOCKER_CONFIG: dockerConfig,
      BUILDKITE_PLUGIN_DOCKER_LOGIN_ISOLATE_CONFIG: 'false',
    };
    const ecr = await run(
      ['ecr', '--docker-login'],
      { ...env, BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '111111111111,public.ecr.aws', AWS_DEFAULT_REGION: 'us-west-2' },
      { aws: fakeAws().factory, dockerCli: docker.dockerCli },
    );
    const registry = await run(
      ['registry', '--docker-login'],
      {
        ...env,
        DOCKER_LOGIN_USER: 'ci',
        DOCKER_LOGIN_PASSWORD: CANARY,
        DOCKER_LOGIN_SERVER: 'http://Registry.example:5000',
      },
      { dockerCli: docker.dockerCli },
    );

    // Act: pre-exit, where the job's settings (the server) may no longer be set.
    const loggedOut = await run(['logout'], env, { dockerCli: docker.dockerCli });

    // Assess
    expect([ecr.exitCode, registry.exitCode, loggedOut.exitCode]).toEqual([EXIT_OK, EXIT_OK, EXIT_OK]);
    expect(docker.logouts).toEqual([
      { server: '111111111111.dkr.ecr.us-west-2.amazonaws.com', dockerConfigDir: dockerConfig },
      { server: 'public.ecr.aws', dockerConfigDir: dockerConfig },
      { server: 'http://Registry.example:5000', dockerConfigDir: dockerConfig },
    ]);
    expect(loggedOut.stdout).toContain('Logged out of public.ecr.aws with docker logout');
    // Done once: a second logout has nothing left to undo.
    expect((await run(['logout'], env, { dockerCli: docker.dockerCli })).exitCode).toBe(EXIT_OK);
    expect(docker.logouts).toHaveLength(3);
    expect(ecr.stdout + ecr.stderr + registry.stdout + registry.stderr + loggedOut.stdout).not.toContain(CANARY);
  });

  it('prints usage with exit 0 for --help and exit 2 for no command, unknown commands or flags', async () => {
    expect(await run(['--help'], {})).toMatchObject({
      exitCode: EXIT_OK,
      stdout: expect.stringContaining('Usage: elastic-ci-docker-login'),
    });
    const missing = await run([], { HOME: '/x' });
    expect(missing.exitCode).toBe(EXIT_USAGE);
    expect(missing.stderr).toContain('a command is required: one of ecr, registry, logout, env');
    expect((await run(['ecr', '--bogus'], { HOME: '/x' })).exitCode).toBe(EXIT_USAGE);
    expect((await run(['logout', '--docker-login'], { HOME: '/x' })).stderr).toContain(
      '--docker-login applies to the ecr and registry commands only',
    );
    expect((await run(['ecr', 'extra'], { HOME: '/x' })).stderr).toContain('unexpected arguments: extra');
  });

  it('exits 2 naming every bad variable, and never prints the password', async () => {
    // Act
    const result = await run(['registry'], {
      HOME: '/x',
      DOCKER_LOGIN_PASSWORD: CANARY,
      BUILDKITE_PLUGIN_DOCKER_LOGIN_RETRIES: 'lots',
    });

    // Assess
    expect(result.exitCode).toBe(EXIT_USAGE);
    expect(result.stderr).toContain('DOCKER_LOGIN_USER: is required');
    expect(result.stderr).toContain('BUILDKITE_PLUGIN_DOCKER_LOGIN_RETRIES');
    expect(result.stdout + result.stderr).not.toContain(CANARY);
  });

  it('never prints a password put in BUILDKITE_PLUGIN_DOCKER_LOGIN_PASSWORD_ENV instead of a variable name', async () => {
    // Prepare: `password-env: "$DOCKER_PASSWORD"` in pipeline YAML is interpolated at upload time, so the option holds
    // the password itself; an alphanumeric one is also a valid variable name, which no job has set.
    const password = 'canaryZq9PasswordNotAName';

    // Act
    const result = await run(['registry'], {
      HOME: '/x',
      DOCKER_LOGIN_USER: 'ci',
      BUILDKITE_PLUGIN_DOCKER_LOGIN_PASSWORD_ENV: password,
    });

    // Assess
    expect(result.exitCode).toBe(EXIT_USAGE);
    expect(result.stderr).toContain(
      'BUILDKITE_PLUGIN_DOCKER_LOGIN_PASSWORD_ENV: names a variable that is unset or empty',
    );
    expect(result.stdout + result.stderr).not.toContain(password);
  });

  it('exits 1 when the registry rejects the credentials, with no secret in any output', async () => {
    // Prepare
    const dockerConfig = await mkdtemp(join(tmpdir(), 'cli-test-'));

    // Act
    const result = await run(
      ['registry'],
      { DOCKER_CONFIG: dockerConfig, DOCKER_LOGIN_USER: 'u', DOCKER_LOGIN_PASSWORD: CANARY },
      {
        verifier: {
          verify: async () => {
            throw rejection();
          },
        },
      },
    );

    // Assess
    expect(result.exitCode).toBe(EXIT_LOGIN_FAILED);
    expect(result.stderr).toContain('elastic-ci-docker-login: HTTP 401');
    expect(result.stdout + result.stderr).not.toContain(CANARY);
  });

  it('redacts a secret even if an error message were to carry it', async () => {
    // Act
    const result = await run(
      ['ecr'],
      {
        HOME: '/x',
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
        AWS_SECRET_ACCESS_KEY: CANARY,
        BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '111111111111',
      },
      {
        aws: () => {
          throw new Error(`boom ${CANARY}`);
        },
      },
    );

    // Assess
    expect(result.exitCode).toBe(EXIT_LOGIN_FAILED);
    expect(result.stderr).toContain('unexpected error: boom [REDACTED]');
    expect(result.stdout + result.stderr).not.toContain(CANARY);
  });

  it('runs ecr end to end through the ports and exits 0', async () => {
    // Prepare
    const dockerConfig = await mkdtemp(join(tmpdir(), 'cli-test-'));
    const aws = fakeAws({ ecrPassword: CANARY });

    // Act
    const result = await run(
      ['ecr'],
      { DOCKER_CONFIG: dockerConfig, BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '111111111111' },
      { aws: aws.factory },
    );

    // Assess
    expect(result.exitCode).toBe(EXIT_OK);
    const written = JSON.parse(await readFile(join(dockerConfig, 'config.json'), 'utf8'));
    expect(Object.keys(written.auths)).toEqual(['111111111111.dkr.ecr.us-east-1.amazonaws.com']);
    expect(result.stdout + result.stderr).not.toContain(CANARY);
  });

  it('prints only export lines for env, then logout removes that directory', async () => {
    // Prepare
    const root = await mkdtemp(join(tmpdir(), 'cli-env-'));

    // Act
    const env = await run(['env'], { HOME: '/x', TMPDIR: root });
    const directory = /^export DOCKER_CONFIG='([^']+)'$/m.exec(env.stdout)?.[1] ?? '';
    const logout = await run(['logout'], { DOCKER_CONFIG: directory, BUILDKITE_DOCKER_LOGIN_TEMP_CONFIG: directory });

    // Assess
    expect(env.exitCode).toBe(EXIT_OK);
    expect(env.stdout.trim().split('\n')).toEqual([
      `export DOCKER_CONFIG='${directory}'`,
      `export BUILDKITE_DOCKER_LOGIN_TEMP_CONFIG='${directory}'`,
    ]);
    expect(logout.exitCode).toBe(EXIT_OK);
    expect(logout.stdout).toContain(`Removed temporary docker config ${directory}`);
  });
});

describe('Feature: Node process warnings in the job log', () => {
  it('prints other warnings as one redacted line of its own and drops the SDK’s Node version notice', async () => {
    // Prepare
    const warnings = new EventEmitter();
    const stderr: string[] = [];
    const io = { stdout: () => undefined, stderr: (text: string) => stderr.push(text), processWarnings: warnings };
    await main(['--help'], { DOCKER_LOGIN_PASSWORD: CANARY }, io);

    // Act
    warnings.emit(
      'warning',
      new Error('NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\nversions published after …\nwill require'),
    );
    warnings.emit(
      'warning',
      Object.assign(new Error(`first line\n  ${CANARY} second`), { name: 'ExperimentalWarning' }),
    );

    // Assess
    expect(stderr).toEqual(['elastic-ci-docker-login: warning: ExperimentalWarning: first line [REDACTED] second\n']);
  });
});
