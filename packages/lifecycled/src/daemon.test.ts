// moto implements neither CompleteLifecycleAction nor RecordLifecycleActionHeartbeat: these two calls go to
// aws-sdk-client-mock here (and to a recording stand-in in the process tests). Instance metadata is the IMDS stand-in.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  RecordLifecycleActionHeartbeatCommand,
} from '@aws-sdk/client-auto-scaling';
import { type RunningImdsStandIn, startImdsStandIn } from '@elastic-ci/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AutoScalingLifecycleAdapter, type GroupLookupPort } from './aws-adapters';
import type { InstanceBrokerClientFactory } from './instance-broker';
import { runLifecycled } from './run-lifecycled';
import { type FakeAgent, startFakeAgent } from './test-support/fake-agent';
import { FakeInstanceBrokerClient } from './test-support/fake-instance-broker-client';
import { captureStream, recordingHandler, temporaryDirectory } from './test-support/harness';

const INSTANCE_ID = 'i-0123456789abcdef0';
/** Must never appear in any output: the daemon passes its environment to the handler but never logs it. */
const CANARY_SECRET = 'canary-secret-6f1d2c9e-do-not-log';
const autoScaling = mockClient(AutoScalingClient);
const groupLookup: GroupLookupPort = {
  groupOfInstance: async () => 'agents',
  terminationHooks: async () => [
    { name: 'drain', heartbeatTimeoutSeconds: 300, globalTimeoutSeconds: undefined, defaultResult: 'CONTINUE' },
  ],
};

let standIn: RunningImdsStandIn;
let agent: FakeAgent | undefined;
let directory: string;
let completedAt: number[];
let heartbeatsAt: number[];

beforeEach(async () => {
  standIn = await startImdsStandIn({ instanceId: INSTANCE_ID });
  directory = temporaryDirectory();
  completedAt = [];
  heartbeatsAt = [];
  autoScaling.reset();
  autoScaling.on(CompleteLifecycleActionCommand).callsFake(async () => {
    completedAt.push(Date.now());
    return {};
  });
  autoScaling.on(RecordLifecycleActionHeartbeatCommand).callsFake(async () => {
    heartbeatsAt.push(Date.now());
    return {};
  });
});

afterEach(async () => {
  agent?.kill();
  agent = undefined;
  await standIn.close();
});

const FAST = [
  '--json',
  '--lifecycle-state-interval=20ms',
  '--spot-listener-interval=20ms',
  '--autoscaling-heartbeat-interval=100ms',
  '--imds-timeout=500ms',
];

function start(
  argv: string[],
  options: {
    stop?: AbortController;
    env?: Record<string, string>;
    groupLookup?: GroupLookupPort;
    /** With --instance-broker-url: the broker client the daemon makes (the Auto Scaling stand-in is not given). */
    instanceBrokerClient?: InstanceBrokerClientFactory;
  } = {},
) {
  const stderr = captureStream();
  const stdout = captureStream();
  const stop = options.stop ?? new AbortController();
  const exit = runLifecycled({
    argv: [...FAST, ...argv],
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: CANARY_SECRET,
      BUILDKITE_AGENT_TOKEN: CANARY_SECRET,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: standIn.endpoint,
      STOP_AGENT_STATE_DIR: join(directory, 'state'),
      STOP_AGENT_POLL_INTERVAL: '20ms',
      ...(agent ? { STOP_AGENT_PID_FILE: agent.pidFile } : {}),
      ...options.env,
    },
    stdout: stdout.stream,
    stderr: stderr.stream,
    stop: stop.signal,
    ...(options.instanceBrokerClient
      ? { instanceBrokerClient: options.instanceBrokerClient }
      : { lifecycleActions: new AutoScalingLifecycleAdapter(new AutoScalingClient({ region: 'us-east-1' })) }),
    groupLookup: options.groupLookup ?? groupLookup,
  });
  return { exit, logs: stderr.entries, output: () => stderr.text() + stdout.text(), stop };
}

/**
 * Resolves once `condition` holds, checked every 10 ms: tests wait for events, never for a fixed time. The limit
 * only turns a hang into a clear failure; it is far above anything a loaded machine needs.
 */
async function waitFor(condition: () => boolean, what: string, limitMs = 15_000): Promise<void> {
  for (const startedAt = Date.now(); !condition(); ) {
    if (Date.now() - startedAt > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 10));
  }
}

const stateReads = () => standIn.requests.filter((request) => request.path.endsWith('target-lifecycle-state')).length;

const completeCalls = () => autoScaling.commandCalls(CompleteLifecycleActionCommand).map((call) => call.args[0].input);

describe('Function: runLifecycled (target-lifecycle-state)', () => {
  it.each([
    ['terminated', 'Terminated'],
    // Scale-in under the pool's ReuseOnScaleIn: the termination hook holds it in Warmed:Pending:Wait, then it stops.
    ['returned to the warm pool', 'Warmed:Stopped'],
  ])(
    'lets the running job finish, heartbeating meanwhile, before completing the action exactly once (%s)',
    async (_label, target) => {
      // Prepare
      // The job ends when the test says so: after two heartbeats, however slow the machine.
      agent = await startFakeAgent({ directory, jobMs: 60_000 });
      standIn.setTargetLifecycleState('InService');
      const daemon = start(['--no-spot']);
      await waitFor(() => stateReads() >= 1, 'the first target-lifecycle-state read');

      // Act
      standIn.setTargetLifecycleState(target);
      await waitFor(() => agent?.events().some((event) => event.event === 'sigterm') === true, 'the agent SIGTERM');
      await waitFor(() => heartbeatsAt.length >= 2, 'two heartbeats during the drain');
      agent.finishJob();
      if (target === 'Terminated') {
        await daemon.exit;
      } else {
        // The instance stays in the group (and may come back InService without a boot): the daemon listens on
        // until it is stopped.
        await waitFor(
          () =>
            daemon
              .logs()
              .some(
                (entry) => entry.msg === 'Back into the warm pool: listening again for the next termination notice',
              ),
          'the daemon to listen again',
        );
        // The SIGTERM marker of the drained agent is gone: the agent that starts when the instance is InService again
        // is a new one, and a stale marker reads as "lifecycled is draining" to agent-instance's terminate.
        expect(readdirSync(join(directory, 'state')).filter((name) => name.startsWith('agent-sigterm-sent-'))).toEqual(
          [],
        );
        daemon.stop.abort();
      }
      const exitCode = await daemon.exit;

      // Assess
      expect(exitCode).toBe(0);
      const events = agent.events();
      expect(events.map((event) => event.event)).toEqual(['job-started', 'sigterm', 'job-finished']);
      const finishedAt = events.find((event) => event.event === 'job-finished')?.at ?? Number.NaN;
      expect(completedAt).toHaveLength(1);
      expect(completedAt[0]).toBeGreaterThanOrEqual(finishedAt);
      expect(heartbeatsAt.length).toBeGreaterThanOrEqual(2);
      expect(heartbeatsAt.every((beat) => beat <= (completedAt[0] ?? 0))).toBe(true);
      expect(completeCalls()).toEqual([
        {
          AutoScalingGroupName: 'agents',
          LifecycleHookName: 'drain',
          InstanceId: INSTANCE_ID,
          LifecycleActionResult: 'CONTINUE',
        },
      ]);
      const messages = daemon.logs().map((entry) => entry.msg);
      // The handler's own JSON lines arrive as structured entries, not as escaped strings.
      expect(
        daemon.logs().find((entry) => entry.msg === 'Sent SIGTERM: the agent finishes its running job, then exits'),
      ).toMatchObject({
        handler: 'stop-agent-gracefully',
        handlerOutput: 'stdout',
      });
      expect(messages).toContain('Handler finished successfully');
      expect(messages).toContain('Lifecycle action completed successfully');
      expect(daemon.output()).not.toContain(CANARY_SECRET);
      expect(messages.indexOf('Handler finished successfully')).toBeLessThan(
        messages.indexOf('Lifecycle action completed successfully'),
      );
    },
  );

  it('starts the handler without waiting for the group and hook lookup', async () => {
    // Prepare
    const handler = recordingHandler(directory);
    standIn.setTargetLifecycleState('Terminated');
    let lookupAnsweredAt = 0;
    // The lookup answers only once the handler has started: a daemon that waited for it first would never start the
    // handler, and the wait below would fail.
    const slowLookup: GroupLookupPort = {
      groupOfInstance: async () => {
        await waitFor(() => existsSync(handler.log), 'the handler to start while the lookup is pending');
        lookupAnsweredAt = Date.now();
        return 'agents';
      },
      terminationHooks: groupLookup.terminationHooks,
    };

    // Act
    const daemon = start(['--no-spot', `--handler=${handler.path}`], { groupLookup: slowLookup });
    const exitCode = await daemon.exit;

    // Assess
    expect(exitCode).toBe(0);
    const handlerStartedAt = (JSON.parse(readFileSync(handler.log, 'utf8').split('\n')[0] ?? '{}') as { at: number })
      .at;
    // Causal order: the lookup answered after it saw the handler's record (both clocks are this machine's).
    expect(handlerStartedAt).toBeLessThanOrEqual(lookupAnsweredAt);
    expect(completeCalls()).toHaveLength(1);
  });

  it('with --instance-broker-url, completes the action through the broker and never calls Auto Scaling', async () => {
    // Prepare
    const url = 'https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws/';
    const handler = recordingHandler(directory, { exitCode: 0 });
    const broker = new FakeInstanceBrokerClient(INSTANCE_ID);
    const made: Array<{ url: string; region: string }> = [];
    standIn.setTargetLifecycleState('Terminated');

    // Act
    const daemon = start(['--no-spot', `--handler=${handler.path}`, `--instance-broker-url=${url}`], {
      instanceBrokerClient: (options) => {
        made.push(options);
        return broker;
      },
    });
    const exitCode = await daemon.exit;

    // Assess
    expect(exitCode).toBe(0);
    expect(made).toEqual([{ url, region: 'us-east-1' }]);
    expect(broker.calls.at(-1)).toEqual({
      action: 'complete-lifecycle-action',
      autoScalingGroupName: 'agents',
      lifecycleHookName: 'drain',
      lifecycleActionResult: 'CONTINUE',
    });
    expect(completeCalls()).toEqual([]);
    expect(autoScaling.commandCalls(RecordLifecycleActionHeartbeatCommand)).toEqual([]);
    expect(daemon.logs().find((entry) => entry.msg === 'lifecycled starting')).toMatchObject({
      lifecycleActionsVia: 'instance-broker',
    });
    expect(daemon.output()).not.toContain(CANARY_SECRET);
  });

  it('still completes the action once, and logs a failure, when the handler fails', async () => {
    // Prepare
    const handler = recordingHandler(directory, { exitCode: 3 });
    standIn.setTargetLifecycleState('Terminated');

    // Act
    const daemon = start(['--no-spot', `--handler=${handler.path}`]);
    const exitCode = await daemon.exit;

    // Assess
    expect(exitCode).toBe(0);
    expect(completeCalls()).toHaveLength(1);
    const failure = daemon.logs().find((entry) => entry.msg === 'Handler failed');
    expect(failure).toMatchObject({ level: 'error', exitCode: 3 });
    expect(daemon.logs().some((entry) => entry.msg === 'Handler finished successfully')).toBe(false);
    expect(daemon.output()).not.toContain(CANARY_SECRET);
  });

  it('leaves the action pending when stopped mid-drain, and a restarted daemon completes it after the job', async () => {
    // Prepare
    // The job ends when the test says so: completing CONTINUE before that would terminate the instance under it.
    agent = await startFakeAgent({ directory, jobMs: 60_000 });
    standIn.setTargetLifecycleState('Terminated');
    const first = start(['--no-spot', '--handler-kill-timeout=1s']);
    await waitFor(() => agent?.events().some((event) => event.event === 'sigterm') === true, 'the agent SIGTERM');

    // Act
    first.stop.abort();
    const firstExit = await first.exit;
    const completesWhileTheJobRan = completeCalls().length;
    const restarted = start(['--no-spot']);
    await waitFor(() => heartbeatsAt.length >= 1, 'a heartbeat from the restarted daemon');
    agent.finishJob();
    const restartedExit = await restarted.exit;

    // Assess
    expect(firstExit).toBe(0);
    expect(completesWhileTheJobRan).toBe(0);
    expect(first.logs().find((entry) => entry.msg === 'Handler failed')).toMatchObject({ stoppedBySignal: true });
    expect(first.logs().find((entry) => String(entry.msg).startsWith('Stopped during the drain'))).toMatchObject({
      level: 'error',
    });
    expect(restartedExit).toBe(0);
    // One SIGTERM across both daemons (a second would cancel the job), and the job finished before the completion.
    const events = agent.events();
    expect(events.map((event) => event.event)).toEqual(['job-started', 'sigterm', 'job-finished']);
    const finishedAt = events.find((event) => event.event === 'job-finished')?.at ?? Number.NaN;
    expect(completedAt).toHaveLength(1);
    expect(completedAt[0]).toBeGreaterThanOrEqual(finishedAt);
  });

  it('reports warm-pool transitions to the handler and keeps listening until Terminated', async () => {
    // Prepare
    const handler = recordingHandler(directory);
    standIn.setTargetLifecycleState('Warmed:Stopped');
    const daemon = start(['--no-spot', `--handler=${handler.path}`]);
    const calls = () =>
      existsSync(handler.log)
        ? readFileSync(handler.log, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as { args: string[]; env: Record<string, string> })
        : [];
    const waitForCalls = (count: number) => waitFor(() => calls().length >= count, `${count} handler calls`);

    // Act
    await waitForCalls(1);
    standIn.setTargetLifecycleState('InService');
    await waitForCalls(2);
    standIn.setTargetLifecycleState('Terminated');
    const exitCode = await daemon.exit;

    // Assess
    expect(exitCode).toBe(0);
    expect(calls().map((call) => call.args)).toEqual([
      ['autoscaling:TARGET_LIFECYCLE_STATE', INSTANCE_ID, 'Warmed:Stopped'],
      ['autoscaling:TARGET_LIFECYCLE_STATE', INSTANCE_ID, 'InService'],
      ['autoscaling:EC2_INSTANCE_TERMINATING', INSTANCE_ID],
    ]);
    expect(calls()[1]?.env).toMatchObject({
      LIFECYCLED_TRANSITION: 'autoscaling:TARGET_LIFECYCLE_STATE',
      LIFECYCLED_TARGET_LIFECYCLE_STATE: 'InService',
      LIFECYCLED_PREVIOUS_LIFECYCLE_STATE: 'Warmed:Stopped',
      LIFECYCLED_INSTANCE_ID: INSTANCE_ID,
    });
    expect(completeCalls()).toHaveLength(1);
  });

  it('exits 0 without completing anything when stopped before any notice', async () => {
    // Prepare
    const daemon = start([]);
    await waitFor(() => standIn.requests.length >= 4, 'four metadata requests');

    // Act
    daemon.stop.abort();
    const exitCode = await daemon.exit;

    // Assess
    expect(exitCode).toBe(0);
    expect(completeCalls()).toEqual([]);
    expect(daemon.logs().at(-1)).toMatchObject({ msg: 'lifecycled exiting', result: 'stopped' });
  });
});

describe('Function: runLifecycled (spot)', () => {
  it('SIGTERMs the agent, then SIGQUITs it within the lead before the spot deadline', async () => {
    // Prepare: the notice appears only once the daemon is polling, and the SIGQUIT falls due 10 s after it (110 s
    // before the deadline): the graceful SIGTERM comes first as long as noticing and starting the handler take less
    // than that, which a loaded machine does not eat up (a notice already inside the lead is SIGQUIT at once, by
    // design). The exact SIGQUIT moment is proven with a fake clock in run-stop-agent.test.ts; here the order.
    agent = await startFakeAgent({ directory, jobMs: 60_000 });
    const daemon = start(['--no-lifecycle-state'], { env: { STOP_AGENT_SIGQUIT_LEAD: '110s' } });
    await waitFor(() => standIn.requests.length >= 2, 'the daemon polling instance metadata', 60_000);
    const deadline = new Date(Date.now() + 120_000).toISOString();
    standIn.setSpotInstanceAction({ action: 'terminate', time: deadline });

    // Act
    const exitCode = await daemon.exit;

    // Assess
    expect(exitCode).toBe(0);
    const events = agent.events();
    expect(events.map((event) => [event.event, event.reason])).toEqual([
      ['job-started', undefined],
      ['sigterm', undefined],
      ['job-cancelled', 'SIGQUIT'],
    ]);
    const cancelledAt = events.at(-1)?.at ?? 0;
    // Not before the lead (a machine's slowness only delays), and before the reclaim.
    expect(cancelledAt).toBeGreaterThanOrEqual(Date.parse(deadline) - 110_000);
    expect(cancelledAt).toBeLessThan(Date.parse(deadline));
    // Spot interruptions have no lifecycle action to hold the instance.
    expect(completeCalls()).toEqual([]);
    expect(daemon.logs().find((entry) => entry.msg === 'Executing handler')).toMatchObject({
      args: ['ec2:SPOT_INSTANCE_TERMINATION', INSTANCE_ID, deadline],
    });
  }, 120_000);

  it('reports a rebalance recommendation without draining', async () => {
    // Prepare
    const handler = recordingHandler(directory);
    standIn.setRebalanceRecommendation('2026-11-23T12:00:00Z');
    const daemon = start(['--no-lifecycle-state', `--handler=${handler.path}`]);
    // appendFileSync creates the file before it writes the line: wait for the whole line, not just the file.
    const handlerCalled = () => existsSync(handler.log) && readFileSync(handler.log, 'utf8').endsWith('\n');
    await waitFor(handlerCalled, 'the rebalance handler call');

    // Act
    daemon.stop.abort();
    const exitCode = await daemon.exit;

    // Assess
    expect(exitCode).toBe(0);
    expect(readFileSync(handler.log, 'utf8')).toContain(
      '"ec2:SPOT_REBALANCE_RECOMMENDATION","i-0123456789abcdef0","2026-11-23T12:00:00Z"',
    );
    expect(completeCalls()).toEqual([]);
  });
});

describe('Function: runLifecycled (startup)', () => {
  it('exits 2 with every problem on stderr for bad flags', async () => {
    // Prepare
    const stderr = captureStream();

    // Act
    const exitCode = await runLifecycled({
      argv: ['--spot-listener-interval=soon', '--handler=/nope'],
      env: {},
      stdout: captureStream().stream,
      stderr: stderr.stream,
      stop: new AbortController().signal,
    });

    // Assess
    expect(exitCode).toBe(2);
    expect(stderr.text()).toMatch(/2 problems/);
  });

  it('exits 1 with a clear message when instance metadata never answers the instance ID', async () => {
    // Prepare
    standIn.injectFault({ kind: 'status', status: 500 });
    const clockless = start([]);

    // Act
    const exitCode = await clockless.exit;

    // Assess
    expect(exitCode).toBe(1);
    expect(JSON.stringify(clockless.logs())).toMatch(/Failed to lookup instance id/);
  }, 15_000);
});

describe('Function: runLifecycled (spot notice during a drain)', () => {
  const waitForSigterm = () =>
    waitFor(() => agent?.events().some((event) => event.event === 'sigterm') === true, 'the agent SIGTERM');

  it('SIGQUITs the agent before a spot deadline that appears during a Terminated drain, completing once', async () => {
    // Prepare
    agent = await startFakeAgent({ directory, jobMs: 60_000 });
    standIn.setTargetLifecycleState('Terminated');
    const daemon = start([], { env: { STOP_AGENT_SIGQUIT_LEAD: '119s' } });
    await waitForSigterm();
    await waitFor(() => heartbeatsAt.length >= 2, 'two heartbeats during the drain');

    // Act: the SIGQUIT falls due 1 s after the notice, 119 s before the deadline (see the spot test above).
    const deadline = new Date(Date.now() + 120_000).toISOString();
    standIn.setSpotInstanceAction({ action: 'terminate', time: deadline });
    const exitCode = await daemon.exit;
    const heartbeatsAtExit = heartbeatsAt.length;
    await new Promise((resolveWait) => setTimeout(resolveWait, 300));

    // Assess
    expect(exitCode).toBe(0);
    const events = agent.events();
    // One SIGTERM (a second would cancel the job early), then the SIGQUIT inside the lead before the deadline.
    expect(events.map((event) => [event.event, event.reason])).toEqual([
      ['job-started', undefined],
      ['sigterm', undefined],
      ['job-cancelled', 'SIGQUIT'],
    ]);
    const cancelledAt = events.at(-1)?.at ?? Number.NaN;
    expect(cancelledAt).toBeGreaterThanOrEqual(Date.parse(deadline) - 119_000);
    expect(cancelledAt).toBeLessThan(Date.parse(deadline));
    expect(completeCalls()).toEqual([
      {
        AutoScalingGroupName: 'agents',
        LifecycleHookName: 'drain',
        InstanceId: INSTANCE_ID,
        LifecycleActionResult: 'CONTINUE',
      },
    ]);
    expect(completedAt[0]).toBeGreaterThanOrEqual(cancelledAt);
    expect(heartbeatsAt.length).toBeGreaterThanOrEqual(2);
    expect(heartbeatsAt.every((beat) => beat <= (completedAt[0] ?? 0))).toBe(true);
    expect(heartbeatsAt).toHaveLength(heartbeatsAtExit);
    const logs = daemon.logs();
    expect(
      logs.find((entry) => entry.msg === 'Spot interruption during the drain: the spot deadline now applies'),
    ).toMatchObject({
      deadline: new Date(Date.parse(deadline)).toISOString(),
      args: ['ec2:SPOT_INSTANCE_TERMINATION', INSTANCE_ID, deadline],
    });
    expect(
      logs.find((entry) => entry.msg === 'Stopping the agent gracefully' && entry.joinsRunningDrain),
    ).toMatchObject({
      transition: 'ec2:SPOT_INSTANCE_TERMINATION',
      sigtermAlreadySent: true,
    });
    expect(daemon.output()).not.toContain(CANARY_SECRET);
  });

  it('completes the termination hook once after a spot drain when the target state becomes Terminated', async () => {
    // Prepare: the spot drain's agent ends its job only once the daemon has taken on the lifecycle action, so the
    // test proves the order of events, not that a loaded machine keeps up with a deadline (the SIGQUIT before the
    // deadline is the two tests above).
    agent = await startFakeAgent({ directory, jobMs: 60_000 });
    standIn.setTargetLifecycleState('InService');
    const deadline = new Date(Date.now() + 600_000).toISOString();
    standIn.setSpotInstanceAction({ action: 'terminate', time: deadline });
    const daemon = start([], { env: { STOP_AGENT_SIGQUIT_LEAD: '20s' } });
    await waitForSigterm();
    const messages = () => daemon.logs().map((entry) => entry.msg);

    // Act
    standIn.setTargetLifecycleState('Terminated');
    await waitFor(
      () => messages().includes('Termination lifecycle action during the spot drain: it will be completed'),
      'the daemon to take on the lifecycle action',
    );
    agent.finishJob();
    const exitCode = await daemon.exit;

    // Assess
    expect(exitCode).toBe(0);
    const events = agent.events();
    expect(events.map((event) => [event.event, event.reason])).toEqual([
      ['job-started', undefined],
      ['sigterm', undefined],
      ['job-finished', undefined],
    ]);
    const finishedAt = events.at(-1)?.at ?? Number.NaN;
    expect(finishedAt).toBeLessThan(Date.parse(deadline));
    expect(completeCalls()).toEqual([
      {
        AutoScalingGroupName: 'agents',
        LifecycleHookName: 'drain',
        InstanceId: INSTANCE_ID,
        LifecycleActionResult: 'CONTINUE',
      },
    ]);
    expect(completedAt[0]).toBeGreaterThanOrEqual(finishedAt);
    expect(heartbeatsAt.every((beat) => beat <= (completedAt[0] ?? 0))).toBe(true);
  });
});
