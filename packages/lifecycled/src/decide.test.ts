import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DrainInProgress,
  decide,
  decideDuringDrain,
  initialMemory,
  keepsWatchingDuringDrain,
  type ListenerMemory,
  nextHeartbeat,
  type Observation,
  TRANSITIONS,
} from './decide';

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

  it('drains an instance in service that goes back into the warm pool (scale-in with ReuseOnScaleIn)', () => {
    // Act
    const { effect } = decide(
      { ...initialMemory, lifecycleState: 'InService' },
      { source: 'lifecycle-state', state: 'Warmed:Stopped', observedAtMs: at },
      context,
    );

    // Assess: the termination hook holds the instance in Warmed:Pending:Wait, so its action is heartbeaten and
    // completed like a termination's.
    expect(effect).toMatchObject({
      kind: 'drain',
      notice: {
        source: 'lifecycle-state',
        args: ['autoscaling:EC2_INSTANCE_TERMINATING', 'i-0123456789abcdef0'],
        lifecycleAction: { lifecycleHookName: undefined, startedAtMs: at - 5_000 },
        env: { LIFECYCLED_TARGET_LIFECYCLE_STATE: 'Warmed:Stopped', LIFECYCLED_PREVIOUS_LIFECYCLE_STATE: 'InService' },
      },
    });
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

  it('drains at most once per sequence of lifecycle states, only on a terminal state or a return to the pool', () => {
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
          // A return to the pool: a Warmed:* state seen right after InService (repeated reads are one state).
          const distinct = states.filter((state, index) => index === 0 || states[index - 1] !== state);
          const returnsToPool = distinct.some(
            (state, index) => index > 0 && distinct[index - 1] === 'InService' && state.startsWith('Warmed:'),
          );
          expect(drains).toBe(states.includes('Terminated') || returnsToPool ? 1 : 0);
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

describe('Function: decideDuringDrain', () => {
  const deadline = '2026-11-23T12:02:00Z';
  const spotObservation: Observation = {
    source: 'spot',
    interruption: { action: 'terminate', time: deadline, deadlineMs: Date.parse(deadline) },
    observedAtMs: at,
  };
  const lifecycleStateDrain: DrainInProgress = {
    source: 'lifecycle-state',
    spotDeadlineMs: undefined,
    lifecycleActionKnown: true,
  };

  it('brings a spot deadline seen during a lifecycle-state drain to the spot handler path, marked as joining', () => {
    // Act
    const { effect, drain } = decideDuringDrain(lifecycleStateDrain, initialMemory, spotObservation, context);

    // Assess
    expect(drain).toEqual({ ...lifecycleStateDrain, spotDeadlineMs: Date.parse(deadline) });
    expect(effect).toEqual({
      kind: 'spot-deadline',
      deadlineMs: Date.parse(deadline),
      invocation: {
        transition: TRANSITIONS.spotTermination,
        args: [TRANSITIONS.spotTermination, context.instanceId, deadline],
        env: {
          LIFECYCLED_INSTANCE_ID: context.instanceId,
          LIFECYCLED_NOTICE_SOURCE: 'spot',
          LIFECYCLED_TRANSITION: TRANSITIONS.spotTermination,
          LIFECYCLED_SPOT_ACTION: 'terminate',
          LIFECYCLED_DEADLINE: deadline,
          LIFECYCLED_DRAIN_IN_PROGRESS: 'lifecycle-state',
        },
      },
    });
  });

  it.each([
    'Terminated',
    // Back into the warm pool: the termination hook holds the instance the same way.
    'Warmed:Stopped',
  ])('takes on the lifecycle action when the target state becomes %s during a spot drain', (state) => {
    // Prepare
    const spotDrain: DrainInProgress = {
      source: 'spot',
      spotDeadlineMs: Date.parse(deadline),
      lifecycleActionKnown: false,
    };

    // Act
    const { effect, drain } = decideDuringDrain(
      spotDrain,
      { ...initialMemory, lifecycleState: 'InService' },
      { source: 'lifecycle-state', state, observedAtMs: at },
      context,
    );

    // Assess
    expect(drain.lifecycleActionKnown).toBe(true);
    expect(effect).toEqual({
      kind: 'lifecycle-action',
      target: {
        autoScalingGroupName: undefined,
        lifecycleHookName: undefined,
        lifecycleActionToken: undefined,
        startedAtMs: at - context.lifecycleStateIntervalMs,
      },
    });
  });

  it('ignores reports during a drain but still remembers the state', () => {
    // Act
    const { effect, memory } = decideDuringDrain(
      lifecycleStateDrain,
      initialMemory,
      { source: 'lifecycle-state', state: 'InService', observedAtMs: at },
      context,
    );

    // Assess
    expect(effect).toEqual({ kind: 'ignore', reason: 'no reports while draining' });
    expect(memory.lifecycleState).toBe('InService');
  });

  it('starts the spot path at most once and takes on at most one lifecycle action, whatever arrives', () => {
    const observation = fc.oneof(
      fc.constant(spotObservation),
      fc
        .constantFrom('InService', 'Terminated', 'Warmed:Terminated', 'Warmed:Stopped')
        .map((state): Observation => ({ source: 'lifecycle-state', state, observedAtMs: at })),
      fc.constant<Observation>({ source: 'rebalance', noticeTime: deadline, observedAtMs: at }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom<DrainInProgress['source']>('lifecycle-state', 'sqs', 'spot'),
        fc.array(observation, { maxLength: 30 }),
        (source, observations) => {
          let drain: DrainInProgress =
            source === 'spot'
              ? { source, spotDeadlineMs: Date.parse(deadline), lifecycleActionKnown: false }
              : { source, spotDeadlineMs: undefined, lifecycleActionKnown: true };
          let memory = initialMemory;
          const kinds: string[] = [];
          for (const next of observations) {
            const decision = decideDuringDrain(drain, memory, next, context);
            drain = decision.drain;
            memory = decision.memory;
            kinds.push(decision.effect.kind);
          }
          const spotPaths = kinds.filter((kind) => kind === 'spot-deadline').length;
          const actions = kinds.filter((kind) => kind === 'lifecycle-action').length;
          const sawSpot = observations.includes(spotObservation);
          // A termination hook's action appears on a terminal state, or on a return to the warm pool: a Warmed:* state
          // right after InService (repeated reads of one state are one state).
          let previousState: string | undefined;
          let sawTerminationHook = false;
          for (const next of observations) {
            if (next.source !== 'lifecycle-state' || next.state === previousState) continue;
            const terminal = next.state === 'Terminated' || next.state === 'Warmed:Terminated';
            if (terminal || (previousState === 'InService' && next.state.startsWith('Warmed:'))) {
              sawTerminationHook = true;
            }
            previousState = next.state;
          }
          expect(spotPaths).toBe(source !== 'spot' && sawSpot ? 1 : 0);
          expect(actions).toBe(source === 'spot' && sawTerminationHook ? 1 : 0);
        },
      ),
    );
  });
});

describe('Function: keepsWatchingDuringDrain', () => {
  it('keeps the spot listener for non-spot drains and the state listener for spot drains, never SQS', () => {
    // Act
    const kept = (['lifecycle-state', 'sqs', 'spot'] as const).map((source) =>
      ['spot', 'target-lifecycle-state', 'sqs'].filter((name) => keepsWatchingDuringDrain(name, source)),
    );

    // Assess
    expect(kept).toEqual([['spot'], ['spot'], ['target-lifecycle-state']]);
  });
});
