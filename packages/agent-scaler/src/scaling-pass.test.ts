import { AGENT_STATE_TAG, formatIdleSinceTag, IDLE_SINCE_TAG } from '@elastic-ci/agent-instance/instance-state-tags';
import {
  type AgentMetricsClient,
  MalformedResponseError,
  type QueueMetricsResult,
  RateLimitedError,
  RequestTimeoutError,
  ServerError,
  TokenRejectedError,
} from '@elastic-ci/buildkite-api';
import { FakeClock } from '@elastic-ci/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAgentScalerConfig } from './config';
import { createScalerRuntime } from './runtime';
import { captureOutput, FakeAutoScaling, FakeInstanceDetails, FakeParameterStore, jsonRecords } from './testing-fakes';

const TOKEN = 'canary-agent-token-c0ffee-1234';
const TOKEN_PARAMETER = '/buildkite/agent-token';
const GROUP = 'agents';

const baseEnvironment = {
  BUILDKITE_QUEUE: 'default',
  ASG_NAME: GROUP,
  AGENTS_PER_INSTANCE: '1',
  BUILDKITE_AGENT_TOKEN_SSM_KEY: TOKEN_PARAMETER,
  // The Buildkite availability boost would blur what these tests look at.
  AVAILABILITY_THRESHOLD: '0',
};

interface Jobs {
  scheduled?: number;
  running?: number;
  waiting?: number;
}

/** A metrics client whose answers the test sets; records the tokens it was called with. */
class ScriptedMetricsClient implements AgentMetricsClient {
  jobs: Jobs = {};
  failures: Error[] = [];
  readonly tokens: string[] = [];
  pollDurationMs: number | undefined;

  async getQueueMetrics(token: string, queue: string): Promise<QueueMetricsResult> {
    this.tokens.push(token);
    const failure = this.failures.shift();
    if (failure) throw failure;
    const jobs = {
      scheduled: this.jobs.scheduled ?? 0,
      running: this.jobs.running ?? 0,
      waiting: this.jobs.waiting ?? 0,
    };
    return {
      organizationSlug: 'acme',
      queue,
      agents: { idle: 0, busy: jobs.running, total: jobs.running },
      jobs,
      pollDurationMs: this.pollDurationMs,
      warnings: [],
      durationMs: 5,
    };
  }
}

function setup(environment: Record<string, string> = {}, group = new FakeAutoScaling(GROUP, { desired: 1 })) {
  const clock = new FakeClock(Date.UTC(2026, 10, 23, 12, 0, 0));
  const parameterStore = new FakeParameterStore();
  parameterStore.values.set(TOKEN_PARAMETER, TOKEN);
  const metricsClient = new ScriptedMetricsClient();
  const instanceDetails = new FakeInstanceDetails(
    new Map(group.instances.map((instance) => [instance.id, clock.now() - 3_600_000])),
  );
  const makeRuntime = (extra: Record<string, string> = {}) =>
    createScalerRuntime(parseAgentScalerConfig({ ...baseEnvironment, ...environment, ...extra }), {
      clock,
      autoScaling: group,
      instanceDetails,
      parameterStore,
      metricsClient,
    });
  return { clock, group, parameterStore, metricsClient, instanceDetails, runtime: makeRuntime(), makeRuntime };
}

describe('Function: runScalingPass', () => {
  it('scales out to the demand and writes one decision record and the Buildkite metrics', async () => {
    // Prepare
    const { runtime, group, metricsClient } = setup();
    metricsClient.jobs = { scheduled: 4, running: 1, waiting: 2 };

    // Act
    const { result, lines } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'applied', action: 'scale-out', previousDesired: 1, desired: 5 });
    expect(group.calls).toEqual(['describeGroup', 'describeScalingActivities', 'setDesiredCapacity(5)']);
    const records = jsonRecords(lines);
    const decisions = records.filter((record) => record.message === 'scaling decision');
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({
      action: 'scale-out',
      previousDesired: 1,
      desired: 5,
      trigger: 'schedule',
      inputs: { metrics: { scheduledJobs: 4, runningJobs: 1, waitingJobs: 2 }, group: { desired: 1 } },
    });
    expect(decisions[0]?.reasons).toEqual(expect.arrayContaining([expect.stringMatching(/scale out 1 → 5/)]));
    const emf = records.find((record) => record._aws !== undefined);
    expect(emf).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'Buildkite', Dimensions: [['Org', 'Queue']] }] },
      Org: 'acme',
      Queue: 'default',
      ScheduledJobsCount: 4,
      RunningJobsCount: 1,
      WaitingJobsCount: 2,
      DesiredCapacity: 5,
      ScaleOutDecisions: 1,
      HoldDecisions: 0,
      ScalingErrors: 0,
    });
    expect(emf).not.toHaveProperty('service');
  });

  it('makes no AWS change when the decision holds', async () => {
    // Prepare
    const { runtime, group, metricsClient } = setup();
    metricsClient.jobs = { running: 1 };

    // Act
    const { result } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'unchanged', action: 'hold', desired: 1 });
    expect(group.calls.filter((call) => call.startsWith('set') || call.startsWith('terminate'))).toEqual([]);
  });

  it.each([
    ['a rejected token', new TokenRejectedError('GET x', 401)],
    ['a rate limit', new RateLimitedError('GET x', 30_000)],
    ['a server error', new ServerError('GET x', 503)],
    ['a timeout', new RequestTimeoutError('GET x', 5_000)],
    ['a malformed body', new MalformedResponseError('GET x', ['got HTML, not JSON'])],
  ])('never scales in on %s', async (_label, failure) => {
    // Prepare: 5 instances and no jobs would be a scale-in to 0 with good metrics
    const group = new FakeAutoScaling(GROUP, { desired: 5 });
    const { runtime, metricsClient } = setup({}, group);
    metricsClient.failures = [failure, failure];

    // Act
    const { result, lines } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'failed', stage: 'metrics' });
    expect(group.calls).toEqual([]);
    expect(group.desired).toBe(5);
    const emf = jsonRecords(lines).find((record) => record._aws !== undefined);
    expect(emf).toMatchObject({ ScalingErrors: 1 });
  });

  it('passes a Retry-After on to the poll loop', async () => {
    // Prepare
    const { runtime, metricsClient } = setup();
    metricsClient.failures = [new RateLimitedError('GET x', 30_000)];

    // Act
    const { result } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'failed', retryAfterMs: 30_000 });
  });

  it('never scales in when the group cannot be described', async () => {
    // Prepare
    const group = new FakeAutoScaling(GROUP, { desired: 5 });
    group.failNext.describeGroup = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    const { runtime } = setup({}, group);

    // Act
    const { result } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'failed', stage: 'group' });
    expect(group.calls).toEqual(['describeGroup']);
  });

  it('holds instead of scaling in on stale metrics', async () => {
    // Prepare: the metrics request took 3 minutes (longer than STALE_METRICS_AFTER)
    const group = new FakeAutoScaling(GROUP, { desired: 5 });
    const { runtime, metricsClient } = setup({ STALE_METRICS_AFTER: '60s' }, group);
    const read = metricsClient.getQueueMetrics.bind(metricsClient);
    metricsClient.getQueueMetrics = async (token, queue) => ({ ...(await read(token, queue)), durationMs: 180_000 });

    // Act
    const { result } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'unchanged', action: 'hold' });
    expect(group.desired).toBe(5);
  });

  it('dates the metrics when they were read, so a slow group read makes them stale', async () => {
    // Prepare: a quick metrics read, then a DescribeAutoScalingGroups that takes 3 minutes (> STALE_METRICS_AFTER)
    const group = new FakeAutoScaling(GROUP, { desired: 5 });
    const { runtime, clock } = setup({ STALE_METRICS_AFTER: '60s' }, group);
    const describeGroup = group.describeGroup.bind(group);
    group.describeGroup = async (name) => {
      await clock.advance(180_000);
      return describeGroup(name);
    };

    // Act
    const { result } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'unchanged', action: 'hold' });
    expect(group.desired).toBe(5);
  });

  it('re-reads a rotated token after a 401 and retries once', async () => {
    // Prepare
    const { runtime, metricsClient, parameterStore } = setup();
    await captureOutput(() => runtime.pass('schedule'));
    parameterStore.values.set(TOKEN_PARAMETER, `${TOKEN}-rotated`);
    metricsClient.failures = [new TokenRejectedError('GET x', 401)];
    metricsClient.jobs = { scheduled: 2 };

    // Act
    const { result } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'applied', desired: 2 });
    expect(metricsClient.tokens).toEqual([TOKEN, TOKEN, `${TOKEN}-rotated`]);
  });

  it('reads the token from SSM once per container while it works', async () => {
    // Prepare
    const { runtime, parameterStore } = setup();

    // Act
    await captureOutput(async () => {
      await runtime.pass('schedule');
      await runtime.pass('schedule');
      await runtime.pass('webhook');
    });

    // Assess
    expect(parameterStore.reads.filter((name) => name === TOKEN_PARAMETER)).toHaveLength(1);
  });

  it('scales in with SetDesiredCapacity under the Buildkite set-desired strategy', async () => {
    // Prepare
    const group = new FakeAutoScaling(GROUP, { desired: 4 });
    const { runtime, metricsClient } = setup({}, group);
    metricsClient.jobs = { running: 1 };

    // Act
    const { result } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'applied', action: 'scale-in', desired: 1 });
    expect(group.calls).toContain('setDesiredCapacity(1)');
  });

  it('keeps the state unchanged when SetDesiredCapacity fails, so the cooldown does not start', async () => {
    // Prepare
    const { runtime, metricsClient, group, parameterStore } = setup({
      SCALER_STATE_PARAMETER: '/scaler/state',
      SCALE_OUT_COOLDOWN_PERIOD: '5m',
    });
    metricsClient.jobs = { scheduled: 3 };
    group.failNext.setDesiredCapacity = new Error('boom');

    // Act
    const { result: failed } = await captureOutput(() => runtime.pass('schedule'));
    const { result: retried } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(failed).toMatchObject({ status: 'failed', stage: 'apply' });
    expect(retried).toMatchObject({ status: 'applied', desired: 3 });
    expect(parameterStore.writes).toEqual(['/scaler/state']);
  });

  it('says the action stands when only the state write fails after it, never that no action was taken', async () => {
    // Prepare
    const { runtime, metricsClient, group, parameterStore } = setup({ SCALER_STATE_PARAMETER: '/scaler/state' });
    metricsClient.jobs = { scheduled: 3 };
    parameterStore.putString = async () => {
      throw new Error('ssm down');
    };

    // Act
    const { result, lines } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'failed', stage: 'persist' });
    expect(group.calls).toContain('setDesiredCapacity(3)');
    const failures = jsonRecords(lines).filter((record) => record.level === 'ERROR');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      message: 'scaling pass failed after its action: the action stands, the scaler state was not saved',
      stage: 'persist',
      action: 'scale-out',
      desired: 3,
      changed: true,
      reasons: expect.arrayContaining([expect.stringMatching(/scal/)]),
    });
  });

  it('counts the scale-out and the new desired capacity in its metrics record when only the state write fails', async () => {
    // Prepare
    const { runtime, metricsClient, parameterStore } = setup({ SCALER_STATE_PARAMETER: '/scaler/state' });
    metricsClient.jobs = { scheduled: 3 };
    parameterStore.putString = async () => {
      throw new Error('ssm down');
    };

    // Act
    const { lines } = await captureOutput(() => runtime.pass('schedule'));

    // Assess: the group is at 3 now, whatever happened to the state write
    const emf = jsonRecords(lines).filter((record) => record._aws !== undefined);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ DesiredCapacity: 3, ScaleOutDecisions: 1, ScalingErrors: 1 });
  });
});

describe('Function: runScalingPass with the warm-pool policy', () => {
  const WARM_POOL = { WARM_POOL_ENABLED: 'true', WARM_POOL_PREPARE_FOR_WAITING_JOBS: 'true' };
  const stackPool = () => ({ minSize: 0, maxGroupPreparedCapacity: 10, poolState: 'Stopped', reuseOnScaleIn: true });
  const pooledGroup = (desired = 1) => new FakeAutoScaling(GROUP, { desired, warmPool: stackPool() });

  it('raises the pool MinSize for waiting jobs after the capacity call, keeping the rest of the pool', async () => {
    // Prepare: 1 running job, 3 jobs waiting behind it, no idle agent
    const group = pooledGroup();
    const { runtime, metricsClient } = setup(WARM_POOL, group);
    // Four jobs wait behind the running one; its agent takes one when it ends: three are prepared.
    metricsClient.jobs = { scheduled: 1, running: 1, waiting: 4 };

    // Act
    const { result, lines } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({
      status: 'applied',
      desired: 2,
      warmPool: { status: 'updated', previousMinSize: 0, minSize: 3 },
    });
    expect(group.calls.slice(-3)).toEqual(['setDesiredCapacity(2)', 'describeWarmPool', 'putWarmPool(3)']);
    expect(group.warmPool).toEqual({ ...stackPool(), minSize: 3 });
    const record = jsonRecords(lines).find((line) => line.message === 'scaling decision');
    expect(record).toMatchObject({ warmPool: { status: 'updated', minSize: 3 } });
    expect(record?.reasons).toEqual(
      expect.arrayContaining(['warm pool: 3 waiting job(s) beyond the idle and running agents → pool min size 3']),
    );
  });

  it('calls PutWarmPool only when the MinSize differs, also on a hold', async () => {
    // Prepare: the pool already has the size the waiting jobs need (3 waiting, one taken by the running job's agent)
    const group = new FakeAutoScaling(GROUP, { desired: 1, warmPool: { ...stackPool(), minSize: 2 } });
    const { runtime, metricsClient } = setup(WARM_POOL, group);
    metricsClient.jobs = { running: 1, waiting: 3 };

    // Act
    const { result: same } = await captureOutput(() => runtime.pass('schedule'));
    metricsClient.jobs = { running: 1 };
    const { result: fewer } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(same).toMatchObject({ status: 'unchanged', action: 'hold', warmPool: { status: 'unchanged', minSize: 2 } });
    expect(fewer).toMatchObject({ action: 'hold', warmPool: { status: 'updated', previousMinSize: 2, minSize: 0 } });
    expect(group.calls.filter((call) => call.includes('WarmPool'))).toEqual([
      'describeWarmPool',
      'describeWarmPool',
      'putWarmPool(0)',
    ]);
  });

  it('keeps the configured minimum without preparing for waiting jobs', async () => {
    // Prepare
    const group = pooledGroup();
    const { runtime, metricsClient } = setup({ WARM_POOL_ENABLED: 'true', WARM_POOL_MIN_SIZE: '2' }, group);
    metricsClient.jobs = { running: 1, waiting: 8 };

    // Act
    const { result } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ warmPool: { status: 'updated', minSize: 2 } });
  });

  it('never touches the pool with the policy off', async () => {
    // Prepare
    const group = pooledGroup();
    const { runtime, metricsClient } = setup({}, group);
    metricsClient.jobs = { running: 1, waiting: 5 };

    // Act
    const { result } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).not.toHaveProperty('warmPool');
    expect(group.calls.filter((call) => call.includes('WarmPool'))).toEqual([]);
  });

  it.each([
    ['the metrics', 'metrics'],
    ['describing the group', 'group'],
    ['the capacity call', 'apply'],
    ['persisting the state', 'persist'],
    ['stale metrics', undefined],
  ] as const)('never touches the pool when %s fail(s)', async (_label, stage) => {
    // Prepare: good metrics would raise the pool to 4
    const group = pooledGroup();
    const { runtime, metricsClient, parameterStore } = setup(
      { ...WARM_POOL, SCALER_STATE_PARAMETER: '/scaler/state', STALE_METRICS_AFTER: '60s' },
      group,
    );
    metricsClient.jobs = { scheduled: 2, waiting: 4 };
    if (stage === 'metrics') metricsClient.failures = [new ServerError('GET x', 503), new ServerError('GET x', 503)];
    if (stage === 'group') group.failNext.describeGroup = new Error('Rate exceeded');
    if (stage === 'apply') group.failNext.setDesiredCapacity = new Error('boom');
    if (stage === 'persist') {
      parameterStore.putString = async () => {
        throw new Error('ssm down');
      };
    }
    if (stage === undefined) {
      const read = metricsClient.getQueueMetrics.bind(metricsClient);
      metricsClient.getQueueMetrics = async (token, queue) => ({ ...(await read(token, queue)), durationMs: 180_000 });
    }

    // Act
    const { result } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject(stage === undefined ? { action: 'hold' } : { status: 'failed', stage });
    expect(result).not.toHaveProperty('warmPool');
    expect(group.calls.filter((call) => call.includes('WarmPool'))).toEqual([]);
    expect(group.warmPool?.minSize).toBe(0);
  });

  it('warns and leaves AWS alone when the group has no warm pool', async () => {
    // Prepare
    const group = new FakeAutoScaling(GROUP, { desired: 1 });
    const { runtime, metricsClient } = setup(WARM_POOL, group);
    metricsClient.jobs = { running: 1, waiting: 4 };

    // Act
    const { result, lines } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ warmPool: { status: 'no-warm-pool', minSize: 3 } });
    expect(group.calls).not.toContain('putWarmPool(3)');
    expect(jsonRecords(lines).some((line) => String(line.message).includes('group has no warm pool'))).toBe(true);
  });

  it.each([
    ['DescribeWarmPool', 'describeWarmPool'],
    ['PutWarmPool', 'putWarmPool'],
  ] as const)('keeps the capacity decision when %s fails, and retries on the next pass', async (_label, call) => {
    // Prepare
    const group = pooledGroup();
    const { runtime, metricsClient } = setup(WARM_POOL, group);
    metricsClient.jobs = { scheduled: 2, waiting: 3 };
    group.failNext[call] = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });

    // Act
    const { result: failed, lines } = await captureOutput(() => runtime.pass('schedule'));
    const { result: retried } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(failed).toMatchObject({
      status: 'applied',
      desired: 2,
      warmPool: { status: 'failed', minSize: 3, error: 'Rate exceeded' },
    });
    expect(group.desired).toBe(2);
    expect(jsonRecords(lines).find((line) => line.level === 'ERROR')).toMatchObject({
      message: 'warm pool update failed; the capacity decision stands, the next pass retries',
      error: { name: 'Throttling', message: 'Rate exceeded' },
    });
    expect(retried).toMatchObject({ warmPool: { status: 'updated', minSize: 3 } });
    expect(group.warmPool?.minSize).toBe(3);
  });
});

describe('Function: runScalingPass with the drain strategy', () => {
  const drainEnvironment = { SCALE_IN_STRATEGY: 'drain' };

  it('terminates only idle instances, with a decrement, and never calls SetDesiredCapacity', async () => {
    // Prepare
    const group = new FakeAutoScaling(GROUP, {
      desired: 3,
      instances: [
        { id: 'i-busy', lifecycleState: 'InService', protectedFromScaleIn: true },
        { id: 'i-idle-a', lifecycleState: 'InService', protectedFromScaleIn: false },
        { id: 'i-idle-b', lifecycleState: 'InService', protectedFromScaleIn: false },
      ],
    });
    const { runtime, metricsClient } = setup(drainEnvironment, group);
    metricsClient.jobs = { running: 1 };

    // Act
    const { result } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'applied', action: 'scale-in', desired: 1 });
    expect(group.calls).not.toContain('terminate(i-busy)');
    expect(group.calls.filter((call) => call.startsWith('terminate')).sort()).toEqual([
      'terminate(i-idle-a)',
      'terminate(i-idle-b)',
    ]);
    expect(group.calls.some((call) => call.startsWith('setDesiredCapacity'))).toBe(false);
    expect(group.desired).toBe(1);
  });

  it('skips an instance that picked up a job between the decision and the termination', async () => {
    // Prepare
    const group = new FakeAutoScaling(GROUP, {
      desired: 2,
      instances: [
        { id: 'i-a', lifecycleState: 'InService', protectedFromScaleIn: false },
        { id: 'i-b', lifecycleState: 'InService', protectedFromScaleIn: false },
      ],
    });
    const { runtime } = setup(drainEnvironment, group);
    const describeInstances = group.describeInstances.bind(group);
    group.describeInstances = async (ids) => {
      // The agent on i-a starts a job and takes scale-in protection just before the last look.
      const busy = group.instances.find((instance) => instance.id === 'i-a');
      if (busy) busy.protectedFromScaleIn = true;
      return describeInstances(ids);
    };

    // Act
    const { result, lines } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ drained: ['i-b'], desired: 1 });
    expect(group.calls).not.toContain('terminate(i-a)');
    const decision = jsonRecords(lines).find((record) => record.message === 'scaling decision');
    expect(decision).toMatchObject({ skippedDrains: ['i-a'] });
  });

  it('drains nothing when launch times cannot be read', async () => {
    // Prepare
    const group = new FakeAutoScaling(GROUP, {
      desired: 1,
      instances: [{ id: 'i-a', lifecycleState: 'InService', protectedFromScaleIn: false }],
    });
    const parameterStore = new FakeParameterStore();
    parameterStore.values.set(TOKEN_PARAMETER, TOKEN);
    const broken = createScalerRuntime(parseAgentScalerConfig({ ...baseEnvironment, ...drainEnvironment }), {
      clock: new FakeClock(),
      autoScaling: group,
      instanceDetails: {
        describeInstances: async () => {
          throw new Error('UnauthorizedOperation');
        },
      },
      parameterStore,
      metricsClient: new ScriptedMetricsClient(),
    });

    // Act
    const { result } = await captureOutput(() => broken.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ action: 'hold', desired: 1 });
    expect(group.calls.some((call) => call.startsWith('terminate'))).toBe(false);
  });

  it('never terminates a protected (busy) instance, whatever the metrics and group (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            protectedFromScaleIn: fc.option(fc.boolean(), { nil: undefined }),
            lifecycleState: fc.constantFrom('InService', 'Pending', 'Terminating:Wait', 'Standby'),
          }),
          { maxLength: 8 },
        ),
        fc.nat(6),
        fc.nat(6),
        async (instances, scheduled, running) => {
          const group = new FakeAutoScaling(GROUP, {
            desired: instances.length,
            instances: instances.map((instance, index) => ({ id: `i-${index}`, ...instance })),
          });
          const { runtime, metricsClient } = setup(drainEnvironment, group);
          metricsClient.jobs = { scheduled, running };
          await captureOutput(() => runtime.pass('schedule'));
          const terminated = group.calls.filter((call) => call.startsWith('terminate('));
          for (const call of terminated) {
            const id = call.slice('terminate('.length, -1);
            const original = instances[Number(id.slice(2))];
            expect(original?.protectedFromScaleIn).toBe(false);
            expect(original?.lifecycleState).toBe('InService');
          }
          // Under the drain strategy the group never chooses its own victims: capacity is never lowered by a set.
          const lowered = group.calls.filter(
            (call) => call.startsWith('setDesiredCapacity(') && Number(call.slice(19, -1)) < instances.length,
          );
          expect(lowered).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('Function: runScalingPass with idle times from instance tags', () => {
  const MINUTE_MS = 60_000;

  /** Four instances: one running a job (protected, no idle tag), three idle for 2, 10 and 30 minutes. */
  function taggedGroup(environment: Record<string, string>) {
    const group = new FakeAutoScaling(GROUP, {
      desired: 4,
      instances: [
        // Ids sort against the idle order, so an order by launch time or id would choose differently.
        { id: 'i-a-busy', lifecycleState: 'InService', protectedFromScaleIn: true },
        { id: 'i-b-idle-2m', lifecycleState: 'InService', protectedFromScaleIn: false },
        { id: 'i-c-idle-10m', lifecycleState: 'InService', protectedFromScaleIn: false },
        { id: 'i-d-idle-30m', lifecycleState: 'InService', protectedFromScaleIn: false },
      ],
    });
    const context = setup({ SCALE_IN_STRATEGY: 'drain', ...environment }, group);
    const now = context.clock.now();
    // The tags exactly as the instance side writes them (agent-instance's formatIdleSinceTag).
    context.instanceDetails.tags.set('i-a-busy', { [AGENT_STATE_TAG]: 'running' });
    for (const [id, idleMinutes] of [
      ['i-b-idle-2m', 2],
      ['i-c-idle-10m', 10],
      ['i-d-idle-30m', 30],
    ] as const) {
      context.instanceDetails.tags.set(id, {
        [AGENT_STATE_TAG]: 'running',
        [IDLE_SINCE_TAG]: formatIdleSinceTag(now - idleMinutes * MINUTE_MS),
      });
    }
    return context;
  }

  const terminations = (group: FakeAutoScaling) => group.calls.filter((call) => call.startsWith('terminate'));

  it('keeps the scale-in cooldown of a drain another container made, rebuilt from scaling activities', async () => {
    // Prepare: ten minutes ago a pass of another container drained an instance; the cooldown is an hour
    const { runtime, group, metricsClient, clock } = taggedGroup({ SCALE_IN_COOLDOWN_PERIOD: '1h' });
    group.activities = [
      [
        {
          startTimeMs: clock.now() - 10 * MINUTE_MS,
          statusCode: 'Successful',
          cause:
            'At 2026-11-23T11:50:00Z instance i-0abc was taken out of service in response to a user request, shrinking the capacity from 5 to 4.',
        },
      ],
    ];
    metricsClient.jobs = { running: 1 };

    // Act
    const { result } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ action: 'hold', desired: 4 });
    expect(terminations(group)).toEqual([]);
  });

  it('drains the longest idle instances first with longest-idle-first', async () => {
    // Prepare: two jobs running → two instances wanted, two to drain
    const { runtime, group, metricsClient, clock } = taggedGroup({ SCALE_IN_ORDER: 'longest-idle-first' });
    metricsClient.jobs = { running: 2 };
    const idleSinceMs = clock.now() - 30 * MINUTE_MS;

    // Act
    const { result, lines } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'applied', action: 'scale-in', drained: ['i-d-idle-30m', 'i-c-idle-10m'] });
    expect(terminations(group)).toEqual(['terminate(i-d-idle-30m)', 'terminate(i-c-idle-10m)']);
    const decision = jsonRecords(lines).find((record) => record.message === 'scaling decision');
    expect(decision).toMatchObject({
      inputs: {
        group: {
          instances: expect.arrayContaining([
            { id: 'i-d-idle-30m', lifecycleState: 'InService', busy: false, idleSinceMs },
            { id: 'i-a-busy', lifecycleState: 'InService', busy: true },
          ]),
        },
      },
    });
  });

  it('lists the instances already terminated when a drain fails half-way, never saying no action was taken', async () => {
    // Prepare: two instances to drain; the second termination is throttled
    const { runtime, group, metricsClient } = taggedGroup({ SCALE_IN_ORDER: 'longest-idle-first' });
    metricsClient.jobs = { running: 2 };
    const terminate = group.terminateInstanceAndDecrement.bind(group);
    let terminations = 0;
    group.terminateInstanceAndDecrement = async (instanceId, options) => {
      terminations += 1;
      if (terminations === 2) throw new Error('Rate exceeded');
      return terminate(instanceId, options);
    };

    // Act
    const { result, lines } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'failed', stage: 'apply' });
    const failures = jsonRecords(lines).filter((record) => record.level === 'ERROR');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ stage: 'apply', action: 'scale-in', drainedBeforeFailure: ['i-d-idle-30m'] });
    expect(String(failures[0]?.message)).toMatch(/^scaling pass failed while applying its decision; what took effect/);
  });

  it('counts the instances terminated before a drain failed in its metrics record, with the error', async () => {
    // Prepare: two instances to drain; the second termination is throttled
    const { runtime, group, metricsClient } = taggedGroup({ SCALE_IN_ORDER: 'longest-idle-first' });
    metricsClient.jobs = { running: 2 };
    const terminate = group.terminateInstanceAndDecrement.bind(group);
    let terminations = 0;
    group.terminateInstanceAndDecrement = async (instanceId, options) => {
      terminations += 1;
      if (terminations === 2) throw new Error('Rate exceeded');
      return terminate(instanceId, options);
    };

    // Act
    const { lines } = await captureOutput(() => runtime.pass('schedule'));

    // Assess: one instance is gone; a dashboard summing DrainedInstances must see it
    const emf = jsonRecords(lines).filter((record) => record._aws !== undefined);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ DrainedInstances: 1, ScaleInDecisions: 1, ScalingErrors: 1 });
  });

  it('keeps an instance idle for less than SCALE_IN_MIN_IDLE and never the one running a job', async () => {
    // Prepare: one job running → three to drain, but only two idle for 5 minutes or more
    const { runtime, group, metricsClient } = taggedGroup({ SCALE_IN_MIN_IDLE: '5m' });
    metricsClient.jobs = { running: 1 };

    // Act
    const { result } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'applied', action: 'scale-in', desired: 2 });
    expect(terminations(group).sort()).toEqual(['terminate(i-c-idle-10m)', 'terminate(i-d-idle-30m)']);
    expect(group.instances.find((instance) => instance.id === 'i-a-busy')?.lifecycleState).toBe('InService');
  });

  it('never drains an unprotected instance whose idle tag is gone (a job started, protection off or failed)', async () => {
    // Prepare
    const { runtime, group, metricsClient, instanceDetails } = taggedGroup({});
    group.instances[0] = { id: 'i-a-busy', lifecycleState: 'InService', protectedFromScaleIn: false };
    instanceDetails.tags.set('i-b-idle-2m', { [AGENT_STATE_TAG]: 'running', [IDLE_SINCE_TAG]: 'not a time' });
    metricsClient.jobs = { running: 0 };

    // Act
    const { result } = await captureOutput(() => runtime.pass('schedule'));

    // Assess: only the two with a readable idle time go; the busy one and the unreadable one stay
    expect(result).toMatchObject({ status: 'applied', action: 'scale-in' });
    expect(terminations(group).sort()).toEqual(['terminate(i-c-idle-10m)', 'terminate(i-d-idle-30m)']);
  });
});

describe('Function: runScalingPass with the zombie check', () => {
  const MINUTE_MS = 60_000;
  const zombieEnvironment = { ZOMBIE_CHECK: 'true' };

  function zombieGroup() {
    const group = new FakeAutoScaling(GROUP, {
      desired: 5,
      instances: [
        { id: 'i-zombie', lifecycleState: 'InService', protectedFromScaleIn: false },
        { id: 'i-young', lifecycleState: 'InService', protectedFromScaleIn: false },
        { id: 'i-protected', lifecycleState: 'InService', protectedFromScaleIn: true },
        { id: 'i-healthy', lifecycleState: 'InService', protectedFromScaleIn: false },
        { id: 'i-hook', lifecycleState: 'Terminating:Wait', protectedFromScaleIn: false },
      ],
    });
    const context = setup(zombieEnvironment, group);
    const now = context.clock.now();
    // setup() launched every instance an hour ago; i-young boots now.
    context.instanceDetails.times.set('i-young', now - MINUTE_MS);
    context.instanceDetails.tags.set('i-healthy', { [AGENT_STATE_TAG]: 'running' });
    context.metricsClient.jobs = { running: 5 };
    return context;
  }

  it('marks an old instance without a running agent unhealthy once confirmed, and nothing else', async () => {
    // Prepare
    const { runtime, group, clock } = zombieGroup();

    // Act
    const first = await captureOutput(() => runtime.pass('schedule'));
    await clock.advance(2 * MINUTE_MS);
    const second = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(first.result).toMatchObject({ zombies: { replaced: [], deferred: [], skipped: [] } });
    expect(second.result).toMatchObject({ zombies: { replaced: ['i-zombie'], deferred: [], skipped: [] } });
    expect(group.calls.filter((call) => call.startsWith('setInstanceUnhealthy'))).toEqual([
      'setInstanceUnhealthy(i-zombie)',
    ]);
    const records = jsonRecords(second.lines);
    const replaced = records.filter(
      (record) => record.message === 'zombie instance marked unhealthy; the group replaces it',
    );
    expect(replaced).toEqual([
      expect.objectContaining({ instanceId: 'i-zombie', reason: 'agent-state-missing', gracePeriodMs: 600_000 }),
    ]);
    expect(records.find((record) => record._aws !== undefined)).toMatchObject({ ZombieInstancesReplaced: 1 });
    expect(jsonRecords(first.lines).find((record) => record._aws !== undefined)).toMatchObject({
      ZombieInstancesReplaced: 0,
    });
  });

  it('leaves an instance that took a job since the describe alone (last look)', async () => {
    // Prepare
    const { runtime, group, clock } = zombieGroup();
    await captureOutput(() => runtime.pass('schedule'));
    await clock.advance(2 * MINUTE_MS);
    const original = group.describeInstances.bind(group);
    group.describeInstances = async (ids) => {
      const zombie = group.instances.find((instance) => instance.id === 'i-zombie');
      if (zombie) zombie.protectedFromScaleIn = true;
      return original(ids);
    };

    // Act
    const { result } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ zombies: { replaced: [], skipped: ['i-zombie'] } });
    expect(group.calls.some((call) => call.startsWith('setInstanceUnhealthy'))).toBe(false);
  });

  it('is off by default: no instance details read, no instance marked unhealthy', async () => {
    // Prepare
    const group = new FakeAutoScaling(GROUP, {
      desired: 1,
      instances: [{ id: 'i-zombie', lifecycleState: 'InService', protectedFromScaleIn: false }],
    });
    const { runtime, clock, metricsClient } = setup({}, group);
    metricsClient.jobs = { running: 1 };

    // Act
    const first = await captureOutput(() => runtime.pass('schedule'));
    await clock.advance(10 * MINUTE_MS);
    const second = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(first.result).not.toHaveProperty('zombies');
    expect(second.result).not.toHaveProperty('zombies');
    expect(group.calls.some((call) => call.startsWith('setInstanceUnhealthy'))).toBe(false);
    const emf = jsonRecords(second.lines).find((record) => record._aws !== undefined);
    expect(emf).not.toHaveProperty('ZombieInstancesReplaced');
  });
});

describe('Function: scaler state across cold starts', () => {
  it('keeps the scale-out cooldown through a cold start when persisted in SSM', async () => {
    // Prepare
    const { runtime, makeRuntime, metricsClient, group, clock, parameterStore } = setup({
      SCALER_STATE_PARAMETER: '/scaler/state',
      SCALE_OUT_COOLDOWN_PERIOD: '5m',
    });
    metricsClient.jobs = { scheduled: 2 };
    await captureOutput(() => runtime.pass('schedule'));
    await clock.advance(60_000);
    metricsClient.jobs = { scheduled: 6 };

    // Act: a new container (fresh memory) shares only the parameter store
    const coldStarted = makeRuntime();
    const { result: during } = await captureOutput(() => coldStarted.pass('schedule'));
    await clock.advance(240_001);
    const { result: after } = await captureOutput(() => coldStarted.pass('schedule'));

    // Assess
    expect(JSON.parse(parameterStore.values.get('/scaler/state') ?? '{}')).toMatchObject({
      lastScaleOutAtMs: clock.now(),
    });
    expect(during).toMatchObject({ status: 'unchanged', action: 'hold', desired: 2 });
    expect(after).toMatchObject({ status: 'applied', action: 'scale-out', desired: 6 });
    expect(group.desired).toBe(6);
  });

  it('rebuilds the cooldown from scaling activities when nothing is persisted', async () => {
    // Prepare: the group scaled out one minute ago (before this container existed)
    const nowMs = Date.UTC(2026, 10, 23, 12, 0, 0);
    const group = new FakeAutoScaling(GROUP, {
      desired: 2,
      activities: [
        [
          {
            startTimeMs: nowMs - 30_000,
            statusCode: 'InProgress',
            cause:
              'a user request explicitly set group desired capacity changing the desired capacity from 1 to 2, increasing the capacity',
          },
          {
            startTimeMs: nowMs - 60_000,
            statusCode: 'Successful',
            cause:
              'At 2026-11-23T11:59:00Z a user request explicitly set group desired capacity changing the desired capacity from 1 to 2. At … an instance was started in response to a difference between desired and actual capacity, increasing the capacity from 1 to 2.',
          },
        ],
      ],
    });
    const { runtime, metricsClient } = setup({ SCALE_OUT_COOLDOWN_PERIOD: '5m' }, group);
    metricsClient.jobs = { scheduled: 6 };

    // Act
    const { result } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ action: 'hold', desired: 2 });
    expect(group.calls).toEqual(['describeGroup', 'describeScalingActivities']);
  });

  it('falls back to the activity scan when the persisted state is corrupt', async () => {
    // Prepare
    const { runtime, metricsClient, parameterStore, group } = setup({ SCALER_STATE_PARAMETER: '/scaler/state' });
    parameterStore.values.set('/scaler/state', '{"lastScaleOutAtMs": "yesterday"}');
    metricsClient.jobs = { scheduled: 3 };

    // Act
    const { result, lines } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'applied', desired: 3 });
    expect(group.calls).toContain('describeScalingActivities');
    expect(lines.join('\n')).toMatch(/does not hold a valid state/);
  });

  it.each([
    ['a negative growth-throttle bucket', { throttleTokens: -1 }],
    ['a scale-out time a year ahead (every later scale-out would wait for it)', { lastScaleOutAtMs: 'future' }],
  ])('rebuilds a state with %s from the activity scan, with one warning, and scales', async (_name, stored) => {
    // Prepare
    const { runtime, metricsClient, parameterStore, group, clock } = setup({ SCALER_STATE_PARAMETER: '/scaler/state' });
    const yearAhead = clock.now() + 365 * 24 * 3_600_000;
    const text = JSON.stringify(
      Object.fromEntries(Object.entries(stored).map(([key, value]) => [key, value === 'future' ? yearAhead : value])),
    );
    parameterStore.values.set('/scaler/state', text);
    metricsClient.jobs = { scheduled: 3 };

    // Act
    const { result, lines } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'applied', action: 'scale-out', desired: 3 });
    expect(group.calls).toEqual(['describeGroup', 'describeScalingActivities', 'setDesiredCapacity(3)']);
    const warnings = jsonRecords(lines).filter((record) => record.level === 'WARN');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/does not hold a valid state/);
  });
});

describe('Function: scaler state with the forecast and dependencies (SCALER_POLICIES)', () => {
  const LEARNING = {
    SCALER_STATE_PARAMETER: '/scaler/state',
    SCALER_POLICIES: JSON.stringify({ forecast: { enabled: true }, dependencies: { enabled: true } }),
  };

  it('keeps the learned memories after a hold, across a cold start, and logs the history only as its slot', async () => {
    // Prepare
    const { runtime, makeRuntime, metricsClient, parameterStore, group } = setup(LEARNING);
    metricsClient.jobs = { running: 1, waiting: 3 };

    // Act
    const { result, lines } = await captureOutput(() => runtime.pass('schedule'));
    const saved = parameterStore.values.get('/scaler/state') as string;
    const { lines: afterColdStart } = await captureOutput(() => makeRuntime().pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'unchanged', action: 'hold', desired: 1 });
    expect(group.calls.filter((call) => call.startsWith('set'))).toEqual([]);
    const persisted = JSON.parse(saved);
    expect(persisted.demandHistory).toMatch(/^2\.\d+\./);
    expect(persisted.waitingMemory).toMatchObject({ waiting: 3 });
    expect(saved.length).toBeLessThan(4096);
    const decision = jsonRecords(afterColdStart).find((record) => record.message === 'scaling decision');
    expect(decision?.inputs).toMatchObject({
      state: { demandHistory: { lastSlot: expect.any(Number) }, waitingMemory: { waiting: 3 } },
    });
    expect(lines.join('\n')).not.toMatch(/warn/i);
  });

  it('drops a truncated history with one warning and rebuilds it, never failing the pass', async () => {
    // Prepare
    const { runtime, metricsClient, parameterStore } = setup(LEARNING);
    parameterStore.values.set('/scaler/state', JSON.stringify({ lastScaleOutAtMs: 1, demandHistory: '1.2963.AAAB' }));
    metricsClient.jobs = { scheduled: 2 };

    // Act
    const { result, lines } = await captureOutput(() => runtime.pass('schedule'));

    // Assess
    expect(result).toMatchObject({ status: 'applied', action: 'scale-out', desired: 2 });
    expect(lines.filter((line) => line.includes('did not parse'))).toHaveLength(1);
    const persisted = JSON.parse(parameterStore.values.get('/scaler/state') as string);
    // Scaler-core's compact text: its header, then 672 slots of three characters.
    expect(persisted.demandHistory).toHaveLength(persisted.demandHistory.lastIndexOf('.') + 1 + 672 * 3);
  });

  it('fails the cold start naming the forecast option out of range', () => {
    expect(() =>
      parseAgentScalerConfig({
        ...baseEnvironment,
        SCALER_POLICIES: JSON.stringify({ forecast: { weeklyDecay: 2 }, dependencies: { releaseQuantile: -1 } }),
      }),
    ).toThrow(/SCALER_POLICIES \(forecast\.weeklyDecay\)[\s\S]*SCALER_POLICIES \(dependencies\.releaseQuantile\)/);
  });
});

describe('Function: ScalerRuntime.pass concurrency', () => {
  it('runs at most one SetDesiredCapacity at a time and ends on the latest metrics', async () => {
    // Prepare: the first pass's SetDesiredCapacity blocks until released
    const { runtime, metricsClient, group } = setup();
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    let firstCall = true;
    group.onSetDesired = async () => {
      if (firstCall) {
        firstCall = false;
        await blocked;
      }
    };
    metricsClient.jobs = { scheduled: 3 };

    // Act
    const { result: outcomes } = await captureOutput(async () => {
      const first = runtime.pass('schedule');
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      // A webhook burst arrives while the first pass is still setting capacity; demand rises meanwhile.
      metricsClient.jobs = { scheduled: 7 };
      const burst = Array.from({ length: 5 }, () => runtime.pass('webhook'));
      release();
      return Promise.all([first, ...burst]);
    });

    // Assess
    expect(group.maxInFlightSetDesired).toBe(1);
    expect(group.calls.filter((call) => call === 'describeGroup')).toHaveLength(2);
    expect(group.calls.filter((call) => call.startsWith('setDesiredCapacity'))).toEqual([
      'setDesiredCapacity(3)',
      'setDesiredCapacity(7)',
    ]);
    expect(group.desired).toBe(7);
    for (const outcome of outcomes.slice(1)) expect(outcome).toMatchObject({ desired: 7 });
  });
});

describe('Function: output hygiene', () => {
  it('never writes the agent token to stdout or stderr, on success or failure', async () => {
    // Prepare
    const group = new FakeAutoScaling(GROUP, { desired: 2 });
    const { runtime, metricsClient } = setup({ SCALER_STATE_PARAMETER: '/scaler/state' }, group);
    metricsClient.jobs = { scheduled: 3 };

    // Act
    const { lines } = await captureOutput(async () => {
      await runtime.pass('schedule');
      metricsClient.failures = [new TokenRejectedError('GET x', 401), new TokenRejectedError('GET x', 401)];
      await runtime.pass('schedule');
      metricsClient.failures = [new ServerError('GET x', 500)];
      await runtime.pass('webhook');
      group.failNext.setDesiredCapacity = new Error(`AccessDenied for ${GROUP}`);
      metricsClient.jobs = { scheduled: 9 };
      await runtime.pass('schedule');
    });

    // Assess
    expect(lines.length).toBeGreaterThan(4);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });
});
