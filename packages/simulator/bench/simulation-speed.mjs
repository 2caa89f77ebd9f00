#!/usr/bin/env node
// Simulation speed: each preset over the bundled weekday-team trace (one week, ~16k jobs; target ≤ 5 s per policy).
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { comparePolicies, PRESET_NAMES, parseTrace, resolvePolicy } from '../dist/index.js';

const bundled = fileURLToPath(new URL('../traces/weekday-team.jsonl', import.meta.url));
const path = process.argv[2] ?? bundled;
const TARGET_MS = 5000;
const REPEATS = 3;

const parseStarted = performance.now();
const trace = parseTrace(readFileSync(path, 'utf8'), path);
const parseMs = performance.now() - parseStarted;
console.log(
  `trace ${trace.name}: ${trace.jobs.length} jobs, parsed in ${parseMs.toFixed(0)} ms (${cpus().length} CPUs, Node ${process.versions.node})`,
);

let failed = false;
for (const name of PRESET_NAMES) {
  const policy = resolvePolicy(name, (file) => readFileSync(file, 'utf8'));
  const times = [];
  for (let repeat = 0; repeat < REPEATS; repeat += 1) {
    times.push(comparePolicies({ trace, policies: [policy], seed: 1 })[0].elapsedMs);
  }
  const median = times.sort((a, b) => a - b)[Math.floor(REPEATS / 2)];
  const ok = median <= TARGET_MS;
  failed ||= !ok;
  console.log(
    `  ${name.padEnd(18)} median of ${REPEATS}: ${median.toFixed(0)} ms ${ok ? '≤' : '>'} ${TARGET_MS} ms target`,
  );
}
if (failed) {
  console.error('simulation speed: target missed');
  process.exitCode = 1;
}
