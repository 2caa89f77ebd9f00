#!/usr/bin/env node
// Hook latency of the bundled CLI: every CI job pays it in its environment, pre-command and pre-exit hooks.
// Measures wall time of whole processes (Node start-up + bundle load + work), median and p95 over N runs.
// Run after `pnpm build`: `pnpm bench` (or `node scripts/bench.mjs [runs]`). The `ecr` row needs moto
// (<repo>/.venv/bin/moto_server, created by `make test`); without it that row says why it was not measured.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const cli = join(dist, 'cli.js');
const chunkDirectory = join(dist, 'cli-chunks');
const runs = Number(process.argv[2] ?? 20);

function measure(name, argv, env, { script = cli, warmUp = false } = {}) {
  const run = () =>
    execFileSync(process.execPath, [script, ...argv], { env: { PATH: process.env.PATH, ...env }, stdio: 'pipe' });
  if (warmUp) run();
  const times = [];
  for (let index = 0; index < runs; index += 1) {
    const start = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const p95 = times[Math.min(times.length - 1, Math.ceil(times.length * 0.95) - 1)];
  console.log(`${name}: median ${median.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms (${runs} runs)`);
  return median;
}

const megabytes = (bytes) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

function reportSizes() {
  const names = existsSync(chunkDirectory) ? readdirSync(chunkDirectory) : [];
  const chunks = names.map((name) => statSync(join(chunkDirectory, name)).size);
  const entry = statSync(cli).size;
  const total = chunks.reduce((sum, size) => sum + size, entry);
  console.log(
    `bundle: entry ${megabytes(entry)} (${cli}), ${megabytes(total)} with the ${chunks.length} chunks in cli-chunks/`,
  );
}

/** `ecr` against moto: the SDK chunks are loaded, plus one ecr:GetAuthorizationToken over loopback. */
async function measureEcr(root) {
  let moto;
  try {
    const { startMotoServer } = await import('@elastic-ci/testing/moto-server');
    moto = await startMotoServer();
  } catch (error) {
    console.log(`ecr against moto: not measured: ${error.message}`);
    return;
  }
  try {
    measure(
      'ecr against moto (SDK chunks + ecr:GetAuthorizationToken + config.json)',
      ['ecr'],
      {
        DOCKER_CONFIG: join(root, 'ecr'),
        AWS_ENDPOINT_URL: moto.endpoint,
        AWS_ACCESS_KEY_ID: moto.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey,
        BUILDKITE_PLUGIN_ECR_REGION: moto.region,
        BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS: '123456789012',
        BUILDKITE_PLUGIN_ECR_RETRIES: '0',
      },
      // moto builds its ECR backend on the first request: that one-off cost is moto's, not the helper's.
      { warmUp: true },
    );
  } finally {
    await moto.stop();
  }
}

const root = mkdtempSync(join(tmpdir(), 'docker-login-bench-'));
try {
  reportSizes();
  // Bare Node start-up on this machine right now: the floor, so the helper's own cost can be read off under load.
  const emptyScript = join(root, 'empty.mjs');
  writeFileSync(emptyScript, '');
  const floor = measure('node (empty script, the floor)', [], {}, { script: emptyScript });
  const help = measure('--help (start-up)', ['--help'], {});
  console.log(`start-up above bare node: ${(help - floor).toFixed(0)} ms`);
  measure('env (create the per-job directory)', ['env'], { TMPDIR: root, HOME: root });
  measure('registry --no-verify (write config.json)', ['registry', '--no-verify'], {
    DOCKER_CONFIG: join(root, 'registry'),
    DOCKER_LOGIN_USER: 'bench',
    DOCKER_LOGIN_PASSWORD: 'bench-password',
    DOCKER_LOGIN_SERVER: 'registry.example.com',
  });
  measure('logout', ['logout'], { DOCKER_CONFIG: join(root, 'registry'), DOCKER_LOGIN_SERVER: 'registry.example.com' });
  await measureEcr(root);
} finally {
  rmSync(root, { recursive: true, force: true });
}
