import { FakeClock } from '@elastic-ci/testing';
import { describe, expect, it } from 'vitest';
import type { GroupLookupPort, LifecycleActionPort } from './aws-adapters';
import { type DaemonDependencies, type LifecycleStateStore, runDaemon } from './daemon';
import type { HandlerInvocation, Observation } from './decide';
import type { HandlerRunner } from './handler-runner';
import type { Listener } from './listeners';
import { createLogger, formatText } from './logger';
import type { QueuePort, TopicPort } from './sqs-listener';
import { sqsListener } from './sqs-listener';
import { memoryLogger } from './test-support/logs';

const INSTANCE_ID = 'i-0123456789abcdef0';

function recordingPorts() {
  const calls: string[] = [];
  const lifecycleActions: LifecycleActionPort = {
    recordHeartbeat: async () => {
      calls.push('heartbeat');
    },
    complete: async () => {
      calls.push('complete');
    },
  };
  const groupLookup: GroupLookupPort = {
    groupOfInstance: async () => 'agents',
    terminationHooks: async () => [
      { name: 'drain', heartbeatTimeoutSeconds: 60, globalTimeoutSeconds: undefined, defaultResult: 'CONTINUE' },
    ],
  };
  return { calls, lifecycleActions, groupLookup };
}

/** A listener that emits the given observations, then waits to be stopped (or fails when told to). */
function scriptedListener(observations: Observation[], failWith?: Error): Listener {
  return {
    name: 'scripted',
    async run(emit, signal) {
      for (const observation of observations) emit(observation);
      if (failWith) throw failWith;
      if (signal.aborted) return;
      await new Promise((resolveStop) => signal.addEventListener('abort', resolveStop, { once: true }));
    },
  };
}

function dependencies(overrides: Partial<DaemonDependencies>): DaemonDependencies {
  const { lifecycleActions, groupLookup } = recordingPorts();
  const runHandler: HandlerRunner = async () => ({ ok: true, exitCode: 0, signal: null, durationMs: 1 });
  return {
    instanceId: INSTANCE_ID,
    listeners: [],
    runHandler,
    lifecycleActions,
    groupLookup,
    clock: new FakeClock(0),
    logger: memoryLogger().logger,
    heartbeatIntervalMs: 10_000,
    lifecycleStateIntervalMs: 5_000,
    configured: { autoScalingGroupName: undefined, lifecycleHookName: undefined },
    ...overrides,
  };
}

describe('Function: runDaemon', () => {
  it('stops the other listeners and reports failure when one listener fails', async () => {
    // Prepare
    const { logger, entries } = memoryLogger();
    let otherStopped = false;
    const other: Listener = {
      name: 'other',
      run: (_emit, signal) =>
        new Promise((resolveStop) =>
          signal.addEventListener('abort', () => {
            otherStopped = true;
            resolveStop();
          }),
        ),
    };

    // Act
    const result = await runDaemon(
      dependencies({ listeners: [other, scriptedListener([], new Error('topic gone'))], logger }),
      new AbortController().signal,
    );

    // Assess
    expect(result).toMatchObject({ kind: 'listener-failed', error: { message: 'topic gone' } });
    expect(otherStopped).toBe(true);
    expect(entries.find((entry) => entry.level === 'error')).toMatchObject({
      msg: 'Failed to start listener',
      listener: 'scripted',
    });
  });

  it('waits for a stop signal when no listener is enabled', async () => {
    // Prepare
    const stop = new AbortController();
    const running = runDaemon(dependencies({}), stop.signal);

    // Act
    stop.abort();

    // Assess
    expect(await running).toEqual({ kind: 'stopped' });
  });

  it('completes exactly once even when the handler runner itself throws', async () => {
    // Prepare
    const { calls, lifecycleActions, groupLookup } = recordingPorts();
    const runHandler: HandlerRunner = async () => {
      throw new Error('spawn failed');
    };

    // Act
    const result = await runDaemon(
      dependencies({
        listeners: [scriptedListener([{ source: 'lifecycle-state', state: 'Terminated', observedAtMs: 0 }])],
        runHandler,
        lifecycleActions,
        groupLookup,
      }),
      new AbortController().signal,
    );

    // Assess
    expect(result).toMatchObject({ kind: 'drained', completed: true, handler: { ok: false } });
    expect(calls).toEqual(['complete']);
  });

  it('ignores observations after the drain has begun', async () => {
    // Prepare
    const handled: string[][] = [];
    const runHandler: HandlerRunner = async (invocation) => {
      handled.push(invocation.args);
      return { ok: true, exitCode: 0, signal: null, durationMs: 1 };
    };
    const observations: Observation[] = [
      { source: 'lifecycle-state', state: 'Terminated', observedAtMs: 0 },
      { source: 'rebalance', noticeTime: '2026-11-23T12:00:00Z', observedAtMs: 0 },
    ];

    // Act
    await runDaemon(
      dependencies({ listeners: [scriptedListener(observations)], runHandler }),
      new AbortController().signal,
    );

    // Assess
    expect(handled).toEqual([['autoscaling:EC2_INSTANCE_TERMINATING', INSTANCE_ID]]);
  });
});

describe('Function: runDaemon (return to the warm pool)', () => {
  /** A target-lifecycle-state listener that emits one script per run (the daemon runs it again after a drain). */
  function perRunListener(scripts: string[][]): { listener: Listener; runs: () => number } {
    let runs = 0;
    const listener: Listener = {
      name: 'target-lifecycle-state',
      async run(emit, signal) {
        const states = scripts[runs] ?? [];
        runs++;
        for (const state of states) emit({ source: 'lifecycle-state', state, observedAtMs: 0 });
        if (signal.aborted) return;
        await new Promise((resolveStop) => signal.addEventListener('abort', resolveStop, { once: true }));
      },
    };
    return { listener, runs: () => runs };
  }

  it.each(['Warmed:Running', 'Warmed:Hibernated'])(
    'keeps watching after draining a return to the pool as %s, so the next termination is drained too',
    async (warmed) => {
      // Prepare: the instance goes back into the pool without a reboot (running, or hibernated with its memory), so
      // no new lifecycled is started for it: this one must see it come back InService and be terminated later.
      const { calls, lifecycleActions, groupLookup } = recordingPorts();
      const handled: string[][] = [];
      const runHandler: HandlerRunner = async (invocation) => {
        handled.push(invocation.args);
        return { ok: true, exitCode: 0, signal: null, durationMs: 1 };
      };
      const states = perRunListener([
        ['InService', warmed],
        [warmed, 'InService', 'Terminated'],
      ]);

      // Act
      const result = await runDaemon(
        dependencies({ listeners: [states.listener], runHandler, lifecycleActions, groupLookup }),
        new AbortController().signal,
      );

      // Assess
      expect(result).toMatchObject({
        kind: 'drained',
        completed: true,
        notice: { env: { LIFECYCLED_TARGET_LIFECYCLE_STATE: 'Terminated' } },
      });
      expect(handled).toEqual([
        ['autoscaling:TARGET_LIFECYCLE_STATE', INSTANCE_ID, 'InService'],
        ['autoscaling:EC2_INSTANCE_TERMINATING', INSTANCE_ID],
        ['autoscaling:TARGET_LIFECYCLE_STATE', INSTANCE_ID, 'InService'],
        ['autoscaling:EC2_INSTANCE_TERMINATING', INSTANCE_ID],
      ]);
      expect(calls).toEqual(['complete', 'complete']);
      expect(states.runs()).toBe(2);
    },
  );

  it('resumes the drain of a return to the pool after a restart mid-drain, from the state it last settled', async () => {
    // Prepare: the first daemon sees InService, then the return to the pool, and is stopped while the agent still
    // runs its job (the action is left pending). The restarted daemon's first read is Warmed:Running, which alone
    // looks like an instance launched into the pool: only the remembered InService says it is a return to drain.
    const saved: string[] = [];
    const stateStore: LifecycleStateStore = {
      load: async () => saved.at(-1),
      save: async (state) => {
        saved.push(state);
      },
    };
    const first = recordingPorts();
    const stopFirst = new AbortController();
    const firstRun = runDaemon(
      dependencies({
        listeners: [perRunListener([['InService', 'Warmed:Running']]).listener],
        runHandler: async (invocation, signal) => {
          if (invocation.transition !== 'autoscaling:EC2_INSTANCE_TERMINATING') {
            return { ok: true, exitCode: 0, signal: null, durationMs: 1 };
          }
          stopFirst.abort();
          return { ok: !signal.aborted, exitCode: null, signal: 'SIGTERM', durationMs: 1 };
        },
        lifecycleActions: first.lifecycleActions,
        groupLookup: first.groupLookup,
        stateStore,
      }),
      stopFirst.signal,
    );
    expect(await firstRun).toMatchObject({ kind: 'drained', completed: 'left-pending' });
    const second = recordingPorts();
    const handled: string[][] = [];
    const stopSecond = new AbortController();

    // Act
    const secondRun = runDaemon(
      dependencies({
        listeners: [perRunListener([['Warmed:Running'], []]).listener],
        runHandler: async (invocation) => {
          handled.push(invocation.args);
          return { ok: true, exitCode: 0, signal: null, durationMs: 1 };
        },
        lifecycleActions: second.lifecycleActions,
        groupLookup: second.groupLookup,
        stateStore,
      }),
      stopSecond.signal,
    );
    for (let turn = 0; turn < 1_000 && !second.calls.includes('complete'); turn++) {
      await new Promise((resolveTurn) => setImmediate(resolveTurn));
    }
    stopSecond.abort();
    await secondRun;

    // Assess
    expect(first.calls).toEqual([]);
    expect(handled).toEqual([['autoscaling:EC2_INSTANCE_TERMINATING', INSTANCE_ID]]);
    expect(second.calls).toEqual(['complete']);
    // Settled states only: InService, then the return to the pool once its drain was over.
    expect(saved).toEqual(['InService', 'Warmed:Running']);
  });

  it('clears what the handler kept only when it succeeded: a failed one may have left the agent running', async () => {
    // Prepare
    const forgotten: number[] = [];
    let drains = 0;
    const runHandler: HandlerRunner = async (invocation) => {
      if (invocation.transition !== 'autoscaling:EC2_INSTANCE_TERMINATING') {
        return { ok: true, exitCode: 0, signal: null, durationMs: 1 };
      }
      drains++;
      // The first drain's handler fails (its agent may still run, with its SIGTERM marker); the second succeeds.
      return drains === 1
        ? { ok: false, exitCode: 1, signal: null, durationMs: 1 }
        : { ok: true, exitCode: 0, signal: null, durationMs: 1 };
    };
    const states = perRunListener([
      ['InService', 'Warmed:Running'],
      ['Warmed:Running', 'InService', 'Warmed:Running'],
      ['Warmed:Running', 'InService', 'Terminated'],
    ]);

    // Act
    await runDaemon(
      dependencies({
        listeners: [states.listener],
        runHandler,
        forgetFinishedDrain: async () => {
          forgotten.push(drains);
        },
      }),
      new AbortController().signal,
    );

    // Assess: cleared after the second return only (never after the failed first, nor after the final termination).
    expect(drains).toBe(3);
    expect(forgotten).toEqual([2]);
  });

  it('ends after the drain of a return to the pool when a stop signal came during it', async () => {
    // Prepare
    const { calls, lifecycleActions, groupLookup } = recordingPorts();
    const stop = new AbortController();
    const runHandler: HandlerRunner = async () => {
      stop.abort();
      return { ok: true, exitCode: 0, signal: null, durationMs: 1 };
    };
    const states = perRunListener([['InService', 'Warmed:Running'], ['Warmed:Running']]);

    // Act
    const result = await runDaemon(
      dependencies({ listeners: [states.listener], runHandler, lifecycleActions, groupLookup }),
      stop.signal,
    );

    // Assess: the handler had finished, so the action is completed; then the daemon stops as it was told.
    expect(result).toMatchObject({ kind: 'drained', completed: true });
    expect(calls).toEqual(['complete']);
    expect(states.runs()).toBe(1);
  });
});

describe('Function: runDaemon (spot notice during a drain)', () => {
  /** A spot listener the test fires by hand; it records being stopped. */
  function manualSpotListener() {
    let fire: (observation: Observation) => void = () => {};
    let stopped = false;
    const listener: Listener = {
      name: 'spot',
      run: (emit, signal) =>
        new Promise((resolveStop) => {
          fire = emit;
          signal.addEventListener('abort', () => {
            stopped = true;
            resolveStop();
          });
        }),
    };
    return { listener, fire: (observation: Observation) => fire(observation), stopped: () => stopped };
  }

  const settle = () => new Promise((resolveWait) => setImmediate(resolveWait));

  it('runs the spot handler path with the deadline beside the running handler, then completes exactly once', async () => {
    // Prepare
    const clock = new FakeClock(0);
    const { calls, lifecycleActions, groupLookup } = recordingPorts();
    const invocations: HandlerInvocation[] = [];
    let agentGone: () => void = () => {};
    const gone = new Promise<void>((resolveGone) => {
      agentGone = resolveGone;
    });
    const runHandler: HandlerRunner = async (invocation) => {
      invocations.push(invocation);
      await gone;
      return { ok: true, exitCode: 0, signal: null, durationMs: 1 };
    };
    const spot = manualSpotListener();
    const running = runDaemon(
      dependencies({
        listeners: [
          {
            ...scriptedListener([{ source: 'lifecycle-state', state: 'Terminated', observedAtMs: 0 }]),
            name: 'target-lifecycle-state',
          },
          spot.listener,
        ],
        runHandler,
        lifecycleActions,
        groupLookup,
        clock,
      }),
      new AbortController().signal,
    );
    while (invocations.length === 0 || clock.pendingSleeps === 0) await settle();
    await clock.advance(10_000);

    // Act
    spot.fire({
      source: 'spot',
      interruption: { action: 'terminate', time: '1970-01-01T00:02:00Z', deadlineMs: 120_000 },
      observedAtMs: 10_000,
    });
    await settle();
    await clock.advance(10_000);
    agentGone();
    const result = await running;
    const callsAtExit = [...calls];
    await clock.advance(60_000);

    // Assess
    expect(result).toMatchObject({ kind: 'drained', completed: true, notice: { source: 'lifecycle-state' } });
    expect(invocations.map((invocation) => invocation.args)).toEqual([
      ['autoscaling:EC2_INSTANCE_TERMINATING', INSTANCE_ID],
      ['ec2:SPOT_INSTANCE_TERMINATION', INSTANCE_ID, '1970-01-01T00:02:00Z'],
    ]);
    expect(invocations[1]?.env).toMatchObject({
      LIFECYCLED_DRAIN_IN_PROGRESS: 'lifecycle-state',
      LIFECYCLED_DEADLINE: '1970-01-01T00:02:00Z',
    });
    expect(callsAtExit).toEqual(['heartbeat', 'heartbeat', 'complete']);
    // Heartbeats stopped with the drain: nothing more after completion.
    expect(calls).toEqual(callsAtExit);
    expect(spot.stopped()).toBe(true);
  });

  it('stops the spot listener once the handler is done when no spot notice came', async () => {
    // Prepare
    const { calls, lifecycleActions, groupLookup } = recordingPorts();
    const handled: string[][] = [];
    const runHandler: HandlerRunner = async (invocation) => {
      handled.push(invocation.args);
      return { ok: true, exitCode: 0, signal: null, durationMs: 1 };
    };
    const spot = manualSpotListener();

    // Act
    const result = await runDaemon(
      dependencies({
        listeners: [
          {
            ...scriptedListener([{ source: 'lifecycle-state', state: 'Terminated', observedAtMs: 0 }]),
            name: 'target-lifecycle-state',
          },
          spot.listener,
        ],
        runHandler,
        lifecycleActions,
        groupLookup,
      }),
      new AbortController().signal,
    );

    // Assess
    expect(result).toMatchObject({ kind: 'drained', completed: true });
    expect(handled).toEqual([['autoscaling:EC2_INSTANCE_TERMINATING', INSTANCE_ID]]);
    expect(calls).toEqual(['complete']);
    expect(spot.stopped()).toBe(true);
  });
});

describe('Function: sqsListener (receive failures)', () => {
  it('backs off after a failed receive and returns promptly when stopped', async () => {
    // Prepare
    const clock = new FakeClock(0);
    const { logger, entries } = memoryLogger();
    let receives = 0;
    const removed: string[] = [];
    const queues: QueuePort = {
      createQueue: async () => 'https://sqs.us-east-1.amazonaws.com/123456789012/lifecycled-i-0123456789abcdef0',
      queueArn: async () => 'arn:aws:sqs:us-east-1:123456789012:lifecycled-i-0123456789abcdef0',
      receive: async () => {
        receives++;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      },
      deleteMessage: async () => undefined,
      deleteQueue: async () => {
        removed.push('queue');
      },
    };
    const topics: TopicPort = {
      subscribe: async () => 'arn:aws:sns:us-east-1:123456789012:lifecycle:sub',
      unsubscribe: async () => {
        removed.push('subscription');
      },
    };
    const stop = new AbortController();
    const running = sqsListener({
      queues,
      topics,
      clock,
      logger,
      instanceId: INSTANCE_ID,
      topicArn: 'arn:aws:sns:us-east-1:123456789012:lifecycle',
      tags: undefined,
      waitTimeSeconds: 20,
    }).run(() => undefined, stop.signal);
    while (clock.pendingSleeps === 0) await new Promise((resolveWait) => setImmediate(resolveWait));

    // Act
    await clock.advance(4_999);
    const parkedReceives = receives;
    await clock.advance(1);
    stop.abort();
    await running;

    // Assess
    expect(parkedReceives).toBe(1);
    expect(receives).toBe(2);
    expect(entries.filter((entry) => entry.msg === 'Failed to get messages from SQS')).toHaveLength(2);
    expect(removed).toEqual(['subscription', 'queue']);
  });
});

describe('Function: formatText', () => {
  it('prints level, message and fields for people', () => {
    // Prepare
    const lines: string[] = [];
    const logger = createLogger({ sinks: [(entry) => lines.push(formatText(entry))], now: () => 0 });

    // Act
    logger.child({ instanceId: INSTANCE_ID }).warn('Handler failed', { exitCode: 3, reason: 'two words' });

    // Assess
    expect(lines).toEqual([
      '1970-01-01T00:00:00.000Z WARN  Handler failed instanceId=i-0123456789abcdef0 exitCode=3 reason="two words"',
    ]);
  });
});
