import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig, awsEnvironment } from '@elastic-ci/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli, requireCommands, runProcess } from '../test-support/cli-harness';
import { seedBucket } from '../test-support/seed';

const BUCKET = 'ops-secrets';
const CANARY = 'canary-put-doctor-1b2c3d';
let cli: string;
let work: string;
let kmsKeyId: string;
const s3 = new S3Client(awsClientConfig());

const environment = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: work,
  ...awsEnvironment(),
  BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: BUCKET,
  ...extra,
});

beforeAll(async () => {
  await requireCommands(['ssh-keygen']);
  cli = await buildCli();
  work = await mkdtemp(join(tmpdir(), 's3secrets-put-'));
  ({ kmsKeyId } = await seedBucket(BUCKET, { 'secret-files/ORG_TOKEN': `${CANARY}-org` }));
});

afterAll(async () => {
  s3.destroy();
  await rm(work, { recursive: true, force: true });
});

describe('Command: s3secrets put', () => {
  it('refuses a world-readable private key, then uploads it with SSE-KMS once it is 0600', async () => {
    // Prepare
    const keyFile = join(work, 'deploy_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    await chmod(keyFile, 0o644);
    const args = [cli, 'put', '--kind', 'ssh-key', '--pipeline', 'web', '--kms-key-id', kmsKeyId, keyFile];

    // Act
    const refused = await runProcess(process.execPath, args, { env: environment() });
    await chmod(keyFile, 0o600);
    const uploaded = await runProcess(process.execPath, args, { env: environment() });
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'web/private_ssh_key' }));

    // Assess
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('it is world-readable (mode 0644)');
    expect(uploaded.code).toBe(0);
    expect(object.ServerSideEncryption).toBe('aws:kms');
    expect(object.SSEKMSKeyId).toContain(kmsKeyId);
  });

  it('uploads a secret file named after the file, bucket-wide with --global', async () => {
    // Prepare
    const file = join(work, 'NPM_TOKEN');
    await writeFile(file, `${CANARY}-npm`);

    // Act
    const result = await runProcess(process.execPath, [cli, 'put', '--kind', 'secret-file', '--global', file], {
      env: environment(),
    });
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'secret-files/NPM_TOKEN' }));

    // Assess
    expect(result.code).toBe(0);
    expect(await object.Body?.transformToString()).toBe(`${CANARY}-npm`);
    expect(object.ServerSideEncryption).toBe('aws:kms');
    expect(result.stderr).not.toContain(CANARY);
  });

  it('reads stdin for an env file and names the bad line without echoing it', async () => {
    // Act
    const bad = await runProcess(process.execPath, [cli, 'put', '--kind', 'env', '--pipeline', 'web', '-'], {
      env: environment(),
      input: `OK=1\nBROKEN=${CANARY} words\n`,
    });
    const good = await runProcess(process.execPath, [cli, 'put', '--kind', 'env', '--pipeline', 'web', '-'], {
      env: environment(),
      input: `API_TOKEN=${CANARY}-env\nBROKEN='fixed words'\n`,
    });

    // Assess
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('stdin line 2: unexpected text after the value');
    expect(bad.stderr).not.toContain(CANARY);
    expect(good.code).toBe(0);
  });

  it('uploads a secret read from stdin as its exact bytes, and refuses an empty one', async () => {
    // Prepare: random bytes as `openssl rand 32 | s3secrets put … -` gives them, not UTF-8 (and no NUL byte).
    const secret = Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x90, 0x28, 0xbc, 0xff, 0x41, 0x0a]);
    const args = [cli, 'put', '--kind', 'secret-file', '--pipeline', 'web', '--name', 'RANDOM_SECRET', '-'];

    // Act
    const uploaded = await runProcess(process.execPath, args, { env: environment(), input: secret });
    const empty = await runProcess(process.execPath, args, { env: environment(), input: '' });
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'web/secret-files/RANDOM_SECRET' }));

    // Assess: the empty upload was refused, so the object still holds the first upload's bytes.
    expect(uploaded.code).toBe(0);
    expect(Buffer.from((await object.Body?.transformToByteArray()) ?? [])).toEqual(secret);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('stdin is empty');
  });

  it('exits 2 on bad arguments', async () => {
    // Act
    const noKind = await runProcess(process.execPath, [cli, 'put', 'file'], { env: environment() });
    const unknownFlag = await runProcess(process.execPath, [cli, 'put', '--colour', 'x'], { env: environment() });
    const nowhere = await runProcess(process.execPath, [cli, 'put', '--kind', 'env', 'file'], { env: environment() });

    // Assess
    expect([noKind.code, unknownFlag.code, nowhere.code]).toEqual([2, 2, 2]);
    expect(noKind.stderr).toContain('--kind must be one of');
    expect(nowhere.stderr).toContain('--pipeline SLUG (one pipeline) or --global');
  });
});

describe('Command: s3secrets doctor', () => {
  it('lists what the pipeline receives by name, KMS key included, and never a value', async () => {
    // Act
    const result = await runProcess(process.execPath, [cli, 'doctor', '--pipeline', 'web'], { env: environment() });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('✓ bucket: exists and s3:ListBucket is granted');
    expect(result.stdout).toContain('per-job S3 requests: direct, SigV4-signed');
    expect(result.stdout).toMatch(/✓ web\/private_ssh_key: readable, \d+ bytes, SSE-KMS/);
    expect(result.stdout).toContain('✓ web/env: ');
    expect(result.stdout).toContain('defines API_TOKEN, BROKEN');
    expect(result.stdout).toContain('✓ NPM_TOKEN ← secret-files/NPM_TOKEN');
    expect(result.stdout).toContain('✓ ORG_TOKEN ← secret-files/ORG_TOKEN');
    expect(result.stdout).toContain(`${kmsKeyId}: Enabled`);
    expect(result.stdout).toContain('No problems found.');
    expect(`${result.stdout}${result.stderr}`).not.toContain(CANARY);
  });

  it('says when a setting makes the per-job commands use the AWS SDK client', async () => {
    // Act
    const result = await runProcess(process.execPath, [cli, 'doctor', '--pipeline', 'web'], {
      env: { ...environment(), AWS_USE_DUALSTACK_ENDPOINT: 'true' },
    });

    // Assess
    expect(result.stdout).toContain('per-job S3 requests: AWS SDK client (AWS_USE_DUALSTACK_ENDPOINT is set)');
  });

  it('reports an env file the hooks would skip as a problem, naming the line', async () => {
    // Prepare
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'broken/env',
        Body: `OK=1\nBAD=${CANARY} words\n`,
        ServerSideEncryption: 'aws:kms',
      }),
    );

    // Act
    const result = await runProcess(process.execPath, [cli, 'doctor', '--pipeline', 'broken'], { env: environment() });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /✗ broken\/env: readable, \d+ bytes, SSE-KMS.*; will be skipped: line 2: unexpected text/,
    );
    expect(result.stdout).toContain('1 problem(s) found');
    expect(result.stdout).not.toContain(CANARY);
  });

  it('exits 1 and explains when the bucket is missing', async () => {
    // Act
    const result = await runProcess(
      process.execPath,
      [cli, 'doctor', '--bucket', 'missing-bucket', '--pipeline', 'web'],
      {
        env: environment(),
      },
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✗ bucket: not found');
  });
});
