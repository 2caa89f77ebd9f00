import type { AgentMetricsClient, QueueMetricsResult } from '@elastic-ci/buildkite-api';
import { FakeClock, lambdaContext } from '@elastic-ci/testing';
import { describe, expect, it, vi } from 'vitest';
import { LEASE_ACT_MARGIN_MS, parseAgentScalerConfig } from './config';
import { createScalerRuntime } from './runtime';
import { createLeasedPassRunner, webhookLeaseWaitUntilMs } from './scaling-lease';
import type { PassOutcome } from './scaling-pass';
import {
  captureOutput,
  FakeAutoScaling,
  FakeInstanceDetails,
  FakeParameterStore,
  FakeScalingLease,
  jsonRecords,
} from './testing-fakes';

/**
 * For vi.waitFor on an event of the code under test: its default 1 s bound would race a loaded machine, and the
 * test's own timeout already catches a hang.
 */
const EVENT_BOUND = { timeout: 15_000, interval: 2 };

const GROUP = 'agents';
const TOKEN = 'canary-agent-token-lease-6d1f0a';
const TOKEN_PARAMETER = '/buildkite/agent-token';
const START_MS = Date.UTC(2026, 10, 23, 12, 0, 0);
const TTL_MS = 30_000;

const silentLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function deferred<T = void>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((resolvePromise) => {
    resolve = resolvePromise;
  });
  return { promise, resolve };
}

const unchangedOutcome = (desired: number): PassOutcome => ({
  status: 'unchanged',
  action: 'hold',
  previousDesired: desired,
  desired,
  drained: [],
  pollDurationMs: undefined,
});

/** Queue metrics the test sets; `gate`, when set, holds the next read until it resolves. */
class ScriptedMetricsClient implements AgentMetricsClient {
  scheduledJobs = 0;
  reads = 0;
  gate: Promise<void> | undefined;

  async getQueueMetrics(_token: string, queue: string): Promise<QueueMetricsResult> {
    this.reads += 1;
    const gate = this.gate;
    this.gate = undefined;
    if (gate) await gate;
    return {
      organizationSlug: 'acme',
      queue,
      agents: { idle: 0, busy: 0, total: 0 },
      jobs: { scheduled: this.scheduledJobs, running: 0, waiting: 0 },
      pollDurationMs: undefined,
      warnings: [],
      durationMs: 1,
    };
  }
}

const baseEnvironment = {
  BUILDKITE_QUEUE: 'default',
  ASG_NAME: GROUP,
  AGENTS_PER_INSTANCE: '1',
  BUILDKITE_AGENT_TOKEN_SSM_KEY: TOKEN_PARAMETER,
  AVAILABILITY_THRESHOLD: '0',
  LAMBDA_INTERVAL: '10s',
};

/** One "container": its own runtime (single-flight, token cache) on the shared group, metrics, clock and lease. */
function container(
  id: string,
  shared: { clock: FakeClock; group: FakeAutoScaling; metrics: AgentMetricsClient; lease?: FakeScalingLease },
) {
  const parameterStore = new FakeParameterStore();
  parameterStore.values.set(TOKEN_PARAMETER, TOKEN);
  const environment = shared.lease ? { ...baseEnvironment, SCALER_LOCK_TABLE: 'agent-scaler-locks' } : baseEnvironment;
  return createScalerRuntime(parseAgentScalerConfig(environment), {
    clock: shared.clock,
    autoScaling: shared.group,
    instanceDetails: new FakeInstanceDetails(new Map()),
    parameterStore,
    metricsClient: shared.metrics,
    ...(shared.lease ? { lease: shared.lease, containerId: id } : {}),
  });
}

/** The desired capacity one lone pass reaches from `startDesired` on `scheduledJobs`: the reference result. */
async function singlePassDesired(startDesired: number, scheduledJobs: number): Promise<number> {
  const group = new FakeAutoScaling(GROUP, { desired: startDesired });
  const metrics = new ScriptedMetricsClient();
  metrics.scheduledJobs = scheduledJobs;
  await captureOutput(() =>
    container('reference', { clock: new FakeClock(START_MS), group, metrics }).pass('schedule'),
  );
  return group.desired;
}

describe('Function: createLeasedPassRunner', () => {
  const setup = () => {
    const clock = new FakeClock(START_MS);
    const lease = new FakeScalingLease();
    const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const runner = createLeasedPassRunner({ lease, groupName: GROUP, ttlMs: TTL_MS, clock, logger, containerId: 'c1' });
    return { clock, lease, logger, runner };
  };

  it('runs the pass under the lease, with an act deadline the margin before expiry, and releases it afterwards', async () => {
    // Prepare
    const { lease, runner } = setup();
    const seen: { actBeforeMs: number; callsEndByMs: number; holder: string | undefined }[] = [];

    // Act
    const outcome = await runner('schedule', async (actBeforeMs, callsEndByMs) => {
      seen.push({ actBeforeMs, callsEndByMs, holder: lease.leases.get(GROUP)?.owner });
      return unchangedOutcome(1);
    });

    // Assess: calls start at most 5 s and end at most 1 s before the lease does.
    expect(outcome.status).toBe('unchanged');
    expect(seen).toEqual([
      { actBeforeMs: START_MS + TTL_MS - LEASE_ACT_MARGIN_MS, callsEndByMs: START_MS + TTL_MS - 1_000, holder: 'c1#1' },
    ]);
    expect(lease.calls).toEqual(['acquire(c1#1)', 'release(c1#1)']);
    expect(lease.leases.has(GROUP)).toBe(false);
  });

  it('does not run the pass when another container holds the lease and no wait is asked (the scheduled loop)', async () => {
    // Prepare
    const { lease, logger, runner } = setup();
    lease.leases.set(GROUP, { owner: 'other#1', expiresAtMs: START_MS + 10_000 });
    const pass = vi.fn(async () => unchangedOutcome(1));

    // Act
    const outcome = await runner('schedule', pass);

    // Assess
    expect(outcome).toEqual({
      status: 'skipped',
      reason: 'lease-held',
      attempts: 1,
      waitedMs: 0,
      pollDurationMs: undefined,
    });
    expect(pass).not.toHaveBeenCalled();
    expect(lease.leases.get(GROUP)?.owner).toBe('other#1');
    expect(logger.info).toHaveBeenCalledWith(
      expect.stringContaining('held by another pass'),
      expect.objectContaining({ trigger: 'schedule', reason: 'lease-held' }),
    );
  });

  it('takes over a lease whose holder crashed once it has expired', async () => {
    // Prepare
    const { clock, lease, runner } = setup();
    lease.leases.set(GROUP, { owner: 'crashed#7', expiresAtMs: START_MS + 5_000 });
    const pass = vi.fn(async () => unchangedOutcome(1));
    const beforeExpiry = await runner('schedule', pass);
    await clock.advance(5_001);

    // Act
    const afterExpiry = await runner('schedule', pass);

    // Assess
    expect(beforeExpiry.status).toBe('skipped');
    expect(afterExpiry.status).toBe('unchanged');
    expect(pass).toHaveBeenCalledTimes(1);
  });

  it('releases only its own lease: a lease taken over after expiry stays with its new owner', async () => {
    // Prepare
    const { clock, lease, runner } = setup();
    const other = createLeasedPassRunner({
      lease,
      groupName: GROUP,
      ttlMs: TTL_MS,
      clock,
      logger: silentLogger,
      containerId: 'c2',
    });
    const slowPass = deferred();
    const secondPassRunning = deferred();
    const finishSecond = deferred();

    // Act
    const first = runner('schedule', async () => {
      await slowPass.promise;
      return unchangedOutcome(1);
    });
    await vi.waitFor(() => expect(lease.leases.get(GROUP)?.owner).toBe('c1#1'), EVENT_BOUND);
    await clock.advance(TTL_MS + 1);
    const second = other('webhook', async () => {
      secondPassRunning.resolve();
      await finishSecond.promise;
      return unchangedOutcome(1);
    });
    await secondPassRunning.promise;
    slowPass.resolve();
    await first;
    const holderAfterFirstReleased = lease.leases.get(GROUP)?.owner;
    finishSecond.resolve();
    await second;

    // Assess
    expect(lease.calls).toContain('release(c1#1)');
    expect(holderAfterFirstReleased).toBe('c2#1');
    expect(lease.leases.has(GROUP)).toBe(false);
  });

  it('treats a lease-store error as not acquired: the pass never runs and the error is logged', async () => {
    // Prepare
    const { lease, logger, runner } = setup();
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
      name: 'ProvisionedThroughputExceededException',
    });
    lease.failNext.acquire = throttled;
    const pass = vi.fn(async () => unchangedOutcome(1));

    // Act
    const outcome = await runner('schedule', pass);

    // Assess
    expect(outcome).toMatchObject({ status: 'skipped', reason: 'lease-unavailable' });
    expect(pass).not.toHaveBeenCalled();
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('scaling lease could not be read or written'),
      expect.objectContaining({ error: expect.objectContaining({ name: 'ProvisionedThroughputExceededException' }) }),
    );
  });

  it('waits for the holder with growing pauses on the clock and runs once the lease is free', async () => {
    // Prepare
    const { clock, lease, runner } = setup();
    lease.leases.set(GROUP, { owner: 'other#1', expiresAtMs: START_MS + TTL_MS });
    const ranAt: number[] = [];

    // Act
    const waiting = runner(
      'webhook',
      async () => {
        ranAt.push(clock.now());
        return unchangedOutcome(1);
      },
      START_MS + 10_000,
    );
    await clock.advance(700);
    await lease.release(GROUP, 'other#1');
    await clock.advance(1_000);
    const outcome = await waiting;

    // Assess
    expect(outcome.status).toBe('unchanged');
    // Tries at 0, 250 and 750 ms (pauses of 250 then 500 ms): the first try after the release wins.
    expect(ranAt).toEqual([START_MS + 750]);
    expect(lease.calls.filter((call) => call.startsWith('acquire'))).toHaveLength(3);
  });

  it('gives up at the wait deadline without running the pass', async () => {
    // Prepare
    const { clock, lease, runner } = setup();
    lease.leases.set(GROUP, { owner: 'other#1', expiresAtMs: START_MS + TTL_MS });
    const pass = vi.fn(async () => unchangedOutcome(1));

    // Act
    const waiting = runner('webhook', pass, START_MS + 3_000);
    await clock.advance(10_000);
    const outcome = await waiting;

    // Assess: tries at 0, 250, 750 and 1750 ms; the next (3750 ms) would pass the deadline.
    expect(outcome).toEqual({
      status: 'skipped',
      reason: 'lease-held',
      attempts: 4,
      waitedMs: 1_750,
      pollDurationMs: undefined,
    });
    expect(pass).not.toHaveBeenCalled();
  });

  it('releases the lease when the pass throws, and logs a release that fails', async () => {
    // Prepare
    const { lease, logger, runner } = setup();
    const failingPass = vi.fn(async (): Promise<PassOutcome> => {
      throw new Error('unexpected');
    });

    // Act
    const failed = runner('schedule', failingPass);
    await expect(failed).rejects.toThrow('unexpected');
    lease.failNext.release = new Error('network down');
    const outcome = await runner('schedule', async () => unchangedOutcome(1));

    // Assess
    expect(lease.calls).toEqual(['acquire(c1#1)', 'release(c1#1)', 'acquire(c1#2)', 'release(c1#2)']);
    expect(outcome.status).toBe('unchanged');
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('not released'),
      expect.objectContaining({ ttlMs: TTL_MS }),
    );
  });
});

describe('Function: webhookLeaseWaitUntilMs', () => {
  it('waits SCALER_LOCK_WAIT when the invocation has time to spare', () => {
    // Act
    const until = webhookLeaseWaitUntilMs({
      nowMs: START_MS,
      waitMs: 10_000,
      remainingTimeMs: 30_000,
      deadlineMarginMs: 5_000,
    });

    // Assess
    expect(until).toBe(START_MS + 10_000);
  });

  it('never waits into the deadline margin of the invocation', () => {
    // Act
    const until = webhookLeaseWaitUntilMs({
      nowMs: START_MS,
      waitMs: 10_000,
      remainingTimeMs: 8_000,
      deadlineMarginMs: 5_000,
    });

    // Assess
    expect(until).toBe(START_MS + 3_000);
  });
});

describe('Mutating calls under the lease', () => {
  it('must end 1 s before the lease does (SDK retries included); without a lease they are unbounded', async () => {
    // Prepare
    const clock = new FakeClock(START_MS);
    const leasedGroup = new FakeAutoScaling(GROUP, { desired: 1 });
    const plainGroup = new FakeAutoScaling(GROUP, { desired: 1 });
    const metrics = new ScriptedMetricsClient();
    metrics.scheduledJobs = 3;
    const leased = container('leased', { clock, group: leasedGroup, metrics, lease: new FakeScalingLease() });
    const plain = container('plain', { clock, group: plainGroup, metrics });

    // Act
    const { result } = await captureOutput(async () => [await leased.pass('schedule'), await plain.pass('schedule')]);

    // Assess
    expect(result.map((outcome) => outcome.status)).toEqual(['applied', 'applied']);
    expect(leasedGroup.callDeadlines).toEqual([START_MS + TTL_MS - 1_000]);
    expect(plainGroup.callDeadlines).toEqual([undefined]);
  });
});

describe('Cross-container passes (two runtimes sharing one lease)', () => {
  it('keeps one SetDesiredCapacity in flight and ends where a single pass on the latest metrics ends', async () => {
    // Prepare
    const clock = new FakeClock(START_MS);
    const group = new FakeAutoScaling(GROUP, { desired: 1 });
    const metrics = new ScriptedMetricsClient();
    const lease = new FakeScalingLease();
    const scheduled = container('scheduled', { clock, group, metrics, lease });
    const webhook = container('webhook', { clock, group, metrics, lease });
    metrics.scheduledJobs = 3;
    const setDesiredGate = deferred();
    group.onSetDesired = () => setDesiredGate.promise;
    const expected = await singlePassDesired(1, 7);

    // Act
    const { result } = await captureOutput(async () => {
      const first = scheduled.pass('schedule');
      await vi.waitFor(() => expect(group.inFlightSetDesired).toBe(1), EVENT_BOUND);
      metrics.scheduledJobs = 7; // the jobs behind the webhook arrive while the scheduled pass acts
      const second = webhook.pass('webhook', { leaseWaitUntilMs: clock.now() + 10_000 });
      await vi.waitFor(() => expect(clock.pendingSleeps).toBe(1), EVENT_BOUND);
      const inFlightWhileWaiting = group.inFlightSetDesired;
      group.onSetDesired = undefined;
      setDesiredGate.resolve();
      const firstOutcome = await first;
      await clock.advance(250);
      return { firstOutcome, secondOutcome: await second, inFlightWhileWaiting };
    });

    // Assess
    expect(result.inFlightWhileWaiting).toBe(1);
    expect(group.maxInFlightSetDesired).toBe(1);
    expect(result.firstOutcome).toMatchObject({ status: 'applied', desired: 3 });
    expect(result.secondOutcome).toMatchObject({ status: 'applied', previousDesired: 3, desired: expected });
    expect(group.desired).toBe(expected);
    expect(group.calls.filter((call) => call.startsWith('setDesiredCapacity'))).toEqual([
      'setDesiredCapacity(3)',
      `setDesiredCapacity(${expected})`,
    ]);
    expect(lease.calls).toEqual([
      'acquire(scheduled#1)',
      'acquire(webhook#1)',
      'release(scheduled#1)',
      'acquire(webhook#1)',
      'release(webhook#1)',
    ]);
  });

  it('lets a burst of webhooks in two containers act one at a time, the last on the latest metrics', async () => {
    // Prepare
    const clock = new FakeClock(START_MS);
    const group = new FakeAutoScaling(GROUP, { desired: 0 });
    const metrics = new ScriptedMetricsClient();
    const lease = new FakeScalingLease();
    const containers = [
      container('a', { clock, group, metrics, lease }),
      container('b', { clock, group, metrics, lease }),
    ];
    const gates = [deferred(), deferred(), deferred(), deferred()];
    let setDesiredCalls = 0;
    group.onSetDesired = () => gates[setDesiredCalls++]?.promise ?? Promise.resolve();
    metrics.scheduledJobs = 2;
    const expected = await singlePassDesired(0, 9);

    // Act
    const { result } = await captureOutput(async () => {
      const waitUntil = clock.now() + 10_000;
      const passes = [0, 1, 0, 1].map((index) => containers[index]?.pass('webhook', { leaseWaitUntilMs: waitUntil }));
      await vi.waitFor(() => expect(group.inFlightSetDesired).toBe(1), EVENT_BOUND);
      metrics.scheduledJobs = 9;
      for (const gate of gates) gate.resolve();
      for (let step = 0; step < 20 && clock.pendingSleeps + group.inFlightSetDesired > 0; step += 1) {
        await clock.advance(250);
      }
      return Promise.all(passes);
    });

    // Assess
    expect(group.maxInFlightSetDesired).toBe(1);
    expect(result.every((outcome) => outcome?.status !== 'skipped')).toBe(true);
    expect(group.desired).toBe(expected);
    expect(metrics.reads).toBeLessThanOrEqual(4);
  });

  it('stops a pass that outlived its lease before it acts, so the container that took over acts alone', async () => {
    // Prepare
    const clock = new FakeClock(START_MS);
    const group = new FakeAutoScaling(GROUP, { desired: 1 });
    const metrics = new ScriptedMetricsClient();
    const lease = new FakeScalingLease();
    const slow = container('slow', { clock, group, metrics, lease });
    const fresh = container('fresh', { clock, group, metrics, lease });
    metrics.scheduledJobs = 4;
    const slowRead = deferred();
    metrics.gate = slowRead.promise;

    // Act
    const { result } = await captureOutput(async () => {
      const stale = slow.pass('schedule');
      await vi.waitFor(() => expect(metrics.reads).toBe(1), EVENT_BOUND);
      await clock.advance(TTL_MS + 1);
      const takeover = await fresh.pass('schedule');
      metrics.scheduledJobs = 6; // what the slow pass reads when it wakes: it would scale, were it still allowed to
      slowRead.resolve();
      return { takeover, stale: await stale };
    });

    // Assess
    expect(result.takeover).toMatchObject({ status: 'applied', desired: 4 });
    expect(result.stale).toMatchObject({ status: 'failed', stage: 'apply' });
    expect(result.stale.status === 'failed' && result.stale.error).toMatch(
      /outlived the safe part of its scaling lease/,
    );
    expect(group.calls.filter((call) => call.startsWith('setDesiredCapacity'))).toEqual(['setDesiredCapacity(4)']);
  });

  it('keeps a pass that outlived its lease from writing the scaler state over the one the new holder wrote', async () => {
    // Prepare: two containers sharing the lease and the state parameter; the forecast makes every pass write it
    const clock = new FakeClock(START_MS);
    const group = new FakeAutoScaling(GROUP, { desired: 1 });
    const metrics = new ScriptedMetricsClient();
    const lease = new FakeScalingLease();
    const parameterStore = new FakeParameterStore();
    parameterStore.values.set(TOKEN_PARAMETER, TOKEN);
    const stateRead = deferred();
    const readState = parameterStore.getString.bind(parameterStore);
    let stateReads = 0;
    parameterStore.getString = async (name) => {
      stateReads += 1;
      if (stateReads === 1) await stateRead.promise;
      return readState(name);
    };
    const environment = {
      ...baseEnvironment,
      SCALER_LOCK_TABLE: 'agent-scaler-locks',
      SCALER_STATE_PARAMETER: '/scaler/state',
      SCALER_POLICIES: JSON.stringify({ forecast: { enabled: true } }),
    };
    const runtime = (id: string) =>
      createScalerRuntime(parseAgentScalerConfig(environment), {
        clock,
        autoScaling: group,
        instanceDetails: new FakeInstanceDetails(new Map()),
        parameterStore,
        metricsClient: metrics,
        lease,
        containerId: id,
      });
    const slow = runtime('slow');
    const fresh = runtime('fresh');
    metrics.scheduledJobs = 1;

    // Act: the slow pass's state read outlasts its lease; the new holder scales out and records it
    const { result } = await captureOutput(async () => {
      const stale = slow.pass('schedule');
      await vi.waitFor(() => expect(stateReads).toBe(1), EVENT_BOUND);
      await clock.advance(TTL_MS + 1);
      metrics.scheduledJobs = 4;
      const takeover = await fresh.pass('schedule');
      const writtenByHolder = parameterStore.values.get('/scaler/state');
      stateRead.resolve();
      return { takeover, stale: await stale, writtenByHolder };
    });

    // Assess
    expect(result.takeover).toMatchObject({ status: 'applied', desired: 4 });
    expect(result.stale).toMatchObject({ status: 'failed', stage: 'persist' });
    expect(parameterStore.values.get('/scaler/state')).toBe(result.writtenByHolder);
    expect(JSON.parse(result.writtenByHolder as string)).toMatchObject({ lastScaleOutAtMs: START_MS + TTL_MS + 1 });
  });

  it('skips a scheduled iteration it cannot lease and scales on the next one', async () => {
    // Prepare
    const clock = new FakeClock(START_MS);
    const group = new FakeAutoScaling(GROUP, { desired: 0 });
    const metrics = new ScriptedMetricsClient();
    const lease = new FakeScalingLease();
    lease.leases.set(GROUP, { owner: 'webhook#1', expiresAtMs: START_MS + 15_000 });
    const scheduled = container('scheduled', { clock, group, metrics, lease });
    metrics.scheduledJobs = 2;

    // Act
    const { result, lines } = await captureOutput(async () => {
      const polling = scheduled.pollUntilDeadline(lambdaContext({ timeoutMs: 30_000, clock }));
      await clock.advance(30_000);
      return polling;
    });

    // Assess: passes at 0 and 10 s find the lease held; the one at 20 s takes the expired lease and scales.
    expect(result.passes).toBe(3);
    expect(metrics.reads).toBe(1);
    expect(group.calls.filter((call) => call.startsWith('setDesiredCapacity'))).toEqual(['setDesiredCapacity(2)']);
    const skipped = jsonRecords(lines).filter((record) => record.reason === 'lease-held');
    expect(skipped).toHaveLength(2);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });
});

describe('A lease store that fails (e.g. no dynamodb:PutItem on the table)', () => {
  it('ends the pass with one error record and a ScalingErrors metric, however often a webhook retried', async () => {
    // Prepare: every acquire fails; the webhook waits up to 5 s, so it tries several times
    const clock = new FakeClock(START_MS);
    const group = new FakeAutoScaling(GROUP, { desired: 1 });
    const metrics = new ScriptedMetricsClient();
    const lease = new FakeScalingLease();
    const denied = Object.assign(new Error('User is not authorized to perform: dynamodb:PutItem'), {
      name: 'AccessDeniedException',
    });
    lease.acquire = async () => {
      throw denied;
    };
    const webhook = container('webhook', { clock, group, metrics, lease });

    // Act
    const { result, lines } = await captureOutput(async () => {
      const passing = webhook.pass('webhook', { leaseWaitUntilMs: START_MS + 5_000 });
      await clock.advance(5_000);
      return passing;
    });

    // Assess: nothing scaled; an alarm on ScalingErrors sees the scaler is not working
    expect(result).toMatchObject({ status: 'skipped', reason: 'lease-unavailable' });
    expect(result.status === 'skipped' && result.attempts).toBeGreaterThan(1);
    expect(group.calls).toEqual([]);
    const records = jsonRecords(lines);
    const errors = records.filter((record) => record.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      reason: 'lease-unavailable',
      error: { name: 'AccessDeniedException' },
    });
    const emf = records.filter((record) => record._aws !== undefined);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ Queue: 'default', ScalingErrors: 1 });
  });
});
