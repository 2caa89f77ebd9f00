#!/usr/bin/env node
// The scaling benchmark: every trace in a folder (default ../shared/traces from the repo root), the three presets
// side by side, ratios against buildkite-tuned, and whether elastic-ci meets the target on each trace.
// Usage: node packages/simulator/bench/scaling-benchmark.mjs [TRACES_DIR] [--seed N] [--markdown FILE]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildReport, comparePolicies, formatReport, parseTrace, resolvePolicy } from '../dist/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { seed: { type: 'string', default: '1' }, markdown: { type: 'string' } },
});
const tracesDir = resolve(positionals[0] ?? '../shared/traces');
const seed = Number(values.seed);
const POLICIES = ['buildkite-default', 'buildkite-tuned', 'elastic-ci'];
const BASELINE = 'buildkite-tuned';
const TARGET = { waitP95: 0.6, instanceHours: 1.0 };

let files;
try {
  files = readdirSync(tracesDir)
    .filter((name) => name.endsWith('.jsonl'))
    .sort();
} catch (error) {
  console.error(`bench:scaling: cannot read traces folder ${tracesDir}: ${error.message}`);
  process.exit(2);
}
if (files.length === 0) {
  console.error(`bench:scaling: no .jsonl traces in ${tracesDir}`);
  process.exit(2);
}

const policies = POLICIES.map((name) => resolvePolicy(name, (path) => readFileSync(path, 'utf8')));
const machine = () =>
  `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, load average ${loadavg()[0].toFixed(1)} at the end (timings are wall-clock and grow with load)`;
const sections = [];
const verdicts = [];
const timings = [];

for (const file of files) {
  const text = readFileSync(join(tracesDir, file), 'utf8');
  const trace = parseTrace(text, file);
  const runs = comparePolicies({ trace, policies, seed });
  const report = buildReport(
    trace,
    trace.queues[0] ?? 'default',
    seed,
    runs.map((run) => run.summary),
    BASELINE,
  );
  const table = formatReport(report);
  console.log(
    `${table}\n${runs.map((run) => `  ${run.policy.name}: simulated in ${run.elapsedMs.toFixed(0)} ms`).join('\n')}\n`,
  );
  sections.push({ file, table, runs });
  for (const run of runs)
    timings.push({ trace: trace.name, jobs: trace.jobs.length, policy: run.policy.name, ms: run.elapsedMs });

  const index = POLICIES.indexOf('elastic-ci');
  const ours = report.policies[index];
  const ratios = report.ratios[index];
  const misses = [];
  if (ratios.waitP95 === null || ratios.waitP95 > TARGET.waitP95)
    misses.push(`p95 wait ${ratios.waitP95 ?? '∞'}× > ${TARGET.waitP95}×`);
  if (ratios.instanceHours === null || ratios.instanceHours > TARGET.instanceHours)
    misses.push(`instance-hours ${ratios.instanceHours ?? '∞'}× > ${TARGET.instanceHours}×`);
  if (ours.interruptedJobs > 0) misses.push(`${ours.interruptedJobs} interrupted jobs`);
  verdicts.push({
    trace: trace.name,
    waitP95: ratios.waitP95,
    instanceHours: ratios.instanceHours,
    cost: ratios.cost,
    interrupted: ours.interruptedJobs,
    met: misses.length === 0,
    misses,
  });
}

const command = `pnpm bench:scaling  (node packages/simulator/bench/scaling-benchmark.mjs ${positionals[0] ?? '../shared/traces'} --seed ${seed})`;
console.log(
  `target for elastic-ci vs ${BASELINE}: p95 wait ≤ ${TARGET.waitP95}×, instance-hours ≤ ${TARGET.instanceHours}×, 0 interrupted jobs`,
);
for (const verdict of verdicts) {
  console.log(
    `  ${verdict.trace}: ${verdict.met ? 'met' : `NOT met (${verdict.misses.join('; ')})`} — p95 ${verdict.waitP95}×, instance-hours ${verdict.instanceHours}×, cost ${verdict.cost}×`,
  );
}
console.log(`machine: ${machine()}\ncommand: ${command}`);

if (values.markdown) {
  const date = new Date().toISOString().slice(0, 10);
  const lines = [
    '',
    '## Scaling benchmark',
    '',
    `Command: \`${command}\` — ${date}, seed ${seed}.`,
    `Machine: ${machine()}.`,
    '',
    `Each trace in \`../shared/traces\` is simulated under the three presets (see \`packages/simulator/README.md\` for`,
    'the model and the dispatch rule). Ratios are against `buildkite-tuned`. Target for `elastic-ci`: p95 wait ≤ 0.6× at',
    '≤ 1.0× instance-hours, 0 interrupted jobs. Cost includes EBS for stopped warm-pool instances (instance-hours do not).',
    '',
    `| trace | p95 wait vs tuned | instance-hours vs tuned | cost vs tuned | interrupted | target |`,
    '| ----- | ----------------- | ----------------------- | ------------- | ----------- | ------ |',
    ...verdicts.map(
      (verdict) =>
        `| ${verdict.trace} | ${verdict.waitP95}× | ${verdict.instanceHours}× | ${verdict.cost}× | ${verdict.interrupted} | ${verdict.met ? 'met' : `not met: ${verdict.misses.join('; ')}`} |`,
    ),
    '',
    ...sections.flatMap((section) => ['```text', section.table, '```', '']),
    '| package | what | figure | target | command | date |',
    '| ------- | ---- | ------ | ------ | ------- | ---- |',
    ...timings.map(
      (timing) =>
        `| simulator | simulate ${timing.trace} (${timing.jobs} jobs), ${timing.policy} | ${(timing.ms / 1000).toFixed(2)} s | ${timing.trace === 'weekday-team' ? '≤ 5 s' : '—'} | \`pnpm bench:scaling\` | ${date} |`,
    ),
    '',
  ];
  writeFileSync(values.markdown, lines.join('\n'));
  console.log(`markdown section written to ${values.markdown}`);
}
