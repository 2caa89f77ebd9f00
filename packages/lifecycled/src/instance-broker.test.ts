import { InstanceBrokerError } from '@elastic-ci/instance-broker/client';
import { FakeClock } from '@elastic-ci/testing';
import { describe, expect, it } from 'vitest';
import { InstanceBrokerLifecycleAdapter, type LifecycleAction } from './aws-adapters';
import { runDaemon } from './daemon';
import { NoPendingLifecycleActionError } from './errors';
import type { HandlerRunner } from './handler-runner';
import { completeLifecycleAction, type ResolvedLifecycleAction } from './lifecycle-action';
import type { Listener } from './listeners';
import { isRetryableAwsError } from './retry';
import { runLifecycled } from './run-lifecycled';
import { FakeInstanceBrokerClient } from './test-support/fake-instance-broker-client';
import { captureStream } from './test-support/harness';
import { memoryLogger } from './test-support/logs';

const INSTANCE_ID = 'i-0123456789abcdef0';
const TOKEN = 'c2f8a3d1-5b7e-4f90-8a6c-1d2e3f4a5b6c';
const action: LifecycleAction = {
  autoScalingGroupName: 'agents',
  lifecycleHookName: 'drain',
  instanceId: INSTANCE_ID,
  lifecycleActionToken: undefined,
};
const resolved: ResolvedLifecycleAction = { action, globalTimeoutMs: 3_600_000, startedAtMs: 0 };

/** What Node's fetch throws when the connection fails: a TypeError whose cause carries the socket's code. */
function fetchFailed(code: string): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code}`), { code }) });
}

describe('Class: InstanceBrokerLifecycleAdapter', () => {
  it('sends a heartbeat for the group and hook, never naming the instance, with the call signal', async () => {
    // Prepare
    const broker = new FakeInstanceBrokerClient();
    const signal = new AbortController().signal;

    // Act
    await new InstanceBrokerLifecycleAdapter(broker).recordHeartbeat(action, signal);

    // Assess
    expect(broker.calls).toEqual([
      { action: 'record-lifecycle-action-heartbeat', autoScalingGroupName: 'agents', lifecycleHookName: 'drain' },
    ]);
    expect(broker.signals).toEqual([signal]);
  });

  it("completes with CONTINUE and the notice's token when it has one", async () => {
    // Prepare
    const broker = new FakeInstanceBrokerClient();

    // Act
    await new InstanceBrokerLifecycleAdapter(broker).complete(
      { ...action, lifecycleActionToken: TOKEN },
      new AbortController().signal,
    );

    // Assess
    expect(broker.calls).toEqual([
      {
        action: 'complete-lifecycle-action',
        autoScalingGroupName: 'agents',
        lifecycleHookName: 'drain',
        lifecycleActionResult: 'CONTINUE',
        lifecycleActionToken: TOKEN,
      },
    ]);
  });

  it('fails, not retryable, when the broker finds no pending action (as Auto Scaling answers the direct call)', async () => {
    // Prepare
    const broker = new FakeInstanceBrokerClient();
    broker.answers.push('no-pending-action');

    // Act
    const outcome = new InstanceBrokerLifecycleAdapter(broker).complete(action, new AbortController().signal);

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(NoPendingLifecycleActionError);
    await outcome.catch((error: unknown) => expect(isRetryableAwsError(error)).toBe(false));
  });
});

describe('Function: isRetryableAwsError (instance broker)', () => {
  it("follows the broker's verdict, whatever name the failure carries", () => {
    expect(isRetryableAwsError(new InstanceBrokerError('Auto Scaling timed out', 502, true))).toBe(true);
    expect(isRetryableAwsError(new InstanceBrokerError('throttled', 502, true, 'Throttling'))).toBe(true);
    expect(isRetryableAwsError(new InstanceBrokerError('not of this fleet', 403, false))).toBe(false);
    expect(isRetryableAwsError(new InstanceBrokerError('gave up', 502, false, 'Throttling'))).toBe(false);
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'])(
    'takes a fetch that failed with %s as transient',
    (code) => {
      expect(isRetryableAwsError(fetchFailed(code))).toBe(true);
    },
  );

  it('takes a refused TLS certificate, and an aborted call, as final', () => {
    expect(isRetryableAwsError(fetchFailed('CERT_HAS_EXPIRED'))).toBe(false);
    expect(isRetryableAwsError(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe(false);
  });
});

describe('Function: completeLifecycleAction (instance broker)', () => {
  it('retries what the broker calls retryable, then completes', async () => {
    // Prepare
    const broker = new FakeInstanceBrokerClient();
    broker.answers.push(new InstanceBrokerError('Auto Scaling timed out', 502, true), fetchFailed('ECONNRESET'));
    const clock = new FakeClock(0);
    const { logger } = memoryLogger();

    // Act
    const completing = completeLifecycleAction({
      resolved,
      port: new InstanceBrokerLifecycleAdapter(broker),
      clock,
      logger,
    });
    await clock.advance(10_000);

    // Assess
    expect(await completing).toBe(true);
    expect(broker.calls).toHaveLength(3);
  });

  it('gives up at once on what the broker calls final', async () => {
    // Prepare
    const broker = new FakeInstanceBrokerClient();
    broker.answers.push(new InstanceBrokerError('the caller is no instance of this fleet', 403, false));
    const { logger, entries } = memoryLogger();

    // Act
    const completed = await completeLifecycleAction({
      resolved,
      port: new InstanceBrokerLifecycleAdapter(broker),
      clock: new FakeClock(0),
      logger,
    });

    // Assess
    expect(completed).toBe(false);
    expect(broker.calls).toHaveLength(1);
    expect(entries.at(-1)?.msg).toBe('Failed to complete lifecycle action');
  });
});

describe('Function: runDaemon (instance broker, busy job)', () => {
  const settle = () => new Promise((resolveWait) => setImmediate(resolveWait));

  it('keeps heartbeating through retryable broker failures while the job runs, and completes only after it', async () => {
    // Prepare
    const clock = new FakeClock(0);
    const broker = new FakeInstanceBrokerClient();
    // Beats 2 and 3 fail: throttled by Auto Scaling, then the network.
    broker.answers.push(
      'done',
      new InstanceBrokerError('Auto Scaling throttled the call', 502, true, 'Throttling'),
      fetchFailed('ECONNRESET'),
    );
    let jobFinished: () => void = () => {};
    const job = new Promise<void>((resolveJob) => {
      jobFinished = resolveJob;
    });
    let handlerStarted = false;
    const runHandler: HandlerRunner = async () => {
      handlerStarted = true;
      await job;
      return { ok: true, exitCode: 0, signal: null, durationMs: 1 };
    };
    const terminated: Listener = {
      name: 'target-lifecycle-state',
      async run(emit, signal) {
        emit({ source: 'lifecycle-state', state: 'Terminated', observedAtMs: 0 });
        if (!signal.aborted) await new Promise((resolveStop) => signal.addEventListener('abort', resolveStop));
      },
    };
    const running = runDaemon(
      {
        instanceId: INSTANCE_ID,
        listeners: [terminated],
        runHandler,
        lifecycleActions: new InstanceBrokerLifecycleAdapter(broker),
        groupLookup: {
          groupOfInstance: async () => 'agents',
          terminationHooks: async () => [
            { name: 'drain', heartbeatTimeoutSeconds: 60, globalTimeoutSeconds: undefined, defaultResult: 'CONTINUE' },
          ],
        },
        clock,
        logger: memoryLogger().logger,
        heartbeatIntervalMs: 10_000,
        lifecycleStateIntervalMs: 5_000,
        configured: { autoScalingGroupName: undefined, lifecycleHookName: undefined },
      },
      new AbortController().signal,
    );
    while (!handlerStarted || clock.pendingSleeps === 0) await settle();

    // Act: five intervals of a running job
    for (let beat = 0; beat < 5; beat++) {
      await clock.advance(10_000);
      await settle();
    }
    const whileBusy = broker.calls.map((call) => call.action);
    jobFinished();
    const result = await running;

    // Assess
    expect(whileBusy).toEqual(Array.from({ length: 5 }, () => 'record-lifecycle-action-heartbeat'));
    expect(result).toMatchObject({ kind: 'drained', completed: true });
    expect(broker.calls.map((call) => call.action).filter((name) => name === 'complete-lifecycle-action')).toEqual([
      'complete-lifecycle-action',
    ]);
    expect(broker.calls.at(-1)).toEqual({
      action: 'complete-lifecycle-action',
      autoScalingGroupName: 'agents',
      lifecycleHookName: 'drain',
      lifecycleActionResult: 'CONTINUE',
    });
  });
});

describe('Function: runLifecycled (--instance-broker-url)', () => {
  it.each([
    [['--instance-broker-url=http://broker.example.com/'], {}],
    [[], { LIFECYCLED_INSTANCE_BROKER_URL: 'https://user:secret@broker.example.com/' }],
  ])('exits 2 naming the flag for a bad URL (%j %j)', async (argv, env) => {
    // Prepare
    const stderr = captureStream();
    const stdout = captureStream();

    // Act
    const exitCode = await runLifecycled({
      argv,
      env,
      stdout: stdout.stream,
      stderr: stderr.stream,
      stop: new AbortController().signal,
    });

    // Assess
    expect(exitCode).toBe(2);
    expect(stderr.text()).toContain('--instance-broker-url (LIFECYCLED_INSTANCE_BROKER_URL)');
    expect(stderr.text()).not.toContain('secret');
  });
});
