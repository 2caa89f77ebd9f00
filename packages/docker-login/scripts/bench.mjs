#!/usr/bin/env node
// Hook latency of the bundled CLI: every CI job pays it in its environment, pre-command and pre-exit hooks.
// Measures wall time of whole processes (Node start-up + bundle load + work), median and p95 over N runs.
// Run after `pnpm build`: `pnpm bench` (or `node scripts/bench.mjs [runs]`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const runs = Number(process.argv[2] ?? 20);

function measure(name, argv, env, script = cli) {
  const times = [];
  for (let run = 0; run < runs; run += 1) {
    const start = process.hrtime.bigint();
    execFileSync(process.execPath, [script, ...argv], { env: { PATH: process.env.PATH, ...env }, stdio: 'pipe' });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const p95 = times[Math.min(times.length - 1, Math.ceil(times.length * 0.95) - 1)];
  console.log(`${name}: median ${median.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms (${runs} runs)`);
  return median;
}

const root = mkdtempSync(join(tmpdir(), 'docker-login-bench-'));
try {
  console.log(`bundle: ${(statSync(cli).size / 1024 / 1024).toFixed(2)} MB (${cli})`);
  // Bare Node start-up on this machine right now: the floor, so the helper's own cost can be read off under load.
  const emptyScript = join(root, 'empty.mjs');
  writeFileSync(emptyScript, '');
  const floor = measure('node (empty script, the floor)', [], {}, emptyScript);
  const help = measure('--help (start-up)', ['--help'], {});
  console.log(`start-up above bare node: ${(help - floor).toFixed(0)} ms`);
  measure('registry --no-verify (write config.json)', ['registry', '--no-verify'], {
    DOCKER_CONFIG: join(root, 'registry'),
    DOCKER_LOGIN_USER: 'bench',
    DOCKER_LOGIN_PASSWORD: 'bench-password',
    DOCKER_LOGIN_SERVER: 'registry.example.com',
  });
  measure('logout', ['logout'], { DOCKER_CONFIG: join(root, 'registry'), DOCKER_LOGIN_SERVER: 'registry.example.com' });
} finally {
  rmSync(root, { recursive: true, force: true });
}
