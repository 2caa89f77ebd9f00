// Busy protection and terminate exactly as installed on agents: the tsup bundle run as a child process in a scratch
// root, Auto Scaling and EC2 at moto, instance metadata at the IMDS stand-in.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  awsClientConfig,
  awsEnvironment,
  createMotoAutoScalingGroup,
  type RunningImdsStandIn,
  startImdsStandIn,
} from '@elastic-ci/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_STATE_TAG, IDLE_SINCE_TAG, parseIdleSinceTag } from '../instance-state-tags.js';
import { buildInstanceProgram } from '../test-support/build-instance-program.js';

const GROUP = 'agents';
let bundle: string;
const children: ChildProcess[] = [];
const standIns: RunningImdsStandIn[] = [];

beforeAll(async () => {
  bundle = await buildInstanceProgram({ minify: false });
}, 240_000);

afterEach(async () => {
  await Promise.all(standIns.splice(0).map((standIn) => standIn.close()));
});
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** A live process standing in for an agent (its pid) or a job's process (BUILDKITE_JOB_ID in its environment). */
function liveProcess(env: Record<string, string> = {}): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], {
    stdio: 'ignore',
    env: { ...process.env, ...env },
  });
  children.push(child);
  if (child.pid === undefined) throw new Error('could not start a stand-in process');
  return child.pid;
}

interface Run {
  code: number;
  stderr: string;
}

function cli(root: string, imds: RunningImdsStandIn, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bundle, '--root', root, ...args],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          ...awsEnvironment(),
          AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint,
          ...env,
        },
      },
      (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
    );
  });
}

const autoScaling = () => new AutoScalingClient(awsClientConfig());

async function groupInstances(): Promise<string[]> {
  const answer = await autoScaling().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [GROUP] }));
  return (answer.AutoScalingGroups?.[0]?.Instances ?? []).map((instance) => instance.InstanceId as string).sort();
}

async function desiredCapacity(): Promise<number | undefined> {
  const answer = await autoScaling().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [GROUP] }));
  return answer.AutoScalingGroups?.[0]?.DesiredCapacity;
}

async function instanceState(instanceId: string) {
  const answer = await autoScaling().send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }));
  const instance = answer.AutoScalingInstances?.[0];
  const tags = await new EC2Client(awsClientConfig()).send(
    new DescribeTagsCommand({
      Filters: [{ Name: 'resource-id', Values: [instanceId] }],
    }),
  );
  const tag = (key: string) => tags.Tags?.find((entry) => entry.Key === key)?.Value;
  return {
    protectedFromScaleIn: instance?.ProtectedFromScaleIn,
    health: instance?.HealthStatus,
    idleSince: tag(IDLE_SINCE_TAG),
    agentState: tag(AGENT_STATE_TAG),
  };
}

async function instanceWithImds(desired: number) {
  await createMotoAutoScalingGroup({ name: GROUP, minSize: 0, maxSize: 5, desiredCapacity: desired });
  const ids = await groupInstances();
  const root = await mkdtemp(join(tmpdir(), 'elastic-ci-protection-root-'));
  const imdsFor = async (instanceId: string) => {
    const standIn = await startImdsStandIn({ instanceId, region: awsClientConfig().region });
    standIn.setTargetLifecycleState('InService');
    standIns.push(standIn);
    return standIn;
  };
  return { ids, root, imdsFor };
}

describe('busy protection against moto', () => {
  it('protects across two overlapping jobs and tags the instance idle when the last ends', async () => {
    const { ids, root, imdsFor } = await instanceWithImds(1);
    const instanceId = ids[0] as string;
    const imds = await imdsFor(instanceId);
    const agentA = String(liveProcess());
    const agentB = String(liveProcess());
    const job = (id: string, pid: string) => ({ BUILDKITE_JOB_ID: id, BUILDKITE_AGENT_PID: pid });

    expect(await cli(root, imds, ['job-started'], job('job-a', agentA))).toMatchObject({ code: 0 });
    expect(await instanceState(instanceId)).toMatchObject({ protectedFromScaleIn: true, idleSince: undefined });

    expect(await cli(root, imds, ['job-started'], job('job-b', agentB))).toMatchObject({ code: 0 });
    expect(await instanceState(instanceId)).toMatchObject({ protectedFromScaleIn: true, idleSince: undefined });

    expect(await cli(root, imds, ['job-finished'], job('job-a', agentA))).toMatchObject({ code: 0 });
    expect(await instanceState(instanceId)).toMatchObject({ protectedFromScaleIn: true, idleSince: undefined });

    const before = Date.now();
    const last = await cli(root, imds, ['job-finished'], job('job-b', agentB));
    expect(last).toMatchObject({ code: 0 });
    const state = await instanceState(instanceId);
    expect(state.protectedFromScaleIn).toBe(false);
    const idleSince = parseIdleSinceTag(state.idleSince);
    expect(idleSince).toBeInstanceOf(Date);
    // The tag names the end of the last job: not before this step began (seconds resolution).
    expect(idleSince?.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  }, 120_000);

  it('reconcile releases the protection a crashed agent left behind', async () => {
    const { ids, root, imdsFor } = await instanceWithImds(1);
    const instanceId = ids[0] as string;
    const imds = await imdsFor(instanceId);
    const agent = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
    const env = { BUILDKITE_JOB_ID: 'job-crash', BUILDKITE_AGENT_PID: String(agent.pid) };
    expect(await cli(root, imds, ['job-started'], env)).toMatchObject({ code: 0 });
    expect(await instanceState(instanceId)).toMatchObject({ protectedFromScaleIn: true });

    await new Promise((exited) => {
      agent.once('exit', exited);
      agent.kill('SIGKILL'); // the agent dies without running pre-exit
    });
    // systemctl stand-in: `is-active buildkite-agent` answers "active" (the agent unit itself was restarted).
    const bin = await mkdtemp(join(tmpdir(), 'elastic-ci-protection-bin-'));
    await writeFile(join(bin, 'systemctl'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const reconcile = await cli(root, imds, ['reconcile-protection'], { PATH: `${bin}:${process.env.PATH}` });
    expect(reconcile).toMatchObject({ code: 0 });
    const state = await instanceState(instanceId);
    expect(state.protectedFromScaleIn).toBe(false);
    expect(parseIdleSinceTag(state.idleSince)).toBeInstanceOf(Date);
    expect(state.agentState).toBe('running');
  }, 120_000);
});

describe('terminate against moto', () => {
  const idleLog = 'All agents have been idle for 10m0s. Disconnecting...\nGood bye!\n';

  it('decrements desired capacity only after an idle exit, and marks unhealthy after any other', async () => {
    const { ids, root, imdsFor } = await instanceWithImds(2);
    const [idle, crashed] = ids as [string, string];
    const log = join(root, 'agent.log');
    await writeFile(log, idleLog);

    const idleRun = await cli(root, await imdsFor(idle), [
      'terminate',
      '--service-result',
      'success',
      '--exit-status',
      '0',
      '--agent-log',
      log,
      '--wait-for-jobs',
      '0',
    ]);
    expect(idleRun).toMatchObject({ code: 0 });
    expect(await desiredCapacity()).toBe(1);
    expect(await groupInstances()).not.toContain(idle);

    await writeFile(log, 'fatal: something broke\n');
    const crashRun = await cli(root, await imdsFor(crashed), [
      'terminate',
      '--service-result',
      'exit-code',
      '--exit-status',
      '1',
      '--agent-log',
      log,
      '--wait-for-jobs',
      '0',
    ]);
    expect(crashRun).toMatchObject({ code: 0 });
    expect(await desiredCapacity()).toBe(1);
    expect((await instanceState(crashed)).health?.toUpperCase()).toBe('UNHEALTHY');
  }, 120_000);

  it('refuses to act while a job still runs, and stays in the group on a return to the warm pool', async () => {
    const { ids, root, imdsFor } = await instanceWithImds(1);
    const instanceId = ids[0] as string;
    const imds = await imdsFor(instanceId);
    const log = join(root, 'agent.log');
    await writeFile(log, idleLog);
    const agent = String(liveProcess());
    liveProcess({ BUILDKITE_JOB_ID: 'job-busy' }); // the job's own process, still running
    await cli(root, imds, ['job-started'], { BUILDKITE_JOB_ID: 'job-busy', BUILDKITE_AGENT_PID: agent });
    const terminate = ['terminate', '--service-result', 'success', '--agent-log', log, '--wait-for-jobs', '0'];

    const busy = await cli(root, imds, terminate);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain('refusing to act');
    expect(await desiredCapacity()).toBe(1);
    expect(await groupInstances()).toContain(instanceId);

    imds.setTargetLifecycleState('Warmed:Stopped');
    // systemctl stand-in recording its arguments: the waiter that starts the agent again on InService is re-armed.
    const bin = await mkdtemp(join(tmpdir(), 'elastic-ci-protection-bin-'));
    const calls = join(bin, 'calls');
    await writeFile(join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> '${calls}'\n`, { mode: 0o755 });
    const warm = await cli(await mkdtemp(join(tmpdir(), 'elastic-ci-protection-root-')), imds, terminate, {
      PATH: `${bin}:${process.env.PATH}`,
    });
    expect(warm.code).toBe(0);
    expect(warm.stderr).toContain('back into the warm pool');
    expect(await readFile(calls, 'utf8')).toBe('--no-block restart elastic-ci-start-agent.service\n');
    expect(await desiredCapacity()).toBe(1);
    expect((await instanceState(instanceId)).health?.toUpperCase()).toBe('HEALTHY');
  }, 120_000);
});
