#!/usr/bin/env node
// Benchmark: wall time of the bundled `s3secrets env` against moto on loopback, for a pipeline where every key
// exists (4 SSH keys, 4 env files, 2 git-credentials, 5 secret files, all SSE-KMS). 20 measured runs after 2 warm-up
// runs (the first run of a new bundle writes its V8 code cache, as the first job on a fresh agent does).
// Usage: pnpm bench [-- --append]   (--append adds the row to BENCHMARKS.md under the docs lock)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
// The vitest-free entry: the package index also exports vitest helpers, which refuse to load outside vitest.
import { startMotoServer } from '@elastic-ci/testing/moto-server';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const RUNS = 20;
const WARM_UP = 2;
const TARGET_MEDIAN_MS = 150;
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const cli = join(packageDir, 'dist', 'bin', 's3secrets.js');
if (!existsSync(cli)) throw new Error(`${cli} is missing: run pnpm build first`);

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Wall time of `node -e 0`: the floor no Node CLI can go below on this machine. */
async function bareNodeMs() {
  const times = [];
  for (let index = 0; index < RUNS; index += 1) {
    const started = process.hrtime.bigint();
    await new Promise((resolve) => spawn(process.execPath, ['-e', '0']).once('close', resolve));
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return median(times);
}

/** The same reads from a warm in-process client: what moto itself costs, with no start-up at all. */
async function motoReadsMs(clientConfig, bucket, keys) {
  const s3 = new S3Client(clientConfig);
  const get = (Key) =>
    s3.send(new GetObjectCommand({ Bucket: bucket, Key })).then((output) => output.Body.transformToByteArray());
  const fixed = Object.keys(keys).filter((key) => !key.includes('secret-files/'));
  const times = [];
  for (let index = 0; index < RUNS + WARM_UP; index += 1) {
    const started = process.hrtime.bigint();
    await Promise.all([
      ...fixed.map(get),
      ...['secret-files/', 'web/secret-files/'].map(async (Prefix) => {
        const listing = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix }));
        await Promise.all((listing.Contents ?? []).map((object) => get(object.Key)));
      }),
    ]);
    if (index >= WARM_UP) times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  s3.destroy();
  return median(times);
}

function runOnce(env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [cli, 'env'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      const pid = /^export SSH_AGENT_PID='(\d+)'$/m.exec(stdout)?.[1];
      if (pid) process.kill(Number(pid), 'SIGTERM');
      if (code !== 0) reject(new Error(`s3secrets env exited ${code}: ${stderr}`));
      else resolve({ elapsedMs, stdout });
    });
  });
}

const moto = await startMotoServer();
const work = await mkdtemp(join(tmpdir(), 's3secrets-bench-'));
try {
  const clientConfig = {
    endpoint: moto.endpoint,
    region: moto.region,
    credentials: moto.credentials,
    forcePathStyle: true,
  };
  const s3 = new S3Client(clientConfig);
  const kms = new KMSClient(clientConfig);
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
  const bucket = 'bench-secrets';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const keys = {};
  for (const [index, key] of [
    'web/private_ssh_key',
    'web/id_rsa_github',
    'private_ssh_key',
    'id_rsa_github',
  ].entries()) {
    const file = join(work, `key${index}`);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `bench${index}`, '-f', file]);
    keys[key] = await readFile(file);
  }
  Object.assign(keys, {
    env: 'GLOBAL=1\nSHARED=global\n',
    environment: 'MORE=2\n',
    'web/env': 'SHARED=pipeline\nDB_PASSWORD=bench-password\n',
    'web/environment': 'LAST=3\n',
    'git-credentials': 'https://user:pw@github.com\n',
    'web/git-credentials': 'https://user:pw@gitlab.example.com\n',
    'web/secret-files/BUILDKITE_ACCESS_KEY': 'a',
    'web/secret-files/DATABASE_SECRET': 'b',
    'web/secret-files/EXTERNAL_API_SECRET_KEY': 'c',
    'web/secret-files/PRIVILEGED_PASSWORD': 'd',
    'web/secret-files/SERVICE_TOKEN': 'e',
  });
  for (const [Key, Body] of Object.entries(keys)) {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key,
        Body,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: KeyMetadata.KeyId,
      }),
    );
  }
  s3.destroy();
  kms.destroy();
  const floorNode = await bareNodeMs();
  const floorMoto = await motoReadsMs(clientConfig, bucket, keys);

  const env = {
    PATH: process.env.PATH,
    HOME: work,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: moto.region,
    AWS_ACCESS_KEY_ID: moto.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey,
    BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: bucket,
    // As on a stack agent: the stack always passes the bucket's region.
    BUILDKITE_PLUGIN_S3_SECRETS_REGION: moto.region,
    BUILDKITE_PIPELINE_SLUG: 'web',
  };
  for (let index = 0; index < WARM_UP; index += 1) await runOnce(env);
  const times = [];
  for (let index = 0; index < RUNS; index += 1) {
    const { elapsedMs, stdout } = await runOnce(env);
    if (!stdout.includes("export SERVICE_TOKEN='e'") || !stdout.includes('SSH_AUTH_SOCK')) {
      throw new Error('s3secrets env did not produce the expected script');
    }
    times.push(elapsedMs);
  }
  times.sort((a, b) => a - b);
  const medianMs = percentile(times, 50);
  const p95 = percentile(times, 95);
  const load = loadavg()[0].toFixed(2);
  const figure =
    `median ${medianMs.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms (${RUNS} runs, 1-min load ${load}; floors on this ` +
    `machine: \`node -e 0\` ${floorNode.toFixed(0)} ms, the same reads from a warm in-process client ${floorMoto.toFixed(0)} ms)`;
  console.log(`s3secrets env, every key present: ${figure}; target ≤ ${TARGET_MEDIAN_MS} ms median`);
  const row = `| @elastic-ci/s3secrets | \`s3secrets env\` wall time, every key present (4 SSH keys, 4 env files, 2 git-credentials, 5 secret files, SSE-KMS; region hint set as on a stack agent), bundled CLI vs moto on loopback | ${figure} | ≤ ${TARGET_MEDIAN_MS} ms median | \`pnpm --filter @elastic-ci/s3secrets bench\` | 2026-11-23 |`;
  console.log(row);
  if (process.argv.includes('--append')) {
    const root = join(packageDir, '..', '..');
    execFileSync('flock', ['/tmp/elastic-ci-docs.lock', '-c', `printf '%s\\n' "$ROW" >> BENCHMARKS.md`], {
      cwd: root,
      env: { ...process.env, ROW: row },
    });
    console.log('appended to BENCHMARKS.md');
  }
} finally {
  await moto.stop();
  await rm(work, { recursive: true, force: true });
}
