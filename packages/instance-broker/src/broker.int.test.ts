// The whole path an instance's call takes: client (SigV4) → local function URL (verifies the signature, builds the
// IAM identity; moto has no Lambda function URLs) → handler → real SDK adapter → moto Auto Scaling. moto lacks
// CompleteLifecycleAction and RecordLifecycleActionHeartbeat and never holds an instance in Terminating:Wait, so a
// stand-in in front of moto answers those two from a table of pending actions (test-support/lifecycle-action-stand-in).
import { Logger } from '@aws-lambda-powertools/logger';
import {
  AutoScalingClient,
  CreateOrUpdateTagsCommand,
  DescribeAutoScalingGroupsCommand,
  PutLifecycleHookCommand,
} from '@aws-sdk/client-auto-scaling';
import { captureProcessOutput } from '@elastic-ci/custom-resource/testing';
import { awsClientConfig, createMotoAutoScalingGroup } from '@elastic-ci/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAutoScalingPort } from './auto-scaling-port';
import { createInstanceBrokerClient, type InstanceBrokerClient } from './broker-client';
import type { BrokerCall } from './broker-protocol';
import { FLEET_TAG_KEY, loadConfig } from './config';
import { createBrokerHandler } from './handler';
import { type LocalFunctionUrl, startLocalFunctionUrl } from './local-function-url';
import {
  type PendingLifecycleActionStandIn,
  startPendingLifecycleActionStandIn,
} from './test-support/lifecycle-action-stand-in';

const ROLE = 'elastic-ci-agents-InstanceRole';
const FLEET = 'ci-int';
const FLEET_GROUP = 'agents';
const UNTAGGED_GROUP = 'not-the-fleet';
const HOOK = 'drain-agent';
const TOKEN_A = '0a0a0a0a-0000-4000-8000-00000000000a';
const TOKEN_B = '0b0b0b0b-0000-4000-8000-00000000000b';
// Canaries: instance A's secret key and session token must never appear in a log line, an answer or an error.
const CANARY_SECRET = 'CANARYintSECRETkey/never-logged+0000000000';
const CANARY_TOKEN = 'CANARYintSESSIONtoken//never-logged==';

let autoScaling: AutoScalingClient;
let standIn: PendingLifecycleActionStandIn;
let front: LocalFunctionUrl;
let instanceA: string;
let instanceB: string;
let clientA: InstanceBrokerClient;
let intruder: InstanceBrokerClient;
let forger: InstanceBrokerClient;
/** Everything the broker's Powertools logger printed, and every answer and error the clients saw. */
const printed: string[] = [];
const seen: string[] = [];

async function groupInstances(name: string) {
  const { AutoScalingGroups } = await autoScaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
  );
  return AutoScalingGroups?.[0]?.Instances ?? [];
}

async function instanceState(instanceId: string) {
  const instance = (await groupInstances(FLEET_GROUP)).find((candidate) => candidate.InstanceId === instanceId);
  return instance && { protectedFromScaleIn: instance.ProtectedFromScaleIn, health: instance.HealthStatus };
}

/** Calls through the whole path, keeping what the logger printed and what the caller got back. */
async function send(client: InstanceBrokerClient, request: BrokerCall) {
  let outcome: { answer?: unknown; error?: unknown } = {};
  printed.push(
    await captureProcessOutput(async () => {
      outcome = await client.call(request).then(
        (answer) => ({ answer }),
        (error: unknown) => ({ error }),
      );
    }),
  );
  seen.push(JSON.stringify(outcome.answer ?? null));
  if (outcome.error instanceof Error)
    seen.push(outcome.error.message, outcome.error.stack ?? '', JSON.stringify(outcome.error));
  return outcome;
}

beforeAll(async () => {
  autoScaling = new AutoScalingClient(awsClientConfig());
  await createMotoAutoScalingGroup({ name: FLEET_GROUP, desiredCapacity: 2, maxSize: 2 });
  await createMotoAutoScalingGroup({ name: UNTAGGED_GROUP, desiredCapacity: 1, maxSize: 1 });
  await autoScaling.send(
    new CreateOrUpdateTagsCommand({
      Tags: [
        {
          ResourceId: FLEET_GROUP,
          ResourceType: 'auto-scaling-group',
          Key: FLEET_TAG_KEY,
          Value: FLEET,
          PropagateAtLaunch: false,
        },
      ],
    }),
  );
  await autoScaling.send(
    new PutLifecycleHookCommand({
      AutoScalingGroupName: FLEET_GROUP,
      LifecycleHookName: HOOK,
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      HeartbeatTimeout: 600,
      DefaultResult: 'CONTINUE',
    }),
  );
  const [a, b] = (await groupInstances(FLEET_GROUP)).map((instance) => instance.InstanceId ?? '');
  if (!a || !b) throw new Error('moto created fewer than two instances');
  instanceA = a;
  instanceB = b;

  // Both instances wait in a termination lifecycle action (a scale-in picked both; B's agent is still running a job).
  standIn = await startPendingLifecycleActionStandIn(awsClientConfig().endpoint, [
    { autoScalingGroupName: FLEET_GROUP, lifecycleHookName: HOOK, instanceId: instanceA, token: TOKEN_A },
    { autoScalingGroupName: FLEET_GROUP, lifecycleHookName: HOOK, instanceId: instanceB, token: TOKEN_B },
  ]);
  const logger = new Logger({ serviceName: 'instance-broker' });
  const handler = createBrokerHandler({
    config: loadConfig({ AWS_REGION: 'us-east-1', INSTANCE_ROLE_NAME: ROLE, FLEET_ID: FLEET }),
    autoScaling: createAutoScalingPort(new AutoScalingClient({ ...awsClientConfig(), endpoint: standIn.endpoint })),
    logger,
  });
  front = await startLocalFunctionUrl({
    handler,
    callers: {
      ASIAINSTANCEA000001: {
        secretAccessKey: CANARY_SECRET,
        sessionToken: CANARY_TOKEN,
        userArn: `arn:aws:sts::123456789012:assumed-role/${ROLE}/${instanceA}`,
      },
      // Another role whose session is named after instance B: only the fleet role's sessions speak for an instance.
      ASIAINTRUDER0000001: {
        secretAccessKey: 'intruder-secret',
        userArn: `arn:aws:sts::123456789012:assumed-role/build-runner/${instanceB}`,
      },
    },
  });
  const credentialsA = {
    accessKeyId: 'ASIAINSTANCEA000001',
    secretAccessKey: CANARY_SECRET,
    sessionToken: CANARY_TOKEN,
  };
  clientA = createInstanceBrokerClient({ url: front.url, region: 'us-east-1', credentials: async () => credentialsA });
  intruder = createInstanceBrokerClient({
    url: front.url,
    region: 'us-east-1',
    credentials: async () => ({ accessKeyId: 'ASIAINTRUDER0000001', secretAccessKey: 'intruder-secret' }),
  });
  // A's key id with a guessed secret: the signature is wrong.
  forger = createInstanceBrokerClient({
    url: front.url,
    region: 'us-east-1',
    credentials: async () => ({ ...credentialsA, secretAccessKey: `${CANARY_SECRET}-guessed` }),
  });
});

afterAll(async () => {
  await front?.close();
  await standIn?.close();
});

describe('Integration: instance broker against moto', () => {
  it("protects only the caller: A's protection calls change A, never B", async () => {
    // Act
    const protect = await send(clientA, {
      action: 'set-instance-protection',
      autoScalingGroupName: FLEET_GROUP,
      protectedFromScaleIn: true,
    });
    const afterProtect = [await instanceState(instanceA), await instanceState(instanceB)];
    const release = await send(clientA, {
      action: 'set-instance-protection',
      autoScalingGroupName: FLEET_GROUP,
      protectedFromScaleIn: false,
    });
    const afterRelease = await instanceState(instanceA);

    // Assess
    expect(protect.answer).toEqual({ outcome: 'done', instanceId: instanceA });
    expect(afterProtect).toEqual([
      { protectedFromScaleIn: true, health: 'Healthy' },
      { protectedFromScaleIn: false, health: 'Healthy' },
    ]);
    expect(release.answer).toEqual({ outcome: 'done', instanceId: instanceA });
    expect(afterRelease).toEqual({ protectedFromScaleIn: false, health: 'Healthy' });
  });

  it("heartbeats and completes A's lifecycle action only; B's stays pending whatever A sends", async () => {
    // Act: everything A could send about lifecycle actions, B's token included
    const heartbeat = await send(clientA, {
      action: 'record-lifecycle-action-heartbeat',
      autoScalingGroupName: FLEET_GROUP,
      lifecycleHookName: HOOK,
    });
    const stolenTokenHeartbeat = await send(clientA, {
      action: 'record-lifecycle-action-heartbeat',
      autoScalingGroupName: FLEET_GROUP,
      lifecycleHookName: HOOK,
      lifecycleActionToken: TOKEN_B,
    });
    const stolenTokenComplete = await send(clientA, {
      action: 'complete-lifecycle-action',
      autoScalingGroupName: FLEET_GROUP,
      lifecycleHookName: HOOK,
      lifecycleActionResult: 'CONTINUE',
      lifecycleActionToken: TOKEN_B,
    });
    const again = await send(clientA, {
      action: 'complete-lifecycle-action',
      autoScalingGroupName: FLEET_GROUP,
      lifecycleHookName: HOOK,
      lifecycleActionResult: 'ABANDON',
      lifecycleActionToken: TOKEN_B,
    });

    // Assess: the first completion completed A's own action; then A has none left
    expect(heartbeat.answer).toEqual({ outcome: 'done', instanceId: instanceA });
    expect(stolenTokenHeartbeat.answer).toEqual({ outcome: 'done', instanceId: instanceA });
    expect(stolenTokenComplete.answer).toEqual({ outcome: 'done', instanceId: instanceA });
    expect(again.answer).toEqual({ outcome: 'no-pending-action', instanceId: instanceA });
    // B's busy job is never killed through the broker
    expect(standIn.pending).toEqual([
      { autoScalingGroupName: FLEET_GROUP, lifecycleHookName: HOOK, instanceId: instanceB, token: TOKEN_B },
    ]);
    expect(standIn.calls.map((call) => call.params.InstanceId)).toEqual([instanceA, instanceA, instanceA, instanceA]);
    expect(standIn.calls.every((call) => call.params.LifecycleActionToken === undefined)).toBe(true);
  });

  it('refuses a caller of another role, a wrong signature and a group without the fleet tag, changing nothing', async () => {
    // Act
    const otherRole = await send(intruder, {
      action: 'terminate-instance',
      autoScalingGroupName: FLEET_GROUP,
      decrementDesiredCapacity: true,
    });
    const badSignature = await send(forger, { action: 'set-instance-unhealthy', autoScalingGroupName: FLEET_GROUP });
    const untaggedGroup = await send(clientA, {
      action: 'set-instance-protection',
      autoScalingGroupName: UNTAGGED_GROUP,
      protectedFromScaleIn: true,
    });

    // Assess
    expect(otherRole.error).toMatchObject({
      status: 403,
      retryable: false,
      message: expect.stringContaining("not the fleet's instance role"),
    });
    expect(badSignature.error).toMatchObject({
      status: 403,
      retryable: false,
      message: expect.stringContaining('Forbidden'),
    });
    expect(untaggedGroup.error).toMatchObject({
      status: 403,
      retryable: false,
      message: expect.stringContaining("not one of this fleet's"),
    });
    expect(await groupInstances(FLEET_GROUP)).toHaveLength(2);
    expect(await instanceState(instanceA)).toEqual({ protectedFromScaleIn: false, health: 'Healthy' });
    expect(await instanceState(instanceB)).toEqual({ protectedFromScaleIn: false, health: 'Healthy' });
    expect((await groupInstances(UNTAGGED_GROUP)).map((instance) => instance.ProtectedFromScaleIn)).toEqual([false]);
  });

  it('marks only A unhealthy and terminates only A', async () => {
    // Act
    const unhealthy = await send(clientA, { action: 'set-instance-unhealthy', autoScalingGroupName: FLEET_GROUP });
    const afterUnhealthy = [await instanceState(instanceA), await instanceState(instanceB)];
    const terminate = await send(clientA, {
      action: 'terminate-instance',
      autoScalingGroupName: FLEET_GROUP,
      decrementDesiredCapacity: true,
    });
    const remaining = (await groupInstances(FLEET_GROUP)).map((instance) => instance.InstanceId);

    // Assess
    expect(unhealthy.answer).toEqual({ outcome: 'done', instanceId: instanceA });
    expect(afterUnhealthy).toEqual([
      { protectedFromScaleIn: false, health: 'Unhealthy' },
      { protectedFromScaleIn: false, health: 'Healthy' },
    ]);
    expect(terminate.answer).toEqual({ outcome: 'done', instanceId: instanceA });
    expect(remaining).toEqual([instanceB]);
    expect(standIn.pending.map((action) => action.instanceId)).toEqual([instanceB]);
  });

  it("passes Auto Scaling's refusal on by name once A is gone", async () => {
    // Act: A was terminated above; moto no longer knows it in the group
    const protect = await send(clientA, { action: 'set-instance-unhealthy', autoScalingGroupName: FLEET_GROUP });

    // Assess
    expect(protect.error).toMatchObject({ status: 502 });
    expect(protect.error).toHaveProperty('retryable');
  });

  it('logged one JSON record per request, and no canary secret in any log line, answer or error', () => {
    const lines = printed
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);

    // 12 requests; all but the badly signed one reached the broker (the front refused that one, as AWS would).
    expect(records.filter((record) => record.message === 'instance broker request')).toHaveLength(11);
    expect(records[0]).toMatchObject({
      level: 'INFO',
      service: 'instance-broker',
      action: 'set-instance-protection',
      instanceId: instanceA,
      autoScalingGroupName: FLEET_GROUP,
      outcome: 'done',
      status: 200,
      durationMs: expect.any(Number),
    });
    for (const text of [...lines, ...seen]) {
      expect(text).not.toContain(CANARY_SECRET);
      expect(text).not.toContain(CANARY_TOKEN);
    }
  });
});
