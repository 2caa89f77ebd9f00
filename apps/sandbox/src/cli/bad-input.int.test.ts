import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesMarkedWith, runDemoCli } from './demo-cli-process';

// An integration test: the refusal comes from the synth, which runs after moto started (and must be stopped).
describe('elastic-ci-sandbox demo on a policy the stack refuses', () => {
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
