import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
  SetInstanceProtectionCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateTagsCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AGENT_STATE_TAG, formatIdleSinceTag, IDLE_SINCE_TAG } from '@elastic-ci/agent-instance/instance-state-tags';
import {
  awsClientConfig,
  type BuildkiteApiStandIn,
  createMotoAutoScalingGroup,
  FakeClock,
  startBuildkiteApiStandIn,
} from '@elastic-ci/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntimeFromEnvironment } from './runtime';
import { captureOutput, jsonRecords } from './testing-fakes';

const AGENT_TOKEN = 'canary-agent-token-tags-5b9e07';
const MINUTE_MS = 60_000;

let standIn: BuildkiteApiStandIn;
const autoScaling = new AutoScalingClient(awsClientConfig());
const ec2 = new EC2Client(awsClientConfig());
const ssm = new SSMClient(awsClientConfig());
const allOutput: string[] = [];

function environment(groupName: string, extra: Record<string, string>) {
  return {
    BUILDKITE_QUEUE: groupName,
    ASG_NAME: groupName,
    AGENTS_PER_INSTANCE: '1',
    BUILDKITE_AGENT_TOKEN_SSM_KEY: '/buildkite/agent-token',
    BUILDKITE_AGENT_ENDPOINT: standIn.endpoint,
    BUILDKITE_API_TIMEOUT: '1s',
    AVAILABILITY_THRESHOLD: '0',
    ...extra,
  };
}

async function groupInstanceIds(groupName: string): Promise<string[]> {
  const output = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }));
  return (output.AutoScalingGroups?.[0]?.Instances ?? []).map((instance) => instance.InstanceId ?? '');
}

async function setProtection(groupName: string, ids: string[], protectedFromScaleIn: boolean): Promise<void> {
  await autoScaling.send(
    new SetInstanceProtectionCommand({
      AutoScalingGroupName: groupName,
      InstanceIds: ids,
      ProtectedFromScaleIn: protectedFromScaleIn,
    }),
  );
}

async function tag(instanceId: string, tags: Record<string, string>): Promise<void> {
  await ec2.send(
    new CreateTagsCommand({
      Resources: [instanceId],
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
}

/** The latest launch time moto gave the group's instances (moto launches them in real time). */
async function latestLaunchMs(ids: string[]): Promise<number> {
  const output = await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  const times = (output.Reservations ?? []).flatMap((reservation) =>
    (reservation.Instances ?? []).map((instance) => instance.LaunchTime?.getTime() ?? Number.NaN),
  );
  expect(times).toHaveLength(ids.length);
  return Math.max(...times);
}

async function captured<T>(run: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const output = await captureOutput(run);
  allOutput.push(...output.lines);
  return output;
}

beforeAll(async () => {
  standIn = await startBuildkiteApiStandIn({ token: AGENT_TOKEN, organizationSlug: 'acme' });
  await ssm.send(new PutParameterCommand({ Name: '/buildkite/agent-token', Value: AGENT_TOKEN, Type: 'SecureString' }));
});

afterAll(async () => {
  await standIn.close();
  expect(allOutput.length).toBeGreaterThan(3);
  expect(allOutput.join('\n')).not.toContain(AGENT_TOKEN);
});

describe('Idle times from instance tags against moto', () => {
  it('drains the longest idle first and holds back one idle for less than SCALE_IN_MIN_IDLE, never the busy one', async () => {
    // Prepare: four instances; one runs a job (protected, agent running, no idle tag), three idle 2, 10 and 30 minutes
    const groupName = await createMotoAutoScalingGroup({ name: 'tags-idle', desiredCapacity: 4 });
    const [busy, idle2m, idle10m, idle30m] = (await groupInstanceIds(groupName)) as [string, string, string, string];
    const clock = new FakeClock((await latestLaunchMs([busy, idle2m, idle10m, idle30m])) + 60 * MINUTE_MS);
    await setProtection(groupName, [idle2m, idle10m, idle30m], false);
    await setProtection(groupName, [busy], true);
    await tag(busy, { [AGENT_STATE_TAG]: 'running' });
    for (const [id, minutes] of [
      [idle2m, 2],
      [idle10m, 10],
      [idle30m, 30],
    ] as const) {
      await tag(id, {
        [AGENT_STATE_TAG]: 'running',
        [IDLE_SINCE_TAG]: formatIdleSinceTag(clock.now() - minutes * MINUTE_MS),
      });
    }
    standIn.setQueueMetrics(groupName, { running: 1, busy: 1 });
    const runtime = createRuntimeFromEnvironment(
      environment(groupName, {
        SCALE_IN_STRATEGY: 'drain',
        SCALE_IN_ORDER: 'longest-idle-first',
        SCALE_IN_MIN_IDLE: '5m',
      }),
      { aws: awsClientConfig(), clock },
    );

    // Act
    const { result } = await captured(() => runtime.pass('schedule'));

    // Assess: three wanted gone, two idle long enough, longest idle first
    expect(result).toMatchObject({ status: 'applied', action: 'scale-in', desired: 2, drained: [idle30m, idle10m] });
    const remaining = await groupInstanceIds(groupName);
    expect(remaining).toContain(busy);
    expect(remaining).toContain(idle2m);
  });
});

describe('Zombie check against moto', () => {
  it('marks an old instance without a running agent unhealthy, never a young, protected or running one', async () => {
    // Prepare
    const groupName = await createMotoAutoScalingGroup({ name: 'tags-zombies', desiredCapacity: 3 });
    const [zombie, busy, healthy] = (await groupInstanceIds(groupName)) as [string, string, string];
    const launchedMs = await latestLaunchMs([zombie, busy, healthy]);
    // The clock starts a minute after moto launched the instances: young, inside the 10m grace.
    const clock = new FakeClock(launchedMs + MINUTE_MS);
    await setProtection(groupName, [zombie, healthy], false);
    await setProtection(groupName, [busy], true);
    await tag(healthy, { [AGENT_STATE_TAG]: 'running' });
    standIn.setQueueMetrics(groupName, { running: 3, busy: 3 });
    const runtime = createRuntimeFromEnvironment(environment(groupName, { ZOMBIE_CHECK: 'true' }), {
      aws: awsClientConfig(),
      clock,
    });
    const health = async () => {
      const output = await autoScaling.send(
        new DescribeAutoScalingInstancesCommand({ InstanceIds: [zombie, busy, healthy] }),
      );
      return Object.fromEntries(
        (output.AutoScalingInstances ?? []).map((instance) => [
          instance.InstanceId,
          instance.HealthStatus?.toUpperCase(),
        ]),
      );
    };

    // Act: young; past the grace (first sighting); two minutes later (confirmed)
    const young = await captured(() => runtime.pass('schedule'));
    const healthWhileYoung = await health();
    await clock.advance(10 * MINUTE_MS);
    const sighted = await captured(() => runtime.pass('schedule'));
    await clock.advance(2 * MINUTE_MS);
    const confirmed = await captured(() => runtime.pass('schedule'));

    // Assess
    expect(young.result).toMatchObject({ status: 'unchanged', zombies: { replaced: [] } });
    expect(healthWhileYoung).toEqual({ [zombie]: 'HEALTHY', [busy]: 'HEALTHY', [healthy]: 'HEALTHY' });
    expect(sighted.result).toMatchObject({ zombies: { replaced: [] } });
    expect(confirmed.result).toMatchObject({ status: 'unchanged', zombies: { replaced: [zombie], skipped: [] } });
    expect(await health()).toEqual({ [zombie]: 'UNHEALTHY', [busy]: 'HEALTHY', [healthy]: 'HEALTHY' });
    const records = jsonRecords(confirmed.lines);
    expect(
      records.filter((record) => record.message === 'zombie instance marked unhealthy; the group replaces it'),
    ).toEqual([expect.objectContaining({ instanceId: zombie, reason: 'agent-state-missing' })]);
    expect(records.find((record) => record._aws !== undefined)).toMatchObject({ ZombieInstancesReplaced: 1 });
  });
});
