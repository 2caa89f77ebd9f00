import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesOfRunListed, runDemoCli, shortDemoArgs } from './demo-cli-process';

// An integration test: the refusal comes from the synth, which runs after moto started (and must be stopped).
describe('elastic-ci-sandbox demo on a policy the stack refuses', () => {
  it('exits 2 on a policy the stack refuses, after stopping the moto it had started', {
    timeout: 240_000,
  }, async () => {
    // Arrange: 100 agents per instance is a valid simulator policy, but apps/infra allows at most 64, which only the
    // synth (after moto is up) finds.
    const dir = mkdtempSync(join(tmpdir(), 'demo-refused-policy-'));
    writeFileSync(join(dir, 'policy.json'), '{"name": "crowded", "fleet": {"agentsPerInstance": 100}}');
    const runId = randomUUID();

    // Act
    const result = await runDemoCli(['--policy', join(dir, 'policy.json'), ...shortDemoArgs(dir)], runId);

    // Assess
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('the policy cannot be deployed as a stack');
    expect(result.stderr).toContain('buildkite.agentsPerInstance: must be at most 64');
    expect(result.stderr).not.toContain('internal error');
    expect(processesOfRunListed(runId)).toEqual([]);
  });
});

describe('elastic-ci-sandbox demo on a port in use', () => {
  it('exits 2 when the --moto-port asked for is taken, names the port and the fix, and leaves no process behind', {
    timeout: 180_000,
  }, async () => {
    // Arrange: something else (this test) listens on the port moto is asked to use.
    const occupier = createServer();
    await new Promise<void>((resolveListen) => occupier.listen(0, '127.0.0.1', () => resolveListen()));
    const { port } = occupier.address() as { port: number };
    const dir = mkdtempSync(join(tmpdir(), 'demo-port-in-use-'));
    const runId = randomUUID();

    try {
      // Act
      const result = await runDemoCli(['--moto-port', String(port), ...shortDemoArgs(dir)], runId);

      // Assess: one message, on stderr, naming the port and the fix; nothing left running.
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr.trim().split('\n')).toEqual([
        `elastic-ci-sandbox demo: the sandbox could not start: 127.0.0.1:${port} is already in use: stop the process listening there (find it with \`ss -ltnp\`), e.g. a sandbox left over from an earlier run, or choose another --moto-port (leave it out for a free port), then run again`,
      ]);
      expect(result.stdout).not.toContain('sandbox up');
      expect(processesOfRunListed(runId)).toEqual([]);
    } finally {
      await new Promise((resolveClose) => occupier.close(resolveClose));
    }
  });
});
