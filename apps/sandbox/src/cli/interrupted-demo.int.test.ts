import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { processesOfRun, processesOfRunListed, type RunProcess, startDemoCli } from './demo-cli-process';

// Ceilings only (never asserted as durations): the shared 2-core machine may be slow to start the world or stop it.
const WORLD_RUNNING_CEILING_MS = 240_000;
const TEARDOWN_CEILING_MS = 60_000;
const LOOK_EVERY_MS = 200;

const isLifecycled = (candidate: RunProcess) => /\/lifecycled\.js(\s|$)/.test(candidate.command);
const isLambdaContainer = (candidate: RunProcess) => candidate.command.includes('lambda-runtime.mjs');

/** Looks at the run's processes until `done` holds or `giveUp` does (then undefined), at most `ceilingMs`. */
async function lookUntil(
  runId: string,
  done: (processes: RunProcess[]) => boolean,
  giveUp: () => boolean,
  ceilingMs: number,
): Promise<RunProcess[] | undefined> {
  const deadline = Date.now() + ceilingMs;
  for (;;) {
    const processes = processesOfRun(runId);
    if (done(processes)) return processes;
    if (giveUp() || Date.now() > deadline) return undefined;
    await sleep(LOOK_EVERY_MS);
  }
}

describe('elastic-ci-sandbox demo stopped by Ctrl-C', () => {
  it('exits 130 once the world runs (lifecycled and a Lambda container up), and leaves no process of the run behind', {
    timeout: WORLD_RUNNING_CEILING_MS + TEARDOWN_CEILING_MS + 60_000,
  }, async () => {
    // Arrange: the first hour of the bundled trace, long enough that the fleet scales out before the replay ends.
    const dir = mkdtempSync(join(tmpdir(), 'demo-interrupted-'));
    const runId = randomUUID();
    const demo = startDemoCli(
      ['--duration', '60m', '--log-dir', join(dir, 'logs'), '--chart', join(dir, 'c.svg')],
      runId,
    );

    // Wait until the world really runs: a host's real lifecycled and a container of a real scaler bundle.
    const running = await lookUntil(
      runId,
      (processes) => processes.some(isLifecycled) && processes.some(isLambdaContainer),
      () => demo.exited(),
      WORLD_RUNNING_CEILING_MS,
    );
    if (running === undefined) {
      demo.kill('SIGKILL');
      const early = await demo.finished;
      expect.fail(`the world never ran lifecycled and a Lambda container (exit ${early.code}):\n${early.stderr}`);
    }
    // moto inherits the CLI's environment, the hosts and the containers get the label from the sandbox: all carry it.
    expect(running.some((candidate) => candidate.command.includes('moto_server'))).toBe(true);

    // Act: Ctrl-C, as a person stopping make demo.
    demo.kill('SIGINT');
    const result = await demo.finished;

    // Assess: the documented exit, no internal error, and nothing of the run left once the teardown had its time.
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain('every process the sandbox started is stopped');
    expect(result.stderr).not.toContain('internal error');
    await lookUntil(
      runId,
      (processes) => processes.length === 0,
      () => false,
      TEARDOWN_CEILING_MS,
    );
    expect(processesOfRunListed(runId)).toEqual([]);
  });
});
