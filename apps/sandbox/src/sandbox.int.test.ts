// End-to-end smoke of the sandbox against moto: one job on a tiny, fast world runs to completion on a booted host
// through the real scaler, lifecycled and elastic-ci-instance; the busy instance is protected, the idle one leaves
// through the real terminate path (desired capacity decremented), and stop() leaves no process behind.
// Generous bounds only: each wait ends on the state it waits for, never on elapsed time.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoScalingClient, DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { awsClientConfig } from '@elastic-ci/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from './sandbox';
import { until } from './test-support/until';

let sandbox: Sandbox | undefined;
afterAll(async () => {
  await sandbox?.stop();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startSandbox', () => {
  it('runs a job on a booted host, protects it while busy, retires it idle through terminate, stops cleanly', async () => {
    const config = awsClientConfig();
    const logDir = await mkdtemp(join(tmpdir(), 'sandbox-smoke-'));
    sandbox = await startSandbox({
      timeScale: 10,
      logDir,
      aws: { endpoint: config.endpoint, region: config.region, credentials: config.credentials },
      maxConcurrentHosts: 2,
      world: {
        stackName: 'smoke',
        bootDelaySec: 20,
        config: {
          buildkite: { queue: 'smoke', idleTimeoutSec: 60 },
          scaling: { maxSize: 2, warmPool: { enabled: true, minSize: 1, maxGroupPreparedCapacity: 1 } },
        },
      },
    });
    const running = sandbox;
    const autoScaling = new AutoScalingClient(config);
    const protection = async (instanceId: string) =>
      (await autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] })))
        .AutoScalingInstances?.[0]?.ProtectedFromScaleIn;

    // The stack's creation answered both custom resources.
    expect(running.customResourceSteps().map((step) => [step.requestType, step.answer.status])).toEqual([
      ['Create', 'SUCCESS'],
      ['Create', 'SUCCESS'],
    ]);

    // The warm pool moto does not launch: one prepared instance, as MaxGroupPreparedCapacity 1 asks.
    await until('the warm pool to fill', async () => ((await running.sample()).warm === 1 ? true : undefined));
    await until('its instance to finish its first boot', () => (running.warmPool().ready === 1 ? true : undefined));
    running.standIn.addJob({ id: 'smoke-job', queue: 'smoke', durationSec: 60 });

    const job = () => running.standIn.jobs().find((candidate) => candidate.id === 'smoke-job');
    const started = await until('the job to start on an agent', () => (job()?.state === 'running' ? job() : undefined));
    const host = await until('the host that runs it', () =>
      running.hosts().find((candidate) => candidate.bootedAt !== undefined),
    );
    expect(started.agentId).toBeDefined();
    expect(host.fromWarmPool).toBe(true);
    const simulatedHost = running.host(host.instanceId);
    expect(running.warmPool().resumed).toBe(1);
    // Busy: job-started set scale-in protection in moto.
    await until('busy protection', async () => ((await protection(host.instanceId)) === true ? true : undefined));

    const finished = await until('the job to finish', () => (job()?.state === 'finished' ? job() : undefined));
    expect(finished).toMatchObject({ exitStatus: 0, interrupted: false });

    // Idle: job-finished released protection and tagged idle-since; then the idle exit → terminate → decrement.
    const gone = await until('the idle instance to leave the group', async () => {
      const sample = await running.sample();
      const inGroup = (
        await autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [host.instanceId] }))
      ).AutoScalingInstances?.length;
      return inGroup === 0 && sample.desired === 0 ? sample : undefined;
    });
    expect(gone).toMatchObject({ desired: 0, inService: 0, running: 0 });
    const tags = await new EC2Client(config).send(
      new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [host.instanceId] }] }),
    );
    expect(tags.Tags?.map((tag) => tag.Key)).toContain('elastic-ci:idle-since');
    const retired = await until('the host to finish', () =>
      running.hosts().find((candidate) => candidate.instanceId === host.instanceId && candidate.state === 'stopped'),
    );
    expect(retired.agentExit).toEqual({ code: 0, signal: null });
    expect(retired.terminateExitCode).toBe(0);
    const agentLog = await readFile(join(retired.root, 'var', 'log', 'buildkite-agent.log'), 'utf8');
    expect(agentLog).toMatch(/idle/i);
    // The protection came from the job hooks (new instances start protected, so the hooks' own lines prove it).
    expect(agentLog).toMatch(/event=job-started runningJobs=1 protectedFromScaleIn=true/);
    expect(agentLog).toMatch(/event=job-finished runningJobs=0 protectedFromScaleIn=false/);
    // The job hooks (and the agent unit's reconcile) took the instance id from the boot record, as on a booted
    // instance: the only instance-id lookups are lifecycled's at its start and terminate's (which always asks IMDS).
    const instanceIdLookups = simulatedHost?.imds?.requests.filter(
      (request) => request.method === 'GET' && request.path === '/latest/meta-data/instance-id',
    );
    expect(instanceIdLookups?.length).toBeLessThanOrEqual(2);
    // The real terminate path decided, with the template's boot contract (valid as rendered into the user data).
    const terminateLog = await readFile(join(retired.root, 'var', 'log', 'terminate.log'), 'utf8');
    expect(terminateLog).toContain('result=terminated-decrement');
    expect(terminateLog).not.toContain('boot contract is invalid');
    // Scaled out for the job; back to 0 by the idle instance's own decrement (the scaler never scales in here).
    const actions = running.scalingActions();
    expect(actions[0]).toMatchObject({ fromDesired: 0, toDesired: 1 });
    expect(actions.at(-1)).toMatchObject({ toDesired: 0 });

    // Every Auto Scaling write of the host went through the instance broker (the template's default), signed with the
    // host's own credentials and acted on that host only: protection on and off by the job hooks, the idle exit's
    // terminate. One log record per request.
    const brokerLog = await readFile(running.lambdas.instanceBroker?.logFile as string, 'utf8');
    const brokerRequests = brokerLog
      .split('\n')
      .filter((line) => line.includes('"instance broker request"'))
      .map((line) => JSON.parse(line) as { action?: string; instanceId?: string; outcome?: string });
    expect(brokerRequests.filter((request) => request.instanceId === host.instanceId)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'set-instance-protection', outcome: 'done' }),
        expect.objectContaining({ action: 'terminate-instance', outcome: 'done' }),
      ]),
    );
    expect(brokerRequests.every((request) => request.instanceId === host.instanceId)).toBe(true);
    expect(running.world.bootContract).toMatchObject({
      lifecycle: { instanceBrokerUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:/) },
    });

    // No secret in any log: the webhook token, and the agent token as stored in moto's SSM.
    const agentToken = (
      await new SSMClient(config).send(
        new GetParameterCommand({ Name: running.world.parameterNames.agentToken, WithDecryption: true }),
      )
    ).Parameter?.Value as string;
    expect(agentToken).toMatch(/^sandbox-agent-token-/);
    expect(running.logs().length).toBeGreaterThan(5);
    for (const path of running.logs()) {
      const text = await readFile(path, 'utf8');
      expect(text).not.toContain(running.webhookSecret);
      expect(text).not.toContain(agentToken);
      // The host's own credentials (what the broker tells instances apart by) as well.
      for (const secret of running.secrets()) expect(text).not.toContain(secret.value);
    }

    const pids = running.startedPids();
    expect(pids.length).toBeGreaterThan(3);
    await running.stop();
    expect(pids.filter(alive)).toEqual([]);
  }, 300_000);
});
