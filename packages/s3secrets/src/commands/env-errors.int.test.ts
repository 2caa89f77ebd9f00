import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, runProcess } from '../test-support/cli-harness';
import { ENV_FILE_CANARY, ENV_FILE_ERROR_CASES } from '../test-support/env-file-error-cases';
import { type Behaviour, type S3StandIn, type StandInOptions, startS3StandIn } from '../test-support/s3-stand-in';

// moto cannot be made to answer AccessDenied, SlowDown or 5xx on demand, so these cases run the real CLI and SDK
// against a small S3 stand-in on loopback.
const BUCKET = 'stand-in-secrets';
let cli: string;
let home: string;
let standIn: S3StandIn | undefined;

async function runAgainst(
  behaviours: Record<string, Behaviour>,
  extra: Record<string, string> = {},
  options: StandInOptions = {},
) {
  standIn = await startS3StandIn(BUCKET, behaviours, options);
  return runProcess(process.execPath, [cli, 'env'], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      AWS_ENDPOINT_URL: standIn.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: BUCKET,
      BUILDKITE_PIPELINE_SLUG: 'web',
      BUILDKITE_PLUGIN_S3_SECRETS_MAX_ATTEMPTS: '3',
      ...extra,
    },
  });
}

beforeAll(async () => {
  cli = await buildCli();
  home = await mkdtemp(join(tmpdir(), 's3secrets-errors-'));
});

afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('Command: s3secrets env (error classification)', () => {
  it('treats not-found and access-denied env files as absent without retrying, warning about the forbidden one', async () => {
    // Act
    const result = await runAgainst({
      'GET env': { kind: 'error', status: 403, code: 'AccessDenied' },
      'GET web/env': { kind: 'object', body: 'FOUND=yes\n' },
    });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("export FOUND='yes'\n");
    expect(result.stderr).toContain('- env: access denied');
    expect(result.stderr).toMatch(
      /^\+\+\+ :warning: Cannot read env file stand-in-secrets\/env: access denied; if it exists, its variables are not set/m,
    );
    expect(result.stderr).not.toMatch(/warning.*environment/);
    expect(result.stderr).toContain('- environment: not found');
    expect(standIn?.requests.get('GET env')).toBe(1);
    expect(standIn?.requests.get('GET environment')).toBe(1);
  });

  it('warns about a forbidden SSH key and git-credentials object instead of saying no key exists', async () => {
    // Act
    const result = await runAgainst(
      {
        'GET web/private_ssh_key': { kind: 'error', status: 403, code: 'AccessDenied' },
        'GET git-credentials': { kind: 'error', status: 403, code: 'AccessDenied' },
      },
      { BUILDKITE_REPO: 'git@github.com:org/web.git' },
    );

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^\+\+\+ :warning: Cannot read SSH key stand-in-secrets\/web\/private_ssh_key: access denied; if it exists, it is not loaded into ssh-agent/m,
    );
    expect(result.stderr).toMatch(
      /^\+\+\+ :warning: Cannot read git-credentials stand-in-secrets\/git-credentials: access denied; if it exists, git gets no credentials from it/m,
    );
    expect(result.stderr).not.toMatch(/warning.*(id_rsa_github|web\/git-credentials)/);
    // No longer the claim that no key exists: one may, and could not be read.
    expect(result.stderr).not.toContain('none of');
    expect(result.stderr).toContain('could not be read');
  });

  it('retries throttling with backoff and succeeds when S3 recovers', async () => {
    // Act
    const result = await runAgainst({
      'GET env': { kind: 'error', status: 503, code: 'SlowDown', times: 1, thenBody: 'RECOVERED=yes\n' },
    });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("export RECOVERED='yes'\n");
    expect(standIn?.requests.get('GET env')).toBe(2);
  });

  it('fails naming the key and "throttled" when throttling outlasts the retries', async () => {
    // Act
    const result = await runAgainst({ 'GET web/environment': { kind: 'error', status: 503, code: 'SlowDown' } });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/stand-in-secrets\/web\/environment: throttled: SlowDown \(HTTP 503\)/);
    expect(standIn?.requests.get('GET web/environment')).toBe(3);
  });

  it('fails naming the key and "server error" on persistent 5xx', async () => {
    // Act
    const result = await runAgainst({ 'GET git-credentials': { kind: 'error', status: 500, code: 'InternalError' } });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/stand-in-secrets\/git-credentials: server error: InternalError \(HTTP 500\)/);
    expect(standIn?.requests.get('GET git-credentials')).toBe(3);
  });

  it('fails at the deadline when S3 stops answering', async () => {
    // Act
    const result = await runAgainst(
      { 'GET private_ssh_key': { kind: 'hang' } },
      { BUILDKITE_PLUGIN_S3_SECRETS_DEADLINE_SECONDS: '1' },
    );

    // Assess: the deadline ended the read (the 10 s idle timeout would have said "network" and retried), so no
    // stopwatch is needed to tell the two apart.
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/private_ssh_key: not done within the 1 s deadline/);
    expect(result.stderr).not.toMatch(/private_ssh_key: network/);
    expect(standIn?.requests.get('GET private_ssh_key')).toBe(1);
  });

  it.each([
    ['no region setting', {}],
    ['a wrong region setting', { BUILDKITE_PLUGIN_S3_SECRETS_REGION: 'us-east-1' }],
  ])('reads a bucket in another region with %s: every parallel read follows its redirect', async (_title, extra) => {
    // Act: every read starts at once, signed for us-east-1; the bucket answers from eu-west-1.
    const result = await runAgainst(
      {
        'GET env': { kind: 'object', body: 'GLOBAL=yes\n' },
        'GET environment': { kind: 'object', body: 'ENVIRONMENT=yes\n' },
        'GET web/env': { kind: 'object', body: 'PIPELINE=yes\n' },
        'GET web/environment': { kind: 'object', body: 'PIPELINE_ENVIRONMENT=yes\n' },
        'GET secret-files/ORG_TOKEN': { kind: 'object', body: 'org' },
        'GET web/secret-files/APP_PASSWORD': { kind: 'object', body: 'app' },
      },
      extra,
      { region: 'eu-west-1' },
    );

    // Assess
    expect(result.stderr).not.toMatch(/PermanentRedirect/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("export GLOBAL='yes'\n");
    expect(result.stdout).toContain("export PIPELINE_ENVIRONMENT='yes'\n");
    expect(result.stdout).toContain("export ORG_TOKEN='org'\n");
    expect(result.stdout).toContain("export APP_PASSWORD='app'\n");
    for (const target of ['GET env', 'GET environment', 'GET web/env', 'GET web/environment']) {
      // One redirected attempt at most, then the read in eu-west-1: never given up.
      expect(standIn?.requests.get(target)).toBeGreaterThanOrEqual(1);
      expect(standIn?.requests.get(target)).toBeLessThanOrEqual(2);
    }
  });

  it('fails naming the key when a listed secret file may not be read', async () => {
    // Act
    const result = await runAgainst({
      'GET web/secret-files/APP_PASSWORD': { kind: 'error', status: 403, code: 'AccessDenied', listed: true },
      'GET web/secret-files/OTHER_TOKEN': { kind: 'object', body: 'other' },
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'stand-in-secrets/web/secret-files/APP_PASSWORD: access denied although the listing shows it exists',
    );
    expect(standIn?.requests.get('GET web/secret-files/APP_PASSWORD')).toBe(1);
  });

  it('fails naming the object when an object is over the 1 MiB cap', async () => {
    // Act
    const result = await runAgainst({
      'GET web/env': { kind: 'object', body: `HUGE=${'x'.repeat(2 * 1024 * 1024)}\n` },
      'GET env': { kind: 'object', body: 'SMALL=yes\n' },
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/stand-in-secrets\/web\/env: too large: ObjectTooLarge: the object is 2097158 bytes/);
    expect(standIn?.requests.get('GET web/env')).toBe(1);
  });

  it('skips read-only shell names, and the environment hook survives them', async () => {
    // Prepare
    standIn = await startS3StandIn(BUCKET, {
      'GET web/env': { kind: 'object', body: 'UID=1000\nEUID=1000\nPPID=1\nSHELLOPTS=x\nAPP_PORT=8080\n' },
    });
    const hooks = fileURLToPath(new URL('../../hooks', import.meta.url));

    // Act: the real hook, with its `set -euo pipefail` and `eval`.
    const result = await runProcess(
      'bash',
      ['-c', `source ${hooks}/environment; printf 'APP_PORT=%s UID=%s\n' "$APP_PORT" "$UID"`],
      {
        env: {
          PATH: process.env.PATH,
          HOME: home,
          S3SECRETS_BIN: cli,
          AWS_ENDPOINT_URL: standIn.endpoint,
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_REGION: 'us-east-1',
          BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: BUCKET,
          BUILDKITE_PIPELINE_SLUG: 'web',
        },
      },
    );

    // Assess
    expect(result.stderr).not.toMatch(/readonly variable/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`APP_PORT=8080 UID=${process.getuid?.()}\n`);
    expect(result.stderr).toContain(`Skipping UID from ${BUCKET}/web/env: UID is read-only in bash`);
  });

  it.each([
    ['no region setting', {}],
    ['a region hint (the listings are the bucket check)', { BUILDKITE_PLUGIN_S3_SECRETS_REGION: 'us-east-1' }],
  ])('fails naming the prefix when a listing is cut at its page limit, with %s', async (_title, extra) => {
    // Act
    const result = await runAgainst(
      {
        'LIST web/secret-files/': { kind: 'endless-listing' },
        'GET web/secret-files/APP_TOKEN': { kind: 'object', body: 'app' },
      },
      extra,
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /stand-in-secrets\/web\/secret-files\/ \(list\): too large: more than 20 pages of keys \(20 read so far\)/,
    );
    expect(standIn?.requests.get('LIST web/secret-files/')).toBe(20);
  });

  it('fails with the missing permission when the bucket is forbidden', async () => {
    // Act
    const result = await runAgainst({ 'HEAD-BUCKET': { kind: 'error', status: 403, code: 'AccessDenied' } });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`access denied to S3 bucket "${BUCKET}": the instance role needs s3:ListBucket`);
  });

  it('with a region hint, sends no HeadBucket and takes a forbidden listing as a forbidden bucket', async () => {
    // Act
    const result = await runAgainst(
      {
        'LIST secret-files/': { kind: 'error', status: 403, code: 'AccessDenied' },
        'LIST web/secret-files/': { kind: 'error', status: 403, code: 'AccessDenied' },
      },
      { BUILDKITE_PLUGIN_S3_SECRETS_REGION: 'us-east-1' },
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`access denied to S3 bucket "${BUCKET}": the instance role needs s3:ListBucket`);
    expect(standIn?.requests.get('HEAD-BUCKET')).toBeUndefined();
  });

  it('with a region hint, loads secrets when only the pipeline prefix may be listed', async () => {
    // Act
    const result = await runAgainst(
      {
        'LIST secret-files/': { kind: 'error', status: 403, code: 'AccessDenied' },
        'GET web/env': { kind: 'object', body: 'FOUND=yes\n' },
      },
      { BUILDKITE_PLUGIN_S3_SECRETS_REGION: 'us-east-1' },
    );

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("export FOUND='yes'\n");
  });

  it('warns and carries on when a secret-files prefix cannot be listed', async () => {
    // Act
    const result = await runAgainst({ 'LIST web/secret-files/': { kind: 'error', status: 403, code: 'AccessDenied' } });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Cannot list stand-in-secrets/web/secret-files/: access denied');
  });
});

describe('Command: s3secrets env and put (env files that do not parse)', () => {
  it.each(ENV_FILE_ERROR_CASES)('env skips a file with $title and prints none of it', async ({ text, line }) => {
    // Act
    const result = await runAgainst({
      'GET web/env': { kind: 'object', body: text },
      'GET env': { kind: 'object', body: 'GLOBAL=yes\n' },
    });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("export GLOBAL='yes'\n");
    expect(`${result.stdout}${result.stderr}`).not.toContain(ENV_FILE_CANARY);
    expect(result.stderr).toContain(
      `Skipping env file ${BUCKET}/web/env: ${line === undefined ? 'it is not' : `line ${line}:`}`,
    );
  });

  it.each(ENV_FILE_ERROR_CASES.filter(({ line }) => line !== undefined))(
    'doctor reports a file with $title and prints none of it',
    async ({ text, line }) => {
      // Prepare
      standIn = await startS3StandIn(BUCKET, { 'GET web/env': { kind: 'object', body: text } });

      // Act
      const result = await runProcess(process.execPath, [cli, 'doctor', '--pipeline', 'web'], {
        env: {
          PATH: process.env.PATH,
          HOME: home,
          AWS_ENDPOINT_URL: standIn.endpoint,
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_REGION: 'us-east-1',
          BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: BUCKET,
        },
      });

      // Assess
      expect(result.code).toBe(1);
      expect(`${result.stdout}${result.stderr}`).not.toContain(ENV_FILE_CANARY);
      expect(result.stdout).toMatch(new RegExp(`✗ web/env: .*will be skipped: line ${line}: `));
    },
  );

  it.each(ENV_FILE_ERROR_CASES.filter(({ line }) => line !== undefined))(
    'put refuses a file with $title and prints none of it',
    async ({ text, line }) => {
      // Prepare
      const file = join(home, 'bad.env');
      await writeFile(file, text);

      // Act: refused before any request, so no storage is needed.
      const result = await runProcess(process.execPath, [cli, 'put', '--kind', 'env', '--global', file], {
        env: { PATH: process.env.PATH, HOME: home, BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: BUCKET },
      });

      // Assess
      expect(result.code).toBe(1);
      expect(`${result.stdout}${result.stderr}`).not.toContain(ENV_FILE_CANARY);
      expect(result.stderr).toContain(`${file} line ${line}: `);
    },
  );
});

describe('Command: s3secrets doctor (against the stand-in)', () => {
  it('tells "exists but cannot be decrypted" from "absent", naming the KMS key to grant', async () => {
    // Prepare
    const kmsKeyId = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    standIn = await startS3StandIn(BUCKET, {
      'GET web/env': { kind: 'error', status: 403, code: 'AccessDenied' },
      'HEAD web/env': { kind: 'object', body: 'A=1\n', kmsKeyId },
      'GET env': { kind: 'error', status: 403, code: 'AccessDenied' },
      'HEAD env': { kind: 'error', status: 403, code: 'AccessDenied' },
    });

    // Act
    const result = await runProcess(process.execPath, [cli, 'doctor', '--pipeline', 'web'], {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        AWS_ENDPOINT_URL: standIn.endpoint,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_REGION: 'us-east-1',
        BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: BUCKET,
      },
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`✗ web/env: exists but cannot be decrypted: grant kms:Decrypt on ${kmsKeyId}`);
    expect(result.stdout).toContain('- env: access denied (absent, or s3:GetObject not granted)');
  });

  it('reports as problems what env would refuse or skip, so "No problems found" holds for the job', async () => {
    // Prepare: a secret file too long for one variable (env fails the job), one with a NUL byte, an env file that is
    // not UTF-8 and one assigning a read-only bash name (env skips each).
    standIn = await startS3StandIn(BUCKET, {
      'GET web/secret-files/CA_BUNDLE_SECRET': { kind: 'object', body: 'x'.repeat(131_100) },
      'GET web/secret-files/RAW_TOKEN': { kind: 'object', body: Buffer.from([0x61, 0x00, 0x62]) },
      'GET env': { kind: 'object', body: Buffer.from([0x41, 0x3d, 0xff, 0x0a]) },
      'GET web/env': { kind: 'object', body: `UID=1000\nAPP_PASSWORD=${ENV_FILE_CANARY}\n` },
    });

    // Act
    const result = await runProcess(process.execPath, [cli, 'doctor', '--pipeline', 'web'], {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        AWS_ENDPOINT_URL: standIn.endpoint,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_REGION: 'us-east-1',
        BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: BUCKET,
      },
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '✗ refusing CA_BUNDLE_SECRET from stand-in-secrets/web/secret-files/CA_BUNDLE_SECRET',
    );
    expect(result.stdout).toContain('✗ Skipping secret stand-in-secrets/web/secret-files/RAW_TOKEN: a shell variable');
    expect(result.stdout).toContain('✗ Skipping env file stand-in-secrets/env: it is not UTF-8 text');
    expect(result.stdout).toContain('✗ Skipping UID from stand-in-secrets/web/env');
    expect(result.stdout).not.toContain('No problems found');
    expect(result.stdout + result.stderr).not.toContain(ENV_FILE_CANARY);
  });
});
