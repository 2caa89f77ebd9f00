// moto implements neither CompleteLifecycleAction nor RecordLifecycleActionHeartbeat, so these two calls are checked
// with aws-sdk-client-mock; the lookups (DescribeAutoScalingInstances, DescribeLifecycleHooks) run against moto in the
// integration tests.
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  RecordLifecycleActionHeartbeatCommand,
} from '@aws-sdk/client-auto-scaling';
import { FakeClock } from '@elastic-ci/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AutoScalingLifecycleAdapter,
  type GroupLookupPort,
  type LifecycleActionPort,
  type TerminationHook,
} from './aws-adapters';
import {
  COMPLETE_CALL_LIMIT_MS,
  completeLifecycleAction,
  LOOKUP_CALL_LIMIT_MS,
  MAX_GLOBAL_TIMEOUT_MS,
  type ResolvedLifecycleAction,
  resolveLifecycleAction,
  sendHeartbeats,
} from './lifecycle-action';
import { memoryLogger } from './test-support/logs';

const autoScaling = mockClient(AutoScalingClient);
const port = new AutoScalingLifecycleAdapter(new AutoScalingClient({ region: 'us-east-1' }));

const resolved: ResolvedLifecycleAction = {
  action: {
    autoScalingGroupName: 'agents',
    lifecycleHookName: 'drain',
    instanceId: 'i-0123456789abcdef0',
    lifecycleActionToken: undefined,
  },
  globalTimeoutMs: 60_000,
  startedAtMs: 0,
};

beforeEach(() => {
  autoScaling.reset();
});

function throttling(): Error {
  return Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } });
}

describe('Function: sendHeartbeats', () => {
  it('beats every interval, the first one interval in, until stopped', async () => {
    // Prepare
    autoScaling.on(RecordLifecycleActionHeartbeatCommand).resolves({});
    const clock = new FakeClock(0);
    const { logger } = memoryLogger();
    const stop = new AbortController();
    const beating = sendHeartbeats({ resolved, port, clock, intervalMs: 10_000, logger, signal: stop.signal });

    // Act
    await clock.advance(9_999);
    const beforeFirst = autoScaling.commandCalls(RecordLifecycleActionHeartbeatCommand).length;
    await clock.advance(25_001);
    stop.abort();
    const beats = await beating;

    // Assess
    expect(beforeFirst).toBe(0);
    expect(beats).toBe(3);
    expect(autoScaling.commandCalls(RecordLifecycleActionHeartbeatCommand)[0]?.args[0].input).toEqual({
      AutoScalingGroupName: 'agents',
      LifecycleHookName: 'drain',
      InstanceId: 'i-0123456789abcdef0',
    });
  });

  it('beats at least three times per hook heartbeat timeout when the configured interval is longer', async () => {
    // Prepare
    // A 60 s interval against a hook that expires after 30 s without a beat: each action would run out between two
    // beats, and Auto Scaling would apply the default result under the running job.
    autoScaling.on(RecordLifecycleActionHeartbeatCommand).resolves({});
    const clock = new FakeClock(0);
    const { logger, entries } = memoryLogger();
    const stop = new AbortController();
    const beating = sendHeartbeats({
      resolved: { ...resolved, globalTimeoutMs: MAX_GLOBAL_TIMEOUT_MS, heartbeatTimeoutMs: 30_000 },
      port,
      clock,
      intervalMs: 60_000,
      logger,
      signal: stop.signal,
    });

    // Act
    await clock.advance(65_000);
    stop.abort();
    const beats = await beating;

    // Assess
    expect(beats).toBe(6);
    expect(entries.find((entry) => entry.level === 'warn')?.msg).toBe(
      "Heartbeat interval (1m) is not below a third of the hook's heartbeat timeout (30s): beating every 10s instead",
    );
  });

  it('keeps beating after a throttled heartbeat', async () => {
    // Prepare
    autoScaling.on(RecordLifecycleActionHeartbeatCommand).rejectsOnce(throttling()).resolves({});
    const clock = new FakeClock(0);
    const { logger, entries } = memoryLogger();
    const stop = new AbortController();
    const beating = sendHeartbeats({ resolved, port, clock, intervalMs: 10_000, logger, signal: stop.signal });

    // Act
    await clock.advance(30_000);
    stop.abort();
    const beats = await beating;

    // Assess
    expect(autoScaling.commandCalls(RecordLifecycleActionHeartbeatCommand)).toHaveLength(3);
    expect(beats).toBe(2);
    expect(entries.some((entry) => entry.msg === 'Failed to send lifecycle action heartbeat')).toBe(true);
  });

  it('abandons a heartbeat that never answers, so the next one still goes out on time', async () => {
    // Prepare
    // The first call hangs for good (a black-holed connection, its abort ignored): waiting for it would send no
    // heartbeat for the rest of the drain, and the hook's heartbeat timeout would end the instance under the job.
    const clock = new FakeClock(0);
    const sentAt: number[] = [];
    const hangingOnce: LifecycleActionPort = {
      recordHeartbeat: () => {
        sentAt.push(clock.now());
        return sentAt.length === 1 ? new Promise<void>(() => {}) : Promise.resolve();
      },
      complete: async () => {},
    };
    const { logger, entries } = memoryLogger();
    const stop = new AbortController();
    const beating = sendHeartbeats({
      resolved: { ...resolved, globalTimeoutMs: MAX_GLOBAL_TIMEOUT_MS },
      port: hangingOnce,
      clock,
      intervalMs: 10_000,
      logger,
      signal: stop.signal,
    });

    // Act
    await clock.advance(35_000);
    stop.abort();
    const beats = await beating;

    // Assess
    expect(sentAt).toEqual([10_000, 20_000, 30_000]);
    expect(beats).toBe(2);
    expect(entries.find((entry) => entry.msg === 'Failed to send lifecycle action heartbeat')).toMatchObject({
      level: 'warn',
    });
  });

  it('stops at the global timeout with a clear log line', async () => {
    // Prepare
    autoScaling.on(RecordLifecycleActionHeartbeatCommand).resolves({});
    const clock = new FakeClock(0);
    const { logger, entries } = memoryLogger();
    const beating = sendHeartbeats({
      resolved,
      port,
      clock,
      intervalMs: 10_000,
      logger,
      signal: new AbortController().signal,
    });

    // Act
    await clock.advance(120_000);
    const beats = await beating;

    // Assess
    expect(beats).toBe(5);
    expect(entries.find((entry) => entry.level === 'error')?.msg).toBe(
      "Lifecycle hook global timeout (1m) reached: heartbeats stop and Auto Scaling applies the hook's default result",
    );
  });
});

describe('Function: completeLifecycleAction', () => {
  it('sends CONTINUE once', async () => {
    // Prepare
    autoScaling.on(CompleteLifecycleActionCommand).resolves({});
    const { logger } = memoryLogger();

    // Act
    const completed = await completeLifecycleAction({ resolved, port, clock: new FakeClock(0), logger });

    // Assess
    expect(completed).toBe(true);
    expect(autoScaling.commandCalls(CompleteLifecycleActionCommand).map((call) => call.args[0].input)).toEqual([
      {
        AutoScalingGroupName: 'agents',
        LifecycleHookName: 'drain',
        InstanceId: 'i-0123456789abcdef0',
        LifecycleActionResult: 'CONTINUE',
      },
    ]);
  });

  it('retries throttling and succeeds', async () => {
    // Prepare
    autoScaling.on(CompleteLifecycleActionCommand).rejectsOnce(throttling()).rejectsOnce(throttling()).resolves({});
    const clock = new FakeClock(0);
    const { logger } = memoryLogger();

    // Act
    const completing = completeLifecycleAction({ resolved, port, clock, logger });
    await clock.advance(10_000);

    // Assess
    expect(await completing).toBe(true);
    expect(autoScaling.commandCalls(CompleteLifecycleActionCommand)).toHaveLength(3);
  });

  it('tries CompleteLifecycleAction again when a call never answers, instead of leaving the instance held', async () => {
    // Prepare
    // The first call hangs for good (a black-holed connection, its abort ignored): without a bound on the injected
    // clock the job has finished but the instance would stay held until the hook's timeout, paid for and useless.
    const clock = new FakeClock(0);
    const calls: number[] = [];
    const hangingOnce: LifecycleActionPort = {
      recordHeartbeat: async () => {},
      complete: () => {
        calls.push(clock.now());
        return calls.length === 1 ? new Promise<void>(() => {}) : Promise.resolve();
      },
    };
    const { logger, entries } = memoryLogger();

    // Act
    const completing = completeLifecycleAction({ resolved, port: hangingOnce, clock, logger });
    await clock.advance(COMPLETE_CALL_LIMIT_MS + 5_000);

    // Assess
    expect(await completing).toBe(true);
    expect(calls).toEqual([0, COMPLETE_CALL_LIMIT_MS + 1_000]);
    expect(entries.find((entry) => entry.msg === 'CompleteLifecycleAction failed, retrying')).toMatchObject({
      level: 'warn',
    });
  });

  it('logs a failure and never throws when the action is gone', async () => {
    // Prepare
    autoScaling
      .on(CompleteLifecycleActionCommand)
      .rejects(Object.assign(new Error('No active Lifecycle Action found'), { name: 'ValidationError' }));
    const { logger, entries } = memoryLogger();

    // Act
    const completed = await completeLifecycleAction({ resolved, port, clock: new FakeClock(0), logger });

    // Assess
    expect(completed).toBe(false);
    expect(autoScaling.commandCalls(CompleteLifecycleActionCommand)).toHaveLength(1);
    expect(entries.at(-1)?.msg).toBe('Failed to complete lifecycle action');
  });
});

describe('Function: resolveLifecycleAction', () => {
  const hook = (name: string, overrides: Partial<TerminationHook> = {}): TerminationHook => ({
    name,
    heartbeatTimeoutSeconds: 300,
    globalTimeoutSeconds: undefined,
    defaultResult: 'CONTINUE',
    ...overrides,
  });
  // `null`: the instance is in no group (DescribeAutoScalingInstances returns nothing).
  const lookup = (hooks: TerminationHook[], group: string | null = 'agents'): GroupLookupPort => ({
    groupOfInstance: async () => group ?? undefined,
    terminationHooks: async () => hooks,
  });
  const target = {
    autoScalingGroupName: undefined,
    lifecycleHookName: undefined,
    lifecycleActionToken: undefined,
    startedAtMs: 5,
  };
  const none = { autoScalingGroupName: undefined, lifecycleHookName: undefined };

  it('finds the group and its only termination hook, deriving the global timeout from the heartbeat timeout', async () => {
    // Act
    const result = await resolveLifecycleAction({
      target,
      instanceId: 'i-0123456789abcdef0',
      configured: none,
      lookup: lookup([hook('drain')]),
      clock: new FakeClock(0),
      logger: memoryLogger().logger,
    });

    // Assess
    expect(result).toEqual({
      action: {
        autoScalingGroupName: 'agents',
        lifecycleHookName: 'drain',
        instanceId: 'i-0123456789abcdef0',
        lifecycleActionToken: undefined,
      },
      globalTimeoutMs: 30_000_000,
      heartbeatTimeoutMs: 300_000,
      startedAtMs: 5,
    });
  });

  it('tries a lookup call again when it never answers, instead of waiting for it for good', async () => {
    // Prepare
    // The first DescribeAutoScalingInstances hangs (a black-holed connection): heartbeats start only after the
    // lookup, so waiting for it would send none and let the hook's heartbeat timeout end the instance.
    const clock = new FakeClock(0);
    let groupCalls = 0;
    const hangingOnce: GroupLookupPort = {
      groupOfInstance: () => {
        groupCalls++;
        return groupCalls === 1 ? new Promise<string>(() => {}) : Promise.resolve('agents');
      },
      terminationHooks: async () => [hook('drain')],
    };
    const resolving = resolveLifecycleAction({
      target,
      instanceId: 'i-0123456789abcdef0',
      configured: none,
      lookup: hangingOnce,
      clock,
      logger: memoryLogger().logger,
    });

    // Act
    await clock.advance(LOOKUP_CALL_LIMIT_MS + 1_000);
    const result = await resolving;

    // Assess
    expect(groupCalls).toBe(2);
    expect(result?.action).toMatchObject({ autoScalingGroupName: 'agents', lifecycleHookName: 'drain' });
  });

  it('prefers configured names and caps the global timeout at 48 h', async () => {
    // Act
    const result = await resolveLifecycleAction({
      target,
      instanceId: 'i-0123456789abcdef0',
      configured: { autoScalingGroupName: 'configured', lifecycleHookName: 'b' },
      lookup: lookup([hook('a'), hook('b', { heartbeatTimeoutSeconds: 7_200 })], null),
      clock: new FakeClock(0),
      logger: memoryLogger().logger,
    });

    // Assess
    expect(result?.action.autoScalingGroupName).toBe('configured');
    expect(result?.action.lifecycleHookName).toBe('b');
    expect(result?.globalTimeoutMs).toBe(MAX_GLOBAL_TIMEOUT_MS);
  });

  it('refuses to guess between several termination hooks, and handles a group without any', async () => {
    // Prepare
    const { logger, entries } = memoryLogger();
    const common = { target, instanceId: 'i-0123456789abcdef0', configured: none, clock: new FakeClock(0), logger };

    // Act
    const several = await resolveLifecycleAction({ ...common, lookup: lookup([hook('a'), hook('b')]) });
    const noHook = await resolveLifecycleAction({ ...common, lookup: lookup([]) });
    const noGroup = await resolveLifecycleAction({ ...common, lookup: lookup([], null) });

    // Assess
    expect([several, noHook, noGroup]).toEqual([undefined, undefined, undefined]);
    expect(entries.map((entry) => entry.msg)).toEqual([
      'The group has several termination lifecycle hooks; set --lifecycle-hook-name to choose one',
      'The group has no termination lifecycle hook; nothing holds the instance while the agent drains',
      'Instance is not in an Auto Scaling group; there is no lifecycle action to complete',
    ]);
  });
});
