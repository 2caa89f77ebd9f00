import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StandInEvent } from './buildkite-agent-api';
import { type BuildkiteApiStandIn, startBuildkiteApiStandIn } from './buildkite-api-stand-in';

// These tests spawn the real program. Nothing here measures time: they wait for events (stand-in events, log lines,
// process exit) with generous bounds, and a long job is made long by a gate file, not by a duration.
const BOUND_MS = 60_000;
const TEST_TIMEOUT_MS = 3 * BOUND_MS;
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

let work: string;
let program: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'simulated-agent-test-'));
  // Built from source here: the package's own dist is not rebuilt before its tests run.
  await build({
    config: false,
    entry: { 'simulated-agent': join(packageDir, 'src/simulated-agent.ts') },
    outDir: join(work, 'dist'),
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    silent: true,
    dts: false,
  });
  program = join(work, 'dist', 'simulated-agent.js');
}, TEST_TIMEOUT_MS);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

interface RunningAgent {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describe('Program: elastic-ci-simulated-agent', () => {
  let standIn: BuildkiteApiStandIn | undefined;
  const children: ChildProcess[] = [];

  afterEach(async () => {
    // Each agent leads its own process group, so a failed test also kills the job-started command it runs.
    for (const child of children.splice(0)) killGroup(child);
    await standIn?.close();
    standIn = undefined;
  });

  const start = (flags: string[]): RunningAgent => {
    const child = spawn(process.execPath, [program, ...flags], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.push(child);
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
      child.once('exit', (code, signal) => resolveExit({ code, signal })),
    );
    return { child, output: () => text, exited };
  };

  const within = <T>(what: string, promise: Promise<T>, output: () => string): Promise<T> =>
    Promise.race([
      promise,
      new Promise<T>((_, rejectBound) =>
        setTimeout(
          () => rejectBound(new Error(`${what} did not happen within ${BOUND_MS} ms; agent output:\n${output()}`)),
          BOUND_MS,
        ).unref(),
      ),
    ]);

  const nextEvent = (type: StandInEvent['type'], jobId?: string) =>
    new Promise<StandInEvent>((resolveEvent) => {
      const stop = standIn?.onEvent((event) => {
        if (event.type === type && (jobId === undefined || event.job?.id === jobId)) {
          stop?.();
          resolveEvent(event);
        }
      });
    });

  const lineIn = (agent: RunningAgent, text: string) =>
    within(
      `the line "${text}"`,
      new Promise<void>((resolveLine) => {
        const check = () => {
          if (agent.output().includes(text)) {
            agent.child.stdout?.off('data', check);
            resolveLine();
          }
        };
        agent.child.stdout?.on('data', check);
        check();
      }),
      agent.output,
    );

  const baseFlags = () => [
    '--endpoint',
    standIn?.endpoint ?? '',
    '--token',
    'registration-token',
    '--ping-interval-ms',
    '50',
  ];

  it(
    'registers, runs a job for its scaled duration with its own exit status, and runs the hooks with BUILDKITE_JOB_ID',
    async () => {
      // Prepare
      standIn = await startBuildkiteApiStandIn({ registrationToken: 'registration-token' });
      const hookLog = join(work, 'hooks.log');
      standIn.addJob({ id: 'job-ok', queue: 'builders', durationSec: 3, env: { SIMULATED_JOB_EXIT_STATUS: '0' } });
      standIn.addJob({ id: 'job-fails', queue: 'builders', durationSec: 3, env: { SIMULATED_JOB_EXIT_STATUS: '7' } });
      const finishedBoth = Promise.all([nextEvent('job.finished', 'job-ok'), nextEvent('job.finished', 'job-fails')]);

      // Act
      const agent = start([
        ...baseFlags(),
        '--name',
        'host-%spawn',
        '--tags',
        'queue=builders,stack=sandbox',
        '--time-scale',
        '30',
        '--on-job-started',
        `echo "started $BUILDKITE_JOB_ID" >> ${hookLog}`,
        '--on-job-finished',
        `echo "finished $BUILDKITE_JOB_ID" >> ${hookLog}`,
      ]);
      await within('both jobs finishing', finishedBoth, agent.output);
      agent.child.kill('SIGTERM');
      const exit = await within('exit', agent.exited, agent.output);

      // Assess
      expect(exit.code).toBe(0);
      const jobs = Object.fromEntries(standIn.jobs().map((job) => [job.id, job]));
      expect(jobs['job-ok']).toMatchObject({ state: 'finished', exitStatus: 0, interrupted: false });
      expect(jobs['job-ok']?.log).toContain('ran for 3 world seconds');
      expect(jobs['job-fails']).toMatchObject({ state: 'finished', exitStatus: 7, interrupted: false });
      expect(standIn.agents()).toMatchObject([
        { name: 'host-1', queue: 'builders', tags: { stack: 'sandbox' }, state: 'disconnected' },
      ]);
      expect(readFileSync(hookLog, 'utf8').split('\n').filter(Boolean)).toEqual([
        'started job-ok',
        'finished job-ok',
        'started job-fails',
        'finished job-fails',
      ]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'drains on SIGTERM: the running job finishes with its own exit status, no new job starts, then it disconnects and exits 0',
    async () => {
      // Prepare: the job holds in its job-started hook until the test opens the gate, so it is surely running at SIGTERM
      standIn = await startBuildkiteApiStandIn();
      const gate = join(work, 'drain-gate');
      const pidFile = join(work, 'drain.pid');
      standIn.addJob({ id: 'running', queue: 'default', durationSec: 0 });
      const started = nextEvent('job.started', 'running');
      const agent = start([
        ...baseFlags(),
        '--pid-file',
        pidFile,
        '--on-job-started',
        `while [ ! -e ${gate} ]; do sleep 0.05; done`,
      ]);
      await within('the job starting', started, agent.output);
      const pidWhileRunning = readFileSync(pidFile, 'utf8').trim();

      // Act
      agent.child.kill('SIGTERM');
      await lineIn(agent, 'Gracefully stopping');
      standIn.addJob({ id: 'after-sigterm', queue: 'default', durationSec: 0 });
      const stateAtSigterm = standIn.jobs().find((job) => job.id === 'running')?.state;
      writeFileSync(gate, '');
      const exit = await within('exit', agent.exited, agent.output);

      // Assess
      expect(pidWhileRunning).toBe(String(agent.child.pid));
      expect(stateAtSigterm).toBe('running');
      expect(exit.code).toBe(0);
      const jobs = Object.fromEntries(standIn.jobs().map((job) => [job.id, job]));
      expect(jobs.running).toMatchObject({ state: 'finished', exitStatus: 0, interrupted: false });
      expect(jobs['after-sigterm']?.state).toBe('scheduled');
      expect(standIn.agents()[0]?.state).toBe('disconnected');
      expect(existsSync(pidFile)).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'stays alive for lostAgentAfterMs while a long job-started command runs, because it polls the job state meanwhile',
    async () => {
      // Prepare: the agent counts as lost after 4 s of silence; its job-started command is held well past that
      const lostAgentAfterMs = 4000;
      standIn = await startBuildkiteApiStandIn({ lostAgentAfterMs });
      const gate = join(work, 'lost-gate');
      const lost: StandInEvent[] = [];
      standIn.onEvent((event) => {
        if (event.type === 'agent.lost') lost.push(event);
      });
      standIn.addJob({ id: 'held', queue: 'default', durationSec: 0 });
      const started = nextEvent('job.started', 'held');
      const finished = nextEvent('job.finished', 'held');
      const agent = start([...baseFlags(), '--on-job-started', `while [ ! -e ${gate} ]; do sleep 0.05; done`]);
      const startedAt = (await within('the job starting', started, agent.output)).at;

      // Act: open the gate only once a job-state poll came in after the silence limit was passed
      const polls = () => standIn?.requests.filter((request) => request.path.endsWith('/jobs/held')).length ?? 0;
      let pollsAtLimit: number | undefined;
      await within(
        'a job-state poll after the silence limit',
        new Promise<void>((resolvePoll) => {
          const timer = setInterval(() => {
            if (pollsAtLimit === undefined && Date.now() - startedAt > lostAgentAfterMs + 1000) pollsAtLimit = polls();
            if (lost.length > 0 || (pollsAtLimit !== undefined && polls() > pollsAtLimit)) {
              clearInterval(timer);
              resolvePoll();
            }
          }, 100);
        }),
        agent.output,
      );
      const agentStateWhileHeld = standIn.agents()[0]?.state;
      writeFileSync(gate, '');
      await within('the job finishing', finished, agent.output);
      agent.child.kill('SIGTERM');
      await within('exit', agent.exited, agent.output);

      // Assess
      expect(agentStateWhileHeld).toBe('connected');
      expect(lost).toEqual([]);
      expect(standIn.jobs()[0]).toMatchObject({ state: 'finished', exitStatus: 0, interrupted: false });
    },
    TEST_TIMEOUT_MS,
  );

  it.each([
    ['SIGQUIT', ['SIGQUIT']],
    ['a second SIGTERM', ['SIGTERM', 'SIGTERM']],
  ] as const)(
    'interrupts the running job on %s: it finishes with a signal, is recorded as interrupted, and the agent exits',
    async (_name, signals) => {
      // Prepare: an hour-long job, so only the signal can end it
      standIn = await startBuildkiteApiStandIn();
      standIn.addJob({ id: 'long', queue: 'default', durationSec: 3600 });
      const started = nextEvent('job.started', 'long');
      const agent = start(baseFlags());
      await within('the job starting', started, agent.output);

      // Act
      for (const signal of signals) {
        agent.child.kill(signal);
        if (signal === 'SIGTERM') await lineIn(agent, 'Gracefully stopping');
      }
      const exit = await within('exit', agent.exited, agent.output);

      // Assess
      expect(exit.code).toBe(0);
      expect(standIn.jobs()[0]).toMatchObject({
        state: 'finished',
        exitStatus: -1,
        signal: 'SIGTERM',
        signalReason: 'agent_stop',
        interrupted: true,
      });
      expect(standIn.agents()[0]?.state).toBe('disconnected');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'disconnects and exits 0 after all its agents were idle for the timeout, printing the real agent idle line',
    async () => {
      // Prepare
      standIn = await startBuildkiteApiStandIn();

      // Act: 30 world seconds at 30 world seconds per real second
      const agent = start([
        ...baseFlags(),
        '--spawn',
        '2',
        '--time-scale',
        '30',
        '--disconnect-after-idle-timeout',
        '30',
      ]);
      const exit = await within('idle exit', agent.exited, agent.output);

      // Assess
      expect(exit.code).toBe(0);
      expect(agent.output()).toMatch(
        / INFO {3}simulated-agent-\d All agents have been idle for at least 30s\. Disconnecting\.\.\./,
      );
      expect(
        standIn
          .agents()
          .map((entry) => [entry.name, entry.state])
          .sort(),
      ).toEqual([
        ['simulated-agent-1', 'disconnected'],
        ['simulated-agent-2', 'disconnected'],
      ]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'exits 2 naming every bad flag and its fix, without registering',
    async () => {
      // Prepare
      standIn = await startBuildkiteApiStandIn();

      // Act
      const agent = start(['--endpoint', 'not-a-url', '--spawn', '0', '--time-scale', '-1', '--bogus', 'x']);
      const exit = await within('exit', agent.exited, agent.output);

      // Assess
      expect(exit.code).toBe(2);
      expect(agent.output()).toContain('unknown flag --bogus');
      expect(agent.output()).toContain('--endpoint must be the agent API URL');
      expect(agent.output()).toContain('--token (or BUILDKITE_AGENT_TOKEN) is required');
      expect(agent.output()).toContain('--spawn "0" is invalid: use 1 – 64');
      expect(agent.output()).toContain('--time-scale "-1" is invalid');
      expect(standIn.agents()).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // The group is already gone.
  }
}
