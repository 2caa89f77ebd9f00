#!/usr/bin/env node
// Benchmark: wall time of the bundled `s3secrets env` for a pipeline where every key exists (4 SSH keys, 4 env files,
// 2 git-credentials, 5 secret files, all SSE-KMS), against two storages on loopback serving the same objects:
// - moto (as the integration tests use it): a Python server, itself slower than S3 seen from an agent in-region;
// - the package's S3 stand-in (src/test-support/s3-stand-in.ts) in this process: storage that answers at once, so the
//   figure is the CLI's own cost (start-up, credentials, ssh-agent, script) plus loopback round trips.
// Against moto it runs twice: with environment credentials, and with instance-profile credentials from an IMDSv2
// stand-in, which is how an EC2 agent gets them (the SDK's credential chain then walks to IMDS).
// The series are interleaved run by run so all see the same machine load, and every run's output must equal
// moto's (agent pid and socket aside) or the benchmark fails. 20 measured runs each after 2 warm-up runs (the first
// run of a new bundle writes its V8 code cache, as the first job on a fresh agent does). Floors printed with each row:
// bare `node -e 0`, the bundle's start-up alone, the same reads from a warm in-process client, and (stand-in row, a
// diagnostic) the same fixture without the SSH keys, which shows what ssh-agent and ssh-add add.
// Usage: pnpm bench [-- --append] [-- --timeline] [-- --ab-signer]
//   --append    adds the rows to BENCHMARKS.md under the docs lock
//   --ab-signer also bundles the CLI with the AWS SDK's signer (@smithy/signature-v4, scripts/smithy-sigv4.ts) in
//               place of src/sigv4.ts and runs it as a B twin of every series, interleaved run by run (A then B on
//               even runs, B then A on odd ones), then prints A against B per storage
//   --timeline  then runs each series 11 more times under scripts/phase-timeline.cjs and prints the median time of
//               each phase boundary (the README's "where the time goes")
// The bench script runs under `node --import tsx` so that it can load the TypeScript stand-in.
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
import { startImdsStandIn } from '@elastic-ci/testing/imds-stand-in';
import { startMotoServer } from '@elastic-ci/testing/moto-server';
import { startS3StandIn } from '../src/test-support/s3-stand-in.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const RUNS = 20;
const WARM_UP = 2;
const TARGET_MEDIAN_MS = 150;
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const cli = join(packageDir, 'dist', 'bin', 's3secrets.cjs');
if (!existsSync(cli)) throw new Error(`${cli} is missing: run pnpm build first`);
const abSigner = process.argv.includes('--ab-signer');
if (abSigner && (process.argv.includes('--append') || process.argv.includes('--timeline'))) {
  throw new Error('--ab-signer is a comparison: run it without --append and --timeline');
}

/**
 * The CLI bundled as `pnpm build` does, but with s3-rest-store.ts signing through scripts/smithy-sigv4.ts (the SDK's
 * signer, which is asynchronous, hence the `await`). Returns the loader's path.
 */
async function buildSdkSignerCli(outDir) {
  const { build } = await import('tsup');
  const { default: tsupConfig } = await import('../tsup.config.ts');
  const adapter = join(packageDir, 'scripts', 'smithy-sigv4.ts');
  const swapSigner = {
    name: 'swap-signer',
    setup(esbuild) {
      esbuild.onLoad({ filter: /[\\/]src[\\/]s3-rest-store\.ts$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        const swapped = source
          .replace("from './sigv4';", `from ${JSON.stringify(adapter)};`)
          .replace('const headers = signRequest(', 'const headers = await signRequest(');
        if (swapped === source || !swapped.includes('await signRequest(')) {
          throw new Error('s3-rest-store.ts no longer matches the signer swap');
        }
        return { contents: swapped, loader: 'ts' };
      });
    },
  };
  for (const config of tsupConfig.filter((entry) => entry.outDir === 'dist/bin')) {
    await build({
      ...config,
      outDir,
      config: false,
      silent: true,
      clean: false,
      esbuildPlugins: [...(config.esbuildPlugins ?? []), swapSigner],
    });
  }
  return join(outDir, 's3secrets.cjs');
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Median wall time of `node ...args` in `env`. With `-e 0` it is the floor no Node CLI can go below. It must run in
 * the CLI runs' environment: an inherited NODE_EXTRA_CA_CERTS (set on this machine) alone adds ~50 ms to every start.
 */
async function spawnMs(args, env) {
  const times = [];
  for (let index = 0; index < RUNS; index += 1) {
    const started = process.hrtime.bigint();
    await new Promise((resolve, reject) =>
      spawn(process.execPath, args, { env, stdio: 'ignore' })
        .once('error', reject)
        .once('close', (code) => (code === 0 ? resolve() : reject(new Error(`node ${args.join(' ')} exited ${code}`)))),
    );
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return median(times);
}

/**
 * The same reads from a warm in-process client: what the storage (and the SDK's per-request work) costs, with no
 * start-up at all. Against the stand-in the server shares this thread with the client, so that floor is a little high.
 */
async function warmReadsMs(clientConfig, bucket, keys) {
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

function runOnce(env, nodeOptions = [], bundle = cli) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [...nodeOptions, bundle, 'env'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
      else resolve({ elapsedMs, stdout, stderr });
    });
  });
}

/** The script with what differs between any two runs (the ssh-agent's pid and socket) blanked out. */
const comparable = (stdout) =>
  stdout.replace(/^export (SSH_AUTH_SOCK|SSH_AGENT_PID|S3SECRETS_SSH_AGENT_PID)='[^']*'$/gm, "export $1='…'");

function firstDifference(expected, actual) {
  const expectedLines = expected.split('\n');
  const actualLines = actual.split('\n');
  const line = expectedLines.findIndex((text, index) => text !== actualLines[index]);
  const at = line === -1 ? expectedLines.length : line;
  // Line numbers only: the lines themselves hold the fixture's secrets.
  return `first difference at line ${at + 1} of ${expectedLines.length} (stand-in output has ${actualLines.length})`;
}

const moto = await startMotoServer();
const work = await mkdtemp(join(tmpdir(), 's3secrets-bench-'));
let standIn;
let withoutSshStandIn;
let imds;
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
  const sshKeys = ['web/private_ssh_key', 'web/id_rsa_github', 'private_ssh_key', 'id_rsa_github'];
  for (const [index, key] of sshKeys.entries()) {
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

  // The same bytes, served with the SSE-KMS headers S3 sends for them; keys outside the fixture answer NoSuchKey.
  const standInObjects = (entries) =>
    Object.fromEntries(
      entries.map(([key, body]) => [`GET ${key}`, { kind: 'object', body, kmsKeyId: KeyMetadata.Arn }]),
    );
  standIn = await startS3StandIn(bucket, standInObjects(Object.entries(keys)));
  // Diagnostic only, never a row: the same fixture without the SSH keys shows what ssh-agent and ssh-add cost.
  withoutSshStandIn = await startS3StandIn(
    bucket,
    standInObjects(Object.entries(keys).filter(([key]) => !sshKeys.includes(key))),
  );
  // What an EC2 instance profile looks like from the instance: a role name, then temporary credentials for it.
  imds = await startImdsStandIn({ region: moto.region });
  imds.setMetadata('iam/security-credentials/', 'agent-role');
  imds.setMetadata(
    'iam/security-credentials/agent-role',
    JSON.stringify({
      Code: 'Success',
      Type: 'AWS-HMAC',
      AccessKeyId: moto.credentials.accessKeyId,
      SecretAccessKey: moto.credentials.secretAccessKey,
      Token: 'bench-session-token',
      Expiration: new Date(Date.now() + 6 * 60 * 60 * 1000).toISOString(),
      LastUpdated: new Date().toISOString(),
    }),
  );
  const storages = [
    { name: 'moto', what: 'moto on loopback, environment credentials', endpoint: moto.endpoint, credentials: 'env' },
    {
      name: 'moto (instance role)',
      what: 'moto on loopback, instance-profile credentials from an IMDSv2 stand-in (the EC2 agent path: the SDK credential chain walks to IMDS)',
      endpoint: moto.endpoint,
      credentials: 'imds',
    },
    {
      name: 'fast stand-in',
      what: 'a fast S3 stand-in on loopback (in-process Node HTTP server, same objects; output checked equal to moto’s), environment credentials',
      endpoint: standIn.endpoint,
      credentials: 'env',
    },
  ];

  if (abSigner) {
    const sdkSignerCli = await buildSdkSignerCli(join(work, 'sdk-signer-bin'));
    for (const storage of [...storages]) {
      storages.push({ ...storage, name: `${storage.name}, SDK signer`, bundle: sdkSignerCli, twinOf: storage });
    }
  }

  const floorByEndpoint = new Map();
  for (const storage of storages) {
    if (!floorByEndpoint.has(storage.endpoint)) {
      floorByEndpoint.set(
        storage.endpoint,
        await warmReadsMs({ ...clientConfig, endpoint: storage.endpoint }, bucket, keys),
      );
    }
    storage.floorMs = floorByEndpoint.get(storage.endpoint);
    storage.env = {
      PATH: process.env.PATH,
      HOME: work,
      AWS_ENDPOINT_URL: storage.endpoint,
      AWS_REGION: moto.region,
      ...(storage.credentials === 'env'
        ? {
            AWS_ACCESS_KEY_ID: moto.credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey,
          }
        : { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint }),
      BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: bucket,
      // As on a stack agent: the stack always passes the bucket's region.
      BUILDKITE_PLUGIN_S3_SECRETS_REGION: moto.region,
      BUILDKITE_PIPELINE_SLUG: 'web',
    };
    storage.times = [];
  }

  const baseEnv = storages[0].env;
  const floorNode = await spawnMs(['-e', '0'], baseEnv);
  // The bundle's start-up alone: with no bucket configured `env` exits before any I/O.
  const { BUILDKITE_PLUGIN_S3_SECRETS_BUCKET: _bucket, ...noBucketEnv } = baseEnv;
  const startUp = await spawnMs([cli, 'env'], noBucketEnv);

  const withoutSshEnv = { ...baseEnv, AWS_ENDPOINT_URL: withoutSshStandIn.endpoint };
  const withoutSshTimes = [];

  standIn.requests.clear();
  let expected;
  for (let index = 0; index < WARM_UP + RUNS; index += 1) {
    // A/B: each B series runs right after its A series on even runs and right before it on odd ones.
    const order = abSigner
      ? storages
          .filter((storage) => !storage.twinOf)
          .flatMap((storage) => {
            const twin = storages.find((candidate) => candidate.twinOf === storage);
            return index % 2 === 0 ? [storage, twin] : [twin, storage];
          })
      : storages;
    for (const storage of order) {
      const run = await runOnce(storage.env, [], storage.bundle);
      const { elapsedMs } = run;
      // The git credential helper names the CLI that printed the script: the B bundle lives elsewhere.
      const stdout = storage.bundle ? run.stdout.replaceAll(storage.bundle, cli) : run.stdout;
      if (!stdout.includes("export SERVICE_TOKEN='e'") || !stdout.includes('SSH_AUTH_SOCK')) {
        throw new Error(`s3secrets env against ${storage.name} did not produce the expected script`);
      }
      expected ??= comparable(stdout);
      if (comparable(stdout) !== expected) {
        throw new Error(
          `s3secrets env against ${storage.name} printed a different script than against moto: ` +
            firstDifference(expected, comparable(stdout)),
        );
      }
      if (index >= WARM_UP) storage.times.push(elapsedMs);
    }
    const withoutSsh = await runOnce(withoutSshEnv);
    if (!withoutSsh.stdout.includes("export SERVICE_TOKEN='e'") || withoutSsh.stdout.includes('SSH_AUTH_SOCK')) {
      throw new Error('s3secrets env without SSH keys did not produce the expected script');
    }
    if (index >= WARM_UP) withoutSshTimes.push(withoutSsh.elapsedMs);
  }
  // The fast row counts only if the CLI did all the work: every object read and both prefixes listed once per run.
  const runs = WARM_UP + RUNS;
  const bundles = abSigner ? 2 : 1;
  const wanted = [...Object.keys(keys).map((key) => `GET ${key}`), 'LIST secret-files/', 'LIST web/secret-files/'];
  const missed = wanted.filter((target) => standIn.requests.get(target) !== runs * bundles);
  if (missed.length > 0 || standIn.requests.size !== wanted.length) {
    throw new Error(
      `the stand-in did not see each read once per run (${runs} runs): ` +
        JSON.stringify(Object.fromEntries(standIn.requests)),
    );
  }

  // The instance-role row counts only if every run took its credentials from IMDS (one role lookup per process).
  const credentialReads = imds.requests.filter(
    (request) => request.path === '/latest/meta-data/iam/security-credentials/agent-role' && request.status === 200,
  ).length;
  if (credentialReads !== runs * bundles) {
    throw new Error(`the instance-role runs read credentials from IMDS ${credentialReads} times in ${runs} runs`);
  }

  const load = loadavg()[0].toFixed(2);
  const today = new Date().toISOString().slice(0, 10);
  const rows = storages.map((storage) => {
    const times = [...storage.times].sort((a, b) => a - b);
    const medianMs = percentile(times, 50);
    const verdict = medianMs <= TARGET_MEDIAN_MS ? 'target met' : '**target not met**, see note below';
    const figure =
      `median ${medianMs.toFixed(0)} ms, p95 ${percentile(times, 95).toFixed(0)} ms (${RUNS} runs, 1-min load ${load}; ` +
      `floors on this machine: \`node -e 0\` ${floorNode.toFixed(0)} ms, \`s3secrets env\` with no bucket set ` +
      `(start-up only) ${startUp.toFixed(0)} ms, the same reads from a warm in-process ` +
      `client against ${storage.name} ${storage.floorMs.toFixed(0)} ms` +
      (storage.endpoint === standIn.endpoint
        ? `; diagnostic, not the target: the same fixture without the 4 SSH keys (no ssh-agent) median ` +
          `${median(withoutSshTimes).toFixed(0)} ms`
        : '') +
      ` — ${verdict})`;
    console.log(
      `s3secrets env vs ${storage.name}, every key present: ${figure}; target ≤ ${TARGET_MEDIAN_MS} ms median`,
    );
    return `| @elastic-ci/s3secrets | \`s3secrets env\` wall time, every key present (4 SSH keys, 4 env files, 2 git-credentials, 5 secret files, SSE-KMS; region hint set as on a stack agent), bundled CLI vs ${storage.what} | ${figure} | ≤ ${TARGET_MEDIAN_MS} ms median | \`pnpm --filter @elastic-ci/s3secrets bench\` | ${today} |`;
  });
  console.log(rows.join('\n'));
  if (abSigner) {
    console.log(
      `\nA/B, our signer (A) against @smithy/signature-v4 (B), interleaved in one session; NODE_EXTRA_CA_CERTS ` +
        `${process.env.NODE_EXTRA_CA_CERTS ? 'set in the shell, not' : 'not set, not'} passed to the CLI runs; 1-min load ${load}:`,
    );
    for (const storage of storages.filter((candidate) => candidate.twinOf)) {
      const a = median(storage.twinOf.times);
      const b = median(storage.times);
      console.log(
        `- ${storage.twinOf.name}: A median ${a.toFixed(1)} ms (p95 ${percentile(
          [...storage.twinOf.times].sort((x, y) => x - y),
          95,
        ).toFixed(0)}), ` +
          `B median ${b.toFixed(1)} ms (p95 ${percentile(
            [...storage.times].sort((x, y) => x - y),
            95,
          ).toFixed(0)}), ` +
          `B − A ${(b - a).toFixed(1)} ms, median of the paired per-run differences ` +
          `${median(storage.times.map((time, run) => time - storage.twinOf.times[run])).toFixed(1)} ms; ` +
          `B ${b <= TARGET_MEDIAN_MS ? 'within' : 'over'} the ${TARGET_MEDIAN_MS} ms target`,
      );
    }
  }
  if (process.argv.includes('--timeline')) {
    const preload = join(packageDir, 'scripts', 'phase-timeline.cjs');
    for (const storage of storages) {
      const marks = new Map();
      for (let index = 0; index < 11; index += 1) {
        const { stderr } = await runOnce(storage.env, ['-r', preload]);
        const run = new Map();
        for (const line of stderr.split('\n')) {
          const match = /^\s*([\d.]+) ms {2}(.*)$/.exec(line);
          if (!match) continue;
          const request = /^S3 request #(\d+) sent$/.exec(match[2]);
          // Requests collapse to the first and the last one; any other repeated mark keeps its first time.
          const name = request ? (request[1] === '1' ? 'first S3 request sent' : 'last S3 request sent') : match[2];
          if (!run.has(name) || name === 'last S3 request sent') run.set(name, Number(match[1]));
        }
        for (const [name, time] of run) marks.set(name, [...(marks.get(name) ?? []), time]);
      }
      console.log(`\nphase timeline vs ${storage.name} (median of 11 runs, ms since process start):`);
      const ordered = [...marks].map(([name, times]) => [name, median(times)]).sort((a, b) => a[1] - b[1]);
      for (const [name, time] of ordered) console.log(`${time.toFixed(1).padStart(7)}  ${name}`);
    }
  }
  if (process.argv.includes('--append')) {
    const root = join(packageDir, '..', '..');
    execFileSync('flock', ['/tmp/elastic-ci-docs.lock', '-c', `printf '%s\\n' "$ROWS" >> BENCHMARKS.md`], {
      cwd: root,
      env: { ...process.env, ROWS: rows.join('\n') },
    });
    console.log('appended to BENCHMARKS.md');
  }
} finally {
  await standIn?.close();
  await withoutSshStandIn?.close();
  await imds?.close();
  await moto.stop();
  await rm(work, { recursive: true, force: true });
}
