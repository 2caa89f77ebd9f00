#!/usr/bin/env node
// Figures for BENCHMARKS.md: bundle sizes, idle daemon memory, and the latency from a target-lifecycle-state flip
// to the agent's SIGTERM, all with the built bundle against the IMDS stand-in. Run: pnpm build && pnpm bench [runs]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startImdsStandIn } from '../../testing/src/imds-stand-in.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const daemonPath = join(root, 'dist/lifecycled.js');
const fakeAgentPath = join(root, 'src/test-support/fake-agent-process.mjs');
const runs = Number(process.argv[2] ?? '10');
const pollMs = 200;

const sleep = (ms) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
const percentile = (values, p) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))];
const events = (file) => {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  } catch {
    return [];
  }
};

async function oneDrain(measureMemory) {
  const directory = mkdtempSync(join(tmpdir(), 'lifecycled-bench-'));
  const eventsFile = join(directory, 'events.jsonl');
  const agent = spawn(
    process.execPath,
    [fakeAgentPath, '--pid-file', join(directory, 'agent.pid'), '--events', eventsFile, '--job-ms', '50'],
    { stdio: 'ignore' },
  );
  while (!events(eventsFile).length) await sleep(10);
  const imds = await startImdsStandIn({ instanceId: 'i-0123456789abcdef0' });
  imds.setTargetLifecycleState('InService');
  const daemon = spawn(
    process.execPath,
    [
      daemonPath,
      '--json',
      '--no-spot',
      `--lifecycle-state-interval=${pollMs}ms`,
      '--autoscaling-group-name=agents',
      '--lifecycle-hook-name=drain',
    ],
    {
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
        // Nothing listens here: completion fails fast and is logged; the drain is what is measured.
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint,
        STOP_AGENT_PID_FILE: join(directory, 'agent.pid'),
        STOP_AGENT_STATE_DIR: join(directory, 'state'),
        STOP_AGENT_POLL_INTERVAL: '20ms',
      },
      stdio: 'ignore',
    },
  );
  while (imds.requests.filter((request) => request.path.endsWith('target-lifecycle-state')).length < 3) await sleep(10);
  let rssMb;
  if (measureMemory) {
    await sleep(2_000);
    const status = readFileSync(`/proc/${daemon.pid}/status`, 'utf8');
    rssMb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
  }
  const flippedAt = Date.now();
  imds.setTargetLifecycleState('Terminated');
  while (!events(eventsFile).some((event) => event.event === 'sigterm')) await sleep(2);
  const sigtermAt = events(eventsFile).find((event) => event.event === 'sigterm').at;
  daemon.kill('SIGKILL');
  agent.kill('SIGKILL');
  await imds.close();
  return { latencyMs: sigtermAt - flippedAt, rssMb };
}

const sizes = ['lifecycled.js', 'stop-agent-gracefully.js'].map(
  (file) => `${file} ${(statSync(join(root, 'dist', file)).size / 1_048_576).toFixed(2)} MB`,
);
const results = [];
for (let run = 0; run < runs; run++) results.push(await oneDrain(run === 0));
const latencies = results.map((result) => result.latencyMs);
console.log(`bundle sizes: ${sizes.join(', ')}`);
console.log(`idle daemon RSS (polling every ${pollMs} ms): ${results[0].rssMb.toFixed(1)} MB`);
console.log(
  `target-lifecycle-state flip → agent SIGTERM, poll ${pollMs} ms, ${runs} runs: median ${percentile(latencies, 0.5)} ms, p95 ${percentile(latencies, 0.95)} ms`,
);
process.exit(0);
