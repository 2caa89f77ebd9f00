// The daemon as a real process (SIGTERM handling, exit codes, AWS_ENDPOINT_URL, AWS_EC2_METADATA_SERVICE_ENDPOINT).
// moto plays Auto Scaling for DescribeAutoScalingInstances / DescribeLifecycleHooks; it lacks CompleteLifecycleAction
// and RecordLifecycleActionHeartbeat, so a recording stand-in in front of moto answers those two calls.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  PutLifecycleHookCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  awsClientConfig,
  awsEnvironment,
  type LifecycleActionStandIn,
  type RunningImdsStandIn,
  startImdsStandIn,
  startLifecycleActionStandIn,
} from '@elastic-ci/testing';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeAgent, startFakeAgent } from './test-support/fake-agent';
import { captureStream, temporaryDirectory } from './test-support/harness';

const entry = fileURLToPath(new URL('./lifecycled.ts', import.meta.url));

let standIn: RunningImdsStandIn;
let proxy: LifecycleActionStandIn;
let agent: FakeAgent | undefined;
let daemon: ChildProcess | undefined;
let instanceId: string;

/** A one-instance group with a termination hook in moto; returns the instance ID moto gave it. */
async function groupWithTerminationHook(): Promise<string> {
  const ec2 = new EC2Client(awsClientConfig());
  const autoScaling = new AutoScalingClient(awsClientConfig());
  await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: 'agents',
      LaunchTemplateData: { ImageId: 'ami-12c6146b', InstanceType: 't3.micro' },
    }),
  );
  await autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: 'agents',
      LaunchTemplate: { LaunchTemplateName: 'agents', Version: '$Latest' },
      MinSize: 1,
      MaxSize: 1,
      DesiredCapacity: 1,
      AvailabilityZones: ['us-east-1a'],
    }),
  );
  await autoScaling.send(
    new PutLifecycleHookCommand({
      AutoScalingGroupName: 'agents',
      LifecycleHookName: 'drain-agent',
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      HeartbeatTimeout: 600,
      DefaultResult: 'CONTINUE',
    }),
  );
  const groups = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['agents'] }));
  const id = groups.AutoScalingGroups?.[0]?.Instances?.[0]?.InstanceId;
  if (!id) throw new Error('moto created no instance');
  return id;
}

beforeAll(async () => {
  // moto is reset per file, not per test: one group serves both tests.
  instanceId = await groupWithTerminationHook();
});

beforeEach(async () => {
  standIn = await startImdsStandIn({ instanceId });
  proxy = await startLifecycleActionStandIn(awsEnvironment().AWS_ENDPOINT_URL ?? '');
});

afterEach(async () => {
  daemon?.kill('SIGKILL');
  agent?.kill();
  agent = undefined;
  await standIn.close();
  await proxy.close();
});

function spawnDaemon(argv: string[], extraEnv: Record<string, string> = {}) {
  const directory = temporaryDirectory();
  const stderr = captureStream();
  daemon = spawn(process.execPath, ['--import', 'tsx', entry, ...argv], {
    env: {
      PATH: process.env.PATH ?? '',
      ...awsEnvironment(),
      AWS_ENDPOINT_URL: proxy.endpoint,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: standIn.endpoint,
      STOP_AGENT_STATE_DIR: join(directory, 'state'),
      STOP_AGENT_POLL_INTERVAL: '20ms',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  daemon.stderr?.pipe(stderr.stream);
  const exit = new Promise<number | null>((resolveExit) => daemon?.once('exit', (code) => resolveExit(code)));
  return { exit, stderr, process: daemon };
}

describe('Program: lifecycled', () => {
  it('heartbeats the lifecycle action found through moto and leaves it pending when SIGTERMed mid-drain', async () => {
    // Prepare
    const directory = temporaryDirectory();
    agent = await startFakeAgent({ directory, jobMs: 60_000 });
    standIn.setTargetLifecycleState('Terminated');
    const running = spawnDaemon(
      ['--json', '--no-spot', '--lifecycle-state-interval=50ms', '--autoscaling-heartbeat-interval=100ms'],
      { STOP_AGENT_PID_FILE: agent.pidFile },
    );
    for (let waited = 0; !agent.events().some((event) => event.event === 'sigterm'); waited += 20) {
      if (waited > 20_000) throw new Error(`agent never got SIGTERM; daemon said:\n${running.stderr.text()}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 20));
    }
    // Stop the daemon once the drain has heartbeated, an event rather than a guess at how long that takes.
    for (let waited = 0; !proxy.calls.some((call) => call.action === 'RecordLifecycleActionHeartbeat'); waited += 20) {
      if (waited > 20_000) throw new Error(`no heartbeat during the drain; daemon said:\n${running.stderr.text()}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 20));
    }

    // Act
    running.process.kill('SIGTERM');
    const exitCode = await running.exit;

    // Assess
    expect(exitCode).toBe(0);
    // The agent is still running its job: CONTINUE now would terminate the instance under it.
    expect(proxy.calls.filter((call) => call.action === 'CompleteLifecycleAction')).toEqual([]);
    expect(proxy.calls.find((call) => call.action === 'RecordLifecycleActionHeartbeat')?.params).toMatchObject({
      AutoScalingGroupName: 'agents',
      LifecycleHookName: 'drain-agent',
      InstanceId: instanceId,
    });
    const logs = running.stderr.entries();
    expect(logs.find((entry) => entry.msg === 'Handler failed')).toMatchObject({ stoppedBySignal: true });
    expect(logs.find((entry) => String(entry.msg).startsWith('Stopped during the drain'))).toMatchObject({
      level: 'error',
      autoScalingGroupName: 'agents',
      lifecycleHookName: 'drain-agent',
    });
    expect(logs.at(-1)).toMatchObject({ msg: 'lifecycled exiting', result: 'drained' });
    expect(agent.events().map((event) => event.event)).toEqual(['job-started', 'sigterm']);
  }, 30_000);

  it('exits 0 on SIGTERM before any notice, and 2 with every problem on bad arguments', async () => {
    // Prepare
    const idle = spawnDaemon(['--json', '--lifecycle-state-interval=50ms']);
    while (standIn.requests.length < 3) await new Promise((resolveWait) => setTimeout(resolveWait, 20));

    // Act
    idle.process.kill('SIGTERM');
    const idleExit = await idle.exit;
    const bad = spawnDaemon(['--no-such-flag', '--autoscaling-heartbeat-interval=often']);
    const badExit = await bad.exit;

    // Assess
    expect(idleExit).toBe(0);
    expect(proxy.calls).toEqual([]);
    expect(badExit).toBe(2);
    expect(bad.stderr.text()).toContain('invalid configuration (2 problems)');
    expect(bad.stderr.text()).toContain('--autoscaling-heartbeat-interval (LIFECYCLED_AUTOSCALING_HEARTBEAT_INTERVAL)');
  }, 30_000);
});
