import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeAgent, startFakeAgent } from './test-support/fake-agent';
import { temporaryDirectory } from './test-support/harness';

const handlerSource = fileURLToPath(new URL('./stop-agent-gracefully.ts', import.meta.url));
const fakeSystemctl = fileURLToPath(new URL('./test-support/fake-systemctl.sh', import.meta.url));

/** stop-agents' Run Command on a Linux instance (its `stopCommandFor('linux', 'buildkite-agent')`). */
const STOP_AGENTS_COMMAND = "systemctl stop --no-block 'buildkite-agent'";

const started: ChildProcess[] = [];
let agent: FakeAgent | undefined;

afterEach(() => {
  agent?.kill();
  agent = undefined;
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** An instance whose agent runs as the systemd unit `buildkite-agent`: a fake `systemctl` first on PATH. */
async function systemdInstance() {
  const directory = temporaryDirectory();
  const bin = join(directory, 'bin');
  const state = join(directory, 'systemd');
  mkdirSync(bin);
  mkdirSync(state);
  symlinkSync(fakeSystemctl, join(bin, 'systemctl'));
  // The job ends only when the test says so (no timer races the stops).
  agent = await startFakeAgent({ directory, jobMs: 3_600_000 });
  const env = {
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    FAKE_SYSTEMD_PID_FILE: agent.pidFile,
    FAKE_SYSTEMD_STATE_DIR: state,
    STOP_AGENT_STATE_DIR: join(directory, 'lifecycled'),
    STOP_AGENT_POLL_INTERVAL: '20ms',
  };
  const run = (argv: readonly string[]) => {
    const child = spawn(argv[0] as string, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    return { exited, output: () => output };
  };
  return {
    agent,
    /** lifecycled's default handler, as the daemon runs it on a termination notice. */
    stopAgentGracefully: () =>
      run([process.execPath, '--import', 'tsx', handlerSource, 'autoscaling:EC2_INSTANCE_TERMINATING', 'i-0a']),
    /** stop-agents' SSM Run Command (`AWS-RunShellScript`). */
    stopAgentsCommand: () => run(['sh', '-c', STOP_AGENTS_COMMAND]),
    systemctlCalls: () => readFileSync(join(state, 'systemctl-calls.log'), 'utf8').trim().split('\n'),
  };
}

/** Resolves once `condition` holds (events, not time; the bound only turns a hang into a clear failure). */
async function waitFor(condition: () => boolean, what: string, limitMs = 60_000): Promise<void> {
  for (const startedAt = Date.now(); !condition(); ) {
    if (Date.now() - startedAt > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 10));
  }
}

const handlerAskedForTheStop = (output: string) => output.includes('Sent SIGTERM: the agent finishes its running job');

describe('stop-agent-gracefully and stop-agents stopping one busy systemd agent', () => {
  it.each([
    ['stop-agents first, then lifecycled (stack update replacing the group)', 'stop-agents-first'],
    ['lifecycled first, then stop-agents', 'lifecycled-first'],
    ['both at once', 'concurrent'],
  ] as const)('%s: the agent gets exactly one SIGTERM and its job finishes', async (_title, order) => {
    // Prepare
    const instance = await systemdInstance();

    // Act
    let handler: ReturnType<typeof instance.stopAgentGracefully>;
    let command: ReturnType<typeof instance.stopAgentsCommand>;
    if (order === 'stop-agents-first') {
      command = instance.stopAgentsCommand();
      expect(await command.exited).toBe(0);
      handler = instance.stopAgentGracefully();
    } else if (order === 'lifecycled-first') {
      handler = instance.stopAgentGracefully();
      await waitFor(() => handlerAskedForTheStop(handler.output()), 'the handler to ask for the stop');
      command = instance.stopAgentsCommand();
    } else {
      handler = instance.stopAgentGracefully();
      command = instance.stopAgentsCommand();
    }
    await waitFor(() => handlerAskedForTheStop(handler.output()), 'the handler to ask for the stop');
    expect(await command.exited).toBe(0);
    // Both stop requests are done: any second SIGTERM has been sent, and is handled before the job's end.
    instance.agent.finishJob();
    const handlerExit = await handler.exited;

    // Assess
    expect(instance.agent.events().map((event) => event.event)).toEqual(['job-started', 'sigterm', 'job-finished']);
    expect(await instance.agent.exited).toBe(0);
    expect(handlerExit).toBe(0);
    expect(instance.systemctlCalls().filter((call) => call.startsWith('stop'))).toEqual([
      'stop --no-block buildkite-agent',
      'stop --no-block buildkite-agent',
    ]);
  });
});
