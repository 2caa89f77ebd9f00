#!/usr/bin/env node
// What matching `buildkite-tuned-include-waiting`'s p95 wait costs at the least on a trace with jobs behind a step,
// for a policy that cannot tell when one build's step will end (issue 15's one target not met: monorepo-fanout). The
// idle it forces comes from `readyBound` (the best single bring-up age, chosen with hindsight); everything else is
// bounded below by the limit (`limitOf`) with every bring-up a warm resume and stopped volumes free. A second, tighter
// floor prices what a pool costs: an instance resumes only if one was freed earlier and stopped, paying its volume
// meanwhile, or a new one boots cold; the agents for jobs behind a step are up from that same age on. The script
// compares both with the cheapest Buildkite variant, and shows where elastic-ci stands.
// Usage: node packages/simulator/bench/fanout-ready-bound.mjs [TRACE] [--seed N]   (after `pnpm build`)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  BUILDKITE_VARIANT_NAMES,
  comparePolicies,
  limitOf,
  medianOf,
  parseTrace,
  readyBound,
  resolvePolicy,
} from '../dist/index.js';

const USAGE = 'usage: fanout-ready-bound.mjs [TRACE] [--seed N]';
let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: { seed: { type: 'string', default: '1' } } });
} catch (error) {
  console.error(`fanout-ready-bound: ${error.message}\n${USAGE}`);
  process.exit(2);
}
const seed = Number(parsed.values.seed);
if (!Number.isSafeInteger(seed) || seed < 0 || parsed.positionals.length > 1) {
  console.error(`fanout-ready-bound: --seed must be a non-negative integer, and one trace at most\n${USAGE}`);
  process.exit(2);
}
const tracePath = parsed.positionals[0] ?? fileURLToPath(new URL('../traces/monorepo-fanout.jsonl', import.meta.url));
const trace = parseTrace(readFileSync(tracePath, 'utf8'), tracePath);
const queue = trace.queues[0];
const readPolicy = (path) => readFileSync(path, 'utf8');
const variants = BUILDKITE_VARIANT_NAMES;
const runs = comparePolicies({
  trace,
  policies: [...variants, 'elastic-ci'].map((name) => resolvePolicy(name, readPolicy)),
  seed,
});
const summaryOf = (name) => runs.find((run) => run.policy.name === name).summary;
const targetWaitSec = summaryOf('buildkite-tuned-include-waiting').waitSec.p95;
const cheapest = variants
  .map((name) => ({ name, cost: summaryOf(name).cost.total }))
  .sort((a, b) => a.cost - b.cost)[0];

// The physics every policy runs with: the medians of the elastic-ci preset's fleet.
const fleet = resolvePolicy('elastic-ci', readPolicy).fleet;
const bringUpSec = medianOf(fleet.warmPool.resumeSec) + medianOf(fleet.agentRegistrationSec);
const coldBringUpSec = medianOf(fleet.bootSec) + medianOf(fleet.agentRegistrationSec);
const { pricePerInstanceHour, volumeCostPerInstanceHour } = fleet;

const bound = readyBound(trace, { queue, onTimeWaitSec: targetWaitSec, bringUpSec, lateShare: 0.05 });
if (bound === undefined) {
  console.error(`fanout-ready-bound: no job in ${trace.name} waits behind a step`);
  process.exit(2);
}
const everythingElse = limitOf(trace, { queue, bringUpSec, pricePerInstanceHour, volumeCostPerInstanceHour });
const withPool = limitOf(trace, {
  queue,
  bringUpSec,
  coldBringUpSec,
  idleBeforeStartSec: bound.idleBeforeReleaseSec,
  pricePerInstanceHour,
  volumeCostPerInstanceHour,
});
// Idle agents pay compute; their volume would be paid stopped too, and the limit above counts no stopped volume.
const idleCost = bound.idleAgentHours * pricePerInstanceHour;
const total = everythingElse.cost + idleCost;
const elasticCi = summaryOf('elastic-ci');
const releases = bound.releaseAfterSec;
const quantile = (q) => releases[Math.floor(q * (releases.length - 1))].toFixed(0);
const money = (value) => `$${value.toFixed(2)}`;

console.log(`${trace.name}: ${bound.jobs} jobs, ${bound.dependentJobs} behind a step; seed ${seed}`);
console.log(
  `released after creation: min ${quantile(0)} s, p10 ${quantile(0.1)} s, median ${quantile(0.5)} s, p90 ${quantile(0.9)} s`,
);
console.log(
  `target: p95 wait ≤ ${targetWaitSec.toFixed(1)} s (buildkite-tuned-include-waiting) at a cost ≤ ${money(cheapest.cost)} (${cheapest.name})`,
);
console.log(
  `best single bring-up age, with hindsight: ${bound.bringUpAgeSec.toFixed(0)} s after creation → ${bound.lateJobs} jobs late (≤ ${bound.allowedLateJobs}), ${bound.idleAgentHours.toFixed(1)} agent-hours idle before releases = ${money(idleCost)}`,
);
console.log(
  `floor: the limit with every bring-up a ${bringUpSec} s resume ${money(everythingElse.cost)} + that idle ${money(idleCost)} = ${money(total)} (${(total / cheapest.cost).toFixed(2)}× ${cheapest.name}); ${money(cheapest.cost - total)} left for all other overhead`,
);
console.log(
  `floor with the pool priced (a resume needs an instance freed earlier and pays its volume while stopped, else a ${coldBringUpSec} s cold boot; the same idle before releases): ${money(withPool.cost)} (${(withPool.cost / cheapest.cost).toFixed(2)}× ${cheapest.name}); ${money(cheapest.cost - withPool.cost)} left for all other overhead`,
);
console.log(
  `elastic-ci: p95 ${elasticCi.waitSec.p95.toFixed(1)} s at ${money(elasticCi.cost.total)} = the limit ${money(everythingElse.cost)} + ${money(elasticCi.cost.total - everythingElse.cost)} of overhead`,
);
