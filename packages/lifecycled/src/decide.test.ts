import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, initialMemory, type ListenerMemory, nextHeartbeat, type Observation, TRANSITIONS } from './decide';

const context = { instanceId: 'i-0123456789abcdef0', lifecycleStateIntervalMs: 5_000 };
const at = Date.UTC(2026, 10, 23, 12, 0, 0);

describe('Function: decide', () => {
  it('drains with the Buildkite terminating transition when the target lifecycle state becomes Terminated', () => {
    // Prepare
    const memory: ListenerMemory = { ...initialMemory, lifecycleState: 'InService' };

    // Act
    const { effect, memory: next } = decide(
      memory,
      { source: 'lifecycle-state', state: 'Terminated', observedAtMs: at },
      context,
    );

    // Assess
    expect(next.lifecycleState).toBe('Terminated');
    expect(effect).toMatchObject({
      kind: 'drain',
      notice: {
        source: 'lifecycle-state',
        args: ['autoscaling:EC2_INSTANCE_TERMINATING', 'i-0123456789abcdef0'],
        deadlineMs: undefined,
        lifecycleAction: { autoScalingGroupName: undefined, startedAtMs: at - 5_000 },
        env: { LIFECYCLED_PREVIOUS_LIFECYCLE_STATE: 'InService' },
      },
    });
  });

  it('drains when a warm-pool instance is terminated', () => {
    // Act
    const { effect } = decide(
      { ...initialMemory, lifecycleState: 'Warmed:Stopped' },
      { source: 'lifecycle-state', state: 'Warmed:Terminated', observedAtMs: at },
      context,
    );

    // Assess
    expect(effect.kind).toBe('drain');
  });

  it('reports warm-pool transitions to the handler once per change', () => {
    // Prepare
    const observe = (memory: ListenerMemory, state: string) =>
      decide(memory, { source: 'lifecycle-state', state, observedAtMs: at }, context);

    // Act
    const first = observe(initialMemory, 'Warmed:Stopped');
    const repeated = observe(first.memory, 'Warmed:Stopped');
    const resumed = observe(repeated.memory, 'InService');

    // Assess
    expect(first.effect).toMatchObject({
      kind: 'report',
      invocation: { args: [TRANSITIONS.targetLifecycleState, context.instanceId, 'Warmed:Stopped'] },
    });
    expect(repeated.effect).toEqual({ kind: 'ignore', reason: 'state unchanged' });
    expect(resumed.effect).toMatchObject({
      kind: 'report',
      invocation: {
        args: [TRANSITIONS.targetLifecycleState, context.instanceId, 'InService'],
        env: { LIFECYCLED_PREVIOUS_LIFECYCLE_STATE: 'Warmed:Stopped' },
      },
    });
  });

  it('drains a spot interruption with the deadline and the time passed verbatim, and no lifecycle action', () => {
    // Act
    const { effect } = decide(
      initialMemory,
      {
        source: 'spot',
        interruption: { action: 'stop', time: '2026-11-23T14:02:00+02:00', deadlineMs: at + 120_000 },
        observedAtMs: at,
      },
      context,
    );

    // Assess
    expect(effect).toMatchObject({
      kind: 'drain',
      notice: {
        args: ['ec2:SPOT_INSTANCE_TERMINATION', context.instanceId, '2026-11-23T14:02:00+02:00'],
        deadlineMs: at + 120_000,
        lifecycleAction: undefined,
        env: { LIFECYCLED_SPOT_ACTION: 'stop' },
      },
    });
  });

  it('reports a rebalance recommendation once', () => {
    // Prepare
    const observation: Observation = { source: 'rebalance', noticeTime: '2026-11-23T12:00:00Z', observedAtMs: at };

    // Act
    const first = decide(initialMemory, observation, context);
    const second = decide(first.memory, observation, context);

    // Assess
    expect(first.effect).toMatchObject({
      kind: 'report',
      invocation: { args: [TRANSITIONS.rebalanceRecommendation, context.instanceId, '2026-11-23T12:00:00Z'] },
    });
    expect(second.effect.kind).toBe('ignore');
  });

  it('drains an SQS notification for this instance with the names and token it carries', () => {
    // Act
    const { effect } = decide(
      initialMemory,
      {
        source: 'sqs',
        observedAtMs: at,
        message: {
          autoScalingGroupName: 'agents',
          instanceId: context.instanceId,
          lifecycleActionToken: 'token-1',
          lifecycleTransition: TRANSITIONS.terminating,
          lifecycleHookName: 'drain',
          time: '2026-11-23T11:59:00Z',
        },
      },
      context,
    );

    // Assess
    expect(effect).toMatchObject({
      kind: 'drain',
      notice: {
        source: 'sqs',
        lifecycleAction: {
          autoScalingGroupName: 'agents',
          lifecycleHookName: 'drain',
          lifecycleActionToken: 'token-1',
          startedAtMs: at - 60_000,
        },
      },
    });
  });

  it('ignores SQS notifications for other instances, test notifications and other transitions', () => {
    // Prepare
    const message = {
      autoScalingGroupName: 'agents',
      lifecycleActionToken: 'token-1',
      lifecycleHookName: 'drain',
      time: undefined,
    };

    // Act
    const effects = [
      { ...message, instanceId: 'i-0fffffffffffffff0', lifecycleTransition: TRANSITIONS.terminating },
      { ...message, instanceId: undefined, lifecycleTransition: 'autoscaling:TEST_NOTIFICATION' },
      { ...message, instanceId: context.instanceId, lifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING' },
    ].map(
      (candidate) => decide(initialMemory, { source: 'sqs', message: candidate, observedAtMs: at }, context).effect,
    );

    // Assess
    expect(effects.map((effect) => effect.kind)).toEqual(['ignore', 'ignore', 'ignore']);
  });

  it('drains at most once per sequence of lifecycle states and only on a terminal state', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('InService', 'Warmed:Stopped', 'Warmed:Running', 'Warmed:Hibernated', 'Terminated'), {
          maxLength: 20,
        }),
        (states) => {
          let memory = initialMemory;
          const kinds: string[] = [];
          for (const state of states) {
            const decision = decide(memory, { source: 'lifecycle-state', state, observedAtMs: at }, context);
            memory = decision.memory;
            kinds.push(decision.effect.kind);
            if (decision.effect.kind === 'drain') break;
          }
          const drains = kinds.filter((kind) => kind === 'drain').length;
          expect(drains).toBe(states.includes('Terminated') ? 1 : 0);
          // Consecutive duplicates are never reported twice.
          const reported = states.filter((state, index) => index === 0 || states[index - 1] !== state);
          expect(kinds.filter((kind) => kind !== 'ignore').length).toBeLessThanOrEqual(reported.length);
        },
      ),
    );
  });
});

describe('Function: nextHeartbeat', () => {
  it('beats one interval after the previous beat while before the global timeout', () => {
    // Act
    const step = nextHeartbeat({
      previousBeatAtMs: 1_000,
      intervalMs: 10_000,
      actionStartedAtMs: 0,
      globalTimeoutMs: 60_000,
    });

    // Assess
    expect(step).toEqual({ kind: 'beat', atMs: 11_000 });
  });

  it('never schedules a beat at or after the global timeout', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e9 }),
        fc.integer({ min: 1, max: 1e6 }),
        fc.integer({ min: 0, max: 1e9 }),
        fc.integer({ min: 1, max: 1e8 }),
        (previousBeatAtMs, intervalMs, actionStartedAtMs, globalTimeoutMs) => {
          const step = nextHeartbeat({ previousBeatAtMs, intervalMs, actionStartedAtMs, globalTimeoutMs });
          if (step.kind === 'beat') {
            expect(step.atMs).toBeLessThan(actionStartedAtMs + globalTimeoutMs);
            expect(step.atMs - previousBeatAtMs).toBe(intervalMs);
          } else {
            expect(step.globalTimeoutAtMs).toBe(actionStartedAtMs + globalTimeoutMs);
            expect(previousBeatAtMs + intervalMs).toBeGreaterThanOrEqual(step.globalTimeoutAtMs);
          }
        },
      ),
    );
  });
});
