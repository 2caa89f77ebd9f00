// The bundled daemon exactly as installed on agents (tsup output, AWS SDK inside), under the Node running the tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoScalingClient, CreateOrUpdateTagsCommand } from '@aws-sdk/client-auto-scaling';
import {
  type BrokerAutoScalingPort,
  createAutoScalingPort,
  createBrokerHandler,
  FLEET_TAG_KEY,
  type LifecycleActionCall,
  loadConfig,
} from '@elastic-ci/instance-broker';
import { startLocalFunctionUrl } from '@elastic-ci/instance-broker/local-function-url';
import {
  awsClientConfig,
  awsEnvironment,
  createMotoAutoScalingGroup,
  type RunningImdsStandIn,
  startImdsStandIn,
} from '@elastic-ci/testing';
import { build, type Options } from 'tsup';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import tsupConfig from '../tsup.config';
import { captureStream } from './test-support/harness';

const INSTANCE_ID = 'i-0123456789abcdef0';
const nodeMajor = Number(process.versions.node.split('.')[0]);
let bundle: string;
let standIn: RunningImdsStandIn | undefined;
let daemon: ChildProcess | undefined;

beforeAll(async () => {
  const outDir = await mkdtemp(join(tmpdir(), 'lifecycled-bundle-'));
  const configs = (Array.isArray(tsupConfig) ? tsupConfig : [tsupConfig]) as Options[];
  const programs = configs.find((config) => typeof config.entry === 'object' && 'lifecycled' in config.entry);
  if (programs === undefined) throw new Error('tsup.config.ts has no lifecycled entry');
  await build({ ...programs, outDir, silent: true, config: false, sourcemap: false });
  bundle = join(outDir, 'lifecycled.js');
}, 120_000);

afterEach(async () => {
  daemon?.kill('SIGKILL');
  await standIn?.close();
});

/** Resolves once `ready()` holds, checked on every stderr chunk; the limit only turns a hang into a clear failure. */
function waitUntil(ready: () => boolean, describeState: () => string, limitMs = 60_000): Promise<void> {
  return new Promise((resolveWait, rejectWait) => {
    const check = () => {
      if (!ready()) return;
      clearInterval(poll);
      clearTimeout(limit);
      resolveWait();
    };
    const poll = setInterval(check, 20);
    const limit = setTimeout(() => {
      clearInterval(poll);
      rejectWait(new Error(`gave up waiting; daemon said:\n${describeState()}`));
    }, limitMs);
    check();
  });
}

describe('Program: bundled lifecycled on this Node', () => {
  it('keeps every stderr line of --json a JSON entry, the AWS SDK’s Node version notice included', async () => {
    // Prepare
    standIn = await startImdsStandIn({ instanceId: INSTANCE_ID });
    standIn.setTargetLifecycleState('InService');
    const stderr = captureStream();
    daemon = spawn(
      process.execPath,
      [bundle, '--json', '--debug', '--no-spot', `--instance-id=${INSTANCE_ID}`, '--lifecycle-state-interval=50ms'],
      {
        env: {
          PATH: process.env.PATH ?? '',
          ...awsEnvironment(),
          AWS_REGION: 'us-east-1',
          AWS_EC2_METADATA_SERVICE_ENDPOINT: standIn.endpoint,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    daemon.stderr?.pipe(stderr.stream);
    const exit = new Promise<number | null>((resolveExit) => daemon?.once('exit', (code) => resolveExit(code)));
    const polls = () => standIn?.requests.filter((request) => request.path.includes('target-lifecycle-state')) ?? [];
    // The SDK warns when the first client is built, just before the listeners start: the notice (Node < 22) or a
    // poll after the start means it has had its chance.
    await waitUntil(
      () =>
        nodeMajor < 22
          ? stderr.text().includes('NodeVersionSupportWarning') && polls().length >= 2
          : polls().length >= 2,
      stderr.text,
    );

    // Act
    daemon.kill('SIGTERM');
    const exitCode = await exit;

    // Assess
    expect(exitCode).toBe(0);
    const lines = stderr
      .text()
      .split('\n')
      .filter((line) => line !== '');
    const unparsable = lines.filter((line) => {
      try {
        return typeof JSON.parse(line) !== 'object';
      } catch {
        return true;
      }
    });
    expect(unparsable).toEqual([]);
    const notices = stderr.entries().filter((entry) => JSON.stringify(entry).includes('NodeVersionSupportWarning'));
    expect(notices).toEqual(
      nodeMajor < 22
        ? [
            expect.objectContaining({
              level: 'debug',
              msg: 'Node.js warning',
              warning: expect.objectContaining({ message: expect.stringMatching(/^NodeVersionSupportWarning: /) }),
            }),
          ]
        : [],
    );
  }, 90_000);
});

describe('Program: bundled lifecycled with --instance-broker-url', () => {
  // A recording stand-in for the broker's function URL: the point here is the bundle (the client is inside, signs,
  // and sends what the contract says); the broker itself is tested in packages/instance-broker.
  it('heartbeats while the handler runs and completes the action through the broker, signed for lambda', async () => {
    // Prepare
    const requests: Array<{
      method: string | undefined;
      authorization: string | undefined;
      body: Record<string, unknown>;
    }> = [];
    const broker = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      request.on('end', () => {
        requests.push({
          method: request.method,
          authorization: request.headers.authorization,
          body: JSON.parse(text) as Record<string, unknown>,
        });
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ outcome: 'done', instanceId: INSTANCE_ID }));
      });
    });
    await new Promise<void>((resolveListen) => broker.listen(0, '127.0.0.1', resolveListen));
    const brokerUrl = `http://127.0.0.1:${(broker.address() as AddressInfo).port}/`;
    const directory = await mkdtemp(join(tmpdir(), 'lifecycled-broker-'));
    const release = join(directory, 'job-finished');
    // The job ends when the test says so (after two heartbeats went out), however slow the machine.
    const handler = join(directory, 'handler.mjs');
    await writeFile(
      handler,
      `#!${process.execPath}
import { existsSync } from 'node:fs';
const wait = setInterval(() => { if (existsSync(${JSON.stringify(release)})) { clearInterval(wait); process.exit(0); } }, 20);
`,
    );
    await chmod(handler, 0o755);
    standIn = await startImdsStandIn({ instanceId: INSTANCE_ID });
    standIn.setTargetLifecycleState('Terminated');
    const stderr = captureStream();
    // A canary secret: moto and the stand-in verify no signature, and the secret must appear in no output.
    const environment: Record<string, string> = {
      ...awsEnvironment(),
      AWS_SECRET_ACCESS_KEY: 'canary-secret-0b7c-do-not-log',
    };
    daemon = spawn(
      process.execPath,
      [
        bundle,
        '--json',
        '--no-spot',
        `--instance-id=${INSTANCE_ID}`,
        `--handler=${handler}`,
        '--autoscaling-group-name=agents',
        '--lifecycle-hook-name=drain',
        '--autoscaling-heartbeat-interval=100ms',
        '--lifecycle-state-interval=50ms',
        `--instance-broker-url=${brokerUrl}`,
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          ...environment,
          AWS_REGION: 'us-east-1',
          AWS_EC2_METADATA_SERVICE_ENDPOINT: standIn.endpoint,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    daemon.stderr?.pipe(stderr.stream);
    const exit = new Promise<number | null>((resolveExit) => daemon?.once('exit', (code) => resolveExit(code)));

    try {
      // Act
      await waitUntil(() => requests.length >= 2, stderr.text);
      const whileBusy = requests.map((request) => request.body.action);
      await writeFile(release, '');
      const exitCode = await exit;

      // Assess
      expect(exitCode).toBe(0);
      expect(whileBusy.every((action) => action === 'record-lifecycle-action-heartbeat')).toBe(true);
      expect(requests.at(-1)?.body).toEqual({
        version: 1,
        action: 'complete-lifecycle-action',
        autoScalingGroupName: 'agents',
        lifecycleHookName: 'drain',
        lifecycleActionResult: 'CONTINUE',
      });
      expect(requests.filter((request) => request.body.action === 'complete-lifecycle-action')).toHaveLength(1);
      for (const request of requests) {
        expect(request.method).toBe('POST');
        expect(request.authorization).toMatch(
          new RegExp(
            `^AWS4-HMAC-SHA256 Credential=${environment.AWS_ACCESS_KEY_ID}/\\d{8}/us-east-1/lambda/aws4_request,`,
          ),
        );
        expect(JSON.stringify(request.body)).not.toContain(INSTANCE_ID);
      }
      expect(stderr.text()).not.toContain('canary-secret-0b7c-do-not-log');
    } finally {
      broker.closeAllConnections();
      await new Promise((resolveClose) => broker.close(resolveClose));
    }
  }, 90_000);
});

describe('Program: bundled lifecycled through the real instance broker', () => {
  it('drains and completes the action through the broker, which acts for the signed caller in a fleet group', async () => {
    // Prepare: a fleet group in moto; the real broker handler behind the local function URL front (moto has no
    // function URLs or IAM authentication); moto lacks the two lifecycle calls, so only those are recorded here.
    const moto = awsClientConfig();
    const autoScaling = new AutoScalingClient(moto);
    const group = 'lifecycled-brokered';
    await createMotoAutoScalingGroup({ name: group, minSize: 0, maxSize: 1, desiredCapacity: 0 });
    await autoScaling.send(
      new CreateOrUpdateTagsCommand({
        Tags: [
          {
            ResourceId: group,
            ResourceType: 'auto-scaling-group',
            Key: FLEET_TAG_KEY,
            Value: 'fleet',
            PropagateAtLaunch: false,
          },
        ],
      }),
    );
    const lifecycleCalls: Array<LifecycleActionCall & { call: string; lifecycleActionResult?: string }> = [];
    const port: BrokerAutoScalingPort = {
      ...createAutoScalingPort(autoScaling),
      recordLifecycleActionHeartbeat: async (call) => {
        lifecycleCalls.push({ call: 'heartbeat', ...call });
      },
      completeLifecycleAction: async (call) => {
        lifecycleCalls.push({ call: 'complete', ...call });
      },
    };
    const records: Array<Record<string, unknown>> = [];
    const record = (message: string, attributes: Record<string, unknown>) => records.push({ message, ...attributes });
    const front = await startLocalFunctionUrl({
      handler: createBrokerHandler({
        config: loadConfig({ AWS_REGION: moto.region, INSTANCE_ROLE_NAME: 'agent-role', FLEET_ID: 'fleet' }),
        autoScaling: port,
        logger: { info: record, warn: record, error: record },
      }),
      region: moto.region,
      callers: {
        [moto.credentials.accessKeyId]: {
          secretAccessKey: moto.credentials.secretAccessKey,
          userArn: `arn:aws:sts::123456789012:assumed-role/agent-role/${INSTANCE_ID}`,
        },
      },
    });
    const directory = await mkdtemp(join(tmpdir(), 'lifecycled-real-broker-'));
    const handler = join(directory, 'handler.mjs');
    await writeFile(handler, `#!${process.execPath}\nprocess.exit(0);\n`);
    await chmod(handler, 0o755);
    standIn = await startImdsStandIn({ instanceId: INSTANCE_ID });
    standIn.setTargetLifecycleState('Terminated');
    const stderr = captureStream();

    try {
      // Act
      daemon = spawn(
        process.execPath,
        [
          bundle,
          '--json',
          '--no-spot',
          `--instance-id=${INSTANCE_ID}`,
          `--handler=${handler}`,
          `--autoscaling-group-name=${group}`,
          '--lifecycle-hook-name=drain',
          '--lifecycle-state-interval=50ms',
          `--instance-broker-url=${front.url}`,
        ],
        {
          env: {
            PATH: process.env.PATH ?? '',
            ...awsEnvironment(),
            AWS_EC2_METADATA_SERVICE_ENDPOINT: standIn.endpoint,
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      daemon.stderr?.pipe(stderr.stream);
      const exitCode = await new Promise<number | null>((resolveExit) => daemon?.once('exit', resolveExit));

      // Assess
      expect(exitCode).toBe(0);
      expect(lifecycleCalls).toEqual([
        {
          call: 'complete',
          autoScalingGroupName: group,
          lifecycleHookName: 'drain',
          instanceId: INSTANCE_ID,
          lifecycleActionResult: 'CONTINUE',
        },
      ]);
      expect(records).toEqual([
        expect.objectContaining({ action: 'complete-lifecycle-action', instanceId: INSTANCE_ID, status: 200 }),
      ]);
      expect(stderr.entries().some((entry) => entry.msg === 'Lifecycle action completed successfully')).toBe(true);
    } finally {
      await front.close();
    }
  }, 90_000);
});
