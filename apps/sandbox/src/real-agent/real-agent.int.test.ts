import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BuildkiteApiStandIn,
  findRepositoryRoot,
  type StandInEvent,
  startBuildkiteApiStandIn,
} from '@elastic-ci/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The strongest proof of the drain and the hooks: the buildkite-agent our users run (v3.138.3, built by
// scripts/install-buildkite-agent.sh in `make deps`) registers against the stand-in's agent API, runs jobs through the
// stack's real hooks, and is stopped by our real stop-agent-gracefully while a job runs. No timing is asserted: the
// test waits for events (stand-in events, log lines, process exits) with generous bounds, and a job is kept running
// by a gate file the test opens, not by a duration.

const AGENT_VERSION = '3.138.3';
const BOUND_MS = 120_000;
const TEST_TIMEOUT_MS = 2 * BOUND_MS;
const REGISTRATION_TOKEN = `canary-registration-token-${randomUUID()}`;
const repositoryRoot = findRepositoryRoot();
const hooksPath = join(repositoryRoot, 'packer/linux/conf/buildkite-agent/hooks');
const stopAgentGracefully = join(repositoryRoot, 'packages/lifecycled/dist/stop-agent-gracefully.js');
const agentBinary = join(
  process.env.ELASTIC_CI_TOOLS ?? join(homedir(), '.cache/elastic-ci/tools'),
  'bin/buildkite-agent',
);

describe('the real buildkite-agent against the stand-in, our hooks and stop-agent-gracefully', () => {
  let standIn: BuildkiteApiStandIn;
  let scratch: string;
  let agent: ChildProcess;
  let agentOutput = '';
  let agentExit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  const calls = () => (existsSync(join(scratch, 'calls')) ? readFileSync(join(scratch, 'calls'), 'utf8') : '');

  const within = <T>(what: string, promise: Promise<T>): Promise<T> =>
    Promise.race([
      promise,
      new Promise<T>((_, rejectBound) =>
        setTimeout(
          () => rejectBound(new Error(`${what} did not happen within ${BOUND_MS} ms; agent output:\n${agentOutput}`)),
          BOUND_MS,
        ).unref(),
      ),
    ]);

  const event = (type: StandInEvent['type'], jobId: string) =>
    within(
      `${type} for ${jobId}`,
      new Promise<StandInEvent>((resolveEvent) => {
        const stop = standIn.onEvent((entry) => {
          if (entry.type === type && entry.job?.id === jobId) {
            stop();
            resolveEvent(entry);
          }
        });
      }),
    );

  const agentLine = (text: string) =>
    within(
      `the agent line "${text}"`,
      new Promise<void>((resolveLine) => {
        const check = () => {
          if (!agentOutput.includes(text)) return;
          agent.stdout?.off('data', check);
          agent.stderr?.off('data', check);
          resolveLine();
        };
        agent.stdout?.on('data', check);
        agent.stderr?.on('data', check);
        check();
      }),
    );

  beforeAll(async () => {
    if (!existsSync(agentBinary)) {
      throw new Error(
        `buildkite-agent ${AGENT_VERSION} is not built at ${agentBinary}: run \`make deps\` ` +
          '(scripts/install-buildkite-agent.sh builds it from the Go module proxy once per machine)',
      );
    }
    if (!existsSync(stopAgentGracefully)) {
      throw new Error(`${stopAgentGracefully} is missing: run \`pnpm --filter @elastic-ci/lifecycled build\``);
    }
    scratch = mkdtempSync(join(tmpdir(), 'real-agent-'));
    for (const directory of ['bin', 'builds', 'sockets', 'stop-agent-state']) mkdirSync(join(scratch, directory));
    // The stack's settings as boot writes them, without AWS: no built-in plugin (secrets, ECR, docker-login) is on.
    writeFileSync(
      join(scratch, 'agent.env'),
      'BUILDKITE_STACK_NAME="sandbox"\nPLUGINS_ENABLED=""\nDOCKER_USERNS_REMAP="true"\n',
    );
    // What the hooks call on an instance and this machine lacks: elastic-ci-instance (its own tests cover it; here we
    // record that the hooks call it for the right job) and a Docker daemon (`docker ps`).
    for (const tool of ['elastic-ci-instance', 'docker']) {
      const path = join(scratch, 'bin', tool);
      writeFileSync(
        path,
        `#!/usr/bin/env bash\necho "${tool} $* \${BUILDKITE_JOB_ID:-}" >>"${join(scratch, 'calls')}"\n`,
      );
      chmodSync(path, 0o755);
    }

    standIn = await startBuildkiteApiStandIn({ registrationToken: REGISTRATION_TOKEN });
    // The agent's environment reaches the hooks; nothing of an outer Buildkite job may leak into it.
    const environment = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('BUILDKITE')),
    );
    agent = spawn(
      agentBinary,
      [
        'start',
        '--endpoint',
        standIn.endpoint,
        '--name',
        'real-agent-%spawn',
        '--tags',
        'queue=default',
        '--build-path',
        join(scratch, 'builds'),
        '--hooks-path',
        hooksPath,
        '--sockets-path',
        join(scratch, 'sockets'),
        '--no-plugins',
        // No network here for a git clone; the job still runs in its checkout directory.
        '--skip-checkout',
        '--no-ssh-keyscan',
        '--no-color',
        '--ping-mode',
        'poll-only',
      ],
      {
        env: {
          ...environment,
          BUILDKITE_AGENT_TOKEN: REGISTRATION_TOKEN,
          PATH: `${join(scratch, 'bin')}:${process.env.PATH ?? ''}`,
          ELASTIC_CI_AGENT_ENV: join(scratch, 'agent.env'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    agent.stdout?.on('data', (chunk: Buffer) => {
      agentOutput += chunk.toString();
    });
    agent.stderr?.on('data', (chunk: Buffer) => {
      agentOutput += chunk.toString();
    });
    agentExit = new Promise((resolveExit) => agent.once('exit', (code, signal) => resolveExit({ code, signal })));
    await agentLine('Waiting for instructions');
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    // The agent leads its own process group: a failed test also kills the job it was running.
    if (agent?.pid !== undefined) {
      try {
        process.kill(-agent.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await standIn?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it(
    'registers the real agent, which runs a job through the environment and pre-exit hooks and reports exit status 0 and its log',
    async () => {
      // Prepare
      const jobId = randomUUID();
      const finished = event('job.finished', jobId);

      // Act
      standIn.addJob({ id: jobId, queue: 'default', command: 'echo "hello from job $BUILDKITE_JOB_ID"' });
      await finished;

      // Assess
      const job = standIn.jobs().find((entry) => entry.id === jobId);
      expect(job).toMatchObject({ state: 'finished', exitStatus: 0, interrupted: false });
      expect(job?.log).toContain('Setting up the Elastic CI Stack environment');
      expect(job?.log).toContain(`hello from job ${jobId}`);
      expect(calls()).toContain(`elastic-ci-instance job-started ${jobId}`);
      expect(calls()).toContain(`elastic-ci-instance job-finished ${jobId}`);
      expect(standIn.agents()).toMatchObject([{ name: 'real-agent-1', state: 'connected', version: AGENT_VERSION }]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'is stopped by stop-agent-gracefully while a job runs: the job finishes with its own exit status, then the agent exits',
    async () => {
      // Prepare: a job that runs until the test opens its gate
      const jobId = randomUUID();
      const gate = join(scratch, 'gate');
      const started = event('job.started', jobId);
      const finished = event('job.finished', jobId);
      standIn.addJob({
        id: jobId,
        queue: 'default',
        command: `while [ ! -e ${gate} ]; do sleep 0.1; done; echo "drained without interruption"`,
      });
      await started;
      const pidFile = join(scratch, 'agent.pid');
      writeFileSync(pidFile, `${agent.pid}\n`);

      // Act
      const handler = spawn(
        process.execPath,
        [stopAgentGracefully, 'autoscaling:EC2_INSTANCE_TERMINATING', 'i-0123456789abcdef0'],
        {
          env: {
            ...process.env,
            STOP_AGENT_PID_FILE: pidFile,
            STOP_AGENT_STATE_DIR: join(scratch, 'stop-agent-state'),
            STOP_AGENT_POLL_INTERVAL: '200ms',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let handlerOutput = '';
      handler.stdout?.on('data', (chunk: Buffer) => {
        handlerOutput += chunk.toString();
      });
      handler.stderr?.on('data', (chunk: Buffer) => {
        handlerOutput += chunk.toString();
      });
      const handlerExit = new Promise<number | null>((resolveExit) =>
        handler.once('exit', (code) => resolveExit(code)),
      );
      await agentLine('Gracefully stopping agent. Waiting for current job to finish before disconnecting');
      const stateWhileDraining = standIn.jobs().find((entry) => entry.id === jobId)?.state;
      const handlerRunningWhileDraining = handler.exitCode === null;
      writeFileSync(gate, '');
      await finished;
      const handlerCode = await within('stop-agent-gracefully exiting', handlerExit);
      const exit = await within('the agent exiting', agentExit);

      // Assess
      expect(stateWhileDraining).toBe('running');
      expect(handlerRunningWhileDraining).toBe(true);
      const job = standIn.jobs().find((entry) => entry.id === jobId);
      expect(job).toMatchObject({ state: 'finished', exitStatus: 0, interrupted: false });
      expect(job?.signal).toBeUndefined();
      expect(job?.log).toContain('drained without interruption');
      expect(calls()).toContain(`elastic-ci-instance job-finished ${jobId}`);
      expect(handlerCode, handlerOutput).toBe(0);
      expect(exit.code).toBe(0);
      expect(standIn.agents()[0]?.state).toBe('disconnected');
      expect(agentOutput).not.toContain(REGISTRATION_TOKEN);
      expect(handlerOutput).not.toContain(REGISTRATION_TOKEN);
      expect(
        standIn
          .jobs()
          .map((entry) => entry.log)
          .join(''),
      ).not.toContain(REGISTRATION_TOKEN);
    },
    TEST_TIMEOUT_MS,
  );
});
