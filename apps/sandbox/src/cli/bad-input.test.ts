import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `elastic-ci-sandbox demo` from source as `make demo` would, every process it starts marked by `marker`. */
function runDemoCli(args: readonly string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolveRun, rejectRun) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/bin/sandbox.ts', 'demo', ...args], {
      cwd: packageDir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('error', rejectRun);
    child.once('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

/** Processes still alive whose environment carries `marker`: anything the demo started and did not stop. */
function processesMarkedWith(marker: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').includes(marker)) continue;
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      if (state === 'Z') continue;
      found.push(`${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}`);
    } catch {
      // Exited while being read.
    }
  }
  return found;
}

describe('elastic-ci-sandbox demo on bad input', () => {
  it('exits 2 on a trace and a policy that do not parse, naming each problem, and leaves no process behind', {
    timeout: 120_000,
  }, async () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'demo-bad-input-'));
    writeFileSync(
      join(dir, 'trace.jsonl'),
      '{"trace":"t","start":"2026-11-02T00:00:00Z","spanSec":60}\n{"job": broken\n',
    );
    writeFileSync(join(dir, 'policy.json'), '{"name": "p", "fleet": {"minSize": -1}}');
    const marker = randomUUID();

    // Act
    const result = await runDemoCli(['--trace', join(dir, 'trace.jsonl'), '--policy', join(dir, 'policy.json')], {
      ELASTIC_CI_DEMO_TEST_MARKER: marker,
    });

    // Assess
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('trace.jsonl');
    expect(result.stderr).toContain('line 2');
    expect(result.stderr).toContain('policy.json: invalid policy');
    expect(result.stderr).toContain('fleet.minSize');
    expect(processesMarkedWith(marker)).toEqual([]);
  });

  it('exits 2 when moto is missing, says how to get it, and stops everything it started', {
    timeout: 180_000,
  }, async () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'demo-no-moto-'));
    const marker = randomUUID();

    // Act
    const result = await runDemoCli(
      ['--duration', '10m', '--log-dir', join(dir, 'logs'), '--chart', join(dir, 'c.svg')],
      {
        ELASTIC_CI_MOTO_SERVER: join(dir, 'no-such-moto_server'),
        ELASTIC_CI_DEMO_TEST_MARKER: marker,
      },
    );

    // Assess
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('the sandbox could not start: moto server not found at');
    expect(result.stderr).toContain('make test');
    expect(result.stderr).not.toContain('internal error');
    expect(processesMarkedWith(marker)).toEqual([]);
  });

  it('exits 2 on a policy the stack refuses, after stopping the moto it had started', {
    timeout: 240_000,
  }, async () => {
    // Arrange: 100 agents per instance is a valid simulator policy, but apps/infra allows at most 64, which only the
    // synth (after moto is up) finds.
    const dir = mkdtempSync(join(tmpdir(), 'demo-refused-policy-'));
    writeFileSync(join(dir, 'policy.json'), '{"name": "crowded", "fleet": {"agentsPerInstance": 100}}');
    const marker = randomUUID();

    // Act
    const result = await runDemoCli(
      [
        '--policy',
        join(dir, 'policy.json'),
        '--duration',
        '10m',
        '--log-dir',
        join(dir, 'logs'),
        '--chart',
        join(dir, 'c.svg'),
      ],
      { ELASTIC_CI_DEMO_TEST_MARKER: marker },
    );

    // Assess
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('the policy cannot be deployed as a stack');
    expect(result.stderr).toContain('buildkite.agentsPerInstance: must be at most 64');
    expect(result.stderr).not.toContain('internal error');
    expect(processesMarkedWith(marker)).toEqual([]);
  });
});
