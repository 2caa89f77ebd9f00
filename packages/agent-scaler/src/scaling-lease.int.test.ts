import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  awsClientConfig,
  type BuildkiteApiStandIn,
  createMotoAutoScalingGroup,
  startBuildkiteApiStandIn,
} from '@elastic-ci/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  awsClientSettings,
  createAutoScalingAdapter,
  createDynamoDbLeaseAdapter,
  createInstanceDetailsAdapter,
  createParameterStoreAdapter,
  scalingLeaseKey,
} from './aws-adapters';
import { parseAgentScalerConfig } from './config';
import type { AutoScalingPort, ScalingLeasePort } from './ports';
import { createScalerRuntime } from './runtime';
import { captureOutput } from './testing-fakes';

const AGENT_TOKEN = 'canary-agent-token-lease-int-2b9e77';
const TABLE = 'agent-scaler-locks';
const QUEUE = 'racing';
const START_MS = Date.UTC(2026, 10, 23, 12, 0, 0);
/** A bound for waiting on an event, not a timing expectation: only a broken test waits this long. */
const EVENT_BOUND_MS = 20_000;

const dynamoDb = new DynamoDBClient(awsClientConfig());
const autoScaling = new AutoScalingClient(awsClientConfig());
let standIn: BuildkiteApiStandIn;
let groupCounter = 0;
const allOutput: string[] = [];

async function createGroup(desired: number): Promise<string> {
  groupCounter += 1;
  return createMotoAutoScalingGroup({ name: `lease-agents-${groupCounter}`, desiredCapacity: desired });
}

async function desiredOf(name: string): Promise<number | undefined> {
  const output = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return output.AutoScalingGroups?.[0]?.DesiredCapacity;
}

/**
 * Records SetDesiredCapacity calls across every "container". Each call is held open until `releaseWhen` holds (an
 * event of the race, never a fixed time), so overlap or its absence does not depend on how fast the machine is.
 */
class SetDesiredRecorder {
  inFlight = 0;
  maxInFlight = 0;
  readonly calls: { container: string; desired: number }[] = [];
  onFirstCall: (() => void) | undefined;

  constructor(private readonly releaseWhen: () => boolean = () => true) {}

  wrap(container: string, port: AutoScalingPort): AutoScalingPort {
    return {
      ...port,
      setDesiredCapacity: async (groupName, desired) => {
        this.calls.push({ container, desired });
        if (this.calls.length === 1) this.onFirstCall?.();
        this.inFlight += 1;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        try {
          await vi.waitFor(() => expect(this.releaseWhen()).toBe(true), { timeout: EVENT_BOUND_MS, interval: 5 });
          await port.setDesiredCapacity(groupName, desired);
        } finally {
          this.inFlight -= 1;
        }
      },
    };
  }
}

/**
 * Hands calls to moto one at a time. DynamoDB applies each conditional write atomically per item; moto's threaded
 * server does not: two concurrent PutItems can both find no item and both succeed (measured, see "Lease guarantees"
 * in the README), which once let both racing containers act. The lease requests of the racing containers therefore
 * reach moto in some serial order, as they take effect at DynamoDB; lease-condition.test.ts proves the conditions
 * under concurrency on an atomic store.
 */
function oneAtATime(): <T>(call: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (call) => {
    const result = tail.then(call);
    tail = result.catch(() => undefined);
    return result;
  };
}

/** Records what the lease port answered, per container; `serialize` is shared by the containers of one race. */
function recordingLease(
  container: string,
  port: ScalingLeasePort,
  log: string[],
  serialize: <T>(call: () => Promise<T>) => Promise<T>,
): ScalingLeasePort {
  return {
    async acquire(groupName, owner, ttlMs, nowMs) {
      const acquired = await serialize(() => port.acquire(groupName, owner, ttlMs, nowMs));
      log.push(`${container}:${acquired ? 'acquired' : 'held'}`);
      return acquired;
    },
    async release(groupName, owner) {
      // Logged before the call: whoever acquires next can only do so after this DeleteItem ran.
      log.push(`${container}:releasing`);
      await serialize(() => port.release(groupName, owner));
    },
  };
}

/** One "container": its own runtime and SDK clients on moto, and the same group, lease table and Buildkite queue. */
function container(
  id: string,
  groupName: string,
  options: {
    recorder: SetDesiredRecorder;
    leaseLog?: string[];
    tableName?: string;
    serializeLease?: <T>(call: () => Promise<T>) => Promise<T>;
  },
) {
  const settings = awsClientSettings({}, awsClientConfig());
  const environment = {
    BUILDKITE_QUEUE: QUEUE,
    ASG_NAME: groupName,
    AGENTS_PER_INSTANCE: '1',
    BUILDKITE_AGENT_TOKEN_SSM_KEY: '/buildkite/agent-token',
    BUILDKITE_AGENT_ENDPOINT: standIn.endpoint,
    AVAILABILITY_THRESHOLD: '0',
    ...(options.leaseLog ? { SCALER_LOCK_TABLE: options.tableName ?? TABLE } : {}),
  };
  return createScalerRuntime(parseAgentScalerConfig(environment), {
    autoScaling: options.recorder.wrap(id, createAutoScalingAdapter(settings)),
    instanceDetails: createInstanceDetailsAdapter(settings),
    parameterStore: createParameterStoreAdapter(settings),
    containerId: id,
    ...(options.leaseLog
      ? {
          lease: recordingLease(
            id,
            createDynamoDbLeaseAdapter(settings, options.tableName ?? TABLE),
            options.leaseLog,
            options.serializeLease ?? oneAtATime(),
          ),
        }
      : {}),
  });
}

beforeAll(async () => {
  standIn = await startBuildkiteApiStandIn({ token: AGENT_TOKEN, organizationSlug: 'acme' });
  await new SSMClient(awsClientConfig()).send(
    new PutParameterCommand({ Name: '/buildkite/agent-token', Value: AGENT_TOKEN, Type: 'SecureString' }),
  );
  await dynamoDb.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});

afterAll(async () => {
  await standIn.close();
  expect(allOutput.length).toBeGreaterThan(0);
  expect(allOutput.join('\n')).not.toContain(AGENT_TOKEN);
});

describe('Function: createDynamoDbLeaseAdapter against moto DynamoDB', () => {
  const lease = createDynamoDbLeaseAdapter(awsClientSettings({}, awsClientConfig()), TABLE);

  it('grants a free lease, refuses a live one and hands over an expired one', async () => {
    // Act
    const first = await lease.acquire('group-a', 'one#1', 30_000, START_MS);
    const whileLive = await lease.acquire('group-a', 'two#1', 30_000, START_MS + 29_000);
    const otherGroup = await lease.acquire('group-b', 'two#1', 30_000, START_MS + 29_000);
    const afterExpiry = await lease.acquire('group-a', 'two#2', 30_000, START_MS + 30_001);

    // Assess
    expect([first, whileLive, otherGroup, afterExpiry]).toEqual([true, false, true, true]);
    const item = await dynamoDb.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: scalingLeaseKey('group-a') } } }),
    );
    expect(item.Item).toMatchObject({
      owner: { S: 'two#2' },
      expiresAtMs: { N: String(START_MS + 60_001) },
      expiresAt: { N: String(Math.ceil((START_MS + 60_001) / 1000)) },
    });
  });

  it('releases a lease only for its owner', async () => {
    // Prepare
    await lease.acquire('group-c', 'holder#1', 30_000, START_MS);

    // Act
    await lease.release('group-c', 'stranger#1');
    const afterStrangerRelease = await lease.acquire('group-c', 'stranger#2', 30_000, START_MS + 1_000);
    await lease.release('group-c', 'holder#1');
    const afterOwnerRelease = await lease.acquire('group-c', 'stranger#3', 30_000, START_MS + 1_000);

    // Assess
    expect(afterStrangerRelease).toBe(false);
    expect(afterOwnerRelease).toBe(true);
  });

  it('rejects when the table cannot be used, which the runtime treats as "not acquired"', async () => {
    // Prepare
    const missing = createDynamoDbLeaseAdapter(awsClientSettings({}, awsClientConfig()), 'no-such-table');

    // Act / Assess
    await expect(missing.acquire('group-d', 'one#1', 30_000, START_MS)).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});

describe('Two runtimes racing on one group (moto Auto Scaling + DynamoDB lease)', () => {
  it('keeps one SetDesiredCapacity in flight and ends where a single pass on the latest metrics ends', async () => {
    // Prepare
    const groupName = await createGroup(1);
    const referenceGroup = await createGroup(1);
    standIn.setQueueMetrics(QUEUE, { scheduled: 3 });
    const leaseLog: string[] = [];
    // The first SetDesiredCapacity stays in flight until the other container has been refused the lease again.
    const refusals = () => leaseLog.filter((entry) => entry.endsWith(':held')).length;
    let refusalsBeforeFirstCall: number | undefined;
    const recorder = new SetDesiredRecorder(
      () => refusalsBeforeFirstCall === undefined || refusals() > refusalsBeforeFirstCall,
    );
    const serializeLease = oneAtATime();
    const first = container('a', groupName, { recorder, leaseLog, serializeLease });
    const second = container('b', groupName, { recorder, leaseLog, serializeLease });
    // The jobs behind the later webhook land while the first pass is acting.
    recorder.onFirstCall = () => {
      refusalsBeforeFirstCall = refusals();
      standIn.setQueueMetrics(QUEUE, { scheduled: 5 });
    };

    // Act
    const { result, lines } = await captureOutput(async () => {
      // Generous: the waiting webhook must outlast the first pass however slow the machine is.
      const waitUntil = Date.now() + 60_000;
      return Promise.all([
        first.pass('webhook', { leaseWaitUntilMs: waitUntil }),
        second.pass('webhook', { leaseWaitUntilMs: waitUntil }),
      ]);
    });
    allOutput.push(...lines);
    const reference = new SetDesiredRecorder();
    const { result: referenceOutcome, lines: referenceLines } = await captureOutput(() =>
      container('reference', referenceGroup, { recorder: reference }).pass('schedule'),
    );
    allOutput.push(...referenceLines);

    // Assess
    expect(recorder.maxInFlight).toBe(1);
    expect(result.map((outcome) => outcome.status)).toEqual(['applied', 'applied']);
    expect(recorder.calls.map((call) => call.desired)).toEqual([3, 5]);
    expect(referenceOutcome).toMatchObject({ status: 'applied', desired: 5 });
    expect(await desiredOf(groupName)).toBe(await desiredOf(referenceGroup));
    const positions = (suffix: string) => leaseLog.flatMap((entry, index) => (entry.endsWith(suffix) ? [index] : []));
    expect(positions(':held').length).toBeGreaterThan(0);
    expect(positions(':acquired')).toHaveLength(2);
    expect(positions(':releasing')).toHaveLength(2);
    expect(positions(':acquired')[1]).toBeGreaterThan(positions(':releasing')[0] ?? Number.POSITIVE_INFINITY);
  });

  it('shows the hazard without the lease: the same race puts two SetDesiredCapacity in flight', async () => {
    // Prepare
    const groupName = await createGroup(1);
    standIn.setQueueMetrics(QUEUE, { scheduled: 4 });
    // Each call stays in flight until both containers have called: without a lease nothing stops the second.
    const recorder: SetDesiredRecorder = new SetDesiredRecorder(() => recorder.calls.length === 2);
    const first = container('a', groupName, { recorder });
    const second = container('b', groupName, { recorder });

    // Act
    const { lines } = await captureOutput(() => Promise.all([first.pass('webhook'), second.pass('webhook')]));
    allOutput.push(...lines);

    // Assess
    expect(recorder.maxInFlight).toBe(2);
    expect(recorder.calls).toHaveLength(2);
  });

  it('never scales when the lease table cannot be used', async () => {
    // Prepare
    const groupName = await createGroup(1);
    standIn.setQueueMetrics(QUEUE, { scheduled: 6 });
    const recorder = new SetDesiredRecorder();
    const runtime = container('a', groupName, { recorder, leaseLog: [], tableName: 'no-such-table' });

    // Act
    const { result, lines } = await captureOutput(() => runtime.pass('schedule'));
    allOutput.push(...lines);

    // Assess
    expect(result).toMatchObject({ status: 'skipped', reason: 'lease-unavailable' });
    expect(recorder.calls).toEqual([]);
    expect(await desiredOf(groupName)).toBe(1);
    expect(lines.join('\n')).toContain('ResourceNotFoundException');
  });
});
