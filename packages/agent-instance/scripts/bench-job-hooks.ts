// Wall time of the job hooks as installed (the built bundle as a child process), against moto and the IMDS stand-in:
// `pnpm bench:hooks` after `pnpm build`. BOOT_RECORD=1 writes the boot's agent.env (instance id) first;
// SECOND_JOB=1 keeps another job running, so the measured events change nothing in AWS; BROKER=1 puts the instance
// broker in the boot contract: the real handler behind the local function URL front (in this process, at moto), so
// the figure is the instance side's cost (client load, credentials, signing, one loopback round trip) plus the
// handler's, without Lambda's network hop or cold start; BROKER=direct writes the same boot contract without the
// broker (the comparison). Run `uptime` beside it.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, EC2Client } from '@aws-sdk/client-ec2';
import { createAutoScalingPort, createBrokerHandler, FLEET_TAG_KEY, loadConfig } from '@elastic-ci/instance-broker';
import { type LocalFunctionUrl, startLocalFunctionUrl } from '@elastic-ci/instance-broker/local-function-url';
import { startImdsStandIn } from '../../testing/src/imds-stand-in.js';
import { startMotoServer } from '../../testing/src/moto-server.js';
import { renderBootContract } from '../src/boot-contract.js';

const bundle = join(import.meta.dirname, '..', 'dist', 'bin', 'elastic-ci-instance.cjs');
const runs = 5;

async function main(): Promise<void> {
  const moto = await startMotoServer();
  const imds = await (async () => {
    const config = { endpoint: moto.endpoint, region: moto.region, credentials: moto.credentials, maxAttempts: 1 };
    const ec2 = new EC2Client(config);
    const autoScaling = new AutoScalingClient(config);
    await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'bench',
        LaunchTemplateData: { ImageId: 'ami-12c6146b', InstanceType: 't3.small' },
      }),
    );
    await autoScaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'agents',
        MinSize: 0,
        MaxSize: 1,
        DesiredCapacity: 1,
        AvailabilityZones: ['us-east-1a'],
        LaunchTemplate: { LaunchTemplateName: 'bench' },
        Tags: [{ Key: FLEET_TAG_KEY, Value: 'bench-fleet', PropagateAtLaunch: false }],
      }),
    );
    const group = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['agents'] }));
    const instanceId = group.AutoScalingGroups?.[0]?.Instances?.[0]?.InstanceId ?? '';
    return Object.assign(await startImdsStandIn({ instanceId }), { instanceId, autoScaling });
  })();
  const root = await mkdtemp(join(tmpdir(), 'bench-job-hooks-'));
  let front: LocalFunctionUrl | undefined;
  if (process.env.BROKER === '1') {
    const silent = () => {};
    front = await startLocalFunctionUrl({
      region: moto.region,
      handler: createBrokerHandler({
        config: loadConfig({ AWS_REGION: moto.region, INSTANCE_ROLE_NAME: 'bench-agents', FLEET_ID: 'bench-fleet' }),
        autoScaling: createAutoScalingPort(imds.autoScaling),
        logger: { info: silent, warn: silent, error: silent },
      }),
      callers: {
        [moto.credentials.accessKeyId]: {
          secretAccessKey: moto.credentials.secretAccessKey,
          userArn: `arn:aws:sts::123456789012:assumed-role/bench-agents/${imds.instanceId}`,
        },
      },
    });
  }
  if (process.env.BROKER !== undefined) {
    await mkdir(join(root, 'etc', 'elastic-ci'), { recursive: true });
    await writeFile(
      join(root, 'etc', 'elastic-ci', 'boot-contract.json'),
      renderBootContract({
        version: 1,
        stack: { name: 'bench', region: moto.region, version: '1.0.0', autoScalingGroupName: 'agents' },
        agent: { token: { kind: 'ssm-parameter', name: '/bench/token' } },
        ...(front === undefined ? {} : { lifecycle: { instanceBrokerUrl: front.url } }),
      }),
    );
  }
  if (process.env.BOOT_RECORD) {
    await mkdir(join(root, 'etc', 'elastic-ci'), { recursive: true });
    await writeFile(join(root, 'etc', 'elastic-ci', 'agent.env'), `ELASTIC_CI_INSTANCE_ID="${imds.instanceId}"\n`);
  }
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: moto.region,
    AWS_ACCESS_KEY_ID: moto.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey,
    AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint,
    BUILDKITE_AGENT_PID: String(process.pid),
  };
  const hook = (command: string, jobId: string) =>
    new Promise<number>((resolve) => {
      const started = performance.now();
      execFile(
        process.execPath,
        [bundle, '--root', root, command],
        { env: { ...env, BUILDKITE_JOB_ID: jobId } },
        (error) => {
          // A failed hook is no figure: its time would be a retry loop or an early exit.
          if (error) throw new Error(`${command} failed: ${error.message}`);
          resolve(performance.now() - started);
        },
      );
    });
  const protectedFromScaleIn = async () =>
    (await imds.autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [imds.instanceId] })))
      .AutoScalingInstances?.[0]?.ProtectedFromScaleIn;
  if (process.env.SECOND_JOB) await hook('job-started', '0190a0b0-0000-7000-8000-0000000000aa');
  for (let run = 0; run < runs; run++) {
    const jobId = `0190a0b0-0000-7000-8000-00000000000${run}`;
    const before = imds.requests.length;
    const started = await hook('job-started', jobId);
    const between = imds.requests.length;
    if (!process.env.SECOND_JOB && (await protectedFromScaleIn()) !== true)
      throw new Error('job-started did not protect');
    const finished = await hook('job-finished', jobId);
    console.log(
      `run ${run}: job-started ${started.toFixed(0)} ms (IMDS requests ${between - before}), ` +
        `job-finished ${finished.toFixed(0)} ms (IMDS requests ${imds.requests.length - between})`,
    );
  }
  await front?.close();
  await imds.close();
  await moto.stop();
}

await main();
