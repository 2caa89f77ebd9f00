import { parseRfc3339, type SpotInterruption, TERMINAL_LIFECYCLE_STATES } from './metadata-parsers';
import type { LifecycleHookMessage } from './sqs-message';

/** Handler transitions. The first two are Buildkite lifecycled's; the others are ours (informational). */
export const TRANSITIONS = {
  terminating: 'autoscaling:EC2_INSTANCE_TERMINATING',
  spotTermination: 'ec2:SPOT_INSTANCE_TERMINATION',
  rebalanceRecommendation: 'ec2:SPOT_REBALANCE_RECOMMENDATION',
  targetLifecycleState: 'autoscaling:TARGET_LIFECYCLE_STATE',
} as const;

/** What a listener saw, already parsed and validated. */
export type Observation =
  | { source: 'lifecycle-state'; state: string; observedAtMs: number }
  | { source: 'spot'; interruption: SpotInterruption; observedAtMs: number }
  | { source: 'rebalance'; noticeTime: string; observedAtMs: number }
  | { source: 'sqs'; message: LifecycleHookMessage; observedAtMs: number };

/** The lifecycle action to heartbeat and complete; names left out are looked up from the instance ID. */
export interface LifecycleActionTarget {
  autoScalingGroupName: string | undefined;
  lifecycleHookName: string | undefined;
  lifecycleActionToken: string | undefined;
  /** Earliest time the action can have started: the global timeout counts from here. */
  startedAtMs: number;
}

export interface HandlerInvocation {
  transition: string;
  /** Arguments after the handler path: `<transition> <instance-id> [time|state]`. */
  args: string[];
  /** Extra environment for the handler, on top of the daemon's. */
  env: Record<string, string>;
}

export interface DrainNotice extends HandlerInvocation {
  source: 'lifecycle-state' | 'spot' | 'sqs';
  /** Spot only: when EC2 reclaims the instance. */
  deadlineMs: number | undefined;
  /** Absent for spot: there is no lifecycle action to hold the instance. */
  lifecycleAction: LifecycleActionTarget | undefined;
  /**
   * A return to the warm pool: the instance stays in the group and may come back `InService` without a boot (a pool
   * of running or hibernated instances), so the daemon must listen again after the drain instead of exiting.
   */
  staysInGroup: boolean;
}

export type Effect =
  | { kind: 'ignore'; reason: string }
  | { kind: 'report'; invocation: HandlerInvocation }
  | { kind: 'drain'; notice: DrainNotice };

export interface ListenerMemory {
  /** Last target lifecycle state seen, so only changes are reported. */
  lifecycleState: string | undefined;
  /** A rebalance recommendation is reported once. */
  rebalanceNoticeTime: string | undefined;
}

export interface DecisionContext {
  instanceId: string;
  /** The state poll interval: a state change can be up to this old when seen. */
  lifecycleStateIntervalMs: number;
}

export const initialMemory: ListenerMemory = { lifecycleState: undefined, rebalanceNoticeTime: undefined };

/**
 * An instance in service going back into the warm pool: a scale-in under the pool's reuse policy (`ReuseOnScaleIn`).
 * Auto Scaling runs the termination lifecycle hook for it (the instance waits in `Warmed:Pending:Wait`) and then stops
 * it, so its agent is drained like a terminating one: otherwise the agent kept taking jobs for the hook's whole
 * timeout and the instance was stopped under them. A first read of `Warmed:*` (an instance launched into the pool)
 * is no such return.
 */
export function returnsToWarmPool(previous: string | undefined, state: string): boolean {
  return previous === 'InService' && state.startsWith('Warmed:');
}

/**
 * The daemon's one decision: given what it remembers and a new observation, ignore it, report it to the handler and
 * keep listening (warm-pool transitions, rebalance recommendations), or drain the agent and stop listening.
 */
export function decide(
  memory: ListenerMemory,
  observation: Observation,
  context: DecisionContext,
): { memory: ListenerMemory; effect: Effect } {
  const { instanceId } = context;
  const baseEnv = { LIFECYCLED_INSTANCE_ID: instanceId, LIFECYCLED_NOTICE_SOURCE: observation.source };
  switch (observation.source) {
    case 'lifecycle-state': {
      const { state } = observation;
      if (state === memory.lifecycleState) return { memory, effect: { kind: 'ignore', reason: 'state unchanged' } };
      const next = { ...memory, lifecycleState: state };
      const stateEnv = {
        ...baseEnv,
        LIFECYCLED_TARGET_LIFECYCLE_STATE: state,
        LIFECYCLED_PREVIOUS_LIFECYCLE_STATE: memory.lifecycleState ?? '',
      };
      if (TERMINAL_LIFECYCLE_STATES.has(state) || returnsToWarmPool(memory.lifecycleState, state)) {
        const transition = TRANSITIONS.terminating;
        return {
          memory: next,
          effect: {
            kind: 'drain',
            notice: {
              source: 'lifecycle-state',
              transition,
              args: [transition, instanceId],
              env: { ...stateEnv, LIFECYCLED_TRANSITION: transition },
              deadlineMs: undefined,
              lifecycleAction: {
                autoScalingGroupName: undefined,
                lifecycleHookName: undefined,
                lifecycleActionToken: undefined,
                startedAtMs: observation.observedAtMs - context.lifecycleStateIntervalMs,
              },
              staysInGroup: !TERMINAL_LIFECYCLE_STATES.has(state),
            },
          },
        };
      }
      const transition = TRANSITIONS.targetLifecycleState;
      return {
        memory: next,
        effect: {
          kind: 'report',
          invocation: {
            transition,
            args: [transition, instanceId, state],
            env: { ...stateEnv, LIFECYCLED_TRANSITION: transition },
          },
        },
      };
    }
    case 'spot': {
      const transition = TRANSITIONS.spotTermination;
      const { interruption } = observation;
      return {
        memory,
        effect: {
          kind: 'drain',
          notice: {
            source: 'spot',
            transition,
            args: [transition, instanceId, interruption.time],
            env: {
              ...baseEnv,
              LIFECYCLED_TRANSITION: transition,
              LIFECYCLED_SPOT_ACTION: interruption.action,
              LIFECYCLED_DEADLINE: interruption.time,
            },
            deadlineMs: interruption.deadlineMs,
            lifecycleAction: undefined,
            staysInGroup: false,
          },
        },
      };
    }
    case 'rebalance': {
      if (memory.rebalanceNoticeTime !== undefined) {
        return { memory, effect: { kind: 'ignore', reason: 'rebalance recommendation already reported' } };
      }
      const transition = TRANSITIONS.rebalanceRecommendation;
      return {
        memory: { ...memory, rebalanceNoticeTime: observation.noticeTime },
        effect: {
          kind: 'report',
          invocation: {
            transition,
            args: [transition, instanceId, observation.noticeTime],
            env: { ...baseEnv, LIFECYCLED_TRANSITION: transition, LIFECYCLED_NOTICE_TIME: observation.noticeTime },
          },
        },
      };
    }
    case 'sqs': {
      const { message } = observation;
      if (message.instanceId !== instanceId) {
        return {
          memory,
          effect: { kind: 'ignore', reason: `notification for ${message.instanceId ?? 'no instance'}` },
        };
      }
      if (message.lifecycleTransition !== TRANSITIONS.terminating) {
        return { memory, effect: { kind: 'ignore', reason: `transition ${message.lifecycleTransition ?? 'missing'}` } };
      }
      const started = message.time === undefined ? undefined : parseRfc3339(message.time);
      const transition = TRANSITIONS.terminating;
      return {
        memory,
        effect: {
          kind: 'drain',
          notice: {
            source: 'sqs',
            transition,
            args: [transition, instanceId],
            env: { ...baseEnv, LIFECYCLED_TRANSITION: transition },
            deadlineMs: undefined,
            lifecycleAction: {
              autoScalingGroupName: message.autoScalingGroupName,
              lifecycleHookName: message.lifecycleHookName,
              lifecycleActionToken: message.lifecycleActionToken,
              startedAtMs: started?.ok
                ? Math.min(started.value.epochMs, observation.observedAtMs)
                : observation.observedAtMs,
            },
            // The notification cannot tell a return to the warm pool from a termination: as upstream, one drain.
            staysInGroup: false,
          },
        },
      };
    }
  }
}

export type HeartbeatStep = { kind: 'beat'; atMs: number } | { kind: 'stop'; globalTimeoutAtMs: number };

/**
 * When to send the next heartbeat: one interval after the previous (the first one interval after the drain starts, as
 * upstream does), and never at or past the hook's global timeout — Auto Scaling refuses them then and applies the
 * hook's default result, so the daemon stops and says so.
 */
export function nextHeartbeat(input: {
  previousBeatAtMs: number;
  intervalMs: number;
  actionStartedAtMs: number;
  globalTimeoutMs: number;
}): HeartbeatStep {
  const globalTimeoutAtMs = input.actionStartedAtMs + input.globalTimeoutMs;
  const atMs = input.previousBeatAtMs + input.intervalMs;
  return atMs >= globalTimeoutAtMs ? { kind: 'stop', globalTimeoutAtMs } : { kind: 'beat', atMs };
}

/**
 * Which listeners keep watching while a drain runs. A drain that did not come from spot keeps the spot listener, so a
 * reclaim notice still reaches the agent within its 2 minutes; a spot drain keeps the target-lifecycle-state
 * listener, so a termination hook on the same instance is still heartbeated and completed. The SQS listener always
 * stops: its queue must be gone before the handler runs (upstream behaviour).
 */
export function keepsWatchingDuringDrain(listenerName: string, drainSource: DrainNotice['source']): boolean {
  if (drainSource === 'spot') return listenerName === 'target-lifecycle-state';
  return listenerName === 'spot';
}

/** What the running drain already knows: a spot deadline and a lifecycle action are each taken on once. */
export interface DrainInProgress {
  source: DrainNotice['source'];
  spotDeadlineMs: number | undefined;
  lifecycleActionKnown: boolean;
}

export const drainInProgress = (notice: DrainNotice): DrainInProgress => ({
  source: notice.source,
  spotDeadlineMs: notice.deadlineMs,
  lifecycleActionKnown: notice.lifecycleAction !== undefined,
});

export type DrainEffect =
  | { kind: 'ignore'; reason: string }
  /**
   * Run the spot handler path alongside the running handler: it owns the deadline (SIGQUIT its lead time before it),
   * never a second SIGTERM (`LIFECYCLED_DRAIN_IN_PROGRESS` tells it the running handler sent that one).
   */
  | { kind: 'spot-deadline'; invocation: HandlerInvocation; deadlineMs: number }
  /** Heartbeat and complete this lifecycle action too, once the handlers are done. */
  | { kind: 'lifecycle-action'; target: LifecycleActionTarget };

/**
 * The decision while a drain runs: given what the drain knows and an observation from a listener that kept watching,
 * start the spot deadline path (first spot notice during a non-spot drain), take on a lifecycle action (first
 * termination notice during a spot drain), or ignore it (reports never run during a drain; nothing is taken twice).
 */
export function decideDuringDrain(
  drain: DrainInProgress,
  memory: ListenerMemory,
  observation: Observation,
  context: DecisionContext,
): { drain: DrainInProgress; memory: ListenerMemory; effect: DrainEffect } {
  const decision = decide(memory, observation, context);
  const ignore = (reason: string) => ({ drain, memory: decision.memory, effect: { kind: 'ignore' as const, reason } });
  if (decision.effect.kind === 'ignore') return ignore(decision.effect.reason);
  if (decision.effect.kind === 'report') return ignore('no reports while draining');
  const { notice } = decision.effect;
  if (notice.deadlineMs !== undefined) {
    if (drain.spotDeadlineMs !== undefined) return ignore('the drain already has a spot deadline');
    return {
      drain: { ...drain, spotDeadlineMs: notice.deadlineMs },
      memory: decision.memory,
      effect: {
        kind: 'spot-deadline',
        deadlineMs: notice.deadlineMs,
        invocation: {
          transition: notice.transition,
          args: notice.args,
          env: { ...notice.env, LIFECYCLED_DRAIN_IN_PROGRESS: drain.source },
        },
      },
    };
  }
  if (notice.lifecycleAction === undefined) return ignore('nothing new for the drain');
  if (drain.lifecycleActionKnown) return ignore('the drain already completes a lifecycle action');
  return {
    drain: { ...drain, lifecycleActionKnown: true },
    memory: decision.memory,
    effect: { kind: 'lifecycle-action', target: notice.lifecycleAction },
  };
}
