import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesOfRunListed, runDemoCli, shortDemoArgs } from './demo-cli-process';

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
    const runId = randomUUID();

    // Act
    const result = await runDemoCli(['--trace', join(dir, 'trace.jsonl'), '--policy', join(dir, 'policy.json')], runId);

    // Assess
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('trace.jsonl');
    expect(result.stderr).toContain('line 2');
    expect(result.stderr).toContain('policy.json: invalid policy');
    expect(result.stderr).toContain('fleet.minSize');
    expect(processesOfRunListed(runId)).toEqual([]);
  });

  it('exits 2 when moto is missing, says how to get it, and stops everything it started', {
    timeout: 180_000,
  }, async () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'demo-no-moto-'));
    const runId = randomUUID();

    // Act
    const result = await runDemoCli(shortDemoArgs(dir), runId, {
      ELASTIC_CI_MOTO_SERVER: join(dir, 'no-such-moto_server'),
    });

    // Assess
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('the sandbox could not start: moto server not found at');
    expect(result.stderr).toContain('make test');
    expect(result.stderr).not.toContain('internal error');
    expect(processesOfRunListed(runId)).toEqual([]);
  });
});
