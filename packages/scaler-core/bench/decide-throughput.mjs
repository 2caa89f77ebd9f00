// Decisions per second for a realistic config, over the built package (run `pnpm bench`, which builds first).
// Prints one figure: decisions per CPU-second of this process, which does not depend on what else the shared
// 2-core machine is running (the wall-clock rate is shown alongside). Inputs are precomputed so only `decide` is
// measured; they walk about a week in 70 s steps, as the simulator calls it.
import { decide, initialScalerState, parseScalerConfig } from '../dist/index.js';

const TARGET_PER_SEC = 1_000_000;
const INPUT_COUNT = 8192;
const WARMUP_MS = 1000;
const MEASURE_MS = 3000;
const START_MS = Date.UTC(2026, 10, 23, 0, 0, 0);

const config = parseScalerConfig({
  agentsPerInstance: 2,
  includeWaiting: true,
  instanceBuffer: 2,
  availabilityThreshold: 0.5,
  scaleOutCooldownSec: 60,
  scaleInCooldownSec: 600,
  scaleOnlyAfterAllEvent: true,
  overProvision: { strategy: 'percent', percent: 10 },
  idlePool: {
    idleCount: 2,
    periods: [
      { cron: '* 8-18 * * MON-FRI', timezone: 'Europe/Berlin', idleCount: 8, idleScaleFactor: 0.25, idleCountMin: 4 },
    ],
  },
  scheduledMinimums: [{ cron: '* 7-19 * * MON-FRI', timezone: 'Europe/Berlin', minSize: 2 }],
  growthThrottle: { launchesPerSec: 0.5, burst: 10 },
  warmPool: { enabled: true, minSize: 1, prepareForWaitingJobs: true },
});

// A deterministic pseudo-random walk (xorshift) so every run measures the same inputs.
let seed = 0x2545f491;
const random = (limit) => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % limit;
};

const inputs = [];
for (let index = 0; index < INPUT_COUNT; index++) {
  const nowMs = START_MS + index * 10_000 * 7;
  const desired = random(40);
  const busy = random(2 * desired + 1);
  const lastScaleOutAtMs = nowMs - random(900) * 1000;
  inputs.push({
    config,
    nowMs,
    metrics: {
      scheduledJobs: random(30),
      runningJobs: busy,
      waitingJobs: random(10),
      idleAgents: 2 * desired - busy,
      busyAgents: busy,
      totalAgents: 2 * desired,
      collectedAtMs: nowMs - random(20_000),
    },
    group: { desired, min: 0, max: 60, inService: desired - random(2) * Math.min(desired, 1), pending: random(2) },
    state: index % 3 === 0 ? initialScalerState() : { lastScaleOutAtMs, lastScaleInAtMs: lastScaleOutAtMs - 60_000 },
  });
}

function run(durationMs) {
  let decisions = 0;
  let checksum = 0;
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(durationMs) * 1_000_000n;
  while (process.hrtime.bigint() < deadline) {
    for (let index = 0; index < INPUT_COUNT; index++) checksum += decide(inputs[index]).desired;
    decisions += INPUT_COUNT;
  }
  const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  return { perCpuSec: decisions / cpuSec, perWallSec: decisions / wallSec, checksum };
}

run(WARMUP_MS);
const { perCpuSec, perWallSec, checksum } = run(MEASURE_MS);
const figure = Math.round(perCpuSec);
const format = (value) => Math.round(value).toLocaleString('en-US');
console.log(
  `scaler-core decide: ${format(figure)} decisions per CPU-second (target ≥ ${format(TARGET_PER_SEC)}; wall-clock ${format(perWallSec)}/s; node ${process.version}; checksum ${checksum > 0 ? 'ok' : 'zero'})`,
);
if (figure < TARGET_PER_SEC) process.exitCode = 1;
