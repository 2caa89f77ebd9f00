import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FakeClock } from '@elastic-ci/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentPort, Systemctl } from './agent-process';
import { runStopAgent, TRANSIENT_RETRY_WINDOW_MS } from './run-stop-agent';
import { type FakeAgent, startFakeAgent } from './test-support/fake-agent';
import { captureStream, temporaryDirectory } from './test-support/harness';

let agent: FakeAgent | undefined;

afterEach(() => {
  agent?.kill();
  agent = undefined;
});

/** An agent port whose process "exits" when the test says so; records what reached it as signals. */
function scriptedAgent(pid: number | undefined) {
  const signals: string[] = [];
  let alive = pid !== undefined;
  const port: AgentPort = {
    description: 'scripted agent',
    mainPid: async () => pid,
    isAlive: () => alive,
    stopGracefully: async () => {
      signals.push('SIGTERM');
    },
    cancelJobs: async () => {
      signals.push('SIGQUIT');
    },
  };
  return { port, signals, exit: () => (alive = false) };
}

function io(argv: string[], env: Record<string, string>, extra: Partial<Parameters<typeof runStopAgent>[0]> = {}) {
  const stdout = captureStream();
  const stderr = captureStream();
  return { stdout, stderr, run: runStopAgent({ argv, env, stdout: stdout.stream, stderr: stderr.stream, ...extra }) };
}

describe('Function: runStopAgent', () => {
  it('SIGTERMs a real agent process once and waits for its job to finish', async () => {
    // Prepare
    const directory = temporaryDirectory();
    agent = await startFakeAgent({ directory, jobMs: 300 });

    // Act
    const { run, stdout } = io(['autoscaling:EC2_INSTANCE_TERMINATING', 'i-0123456789abcdef0'], {
      STOP_AGENT_PID_FILE: agent.pidFile,
      STOP_AGENT_POLL_INTERVAL: '20ms',
      STOP_AGENT_STATE_DIR: join(directory, 'state'),
    });
    const exitCode = await run;

    // Assess
    expect(exitCode).toBe(0);
    expect(agent.events().map((event) => event.event)).toEqual(['job-started', 'sigterm', 'job-finished']);
    expect(stdout.entries().at(-1)).toMatchObject({ msg: 'Agent stopped', handler: 'stop-agent-gracefully' });
  });

  it('does not SIGTERM an agent a second time after a restart, which would cancel its job', async () => {
    // Prepare
    const directory = temporaryDirectory();
    const first = scriptedAgent(4242);
    const second = scriptedAgent(4242);
    const clock = new FakeClock(0);
    const env = { STOP_AGENT_STATE_DIR: join(directory, 'state'), STOP_AGENT_POLL_INTERVAL: '1s' };
    const args = ['autoscaling:EC2_INSTANCE_TERMINATING', 'i-0123456789abcdef0'];
    const firstRun = io(args, env, { agent: first.port, clock }).run;
    while (clock.pendingSleeps === 0) await new Promise((resolveWait) => setImmediate(resolveWait));

    // Act
    const secondRun = io(args, env, { agent: second.port, clock }).run;
    await clock.advance(5_000);
    first.exit();
    second.exit();
    await clock.advance(1_000);

    // Assess
    expect(await firstRun).toBe(0);
    expect(await secondRun).toBe(0);
    expect(first.signals).toEqual(['SIGTERM']);
    expect(second.signals).toEqual([]);
    expect(readdirSync(join(directory, 'state'))).toEqual(['agent-sigterm-sent-4242']);
  });

  it('SIGQUITs 20 s before the spot deadline by default', async () => {
    // Prepare
    const clock = new FakeClock(Date.parse('2026-11-23T12:00:00Z'));
    const scripted = scriptedAgent(4243);
    const running = io(
      ['ec2:SPOT_INSTANCE_TERMINATION', 'i-0123456789abcdef0', '2026-11-23T12:02:00Z'],
      { STOP_AGENT_STATE_DIR: join(temporaryDirectory(), 'state') },
      { agent: scripted.port, clock },
    ).run;
    // The SIGTERM marker is written with real file I/O before the first sleep.
    while (clock.pendingSleeps === 0) await new Promise((resolveWait) => setImmediate(resolveWait));

    // Act
    await clock.advance(99_000);
    const beforeLead = [...scripted.signals];
    await clock.advance(1_000);
    const atLead = [...scripted.signals];
    scripted.exit();
    await clock.advance(1_000);

    // Assess
    expect(beforeLead).toEqual(['SIGTERM']);
    expect(atLead).toEqual(['SIGTERM', 'SIGQUIT']);
    expect(await running).toBe(0);
  });

  it('joins a running drain without a second SIGTERM and SIGQUITs before the spot deadline', async () => {
    // Prepare
    const clock = new FakeClock(Date.parse('2026-11-23T12:00:00Z'));
    const scripted = scriptedAgent(4244);
    const running = io(
      ['ec2:SPOT_INSTANCE_TERMINATION', 'i-0123456789abcdef0', '2026-11-23T12:02:00Z'],
      {
        STOP_AGENT_STATE_DIR: join(temporaryDirectory(), 'state'),
        STOP_AGENT_SIGQUIT_LEAD: '30s',
        LIFECYCLED_DRAIN_IN_PROGRESS: 'lifecycle-state',
      },
      { agent: scripted.port, clock },
    ).run;
    while (clock.pendingSleeps === 0) await new Promise((resolveWait) => setImmediate(resolveWait));

    // Act
    await clock.advance(89_000);
    const beforeLead = [...scripted.signals];
    await clock.advance(1_000);
    const atLead = [...scripted.signals];
    scripted.exit();
    await clock.advance(1_000);

    // Assess
    expect(beforeLead).toEqual([]);
    expect(atLead).toEqual(['SIGQUIT']);
    expect(await running).toBe(0);
  });

  it('does nothing for informational transitions or when the agent is not running', async () => {
    // Prepare
    const notRunning = scriptedAgent(undefined);

    // Act
    const report = await io(['autoscaling:TARGET_LIFECYCLE_STATE', 'i-0123456789abcdef0', 'InService'], {}).run;
    const absent = await io(
      ['autoscaling:EC2_INSTANCE_TERMINATING', 'i-0123456789abcdef0'],
      {},
      { agent: notRunning.port },
    ).run;
    const pidFileMissing = await io(['autoscaling:EC2_INSTANCE_TERMINATING', 'i-0123456789abcdef0'], {
      STOP_AGENT_PID_FILE: join(temporaryDirectory(), 'missing.pid'),
    }).run;

    // Assess
    expect([report, absent, pidFileMissing]).toEqual([0, 0, 0]);
    expect(notRunning.signals).toEqual([]);
  });

  it('exits 2 naming every bad argument and variable', async () => {
    // Act
    const missing = io([], { STOP_AGENT_SIGQUIT_LEAD: 'soon' });
    const badTime = io(['ec2:SPOT_INSTANCE_TERMINATION', 'i-0123456789abcdef0', 'tomorrow'], {});

    // Assess
    expect(await missing.run).toBe(2);
    expect(missing.stderr.text()).toMatch(/argument 1 \(transition\) is missing/);
    expect(missing.stderr.text()).toMatch(/argument 2 \(instance ID\) is missing/);
    expect(missing.stderr.text()).toMatch(/STOP_AGENT_SIGQUIT_LEAD: "soon" is not a duration/);
    expect(await badTime.run).toBe(2);
    expect(badTime.stderr.text()).toMatch(/argument 3 \(termination time\)/);
  });

  it('fails with exit 1 when the agent cannot be found', async () => {
    // Prepare
    const broken: AgentPort = {
      description: 'broken',
      mainPid: async () => {
        throw new Error('systemctl: command not found');
      },
      isAlive: () => false,
      stopGracefully: async () => undefined,
      cancelJobs: async () => undefined,
    };

    // Act
    const { run, stdout } = io(['autoscaling:EC2_INSTANCE_TERMINATING', 'i-0123456789abcdef0'], {}, { agent: broken });

    // Assess
    expect(await run).toBe(1);
    expect(stdout.entries().at(-1)).toMatchObject({ level: 'error', msg: 'Failed to stop the agent' });
    expect(existsSync('/run/lifecycled/agent-sigterm-sent-undefined')).toBe(false);
  });
});

/** A `systemctl` port that records its calls; `stop` does what systemd's stop job does to the agent (one SIGTERM). */
function recordingSystemctl(mainPid: () => number | undefined) {
  const calls: string[][] = [];
  const systemctl: Systemctl = async (args) => {
    calls.push([...args]);
    const pid = mainPid();
    if (args[0] === 'show') return `${pid ?? 0}\n`;
    if (args[0] === 'stop' && pid !== undefined && !calls.slice(0, -1).some((call) => call[0] === 'stop'))
      process.kill(pid, 'SIGTERM');
    return '';
  };
  return { systemctl, calls };
}

describe('Function: runStopAgent (systemd unit)', () => {
  it('stops the agent through the unit’s stop job, never with a SIGTERM of its own beside systemd’s', async () => {
    // Prepare
    const directory = temporaryDirectory();
    const running = await startFakeAgent({ directory, jobMs: 300 });
    agent = running;
    const recording = recordingSystemctl(() => running.process.pid);

    // Act
    const { run } = io(
      ['autoscaling:EC2_INSTANCE_TERMINATING', 'i-0123456789abcdef0'],
      { STOP_AGENT_POLL_INTERVAL: '20ms', STOP_AGENT_STATE_DIR: join(directory, 'state') },
      { systemctl: recording.systemctl },
    );
    const exitCode = await run;

    // Assess
    expect(exitCode).toBe(0);
    expect(recording.calls).toEqual([
      ['show', '--property=MainPID', '--value', 'buildkite-agent'],
      ['stop', '--no-block', 'buildkite-agent'],
    ]);
    expect(running.events().map((event) => event.event)).toEqual(['job-started', 'sigterm', 'job-finished']);
  });

  it('retries systemctl when it runs but fails (a D-Bus timeout), instead of failing the drain', async () => {
    // Prepare: a loaded host where systemctl's first calls time out on the bus. Failing here made lifecycled
    // complete the lifecycle action with the agent never told to stop: the instance went with its job.
    const directory = temporaryDirectory();
    const running = await startFakeAgent({ directory, jobMs: 300 });
    agent = running;
    const recording = recordingSystemctl(() => running.process.pid);
    const failures = new Map([
      ['show', 1],
      ['stop', 2],
    ]);
    const flaky: Systemctl = async (args) => {
      const left = failures.get(args[0] ?? '') ?? 0;
      if (left > 0) {
        failures.set(args[0] ?? '', left - 1);
        // What execFile rejects with when systemctl exits non-zero.
        throw Object.assign(new Error('Command failed: Failed to connect to bus: Connection timed out'), { code: 1 });
      }
      return recording.systemctl(args);
    };

    // Act
    const { run, stdout } = io(
      ['autoscaling:EC2_INSTANCE_TERMINATING', 'i-0123456789abcdef0'],
      { STOP_AGENT_POLL_INTERVAL: '20ms', STOP_AGENT_STATE_DIR: join(directory, 'state') },
      { systemctl: flaky },
    );
    const exitCode = await run;

    // Assess
    expect(exitCode).toBe(0);
    expect(recording.calls).toEqual([
      ['show', '--property=MainPID', '--value', 'buildkite-agent'],
      ['stop', '--no-block', 'buildkite-agent'],
    ]);
    expect(running.events().map((event) => event.event)).toEqual(['job-started', 'sigterm', 'job-finished']);
    expect(stdout.entries().filter((entry) => entry.msg === 'systemctl failed, retrying')).toHaveLength(3);
  });

  it('gives up with exit 1 once systemctl has kept failing for the whole retry window', async () => {
    // Prepare
    const clock = new FakeClock(0);
    const calls: string[][] = [];
    const alwaysFailing: Systemctl = async (args) => {
      calls.push([...args]);
      throw Object.assign(new Error('Command failed: Failed to connect to bus'), { code: 1 });
    };
    const { run, stdout } = io(
      ['autoscaling:EC2_INSTANCE_TERMINATING', 'i-0123456789abcdef0'],
      { STOP_AGENT_STATE_DIR: join(temporaryDirectory(), 'state') },
      { systemctl: alwaysFailing, clock },
    );
    let exitCode: number | undefined;
    void run.then((code) => {
      exitCode = code;
    });

    // Act
    for (let waitedMs = 0; exitCode === undefined && waitedMs <= TRANSIENT_RETRY_WINDOW_MS; waitedMs += 1_000) {
      while (clock.pendingSleeps === 0 && exitCode === undefined) {
        await new Promise((resolveWait) => setImmediate(resolveWait));
      }
      await clock.advance(1_000);
    }

    // Assess
    expect(await run).toBe(1);
    expect(calls).toHaveLength(TRANSIENT_RETRY_WINDOW_MS / 1_000 + 1);
    expect(stdout.entries().at(-1)).toMatchObject({ level: 'error', msg: 'Failed to stop the agent' });
  });

  it('SIGQUITs the unit’s main process through systemctl kill before the spot deadline', async () => {
    // Prepare
    const clock = new FakeClock(Date.parse('2026-11-23T12:00:00Z'));
    const mainProcess = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1e6)']);
    const exited = new Promise((resolveExit) => mainProcess.once('exit', resolveExit));
    const calls: string[][] = [];
    const systemctl: Systemctl = async (args) => {
      calls.push([...args]);
      return args[0] === 'show' ? `${mainProcess.pid}\n` : '';
    };
    const running = io(
      ['ec2:SPOT_INSTANCE_TERMINATION', 'i-0123456789abcdef0', '2026-11-23T12:02:00Z'],
      { STOP_AGENT_STATE_DIR: join(temporaryDirectory(), 'state'), STOP_AGENT_SYSTEMD_UNIT: 'agent@1' },
      { systemctl, clock },
    ).run;
    while (clock.pendingSleeps === 0) await new Promise((resolveWait) => setImmediate(resolveWait));

    // Act
    await clock.advance(100_000);
    mainProcess.kill('SIGKILL');
    await exited;
    await clock.advance(1_000);

    // Assess
    expect(await running).toBe(0);
    expect(calls).toEqual([
      ['show', '--property=MainPID', '--value', 'agent@1'],
      ['stop', '--no-block', 'agent@1'],
      ['kill', '--kill-who=main', '--signal=SIGQUIT', 'agent@1'],
    ]);
  });
});
