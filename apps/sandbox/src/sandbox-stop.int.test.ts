// The run's label and the sandbox's stop: every process it starts can be found by the label, and a stop resolves only
// once all of them are stopped, whoever started the stop first (Ctrl-C aborts the signal, and the demo then stops).
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesOfRun, processesOfRunListed } from './cli/demo-cli-process';
import { startSandbox } from './sandbox';

describe('startSandbox run label and stop', () => {
  it('labels moto and every process it starts with the run id, and a stop during an aborted stop waits for it', {
    timeout: 180_000,
  }, async () => {
    // Arrange: a label this test process does not carry, so only the sandbox can have put it in moto's environment.
    const runId = `sandbox-stop-${randomUUID()}`;
    const controller = new AbortController();
    const sandbox = await startSandbox({
      timeScale: 60,
      logDir: await mkdtemp(join(tmpdir(), 'sandbox-stop-')),
      runId,
      // No scheduled invocations: the set of processes stays what start() left running while it is compared.
      schedule: false,
      signal: controller.signal,
    });
    try {
      const started = sandbox.pids();
      const labelled = processesOfRun(runId);
      expect(sandbox.runId).toBe(runId);
      expect(labelled.some((candidate) => candidate.command.includes('moto_server'))).toBe(true);
      expect(started.length).toBeGreaterThan(0);
      expect(started.filter((pid) => !labelled.some((candidate) => candidate.pid === pid))).toEqual([]);

      // Act: the signal starts the stop (as Ctrl-C does), then the owner stops too and waits.
      controller.abort(new Error('stopped by SIGINT'));
      await sandbox.stop();

      // Assess: nothing of the run left the moment stop() resolved (no polling: it must have waited).
      expect(processesOfRunListed(runId)).toEqual([]);
    } finally {
      await sandbox.stop();
    }
  });
});
