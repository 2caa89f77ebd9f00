import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeWarmPoolCommand,
  PutWarmPoolCommand,
  SetInstanceProtectionCommand,
} from '@aws-sdk/client-auto-scaling';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { webhookSignatureHeader } from '@elastic-ci/buildkite-api';
import {
  awsClientConfig,
  type BuildkiteApiStandIn,
  createMotoAutoScalingGroup,
  FakeClock,
  lambdaContext,
  startBuildkiteApiStandIn,
} from '@elastic-ci/testing';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientSettings, createAutoScalingAdapter } from './aws-adapters';
import { createRuntimeFromEnvironment } from './runtime';
import { createScheduledHandler } from './scheduled-handler';
import { captureOutput, jsonRecords } from './testing-fakes';
import { createWebhookHandler } from './webhook-handler';

const AGENT_TOKEN = 'canary-agent-token-int-8f3e21';
const WEBHOOK_SECRET = 'canary-webhook-secret-int-41d7c9';
const NOW_MS = Date.UTC(2026, 10, 23, 12, 0, 0);

let standIn: BuildkiteApiStandIn;
const autoScaling = new AutoScalingClient(awsClientConfig());
const ssm = new SSMClient(awsClientConfig());
/** Every line any handler wrote in this file, checked for secrets at the end. */
const allOutput: string[] = [];
let groupCounter = 0;

async function createGroup(desired: number): Promise<string> {
  groupCounter += 1;
  return createMotoAutoScalingGroup({ name: `agents-${groupCounter}`, desiredCapacity: desired });
}

async function describeGroup(name: string) {
  const output = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  const group = output.AutoScalingGroups?.[0];
  if (!group) throw new Error(`group ${name} missing`);
  return group;
}

function environment(groupName: string, queue: string, extra: Record<string, string> = {}) {
  return {
    BUILDKITE_QUEUE: queue,
    ASG_NAME: groupName,
    AGENTS_PER_INSTANCE: '1',
    BUILDKITE_AGENT_TOKEN_SSM_KEY: '/buildkite/agent-token',
    WEBHOOK_SECRET_SSM_KEY: '/buildkite/webhook-token',
    BUILDKITE_AGENT_ENDPOINT: standIn.endpoint,
    BUILDKITE_API_TIMEOUT: '1s',
    AVAILABILITY_THRESHOLD: '0',
    ...extra,
  };
}

async function captured<T>(run: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const output = await captureOutput(run);
  allOutput.push(...output.lines);
  return output;
}

/** Drives a FakeClock while real I/O runs: time moves only while the code under test is asleep. */
async function driveClock<T>(clock: FakeClock, work: Promise<T>): Promise<T> {
  let done = false;
  void work.finally(() => {
    done = true;
  });
  while (!done) {
    if (clock.pendingSleeps > 0) await clock.advance(1_000);
    else await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return work;
}

beforeAll(async () => {
  standIn = await startBuildkiteApiStandIn({ token: AGENT_TOKEN, organizationSlug: 'acme' });
  await ssm.send(new PutParameterCommand({ Name: '/buildkite/agent-token', Value: AGENT_TOKEN, Type: 'SecureString' }));
  await ssm.send(
    new PutParameterCommand({ Name: '/buildkite/webhook-token', Value: WEBHOOK_SECRET, Type: 'SecureString' }),
  );
});

afterAll(async () => {
  await standIn.close();
  // The canary check over everything every handler printed in this file.
  expect(allOutput.length).toBeGreaterThan(10);
  const text = allOutput.join('\n');
  expect(text).not.toContain(AGENT_TOKEN);
  expect(text).not.toContain(WEBHOOK_SECRET);
});

describe('Scheduled handler against moto and the Buildkite API stand-in', () => {
  it('polls until LAMBDA_TIMEOUT and scales the group out to the queue demand', async () => {
    // Prepare
    const groupName = await createGroup(0);
    standIn.setQueueMetrics('builders', { scheduled: 3 });
    const clock = new FakeClock(NOW_MS);
    const runtime = createRuntimeFromEnvironment(environment(groupName, 'builders', { LAMBDA_TIMEOUT: '30s' }), {
      aws: awsClientConfig(),
      clock,
    });
    const handler = createScheduledHandler(runtime);
    const requestsBefore = standIn.requests.length;

    // Act
    const { result, lines } = await captured(() =>
      driveClock(clock, handler({}, lambdaContext({ clock, timeoutMs: 120_000 }))),
    );

    // Assess
    expect(result).toEqual({ passes: 3 });
    const group = await describeGroup(groupName);
    expect(group.DesiredCapacity).toBe(3);
    const requests = standIn.requests.slice(requestsBefore);
    expect(requests).toHaveLength(3);
    expect(requests[0]?.headers.authorization).toBe(`Token ${AGENT_TOKEN}`);
    expect(requests[0]?.headers['user-agent']).toMatch(/^elastic-ci-agent-scaler\/\d+\.\d+\.\d+$/);
    const decisions = jsonRecords(lines).filter((record) => record.message === 'scaling decision');
    expect(decisions.map((decision) => decision.action)).toEqual(['scale-out', 'hold', 'hold']);
    const emf = jsonRecords(lines).filter((record) => record._aws !== undefined);
    expect(emf).toHaveLength(3);
    expect(emf[0]).toMatchObject({ Org: 'acme', Queue: 'builders', ScheduledJobsCount: 3, DesiredCapacity: 3 });
  });

  it.each([
    [{ kind: 'server-error' } as const],
    [{ kind: 'html-error-page' } as const],
    [{ kind: 'truncated-json' } as const],
    [{ kind: 'slow', delayMs: 3_000 } as const],
    [{ kind: 'unauthorized' } as const],
    [{ kind: 'rate-limited', retryAfter: '20' } as const],
  ])('keeps the group as it is when the API answers with fault %j', async (fault) => {
    // Prepare: an idle queue would shrink this group to 0 if the metrics were believed
    const groupName = await createGroup(2);
    const runtime = createRuntimeFromEnvironment(environment(groupName, 'idle-queue'), { aws: awsClientConfig() });
    standIn.setFault(fault);

    try {
      // Act
      const { result, lines } = await captured(() => runtime.pass('schedule'));

      // Assess
      expect(result).toMatchObject({ status: 'failed', stage: 'metrics' });
      expect((await describeGroup(groupName)).DesiredCapacity).toBe(2);
      expect(
        jsonRecords(lines).some((record) => record.message === 'scaling pass failed; no scaling action taken'),
      ).toBe(true);
    } finally {
      standIn.setFault(undefined);
    }
  });

  it('keeps the scale-out cooldown across a cold start through the SSM state parameter', async () => {
    // Prepare
    const groupName = await createGroup(0);
    standIn.setQueueMetrics('cooldown', { scheduled: 2 });
    const clock = new FakeClock(NOW_MS);
    const env = environment(groupName, 'cooldown', {
      SCALER_STATE_PARAMETER: `/elastic-ci/scaler-state/${groupName}`,
      SCALE_OUT_COOLDOWN_PERIOD: '5m',
    });
    const first = createRuntimeFromEnvironment(env, { aws: awsClientConfig(), clock });
    await captured(() => first.pass('schedule'));
    standIn.setQueueMetrics('cooldown', { scheduled: 5 });
    await clock.advance(60_000);

    // Act
    const coldStarted = createRuntimeFromEnvironment(env, { aws: awsClientConfig(), clock });
    const { result: during } = await captured(() => coldStarted.pass('schedule'));
    await clock.advance(300_000);
    const { result: after } = await captured(() => coldStarted.pass('schedule'));

    // Assess
    expect(during).toMatchObject({ action: 'hold', desired: 2 });
    expect(after).toMatchObject({ action: 'scale-out', desired: 5 });
    const stored = await ssm.send(new GetParameterCommand({ Name: `/elastic-ci/scaler-state/${groupName}` }));
    expect(JSON.parse(stored.Parameter?.Value ?? '{}')).toMatchObject({ lastScaleOutAtMs: NOW_MS + 360_000 });
  });

  it('drains only unprotected instances and never the one running a job', async () => {
    // Prepare
    const groupName = await createGroup(3);
    const instances = (await describeGroup(groupName)).Instances ?? [];
    const busyId = instances[0]?.InstanceId ?? '';
    await autoScaling.send(
      new SetInstanceProtectionCommand({
        AutoScalingGroupName: groupName,
        InstanceIds: instances.map((instance) => instance.InstanceId ?? ''),
        ProtectedFromScaleIn: false,
      }),
    );
    await autoScaling.send(
      new SetInstanceProtectionCommand({
        AutoScalingGroupName: groupName,
        InstanceIds: [busyId],
        ProtectedFromScaleIn: true,
      }),
    );
    standIn.setQueueMetrics('drain', { running: 1, busy: 1 });
    const runtime = createRuntimeFromEnvironment(environment(groupName, 'drain', { SCALE_IN_STRATEGY: 'drain' }), {
      aws: awsClientConfig(),
    });

    // Act
    const { result } = await captured(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'applied', action: 'scale-in', desired: 1 });
    const after = await describeGroup(groupName);
    expect(after.DesiredCapacity).toBe(1);
    expect(after.Instances?.map((instance) => instance.InstanceId)).toContain(busyId);
    if (result.status === 'applied') expect(result.drained).not.toContain(busyId);
  });
});

describe('Warm-pool policy against moto (PutWarmPool / DescribeWarmPool)', () => {
  async function addStackWarmPool(groupName: string): Promise<void> {
    await autoScaling.send(
      new PutWarmPoolCommand({
        AutoScalingGroupName: groupName,
        MinSize: 0,
        MaxGroupPreparedCapacity: 10,
        PoolState: 'Stopped',
        InstanceReusePolicy: { ReuseOnScaleIn: true },
      }),
    );
  }

  async function warmPoolOf(groupName: string) {
    return (await autoScaling.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: groupName })))
      .WarmPoolConfiguration;
  }

  it('reads the pool and changes only its MinSize through the adapter', async () => {
    // Prepare
    const withPool = await createGroup(0);
    const withoutPool = await createGroup(0);
    await addStackWarmPool(withPool);
    const adapter = createAutoScalingAdapter(awsClientSettings({}, awsClientConfig()));

    // Act
    const current = await adapter.describeWarmPool(withPool);
    await adapter.putWarmPoolMinSize(withPool, current ?? expect.fail('no warm pool'), 4);

    // Assess
    expect(current).toEqual({ minSize: 0, maxGroupPreparedCapacity: 10, poolState: 'Stopped', reuseOnScaleIn: true });
    expect(await warmPoolOf(withPool)).toMatchObject({
      MinSize: 4,
      MaxGroupPreparedCapacity: 10,
      PoolState: 'Stopped',
      InstanceReusePolicy: { ReuseOnScaleIn: true },
    });
    expect(await adapter.describeWarmPool(withoutPool)).toBeUndefined();
  });

  it('prepares the pool for waiting jobs in a scheduled pass, after scaling out', async () => {
    // Prepare: 1 running job, 6 waiting behind it, 2 idle agents → 3 instances prepared in the pool (the running
    // job's agent takes one when it ends)
    const groupName = await createGroup(0);
    await addStackWarmPool(groupName);
    standIn.setQueueMetrics('pooled', { scheduled: 1, running: 1, waiting: 6, idle: 2, busy: 1 });
    const runtime = createRuntimeFromEnvironment(
      environment(groupName, 'pooled', { WARM_POOL_ENABLED: 'true', WARM_POOL_PREPARE_FOR_WAITING_JOBS: 'true' }),
      { aws: awsClientConfig() },
    );

    // Act
    const { result: first } = await captured(() => runtime.pass('schedule'));
    const { result: second } = await captured(() => runtime.pass('schedule'));

    // Assess
    expect(first).toMatchObject({
      status: 'applied',
      desired: 2,
      warmPool: { status: 'updated', previousMinSize: 0, minSize: 3 },
    });
    expect(second).toMatchObject({ status: 'unchanged', warmPool: { status: 'unchanged', minSize: 3 } });
    expect((await describeGroup(groupName)).DesiredCapacity).toBe(2);
    expect(await warmPoolOf(groupName)).toMatchObject({ MinSize: 3, MaxGroupPreparedCapacity: 10 });
  });
});

describe('Misconfiguration against moto', () => {
  it('fails the pass with a clear error for a group that does not exist', async () => {
    // Prepare
    const runtime = createRuntimeFromEnvironment(environment('no-such-group', 'builders'), { aws: awsClientConfig() });

    // Act
    const { result, lines } = await captured(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({
      status: 'failed',
      stage: 'group',
      error: expect.stringMatching(/no-such-group not found/),
    });
    expect(lines.join('\n')).toMatch(/GroupNotFoundError/);
  });

  it('fails the pass with a clear error when the token parameter is missing', async () => {
    // Prepare
    const groupName = await createGroup(1);
    const runtime = createRuntimeFromEnvironment(
      environment(groupName, 'builders', { BUILDKITE_AGENT_TOKEN_SSM_KEY: '/buildkite/missing' }),
      { aws: awsClientConfig() },
    );

    // Act
    const { result } = await captured(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({
      status: 'failed',
      stage: 'metrics',
      error: expect.stringMatching(/could not read SecureString parameter \/buildkite\/missing \(ParameterNotFound\)/),
    });
    expect((await describeGroup(groupName)).DesiredCapacity).toBe(1);
  });
});

describe('Webhook handler against moto and the Buildkite API stand-in', () => {
  function urlEvent(headers: Record<string, string>, body: string): LambdaFunctionURLEvent {
    return {
      version: '2.0',
      rawPath: '/',
      rawQueryString: '',
      headers: { 'content-type': 'application/json', 'x-buildkite-event': 'job.scheduled', ...headers },
      body,
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST' } },
    } as unknown as LambdaFunctionURLEvent;
  }

  it('scales out at once for a signed job.scheduled and does nothing for an unsigned one', async () => {
    // Prepare
    const groupName = await createGroup(0);
    standIn.setQueueMetrics('webhook', { scheduled: 4 });
    const handler = createWebhookHandler(
      createRuntimeFromEnvironment(environment(groupName, 'webhook'), { aws: awsClientConfig(), requireWebhook: true }),
    );
    const body = JSON.stringify({ event: 'job.scheduled', job: { agent_query_rules: ['queue=webhook'] } });
    const requestsBefore = standIn.requests.length;

    // Act
    const { result: rejected } = await captured(() => handler(urlEvent({ 'x-buildkite-token': 'guess' }, body)));
    const requestsAfterRejection = standIn.requests.length;
    const desiredAfterRejection = (await describeGroup(groupName)).DesiredCapacity;
    const signature = webhookSignatureHeader(WEBHOOK_SECRET, Math.floor(Date.now() / 1000), body);
    const { result: accepted } = await captured(() => handler(urlEvent({ 'x-buildkite-signature': signature }, body)));

    // Assess
    expect(rejected).toMatchObject({ statusCode: 401 });
    expect(requestsAfterRejection).toBe(requestsBefore);
    expect(desiredAfterRejection).toBe(0);
    expect(accepted).toMatchObject({ statusCode: 200 });
    expect((await describeGroup(groupName)).DesiredCapacity).toBe(4);
  });

  it('coalesces a webhook burst during a scheduled pass into one more pass on the latest metrics', async () => {
    // Prepare
    const groupName = await createGroup(0);
    standIn.setQueueMetrics('burst', { scheduled: 2 });
    const runtime = createRuntimeFromEnvironment(environment(groupName, 'burst'), {
      aws: awsClientConfig(),
      requireWebhook: true,
    });
    const handler = createWebhookHandler(runtime);
    const body = JSON.stringify({ event: 'job.scheduled', job: { agent_query_rules: ['queue=burst'] } });
    const headers = {
      'x-buildkite-signature': webhookSignatureHeader(WEBHOOK_SECRET, Math.floor(Date.now() / 1000), body),
    };
    const requestsBefore = standIn.requests.length;

    // Act
    const { result } = await captured(async () => {
      const scheduled = runtime.pass('schedule');
      standIn.setQueueMetrics('burst', { scheduled: 6 });
      const burst = await Promise.all(Array.from({ length: 5 }, () => handler(urlEvent(headers, body))));
      return { scheduled: await scheduled, burst };
    });

    // Assess
    expect((await describeGroup(groupName)).DesiredCapacity).toBe(6);
    // Six triggers, at most three passes: the running one, then one shared by everyone who arrived during it, and
    // (when the burst lands after the scheduled pass) one fresh pass with its own single follow-up.
    expect(standIn.requests.length - requestsBefore).toBeLessThanOrEqual(3);
    for (const response of result.burst) {
      expect(JSON.parse(String(typeof response === 'object' ? response.body : '{}'))).toMatchObject({ desired: 6 });
    }
  });
});
