import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { awsEnvironment, startImdsStandIn } from '@elastic-ci/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildCli, fakeBuildkiteAgent, requireCommands, runProcess } from '../test-support/cli-harness';
import { seedBucket } from '../test-support/seed';

const BUCKET = 'ci-secrets';
const CANARY = 'canary-7f3a9c1e-never-log-me';
const PWNED = join(tmpdir(), `s3secrets-pwned-${process.pid}`);

let cli: string;
let workDirectory: string;
let privateKey: string;
let publicKeyFingerprint: string;
const agentsStarted: number[] = [];

function jobEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: workDirectory,
    ...awsEnvironment(),
    BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: BUCKET,
    BUILDKITE_PIPELINE_SLUG: 'web',
    ...extra,
  };
}

/** Evaluates the CLI's output as the environment hook does and prints the requested variables. */
function evaluate(script: string, names: string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const printer = names.map((name) => `printf '%s\\0' "\${${name}-<unset>}"`).join('; ');
  const output = execFileSync(
    'bash',
    ['-c', `set -euo pipefail; set -o allexport; eval "$1"; set +o allexport; ${printer}`, 'bash', script],
    {
      env,
    },
  ).toString('utf8');
  return Object.fromEntries(
    output
      .split('\0')
      .slice(0, names.length)
      .map((value, index) => [names[index], value]),
  );
}

function agentPid(script: string): number | undefined {
  const pid = /^export SSH_AGENT_PID='(\d+)'$/m.exec(script)?.[1];
  if (pid) agentsStarted.push(Number(pid));
  return pid ? Number(pid) : undefined;
}

beforeAll(async () => {
  await requireCommands(['bash', 'ssh-agent', 'ssh-add', 'ssh-keygen', 'git']);
  workDirectory = await mkdtemp(join(tmpdir(), 's3secrets-env-'));
  cli = await buildCli();
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    'throwaway',
    '-f',
    join(workDirectory, 'id_test'),
  ]);
  privateKey = await readFile(join(workDirectory, 'id_test'), 'utf8');
  publicKeyFingerprint =
    execFileSync('ssh-keygen', ['-lf', join(workDirectory, 'id_test.pub')])
      .toString()
      .split(' ')[1] ?? '';

  await seedBucket(BUCKET, {
    'web/private_ssh_key': privateKey,
    env: `GLOBAL_ONLY=global\nSHARED=from-global-env\nDB_PASSWORD=${CANARY}-env\n`,
    environment: 'SHARED=from-global-environment\n',
    'web/env': "SHARED=from-pipeline-env\nINJECTED=$(touch PWNED_PATH)\nQUOTED='single $HOME'\n".replace(
      'PWNED_PATH',
      PWNED,
    ),
    'web/environment': 'SHARED=from-pipeline-environment\nPIPELINE_ONLY="pipeline $GLOBAL_ONLY"\n',
    'git-credentials': `https://global-user:${CANARY}-git@github.com\nhttps://port-user:port-pw@git.example.com:8443\n`,
    'web/git-credentials': 'https://pipeline-user:pipeline-pw@gitlab.example.com',
    'secret-files/ORG_SERVICE_TOKEN': 'org service token',
    'secret-files/DATABASE_SECRET': 'global database secret',
    'web/secret-files/DATABASE_SECRET': `${CANARY}-file`,
    'web/secret-files/HOSTILE_TOKEN': `$(touch ${PWNED}) \`touch ${PWNED}\` $HOME`,
    'web/secret-files/CERT_PASSWORD': 'line one\nline two\n',
    // Saved by an editor that writes a UTF-8 byte-order mark first: the mark is no part of the token.
    'web/secret-files/EDITOR_TOKEN': '\uFEFFtoken saved by an editor',
    'web/secret-files/my-app_TOKEN': 'invalid name',
    'web/secret-files/README.md': 'not a secret',
  });
});

// Each test's agents are stopped as soon as it ends, so none outlives the run even if the worker is cut short.
afterEach(() => {
  for (const pid of agentsStarted.splice(0)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already stopped
    }
  }
});

afterAll(async () => {
  await rm(workDirectory, { recursive: true, force: true });
  await rm(PWNED, { force: true });
});

describe('Command: s3secrets env (against moto, SSE-KMS objects)', () => {
  it('gives the job every key group with upstream precedence, executing nothing a secret contains', async () => {
    // Act
    const result = await runProcess(process.execPath, [cli, 'env'], { env: jobEnvironment() });
    agentPid(result.stdout);
    const values = evaluate(
      result.stdout,
      [
        'GLOBAL_ONLY',
        'SHARED',
        'PIPELINE_ONLY',
        'INJECTED',
        'QUOTED',
        'ORG_SERVICE_TOKEN',
        'DATABASE_SECRET',
        'HOSTILE_TOKEN',
        'CERT_PASSWORD',
        'EDITOR_TOKEN',
        'GIT_CONFIG_PARAMETERS',
      ],
      jobEnvironment(),
    );

    // Assess
    expect(result.code).toBe(0);
    expect(values).toMatchObject({
      GLOBAL_ONLY: 'global',
      SHARED: 'from-pipeline-environment',
      PIPELINE_ONLY: 'pipeline global',
      INJECTED: `$(touch ${PWNED})`,
      QUOTED: 'single $HOME',
      ORG_SERVICE_TOKEN: 'org service token',
      DATABASE_SECRET: `${CANARY}-file`,
      HOSTILE_TOKEN: `$(touch ${PWNED}) \`touch ${PWNED}\` $HOME`,
      CERT_PASSWORD: 'line one\nline two\n',
      EDITOR_TOKEN: 'token saved by an editor',
    });
    expect(values.GIT_CONFIG_PARAMETERS).toContain(`git-credential ${BUCKET} us-east-1 git-credentials'`);
    expect(values.GIT_CONFIG_PARAMETERS).toContain(`git-credential ${BUCKET} us-east-1 web/git-credentials'`);
    expect(existsSync(PWNED)).toBe(false);
    expect(result.stdout).not.toContain('README');
    expect(result.stderr).toContain('"my-app_TOKEN" is not a valid variable name');
  });

  it('falls back to the AWS SDK client when the shared config sets how S3 is addressed, with the same script', async () => {
    // Prepare
    const configFile = join(workDirectory, 'aws-config');
    await writeFile(configFile, '[default]\nuse_dualstack_endpoint = false\n');
    const direct = await runProcess(process.execPath, [cli, 'env'], { env: jobEnvironment() });
    agentPid(direct.stdout);

    // Act
    const result = await runProcess(process.execPath, [cli, 'env'], {
      env: jobEnvironment({ AWS_CONFIG_FILE: configFile }),
    });
    agentPid(result.stdout);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      "Using the AWS SDK's S3 client: the AWS shared config file sets use_dualstack_endpoint",
    );
    expect(direct.stderr).not.toContain("Using the AWS SDK's S3 client");
    const withoutAgent = (script: string) =>
      script.replace(/^export (SSH_AUTH_SOCK|SSH_AGENT_PID|S3SECRETS_SSH_AGENT_PID)=.*$/gm, '');
    expect(withoutAgent(result.stdout)).toBe(withoutAgent(direct.stdout));
    expect(result.stdout).toContain(`${CANARY}-file`);
  });

  it('takes instance-profile credentials from instance metadata when the environment has none', async () => {
    // Prepare
    const imds = await startImdsStandIn();
    const {
      AWS_ACCESS_KEY_ID: accessKeyId = '',
      AWS_SECRET_ACCESS_KEY: secretAccessKey = '',
      ...withoutKeys
    } = jobEnvironment();
    imds.setMetadata('iam/security-credentials/', 'agent-role');
    imds.setMetadata(
      'iam/security-credentials/agent-role',
      JSON.stringify({
        Code: 'Success',
        AccessKeyId: accessKeyId,
        SecretAccessKey: secretAccessKey,
        Token: 'instance-session-token',
        Expiration: new Date(Date.now() + 3_600_000).toISOString(),
      }),
    );

    try {
      // Act
      const result = await runProcess(process.execPath, [cli, 'env'], {
        env: { ...withoutKeys, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint },
      });
      agentPid(result.stdout);

      // Assess
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`${CANARY}-file`);
      expect(imds.requests.map((request) => request.path)).toContain(
        '/latest/meta-data/iam/security-credentials/agent-role',
      );
    } finally {
      await imds.close();
    }
  });

  it('never writes a secret value to stderr', async () => {
    // Act
    const result = await runProcess(process.execPath, [cli, 'env'], { env: jobEnvironment() });
    agentPid(result.stdout);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(CANARY);
    expect(result.stderr).not.toContain(CANARY);
    expect(result.stderr).not.toContain('BEGIN OPENSSH PRIVATE KEY');
    expect(result.stderr).not.toContain('org service token');
  });

  it('loads the SSH key into a fresh ssh-agent that `ssh-add -l` lists, without writing it to disk', async () => {
    // Prepare
    const before = new Set(await readdir(tmpdir()));

    // Act
    const result = await runProcess(process.execPath, [cli, 'env'], { env: jobEnvironment() });
    const pid = agentPid(result.stdout);
    const listed = execFileSync('bash', ['-c', 'eval "$1"; ssh-add -l', 'bash', result.stdout], {
      env: jobEnvironment(),
    }).toString();
    const newFiles = (await readdir(tmpdir())).filter((name) => !before.has(name) && !name.startsWith('ssh-'));
    const keyOnDisk = await Promise.all(
      newFiles.map(async (name) =>
        (await readFile(join(tmpdir(), name), 'utf8').catch(() => '')).includes('PRIVATE KEY'),
      ),
    );

    // Assess
    expect(result.code).toBe(0);
    expect(pid).toBeGreaterThan(0);
    expect(publicKeyFingerprint).toMatch(/^SHA256:/);
    expect(listed).toContain(publicKeyFingerprint);
    expect(keyOnDisk).not.toContain(true);
  });

  it('answers `git credential fill` for the requested host only, port included', async () => {
    // Prepare
    const result = await runProcess(process.execPath, [cli, 'env'], { env: jobEnvironment() });
    agentPid(result.stdout);
    const fill = (request: string) =>
      runProcess('bash', ['-c', 'set -e; eval "$1"; git credential fill', 'bash', result.stdout], {
        env: { ...jobEnvironment(), GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' },
        input: request,
      });

    // Act
    const github = await fill('protocol=https\nhost=github.com\n\n');
    const withPort = await fill('protocol=https\nhost=git.example.com:8443\n\n');
    const pipelineLevel = await fill('protocol=https\nhost=gitlab.example.com\n\n');
    const unknown = await fill('protocol=https\nhost=evil.example.net\n\n');

    // Assess
    expect(github.stdout).toContain(`username=global-user\npassword=${CANARY}-git\n`);
    expect(withPort.stdout).toContain('username=port-user\npassword=port-pw\n');
    expect(pipelineLevel.stdout).toContain('username=pipeline-user\npassword=pipeline-pw\n');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stdout).not.toContain('password=');
    expect(github.stderr).not.toContain(CANARY);
  });

  it('hands secret values to `buildkite-agent redactor add` in a 0600 file it then removes', async () => {
    // Prepare
    const agent = await fakeBuildkiteAgent(workDirectory);
    const env = jobEnvironment({ PATH: `${agent.binDirectory}:${process.env.PATH}` });

    // Act
    const result = await runProcess(process.execPath, [cli, 'env'], { env });
    agentPid(result.stdout);
    const record = await readFile(agent.recordFile, 'utf8');
    const batchFile = /^ARGS redactor add --format json (\S+)$/m.exec(record)?.[1] ?? '';

    // Assess
    expect(result.code).toBe(0);
    expect(record).toMatch(/^MODE 600$/m);
    expect(record).toContain(`${CANARY}-env`);
    expect(record).toContain(`${CANARY}-file`);
    expect(record).toContain('org service token');
    expect(record).not.toContain('from-pipeline-environment');
    expect(existsSync(batchFile)).toBe(false);
    expect(result.stdout).not.toContain('must not reach');
  });

  it('works end to end through the environment and pre-exit hooks', async () => {
    // Prepare
    const hooks = fileURLToPath(new URL('../../hooks', import.meta.url));
    const job = `source ${hooks}/environment; ssh-add -l; printf 'SHARED=%s\\n' "$SHARED"; source ${hooks}/pre-exit`;

    // Act
    const result = await runProcess('bash', ['-c', job], { env: jobEnvironment({ S3SECRETS_BIN: cli }) });
    const pid = Number(/Stopping ssh-agent (\d+)/.exec(result.stdout)?.[1]);
    if (pid > 0) agentsStarted.push(pid);
    const isRunning = () =>
      readFile(`/proc/${pid}/stat`, 'utf8').then(
        (stat) => stat.split(' ')[2] !== 'Z',
        () => false,
      );

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(publicKeyFingerprint);
    expect(result.stdout).toContain('SHARED=from-pipeline-environment');
    expect(pid).toBeGreaterThan(0);
    // The signal is delivered asynchronously: wait for the exit, with a bound far above any loaded machine's delay.
    await vi.waitFor(async () => expect(await isRunning()).toBe(false), { timeout: 15_000, interval: 25 });
    expect(result.stderr).not.toContain(CANARY);
  });

  it('is a silent no-op without a bucket', async () => {
    // Act
    const result = await runProcess(process.execPath, [cli, 'env'], {
      env: jobEnvironment({ BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: '' }),
    });

    // Assess
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('fails with the bucket name when the bucket does not exist', async () => {
    // Act
    const result = await runProcess(process.execPath, [cli, 'env'], {
      env: jobEnvironment({ BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: 'no-such-bucket' }),
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('S3 bucket "no-such-bucket" not found');
  });

  it('fails with the bucket name when the bucket does not exist, with a region hint too', async () => {
    // Act
    const result = await runProcess(process.execPath, [cli, 'env'], {
      env: jobEnvironment({
        BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: 'no-such-bucket',
        BUILDKITE_PLUGIN_S3_SECRETS_REGION: 'us-east-1',
      }),
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('S3 bucket "no-such-bucket" not found');
  });

  it('warns about a missing SSH key for an SSH repository unless told not to', async () => {
    // Prepare
    const env = jobEnvironment({ BUILDKITE_PIPELINE_SLUG: 'other', BUILDKITE_REPO: 'git@github.com:acme/app.git' });

    // Act
    const warned = await runProcess(process.execPath, [cli, 'env'], { env });
    const quiet = await runProcess(process.execPath, [cli, 'env'], {
      env: { ...env, BUILDKITE_PLUGIN_S3_SECRETS_SKIP_SSH_KEY_NOT_FOUND_WARNING: 'true' },
    });

    // Assess
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain('+++ :warning: Failed to find an SSH key in secret bucket');
    expect(warned.stdout).not.toContain('SSH_AUTH_SOCK');
    expect(quiet.stderr).not.toContain('Failed to find an SSH key');
  });

  it('runs as `env` when invoked as s3secrets-helper with no arguments, like the upstream hook does', async () => {
    // Prepare
    const helper = join(workDirectory, 's3secrets-helper');
    await symlink(cli, helper).catch(() => undefined);

    // Act
    const result = await runProcess(process.execPath, [helper], {
      env: jobEnvironment({
        BUILDKITE_PIPELINE_SLUG: 'other',
        BUILDKITE_PLUGIN_S3_SECRETS_SKIP_SSH_KEY_NOT_FOUND_WARNING: '1',
      }),
    });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("export ORG_SERVICE_TOKEN='org service token'");
  });

  it('exits 2 with a message for bad arguments and bad configuration', async () => {
    // Act
    const badCommand = await runProcess(process.execPath, [cli, 'nope'], { env: jobEnvironment() });
    const badConfig = await runProcess(process.execPath, [cli, 'env'], {
      env: jobEnvironment({ BUILDKITE_PLUGIN_S3_SECRETS_MAX_ATTEMPTS: 'lots' }),
    });

    // Assess
    expect(badCommand.code).toBe(2);
    expect(badCommand.stderr).toContain("unknown command 'nope'");
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain('BUILDKITE_PLUGIN_S3_SECRETS_MAX_ATTEMPTS must be a whole number from 1 to 10');
  });
});
