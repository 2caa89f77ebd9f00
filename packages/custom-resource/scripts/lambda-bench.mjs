// Measures a bundled Lambda handler: file size, and cold init (import of the bundle, which parses the
// configuration at module load) in fresh Node processes. Prints BENCHMARKS.md rows; `--append` appends them under
// the docs lock. Exits 1 when a figure misses its target, so a regression cannot pass silently.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const SIZE_TARGET_BYTES = 400 * 1024;
const COLD_INIT_TARGET_MS = 150;

/**
 * @param {{ packageName: string, packageDir: string, bundle: string, runs?: number, environment?: Record<string, string> }} options
 */
export function benchLambdaBundle(options) {
  const runs = options.runs ?? 15;
  const bundlePath = resolve(options.packageDir, options.bundle);
  if (!existsSync(bundlePath)) {
    console.error(`${bundlePath} does not exist: run \`pnpm build\` in ${options.packageDir} first`);
    process.exit(2);
  }
  const sizeBytes = statSync(bundlePath).size;
  // Wall time is what Lambda bills and waits for; CPU time (all threads) is what a loaded shared machine cannot
  // inflate by making the process wait for a core. Both are reported; the target is checked on both medians only
  // when the machine is quiet, else on CPU time (and the row says so).
  const probe = `const started = performance.now(); const cpu = process.cpuUsage(); await import(${JSON.stringify(pathToFileURL(bundlePath).href)}); const used = process.cpuUsage(cpu); process.stdout.write(JSON.stringify({ wall: performance.now() - started, cpu: (used.user + used.system) / 1000 }));`;
  const environment = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench-not-a-key',
    AWS_SECRET_ACCESS_KEY: 'bench-not-a-secret',
    AWS_LAMBDA_FUNCTION_NAME: options.packageName,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...options.environment,
  };
  const samples = [];
  // One extra first run warms the page cache, as a Lambda's code is on local disk before init.
  for (let run = 0; run <= runs; run += 1) {
    const child = spawnSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', probe], {
      env: environment,
      encoding: 'utf8',
    });
    if (child.status !== 0) {
      console.error(`importing ${bundlePath} failed:\n${child.stderr}`);
      process.exit(1);
    }
    if (run > 0) samples.push(JSON.parse(child.stdout));
  }
  const wall = summarise(samples.map((sample) => sample.wall));
  const cpu = summarise(samples.map((sample) => sample.cpu));
  const [loadAverage] = loadavg();
  const quiet = loadAverage < cpus().length;
  const judged = quiet ? Math.max(wall.median, cpu.median) : cpu.median;
  const date = new Date().toISOString().slice(0, 10);
  const command = `\`pnpm --filter ${options.packageName} bench\``;
  const rows = [
    `| ${options.packageName} | Lambda bundle \`${options.bundle}\` (one minified ESM file, AWS SDK inlined) | ${(sizeBytes / 1024).toFixed(1)} KB | ≤ 400 KB | ${command} | ${date} |`,
    `| ${options.packageName} | cold init: import of the bundle incl. config parse, median of ${runs} fresh Node ${process.versions.node} processes; wall ${wall.median.toFixed(1)} ms (p90 ${wall.p90.toFixed(1)}), CPU ${cpu.median.toFixed(1)} ms (p90 ${cpu.p90.toFixed(1)}); 1-min load ${loadAverage.toFixed(1)} on ${cpus().length} cores${quiet ? '' : ', so judged on CPU time'} | ${judged.toFixed(1)} ms | ≤ ${COLD_INIT_TARGET_MS} ms | ${command} | ${date} |`,
  ];
  console.log(rows.join('\n'));
  if (process.argv.includes('--append')) appendRows(options.packageDir, rows);
  const misses = [];
  if (sizeBytes > SIZE_TARGET_BYTES) misses.push(`bundle is ${sizeBytes} bytes, target ${SIZE_TARGET_BYTES}`);
  if (judged > COLD_INIT_TARGET_MS) misses.push(`cold init ${judged.toFixed(1)} ms, target ${COLD_INIT_TARGET_MS} ms`);
  if (misses.length > 0) {
    console.error(`target missed: ${misses.join('; ')}`);
    process.exit(1);
  }
}

/** @param {number[]} values */
function summarise(values) {
  const sorted = [...values].sort((left, right) => left - right);
  return {
    median: sorted[Math.floor(sorted.length / 2)],
    p90: sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.9) - 1)],
  };
}

function appendRows(packageDir, rows) {
  const repositoryRoot = resolve(packageDir, '..', '..');
  const file = join(mkdtempSync(join(tmpdir(), 'lambda-bench-')), 'rows.md');
  writeFileSync(file, `${rows.join('\n')}\n`);
  // One append under the shared lock: several helpers write BENCHMARKS.md at once.
  execFileSync('flock', ['/tmp/elastic-ci-docs.lock', '-c', `cat '${file}' >> BENCHMARKS.md`], {
    cwd: repositoryRoot,
    stdio: 'inherit',
  });
  console.log(`appended ${rows.length} rows to ${join(repositoryRoot, 'BENCHMARKS.md')}`);
}
