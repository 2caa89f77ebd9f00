import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseTerminateArgs } from '../commands/terminate.js';
import { addBusyJob } from '../protection/busy-jobs.js';
import { protectionPaths } from '../protection/protection.js';
import { FakeInstanceControl, recordingLogger, SteppingClock, throttling } from '../protection/test-fakes.js';
import type { CommandRunner } from './command-runner.js';
import { decideTermination, logShowsIdleExit, type TerminationInput } from './decide-termination.js';
import { systemdAgentMainPid, type TerminateDeps, terminateAfterAgentExit } from './terminate.js';

const IDLE_LOG = 'agent started\nAll agents have been idle for 10m0s. Disconnecting...\nGood bye!\n';
const idleExit = { serviceResult: 'success', exitStatus: '0' };

let root: string;
let control: FakeInstanceControl;
let clock: SteppingClock;
let commands: string[][];
let lifecycleState: string | undefined;
let runningJobIds: Set<string>;

const runner: CommandRunner = async (program, args) => {
  commands.push([program, ...args]);
  return { exitCode: 0, stdout: '', stderr: '' };
};

function deps(overrides: Partial<TerminateDeps> = {}): TerminateDeps {
  return {
    root,
    clock,
    log: recordingLogger(),
    metadata: {
      instanceId: async () => 'i-0123456789abcdef0',
      region: async () => 'us-east-1',
      targetLifecycleState: async () => lifecycleState,
    },
    control,
    runner,
    isProcessAlive: () => false, // the agent has exited
    runningJobIds: async () => ({ ids: runningJobIds, complete: true }),
    bootId: 'boot-1',
    readAgentLog: async () => IDLE_LOG,
    terminateOnIdle: true,
    waitForJobsMs: 0,
    ...overrides,
  };
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'terminate-'));
  control = new FakeInstanceControl();
  clock = new SteppingClock();
  commands = [];
  lifecycleState = 'InService';
  runningJobIds = new Set();
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('terminate after the agent exited', () => {
  it('decrements desired capacity after an idle exit', async () => {
    expect(await terminateAfterAgentExit(idleExit, deps())).toEqual({ result: 'terminated-decrement' });
    expect(control.calls).toEqual([{ call: 'terminate', decrementDesiredCapacity: true }]);
  });

  it('marks the instance unhealthy (replaced, desired unchanged) after any other exit', async () => {
    const outcome = await terminateAfterAgentExit(
      { serviceResult: 'exit-code', exitStatus: '1' },
      deps({ readAgentLog: async () => 'panic: boom\n' }),
    );
    expect(outcome).toEqual({ result: 'marked-unhealthy' });
    expect(control.calls).toEqual([{ call: 'setUnhealthy' }]);
  });

  it('does not take a clean exit without the idle line for an idle exit (disconnect-after-job, graceful stop)', async () => {
    await terminateAfterAgentExit(idleExit, deps({ readAgentLog: async () => 'Disconnecting after job\n' }));
    expect(control.calls).toEqual([{ call: 'setUnhealthy' }]);
  });

  it('replaces rather than decrements when the log cannot be read', async () => {
    await terminateAfterAgentExit(
      idleExit,
      deps({ readAgentLog: async () => Promise.reject(new Error('no journal')) }),
    );
    expect(control.calls).toEqual([{ call: 'setUnhealthy' }]);
  });

  it('retries throttling, then falls back to marking unhealthy', async () => {
    control.failures.terminate = [throttling(), throttling(), throttling()];
    const outcome = await terminateAfterAgentExit(idleExit, deps({ attempts: 3 }));
    expect(outcome).toEqual({ result: 'marked-unhealthy' });
    expect(control.calls.map((call) => call.call)).toEqual(['terminate', 'terminate', 'terminate', 'setUnhealthy']);
  });

  it('powers off when it cannot leave the group at all', async () => {
    const denied = () => Object.assign(new Error('denied'), { name: 'AccessDenied' });
    control.failures.terminate = [denied()];
    control.failures.setUnhealthy = [denied()];
    expect(await terminateAfterAgentExit(idleExit, deps())).toEqual({ result: 'powered-off' });
    expect(commands).toEqual([['systemctl', 'poweroff']]);
  });

  it('falls back from unhealthy to terminate without decrement on a replacement', async () => {
    control.failures.setUnhealthy = [Object.assign(new Error('denied'), { name: 'AccessDenied' })];
    const outcome = await terminateAfterAgentExit({ serviceResult: 'signal', exitStatus: 'KILL' }, deps());
    expect(outcome).toEqual({ result: 'terminated-replace' });
    expect(control.calls).toEqual([{ call: 'setUnhealthy' }, { call: 'terminate', decrementDesiredCapacity: false }]);
  });

  it.each(['Warmed:Terminated', 'Terminated'])('does nothing when the target lifecycle state is %s', async (state) => {
    lifecycleState = state;
    expect(await terminateAfterAgentExit(idleExit, deps())).toEqual({ result: 'none' });
    expect(control.calls).toEqual([]);
    expect(commands).toEqual([]);
  });

  it.each(['Warmed:Stopped', 'Warmed:Hibernated', 'Warmed:Running'])(
    'stays in the group and arms the start-agent waiter again when the instance goes back into the pool (%s)',
    async (state) => {
      // lifecycled drained the agent for the return to the pool (its SIGTERM marker is there too).
      lifecycleState = state;
      await mkdir(join(root, 'run/lifecycled'), { recursive: true });
      await writeFile(join(root, 'run/lifecycled/agent-sigterm-sent-4242'), 'now\n');

      expect(await terminateAfterAgentExit(idleExit, deps())).toEqual({ result: 'awaiting-in-service' });
      expect(control.calls).toEqual([]);
      expect(commands).toEqual([['systemctl', '--no-block', 'restart', 'elastic-ci-start-agent.service']]);
    },
  );

  it('says so and fails when the start-agent waiter cannot be armed again', async () => {
    lifecycleState = 'Warmed:Hibernated';
    const failing: CommandRunner = async (program, args) => {
      commands.push([program, ...args]);
      return { exitCode: 1, stdout: '', stderr: 'Failed to restart' };
    };

    expect(await terminateAfterAgentExit(idleExit, deps({ runner: failing }))).toEqual({ result: 'await-failed' });
    expect(control.calls).toEqual([]);
  });

  it('does nothing when lifecycled is draining the instance', async () => {
    await mkdir(join(root, 'run/lifecycled'), { recursive: true });
    await writeFile(join(root, 'run/lifecycled/agent-sigterm-sent-1234'), 'x');
    expect(await terminateAfterAgentExit(idleExit, deps())).toEqual({ result: 'none' });
    expect(control.calls).toEqual([]);
  });

  it('takes only the SIGTERM marker of the agent run that just ended for a drain', async () => {
    // Back from a Warmed:Running or Warmed:Hibernated pool (no boot, /run kept), the marker of the drain that sent the
    // instance there is still in lifecycled's state directory: the agent started since (another pid) exits idle later.
    await mkdir(join(root, 'run/lifecycled'), { recursive: true });
    await writeFile(join(root, 'run/lifecycled/agent-sigterm-sent-1234'), 'x');
    const later = await terminateAfterAgentExit(idleExit, deps({ agentMainPid: async () => 5678 }));
    expect(later).toEqual({ result: 'terminated-decrement' });

    control.calls.length = 0;
    const drained = await terminateAfterAgentExit(idleExit, deps({ agentMainPid: async () => 1234 }));
    expect(drained).toEqual({ result: 'none' });
    expect(control.calls).toEqual([]);
  });

  it("reads the exited agent's pid from systemd, and nothing it cannot trust", async () => {
    const answering =
      (exitCode: number, stdout: string): CommandRunner =>
      async (program, args) => {
        commands.push([program, ...args]);
        return { exitCode, stdout, stderr: '' };
      };
    expect(await systemdAgentMainPid(answering(0, '4242\n'))()).toBe(4242);
    expect(commands).toEqual([['systemctl', 'show', '--property=ExecMainPID', '--value', 'buildkite-agent.service']]);
    expect(await systemdAgentMainPid(answering(0, '0\n'))()).toBeUndefined();
    expect(await systemdAgentMainPid(answering(1, '4242\n'))()).toBeUndefined();
  });

  it('refuses to act while a job still runs on the instance', async () => {
    await addBusyJob(protectionPaths(root).busyJobsDir, {
      jobId: 'job-a',
      agentPid: 4321,
      startedAt: '2026-01-05T09:00:00.000Z',
      bootId: 'boot-1',
    });
    runningJobIds.add('job-a');
    expect(await terminateAfterAgentExit(idleExit, deps())).toEqual({ result: 'refused-busy' });
    expect(control.calls).toEqual([]);
    expect(commands).toEqual([]);
  });

  it('waits for the last job to end, then acts', async () => {
    await addBusyJob(protectionPaths(root).busyJobsDir, {
      jobId: 'job-a',
      agentPid: 4321,
      startedAt: '2026-01-05T09:00:00.000Z',
      bootId: 'boot-1',
    });
    runningJobIds.add('job-a');
    let polls = 0;
    const outcome = await terminateAfterAgentExit(
      idleExit,
      deps({
        waitForJobsMs: Number.POSITIVE_INFINITY,
        runningJobIds: async () => {
          polls++;
          if (polls === 3) runningJobIds.clear(); // the job's processes end while we wait
          return { ids: new Set(runningJobIds), complete: true };
        },
      }),
    );
    expect(outcome).toEqual({ result: 'terminated-decrement' });
    expect(polls).toBe(3);
  });
});

describe('decideTermination', () => {
  const base: TerminationInput = {
    targetLifecycleState: 'InService',
    lifecycledDraining: false,
    runningJobs: 0,
    serviceResult: 'success',
    exitStatus: '0',
    idleLineSeen: true,
    terminateOnIdle: true,
  };
  it('decrements only for a clean idle exit with terminateOnIdle', () => {
    expect(decideTermination(base).action).toBe('terminate-decrement');
    expect(decideTermination({ ...base, terminateOnIdle: false }).action).toBe('replace');
    expect(decideTermination({ ...base, serviceResult: 'exit-code', exitStatus: '1' }).action).toBe('replace');
    expect(decideTermination({ ...base, serviceResult: undefined, exitStatus: '0' }).action).toBe(
      'terminate-decrement',
    );
    expect(decideTermination({ ...base, serviceResult: undefined, exitStatus: undefined }).action).toBe('replace');
    expect(decideTermination({ ...base, targetLifecycleState: undefined }).action).toBe('terminate-decrement');
  });
  it('finds the idle line only among the last lines', () => {
    expect(logShowsIdleExit(IDLE_LOG)).toBe(true);
    expect(logShowsIdleExit(`${IDLE_LOG}${'job output\n'.repeat(60)}`)).toBe(false);
    expect(logShowsIdleExit('')).toBe(false);
  });
  it("recognises the agent's own idle-disconnect lines, and not its other idle lines", () => {
    // As buildkite-agent v3 logs them: the older `%d seconds` form and the newer `at least %v` form (journal prefix
    // included); the per-agent debug line is written while other agents are still busy, so it must not count.
    expect(
      logShowsIdleExit(
        '2026-12-07 01:00:00 INFO   i-0abc-1 All agents have been idle for 600 seconds. Disconnecting...',
      ),
    ).toBe(true);
    expect(
      logShowsIdleExit(
        '2026-12-07 01:00:00 INFO   i-0abc-1 All agents have been idle for at least 10m0s. Disconnecting...',
      ),
    ).toBe(true);
    expect(
      logShowsIdleExit(
        "2026-12-07 01:00:00 DEBUG  i-0abc-1 Agent has been idle for 42 seconds, but other agents haven't",
      ),
    ).toBe(false);
    expect(logShowsIdleExit('2026-12-07 01:00:00 INFO   i-0abc-1 Disconnecting...')).toBe(false);
  });
  // Fixtures written here in the shape of the agent's journal lines; the message texts are the agent's, read in
  // github.com/buildkite/agent: agent/agent_worker.go at v3.50.0 (`%d seconds`), v3.100.0 (`%v`, a Go duration) and
  // v3.112.0 (`at least %v`), agent/agent_worker_action.go at v3.137.0 (the image's pinned agent) and v4.0.0-beta.15.
  it.each([
    [
      'v3.12.0 … v3.97.1',
      '2026-12-07 01:00:00 INFO   ci-i-0abc-1 All agents have been idle for 600 seconds. Disconnecting...',
    ],
    [
      'v3.97.2 … v3.111',
      '2026-12-07 01:00:00 INFO   ci-i-0abc-1 All agents have been idle for 10m0s. Disconnecting...',
    ],
    [
      'v3.97.2 … v3.111, hours',
      '2026-12-07 01:00:00 INFO   ci-i-0abc-2 All agents have been idle for 1h0m0s. Disconnecting...',
    ],
    [
      'v3.112 … v3.137',
      '2026-12-07 01:00:00 INFO   ci-i-0abc-1 All agents have been idle for at least 10m0s. Disconnecting...',
    ],
    [
      'v3.112 … v3.137, seconds',
      'Dec 07 01:00:00 ip-10-0-0-1 buildkite-agent[812]: 2026-12-07 01:00:00 INFO   ci-i-0abc-3 All agents have been idle for at least 45s. Disconnecting...',
    ],
    [
      '--log-format json',
      '{"ts":"2026-12-07T01:00:00Z","level":"INFO","msg":"All agents have been idle for at least 10m0s. Disconnecting...","agent":"ci-i-0abc-1"}',
    ],
  ])('takes the agent idle-disconnect line of %s for an idle exit', (_versions, line) => {
    expect(logShowsIdleExit(`agent started\n${line}\nDisconnected\n`)).toBe(true);
  });
  it.each([
    // Printed with the agent's usage on a flag error (clicommand/agent_start.go, v3.137.0): "idle", then "disconnecting".
    [
      'the flag usage text',
      '   --disconnect-after-idle-timeout value  The maximum idle time in seconds to wait for a job before disconnecting.',
    ],
    // v3.12.0 … v3.111: per-agent debug line while other agents are busy.
    [
      'the per-agent debug line',
      "2026-12-07 01:00:00 DEBUG  ci-i-0abc-1 Agent has been idle for 42 seconds, but other agents haven't",
    ],
    // v3.119+: disconnect-after-job turns a finished job into a synthetic idle action (debug).
    [
      'the disconnect-after-job debug line',
      '2026-12-07 01:00:00 DEBUG  ci-i-0abc-1 [runDebouncer] Job ran in disconnect-after-job mode; enqueueing a synthetic idle action',
    ],
    [
      'the disconnect-after-job line',
      '2026-12-07 01:00:00 INFO   ci-i-0abc-1 Job ran, and disconnect-after-job is enabled. Disconnecting...',
    ],
    ['the uptime line', '2026-12-07 01:00:00 INFO   ci-i-0abc-1 Agent has exceeded max uptime of 24h0m0s'],
  ])('does not take %s for an idle exit', (_what, line) => {
    expect(logShowsIdleExit(`${line}\nDisconnecting...\n`)).toBe(false);
  });
});

describe('terminate options', () => {
  it('reads systemd variables and flags', () => {
    expect(parseTerminateArgs(['--wait-for-jobs', '0'], { SERVICE_RESULT: 'success', EXIT_STATUS: '0' })).toEqual({
      serviceResult: 'success',
      exitStatus: '0',
      agentLog: undefined,
      waitForJobsMs: 0,
    });
    expect(parseTerminateArgs(['--exit-status=TERM', '--agent-log', '/x'], {})).toMatchObject({
      exitStatus: 'TERM',
      agentLog: '/x',
      waitForJobsMs: Number.POSITIVE_INFINITY,
    });
  });
  it('refuses bad options without echoing them', () => {
    expect(() => parseTerminateArgs(['--wait-for-jobs', 'soon'], {})).toThrow(/seconds/);
    expect(() => parseTerminateArgs(['--token=s3cr3t value'], {})).toThrow(/^unknown option --token$/);
    expect(() => parseTerminateArgs(['s3cr3t'], {})).toThrow(/^unknown option …$/);
    expect(() => parseTerminateArgs(['--agent-log'], {})).toThrow(/needs a value/);
  });
});
