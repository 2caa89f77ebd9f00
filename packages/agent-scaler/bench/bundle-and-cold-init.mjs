// Measures the Lambda bundles: size on disk (target ≤ 400 KB each) and local cold init, i.e. a fresh Node process
// importing the bundle, which parses the environment and builds clients (target ≤ 150 ms, median of fresh processes).
// Run with `pnpm bench` (it builds first). Prints Markdown rows for BENCHMARKS.md.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.COLD_INIT_RUNS ?? 21);
const date = '2026-11-23';
const command = 'cd packages/agent-scaler && pnpm bench';

const environment = {
  ...process.env,
  AWS_REGION: 'us-east-1',
  BUILDKITE_QUEUE: 'default',
  ASG_NAME: 'bench-agents',
  AGENTS_PER_INSTANCE: '1',
  BUILDKITE_AGENT_TOKEN_SSM_KEY: '/buildkite/agent-token',
  WEBHOOK_SECRET_SSM_KEY: '/buildkite/webhook-token',
  SCALER_STATE_PARAMETER: '/buildkite/scaler-state',
  NODE_NO_WARNINGS: '1',
};

const percentile = (sorted, fraction) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];

function coldInitMs(bundle) {
  const script = `const start = performance.now(); await import(${JSON.stringify(bundle)}); process.stdout.write(String(performance.now() - start));`;
  const samples = [];
  for (let run = 0; run < runs; run += 1) {
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: environment,
      cwd: packageDir,
    });
    samples.push(Number(output.toString()));
  }
  return samples.sort((left, right) => left - right);
}

/** What the first pass pays on top: loading the two SDK v3 clients the adapters import lazily. */
function sdkLoadMs() {
  const script = `const start = performance.now(); await Promise.all([import('@aws-sdk/client-auto-scaling'), import('@aws-sdk/client-ssm')]); process.stdout.write(String(performance.now() - start));`;
  const samples = [];
  for (let run = 0; run < runs; run += 1) {
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: environment,
      cwd: packageDir,
    });
    samples.push(Number(output.toString()));
  }
  return samples.sort((left, right) => left - right);
}

const rows = [];
for (const name of ['scheduled', 'webhook']) {
  const bundle = join(packageDir, 'dist', 'lambda', `${name}.mjs`);
  const kib = statSync(bundle).size / 1024;
  rows.push(
    `| @elastic-ci/agent-scaler | ${name} handler bundle, minified single file (AWS SDK v3 from the nodejs22.x runtime) | ${kib.toFixed(1)} KiB | ≤ 400 KB | \`${command}\` | ${date} |`,
  );
  const samples = coldInitMs(bundle);
  rows.push(
    `| @elastic-ci/agent-scaler | ${name} handler local cold init (fresh node process: import bundle + config parse + runtime wiring; SDK clients load on first pass), median / p90 of ${runs} | ${percentile(samples, 0.5).toFixed(0)} ms / ${percentile(samples, 0.9).toFixed(0)} ms | ≤ 150 ms | \`${command}\` | ${date} |`,
  );
}
const sdk = sdkLoadMs();
rows.push(
  `| @elastic-ci/agent-scaler | first scaling pass after a cold start: lazy load of the Auto Scaling + SSM SDK v3 clients from node_modules, median / p90 of ${runs} | ${percentile(sdk, 0.5).toFixed(0)} ms / ${percentile(sdk, 0.9).toFixed(0)} ms | – (not part of init) | \`${command}\` | ${date} |`,
);
rows.push(
  `| @elastic-ci/agent-scaler | load average while measuring (2 cores shared with other jobs) | ${loadavg()
    .map((load) => load.toFixed(1))
    .join(' / ')} | – | \`uptime\` | ${date} |`,
);
console.log(rows.join('\n'));
