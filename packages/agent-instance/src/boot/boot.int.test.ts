// The boot exactly as installed on agents: the tsup bundle run as a child process in a scratch root, AWS at moto,
// IMDS at the stand-in, and systemctl a stand-in on PATH that records its arguments.
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoScalingClient,
  CreateOrUpdateTagsCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeAutoScalingInstancesCommand,
} from '@aws-sdk/client-auto-scaling';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { createAutoScalingPort, createBrokerHandler, FLEET_TAG_KEY, loadConfig } from '@elastic-ci/instance-broker';
import { type LocalFunctionUrl, startLocalFunctionUrl } from '@elastic-ci/instance-broker/local-function-url';
import {
  awsClientConfig,
  awsEnvironment,
  createMotoAutoScalingGroup,
  type RunningImdsStandIn,
  startImdsStandIn,
} from '@elastic-ci/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildInstanceProgram } from '../test-support/build-instance-program.js';
import {
  type RecordingAutoScalingProxy,
  startRecordingAutoScalingProxy,
} from '../test-support/recording-auto-scaling-proxy.js';

const CANARY_TOKEN = 'bkua_CANARY_0f9e8d7c6b5a_must_never_be_printed';
const TOKEN_PARAMETER = '/ci-linux/buildkite/agent-token';
let bundle: string;
let standIn: RunningImdsStandIn | undefined;

beforeAll(async () => {
  bundle = await buildInstanceProgram();
}, 180_000);

let proxy: RecordingAutoScalingProxy | undefined;
let front: LocalFunctionUrl | undefined;

afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
  await proxy?.close();
  proxy = undefined;
  await front?.close();
  front = undefined;
});

interface Scratch {
  root: string;
  bin: string;
  commandLog: string;
}

async function scratch(): Promise<Scratch> {
  const base = await mkdtemp(join(tmpdir(), 'elastic-ci-boot-'));
  const root = join(base, 'root');
  const bin = join(base, 'bin');
  const commandLog = join(base, 'commands.log');
  await mkdir(join(root, 'etc/elastic-ci'), { recursive: true });
  await mkdir(bin, { recursive: true });
  await writeFile(commandLog, '');
  // Records every call; succeeds (a real systemctl would start services / power off).
  await writeFile(join(bin, 'systemctl'), `#!/bin/sh\necho "systemctl $*" >> '${commandLog}'\n`);
  await chmod(join(bin, 'systemctl'), 0o755);
  // The image pre-pull's programs: record what they were asked (and, for the login, which registry and config).
  await writeFile(join(bin, 'docker'), `#!/bin/sh\necho "docker $*" >> '${commandLog}'\n`);
  await writeFile(
    join(bin, 'elastic-ci-docker-login'),
    `#!/bin/sh\necho "elastic-ci-docker-login $* account=$BUILDKITE_PLUGIN_ECR_ACCOUNT_IDS region=$BUILDKITE_PLUGIN_ECR_REGION config=$DOCKER_CONFIG" >> '${commandLog}'\n`,
  );
  await chmod(join(bin, 'docker'), 0o755);
  await chmod(join(bin, 'elastic-ci-docker-login'), 0o755);
  return { root, bin, commandLog };
}

function contract(extra: { agent?: object; [key: string]: unknown } = {}) {
  return JSON.stringify({
    version: 1,
    stack: { name: 'ci-linux', region: 'us-east-1', version: '0.4.0' },
    ...extra,
    agent: {
      token: { kind: 'ssm-parameter', name: TOKEN_PARAMETER },
      queue: 'linux',
      tags: ['team=platform'],
      agentsPerInstance: 3,
      idleDisconnectTimeoutSeconds: 300,
      disconnectAfterUptimeSeconds: 7200,
      ...extra.agent,
    },
  });
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runCli(
  s: Scratch,
  args: string[],
  env: Record<string, string> = {},
  onStderr: (text: string) => void = () => {},
): Promise<Run> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(process.execPath, [bundle, '--root', s.root, ...args], {
      env: {
        PATH: `${s.bin}:${process.env.PATH ?? ''}`,
        HOME: s.root,
        ...awsEnvironment(),
        AWS_EC2_METADATA_SERVICE_ENDPOINT: standIn?.endpoint ?? '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      onStderr(stderr);
    });
    child.on('error', rejectRun);
    child.on('close', (status) => resolveRun({ status, stdout, stderr }));
  });
}

let groupsCreated = 0;

/** moto is reset per file, not per test: every test gets its own group (and so its own instance). */
async function groupWithOneInstance(): Promise<string> {
  groupsCreated++;
  const name = await createMotoAutoScalingGroup({
    name: `ci-linux-agents-${groupsCreated}`,
    minSize: 0,
    maxSize: 2,
    desiredCapacity: 1,
  });
  const groups = await new AutoScalingClient(awsClientConfig()).send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
  );
  const instanceId = groups.AutoScalingGroups?.[0]?.Instances?.[0]?.InstanceId;
  if (instanceId === undefined) throw new Error('moto started no instance in the group');
  return instanceId;
}

async function healthOf(instanceId: string): Promise<string | undefined> {
  const answer = await new AutoScalingClient(awsClientConfig()).send(
    new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] }),
  );
  return answer.AutoScalingInstances?.[0]?.HealthStatus;
}

async function putToken(): Promise<void> {
  await new SSMClient(awsClientConfig()).send(
    new PutParameterCommand({ Name: TOKEN_PARAMETER, Type: 'SecureString', Value: CANARY_TOKEN, Overwrite: true }),
  );
}

/** The kernel's boot id, as the scratch root shows it: a new value is a reboot (or a warm-pool resume). */
async function setBootId(s: Scratch, bootId: string): Promise<void> {
  await mkdir(join(s.root, 'proc/sys/kernel/random'), { recursive: true });
  await writeFile(join(s.root, 'proc/sys/kernel/random/boot_id'), `${bootId}\n`);
}

const commandsOf = async (s: Scratch) => (await readFile(s.commandLog, 'utf8')).split('\n').filter((l) => l !== '');

describe('Program: elastic-ci-instance boot (bundle, moto, IMDS stand-in)', () => {
  it('writes buildkite-agent.cfg with the token from SSM, then starts lifecycled and the agent; the token is never printed', async () => {
    const instanceId = await groupWithOneInstance();
    standIn = await startImdsStandIn({ instanceId, region: 'us-east-1' });
    standIn.setTargetLifecycleState('InService');
    await putToken();
    const s = await scratch();
    await writeFile(join(s.root, 'etc/elastic-ci/boot-contract.json'), contract());
    await setBootId(s, 'boot-1');

    const run = await runCli(s, ['boot', '--contract', join(s.root, 'etc/elastic-ci/boot-contract.json')]);

    expect(run.stderr).not.toContain(CANARY_TOKEN);
    expect(run.stdout).not.toContain(CANARY_TOKEN);
    expect(run.status).toBe(0);
    const configPath = join(s.root, 'etc/buildkite-agent/buildkite-agent.cfg');
    const config = (await readFile(configPath, 'utf8')).split('\n');
    expect(config).toContain(`name="ci-linux-${instanceId}-%spawn"`);
    expect(config).toContain(`token="${CANARY_TOKEN}"`);
    expect(config).toContain(
      `tags="queue=linux,stack=ci-linux,stack-version=0.4.0,instance-id=${instanceId},team=platform"`,
    );
    expect(config).toContain('spawn=3');
    expect(config).toContain('disconnect-after-idle-timeout=300');
    expect(config).toContain('disconnect-after-job=false');
    expect(config).toContain('disconnect-after-uptime=7200');
    expect(config).toContain('endpoint="https://agent-edge.buildkite.com/v3"');
    expect((await stat(configPath)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(join(s.root, 'etc/docker/daemon.json'), 'utf8'))).toMatchObject({
      'userns-remap': 'buildkite-agent',
    });
    expect(await commandsOf(s)).toEqual([
      'systemctl restart docker.service',
      'systemctl enable --now lifecycled.service',
      'systemctl start buildkite-agent.service',
    ]);
    expect(await healthOf(instanceId)).toBe('Healthy');

    // elastic-ci-start-agent.service runs after cloud-final on the same boot: Docker is not restarted under the agent.
    const waiter = await runCli(s, ['start-agent-when-in-service']);
    expect(waiter.status).toBe(0);
    expect((await commandsOf(s)).slice(3)).toEqual(['systemctl start buildkite-agent.service']);
  });

  it('fails closed when SSM is unreachable: one line naming the step, instance Unhealthy in the group, no agent', async () => {
    const instanceId = await groupWithOneInstance();
    standIn = await startImdsStandIn({ instanceId, region: 'us-east-1' });
    const s = await scratch();
    await writeFile(join(s.root, 'etc/elastic-ci/boot-contract.json'), contract());

    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    const run = await runCli(s, ['boot'], { AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' });

    expect(run.status).toBe(1);
    const errors = run.stderr.split('\n').filter((line) => line.includes('ERROR'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('boot failed at step "agent token"');
    expect(errors[0]).toContain(TOKEN_PARAMETER);
    expect(await commandsOf(s)).toEqual(['systemctl poweroff']);
    expect(await healthOf(instanceId)).toBe('Unhealthy');
    await expect(stat(join(s.root, 'etc/buildkite-agent/buildkite-agent.cfg'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a bad contract in one line naming the field, marks the instance Unhealthy, starts nothing', async () => {
    const instanceId = await groupWithOneInstance();
    standIn = await startImdsStandIn({ instanceId, region: 'us-east-1' });
    const s = await scratch();
    await writeFile(join(s.root, 'etc/elastic-ci/boot-contract.json'), contract({ agent: { agentsPerInstance: 0 } }));

    const run = await runCli(s, ['--json', 'boot']);

    expect(run.status).toBe(1);
    const entries = run.stderr
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { level: string; message: string });
    const errors = entries.filter((entry) => entry.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain('step "boot contract"');
    expect(errors[0]?.message).toContain('agent.agentsPerInstance');
    expect(await commandsOf(s)).toEqual(['systemctl poweroff']);
    expect(await healthOf(instanceId)).toBe('Unhealthy');
  });

  it('Warmed:Stopped prepares without starting the agent; the waiter starts it once the stand-in says InService', async () => {
    const instanceId = await groupWithOneInstance();
    standIn = await startImdsStandIn({ instanceId, region: 'us-east-1' });
    standIn.setTargetLifecycleState('Warmed:Stopped');
    await putToken();
    const s = await scratch();
    await writeFile(
      join(s.root, 'etc/elastic-ci/boot-contract.json'),
      contract({ lifecycle: { warmPoolEnabled: true } }),
    );

    await setBootId(s, 'boot-1');
    const boot = await runCli(s, ['boot']);
    expect(boot.status).toBe(0);
    expect(await readFile(join(s.root, 'etc/buildkite-agent/buildkite-agent.cfg'), 'utf8')).toContain('spawn=3');
    expect(await commandsOf(s)).toEqual([
      'systemctl restart docker.service',
      'systemctl enable --now lifecycled.service',
      'systemctl enable --now --no-block elastic-ci-start-agent.service',
    ]);

    // The instance is stopped in the pool and started again: a new boot. The waiter (what
    // elastic-ci-start-agent.service runs) redoes the every-boot steps; switch to InService once it has polled.
    await setBootId(s, 'boot-2');
    const polls = () =>
      standIn?.requests.filter((request) => request.path.endsWith('autoscaling/target-lifecycle-state')).length ?? 0;
    const pollsBefore = polls();
    let switched = false;
    const waiter = await runCli(s, ['start-agent-when-in-service', '--poll-interval-ms', '50'], {}, (stderr) => {
      if (!switched && stderr.includes('Warmed:Stopped') && polls() > pollsBefore) {
        switched = true;
        standIn?.setTargetLifecycleState('InService');
      }
    });

    expect(waiter.status).toBe(0);
    expect(switched).toBe(true);
    expect((await commandsOf(s)).slice(3)).toEqual([
      'systemctl restart docker.service',
      'systemctl start buildkite-agent.service',
    ]);
    expect(waiter.stderr + boot.stderr).not.toContain(CANARY_TOKEN);
  });

  describe('the warm-pool launch lifecycle hook (CompleteLifecycleAction answered by a proxy: moto lacks it)', () => {
    const HOOK = 'elastic-ci-launch';
    const ECR_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/ci/node:22';
    const withHook = () =>
      contract({
        lifecycle: { warmPoolEnabled: true, launchHookName: HOOK },
        docker: { prePullImages: [ECR_IMAGE, 'public.ecr.aws/docker/library/alpine:3'] },
      });

    it('is completed with CONTINUE once the warmed instance is prepared, and again on InService before the agent starts', async () => {
      const instanceId = await groupWithOneInstance();
      standIn = await startImdsStandIn({ instanceId, region: 'us-east-1' });
      standIn.setTargetLifecycleState('Warmed:Stopped');
      await putToken();
      const s = await scratch();
      proxy = await startRecordingAutoScalingProxy(awsEnvironment().AWS_ENDPOINT_URL as string, s.commandLog);
      const viaProxy = { AWS_ENDPOINT_URL_AUTO_SCALING: proxy.endpoint };
      await writeFile(join(s.root, 'etc/elastic-ci/boot-contract.json'), withHook());

      await setBootId(s, 'boot-1');
      const boot = await runCli(s, ['boot'], viaProxy);
      expect(boot.status).toBe(0);
      const config = join(s.root, 'var/lib/elastic-ci/pre-pull-docker-config');
      expect(await commandsOf(s)).toEqual([
        'systemctl restart docker.service',
        'systemctl enable --now lifecycled.service',
        `elastic-ci-docker-login ecr account=123456789012 region=us-east-1 config=${config}`,
        `docker --config ${config} pull --quiet -- ${ECR_IMAGE}`,
        `docker --config ${config} pull --quiet -- public.ecr.aws/docker/library/alpine:3`,
        'systemctl enable --now --no-block elastic-ci-start-agent.service',
        `aws CompleteLifecycleAction ${HOOK} CONTINUE`,
      ]);
      await expect(stat(config)).rejects.toThrow(/ENOENT/);
      // The group came from moto (DescribeAutoScalingInstances through the proxy): the contract names none.
      expect(proxy.calls[0]?.params).toMatchObject({
        AutoScalingGroupName: `ci-linux-agents-${groupsCreated}`,
        InstanceId: instanceId,
        LifecycleHookName: HOOK,
        LifecycleActionResult: 'CONTINUE',
      });

      // Resumed from the pool: a new boot, and the hook waits again (Pending:Wait) with the target InService.
      await setBootId(s, 'boot-2');
      standIn.setTargetLifecycleState('InService');
      const waiter = await runCli(s, ['start-agent-when-in-service', '--poll-interval-ms', '50'], viaProxy);
      expect(waiter.status).toBe(0);
      expect((await commandsOf(s)).slice(7)).toEqual([
        'systemctl restart docker.service',
        `aws CompleteLifecycleAction ${HOOK} CONTINUE`,
        'systemctl start buildkite-agent.service',
      ]);
      expect(await healthOf(instanceId)).toBe('Healthy');
      expect(boot.stderr + waiter.stderr).not.toContain(CANARY_TOKEN);
    });

    it('a later start with no lifecycle action pending (a reboot) still starts the agent', async () => {
      const instanceId = await groupWithOneInstance();
      standIn = await startImdsStandIn({ instanceId, region: 'us-east-1' });
      standIn.setTargetLifecycleState('InService');
      const s = await scratch();
      proxy = await startRecordingAutoScalingProxy(awsEnvironment().AWS_ENDPOINT_URL as string, s.commandLog, {
        noPendingAction: true,
      });
      await writeFile(join(s.root, 'etc/elastic-ci/boot-contract.json'), withHook());
      await mkdir(join(s.root, 'var/lib/elastic-ci'), { recursive: true });
      await writeFile(join(s.root, 'var/lib/elastic-ci/boot-completed'), JSON.stringify({ instanceId }));
      await setBootId(s, 'boot-3');

      const waiter = await runCli(s, ['start-agent-when-in-service'], {
        AWS_ENDPOINT_URL_AUTO_SCALING: proxy.endpoint,
      });

      expect(waiter.status).toBe(0);
      expect(waiter.stderr).toContain('no launch lifecycle action pending');
      expect(await commandsOf(s)).toEqual([
        'systemctl restart docker.service',
        `aws CompleteLifecycleAction ${HOOK} CONTINUE`,
        'systemctl start buildkite-agent.service',
      ]);
      expect(await healthOf(instanceId)).toBe('Healthy');
    });

    it('a failed boot abandons the lifecycle action, marks the instance Unhealthy in moto and powers off', async () => {
      const instanceId = await groupWithOneInstance();
      standIn = await startImdsStandIn({ instanceId, region: 'us-east-1' });
      standIn.setTargetLifecycleState('Warmed:Stopped');
      const s = await scratch();
      proxy = await startRecordingAutoScalingProxy(awsEnvironment().AWS_ENDPOINT_URL as string, s.commandLog);
      await writeFile(join(s.root, 'etc/elastic-ci/boot-contract.json'), withHook());

      const run = await runCli(s, ['boot'], {
        AWS_ENDPOINT_URL_AUTO_SCALING: proxy.endpoint,
        AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:9',
        AWS_MAX_ATTEMPTS: '1',
      });

      expect(run.status).toBe(1);
      expect(await commandsOf(s)).toEqual([`aws CompleteLifecycleAction ${HOOK} ABANDON`, 'systemctl poweroff']);
      expect(proxy.calls.map((call) => call.params.InstanceId)).toEqual([instanceId]);
      expect(await healthOf(instanceId)).toBe('Unhealthy');
    });
  });

  describe('through the instance broker (its real handler behind the local function URL front: moto has no function URLs)', () => {
    it('a failed boot abandons the launch hook and marks the instance Unhealthy through the broker, never calling Auto Scaling itself', async () => {
      // Prepare: the group carries the fleet tag; the broker's own Auto Scaling client reaches moto through the
      // recording proxy (moto lacks CompleteLifecycleAction), the instance's own calls reach moto directly, where a
      // CompleteLifecycleAction would fail.
      const instanceId = await groupWithOneInstance();
      const group = `ci-linux-agents-${groupsCreated}`;
      const moto = awsClientConfig();
      await new AutoScalingClient(moto).send(
        new CreateOrUpdateTagsCommand({
          Tags: [
            {
              ResourceId: group,
              ResourceType: 'auto-scaling-group',
              Key: FLEET_TAG_KEY,
              Value: 'ci-linux',
              PropagateAtLaunch: false,
            },
          ],
        }),
      );
      standIn = await startImdsStandIn({ instanceId, region: 'us-east-1' });
      standIn.setTargetLifecycleState('Warmed:Stopped');
      const s = await scratch();
      proxy = await startRecordingAutoScalingProxy(awsEnvironment().AWS_ENDPOINT_URL as string, s.commandLog);
      const records: Array<Record<string, unknown>> = [];
      const record = (message: string, attributes: Record<string, unknown>) => records.push({ message, ...attributes });
      front = await startLocalFunctionUrl({
        handler: createBrokerHandler({
          config: loadConfig({ AWS_REGION: moto.region, INSTANCE_ROLE_NAME: 'ci-linux-agent', FLEET_ID: 'ci-linux' }),
          autoScaling: createAutoScalingPort(new AutoScalingClient({ ...moto, endpoint: proxy.endpoint })),
          logger: { info: record, warn: record, error: record },
        }),
        region: moto.region,
        callers: {
          [moto.credentials.accessKeyId]: {
            secretAccessKey: moto.credentials.secretAccessKey,
            userArn: `arn:aws:sts::123456789012:assumed-role/ci-linux-agent/${instanceId}`,
          },
        },
      });
      await writeFile(
        join(s.root, 'etc/elastic-ci/boot-contract.json'),
        contract({
          stack: { name: 'ci-linux', region: 'us-east-1', version: '0.4.0', autoScalingGroupName: group },
          lifecycle: { warmPoolEnabled: true, launchHookName: 'elastic-ci-launch', instanceBrokerUrl: front.url },
        }),
      );

      // Act: SSM is unreachable, so the boot fails
      const run = await runCli(s, ['boot'], { AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' });

      // Assess
      expect(run.status).toBe(1);
      expect(await commandsOf(s)).toEqual([
        'aws CompleteLifecycleAction elastic-ci-launch ABANDON',
        'systemctl poweroff',
      ]);
      expect(proxy.calls.map((call) => call.params.InstanceId)).toEqual([instanceId]);
      expect(await healthOf(instanceId)).toBe('Unhealthy');
      expect(records).toEqual([
        expect.objectContaining({ action: 'complete-lifecycle-action', instanceId, status: 200 }),
        expect.objectContaining({ action: 'set-instance-unhealthy', instanceId, status: 200 }),
      ]);
    });
  });
});
