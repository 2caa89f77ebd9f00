// The job hooks exactly as installed on agents (the tsup bundle as a child process) with an instance broker in the
// boot contract: the real broker handler behind the local function URL front (SigV4 checked, the caller's identity
// put into the event as AWS would — moto has no function URLs or IAM authentication), Auto Scaling and EC2 at moto.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoScalingClient,
  CreateOrUpdateTagsCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
} from '@aws-sdk/client-auto-scaling';
import { createAutoScalingPort, createBrokerHandler, FLEET_TAG_KEY, loadConfig } from '@elastic-ci/instance-broker';
import { type LocalFunctionUrl, startLocalFunctionUrl } from '@elastic-ci/instance-broker/local-function-url';
import {
  awsClientConfig,
  awsEnvironment,
  createMotoAutoScalingGroup,
  type RunningImdsStandIn,
  startImdsStandIn,
} from '@elastic-ci/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderBootContract } from '../boot-contract.js';
import { buildInstanceProgram } from '../test-support/build-instance-program.js';

const GROUP = 'brokered-agents';
const FLEET = 'fleet-under-test';
const ROLE = 'elastic-ci-agent-instance-role';
let bundle: string;
let front: LocalFunctionUrl | undefined;
let imds: RunningImdsStandIn | undefined;
const children: ChildProcess[] = [];
const brokerRecords: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  bundle = await buildInstanceProgram({ minify: false });
}, 240_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await front?.close();
  await imds?.close();
});

function liveProcess(): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  children.push(child);
  if (child.pid === undefined) throw new Error('could not start a stand-in process');
  return child.pid;
}

function cli(root: string, args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bundle, '--root', root, ...args],
      {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          ...awsEnvironment(),
          AWS_EC2_METADATA_SERVICE_ENDPOINT: imds?.endpoint ?? '',
          ...env,
        },
      },
      (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
    );
  });
}

async function protectedFromScaleIn(instanceId: string): Promise<boolean | undefined> {
  const answer = await new AutoScalingClient(awsClientConfig()).send(
    new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }),
  );
  return answer.AutoScalingInstances?.[0]?.ProtectedFromScaleIn;
}

describe('busy protection through the instance broker', () => {
  it('protects the instance for its job and releases it after, each call made by the broker for this caller', async () => {
    // Prepare: a fleet group in moto, the broker in front of it, the instance's contract naming the broker
    const moto = awsClientConfig();
    const autoScaling = new AutoScalingClient(moto);
    await createMotoAutoScalingGroup({ name: GROUP, minSize: 0, maxSize: 2, desiredCapacity: 1 });
    await autoScaling.send(
      new CreateOrUpdateTagsCommand({
        Tags: [
          {
            ResourceId: GROUP,
            ResourceType: 'auto-scaling-group',
            Key: FLEET_TAG_KEY,
            Value: FLEET,
            PropagateAtLaunch: false,
          },
        ],
      }),
    );
    const group = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [GROUP] }));
    const instanceId = group.AutoScalingGroups?.[0]?.Instances?.[0]?.InstanceId as string;
    const record = (level: string) => (message: string, attributes: Record<string, unknown>) =>
      brokerRecords.push({ level, message, ...attributes });
    const handler = createBrokerHandler({
      config: loadConfig({ AWS_REGION: moto.region, INSTANCE_ROLE_NAME: ROLE, FLEET_ID: FLEET }),
      autoScaling: createAutoScalingPort(autoScaling),
      logger: { info: record('info'), warn: record('warn'), error: record('error') },
    });
    front = await startLocalFunctionUrl({
      handler,
      region: moto.region,
      // The instance profile's credentials: the session of the fleet's role is named after the instance.
      callers: {
        [moto.credentials.accessKeyId]: {
          secretAccessKey: moto.credentials.secretAccessKey,
          userArn: `arn:aws:sts::123456789012:assumed-role/${ROLE}/${instanceId}`,
        },
      },
    });
    imds = await startImdsStandIn({ instanceId, region: moto.region });
    const root = await mkdtemp(join(tmpdir(), 'elastic-ci-broker-root-'));
    await mkdir(join(root, 'etc', 'elastic-ci'), { recursive: true });
    await writeFile(
      join(root, 'etc', 'elastic-ci', 'boot-contract.json'),
      renderBootContract({
        version: 1,
        stack: { name: 'ci', region: moto.region, version: '1.0.0', autoScalingGroupName: GROUP },
        agent: { token: { kind: 'ssm-parameter', name: '/ci/token' } },
        lifecycle: { instanceBrokerUrl: front.url },
      }),
    );
    const job = { BUILDKITE_JOB_ID: 'job-brokered', BUILDKITE_AGENT_PID: String(liveProcess()) };

    // Act / Assess: the job starts
    expect(await cli(root, ['job-started'], job)).toMatchObject({ code: 0 });
    expect(await protectedFromScaleIn(instanceId)).toBe(true);

    // Act / Assess: the job ends
    expect(await cli(root, ['job-finished'], job)).toMatchObject({ code: 0 });
    expect(await protectedFromScaleIn(instanceId)).toBe(false);

    // Both changes were the broker's, each one log record naming the caller it acted for.
    expect(brokerRecords).toEqual([
      expect.objectContaining({ action: 'set-instance-protection', instanceId, status: 200, outcome: 'done' }),
      expect.objectContaining({ action: 'set-instance-protection', instanceId, status: 200, outcome: 'done' }),
    ]);
    // The broker logs no part of the signed request.
    expect(JSON.stringify(brokerRecords)).not.toContain('Signature=');
  }, 120_000);
});
