import type { GroupLookupPort, LifecycleAction, LifecycleActionPort } from './aws-adapters';
import { type Clock, sleepUnlessAborted, withinClockTime } from './clock';
import { type LifecycleActionTarget, nextHeartbeat } from './decide';
import { formatDurationMs } from './duration';
import { CompleteLifecycleActionTimeoutError, HeartbeatTimeoutError, LifecycleHookLookupError } from './errors';
import type { Logger } from './logger';
import { isRetryableAwsError, withRetries } from './retry';

/** AWS caps a hook's global timeout at 48 hours (or 100 × the heartbeat timeout, whichever is smaller). */
export const MAX_GLOBAL_TIMEOUT_MS = 172_800_000;

/** How long one lookup call (DescribeAutoScalingInstances, DescribeLifecycleHooks) may take before it is tried again. */
export const LOOKUP_CALL_LIMIT_MS = 30_000;

/** How long one CompleteLifecycleAction call may take before it is abandoned and tried again. */
export const COMPLETE_CALL_LIMIT_MS = 10_000;

export interface ResolvedLifecycleAction {
  action: LifecycleAction;
  globalTimeoutMs: number;
  /** The hook's heartbeat timeout, when the lookup found it: heartbeats must come well within it. */
  heartbeatTimeoutMs?: number;
  startedAtMs: number;
}

/** Beats per hook heartbeat timeout at the least, so one lost or late beat never lets the action run out. */
export const MIN_BEATS_PER_HEARTBEAT_TIMEOUT = 3;

/**
 * Fills in the group and hook names a notice left out (the target-lifecycle-state path knows neither): configured
 * names first, then DescribeAutoScalingInstances / DescribeLifecycleHooks. Returns `undefined` (and says why) when
 * there is no termination hook to complete; the agent is drained either way.
 */
export async function resolveLifecycleAction(input: {
  target: LifecycleActionTarget;
  instanceId: string;
  configured: { autoScalingGroupName: string | undefined; lifecycleHookName: string | undefined };
  lookup: GroupLookupPort;
  clock: Clock;
  logger: Logger;
}): Promise<ResolvedLifecycleAction | undefined> {
  const { target, logger } = input;
  const retry = { clock: input.clock, attempts: 5, baseDelayMs: 500, maxDelayMs: 8_000 };
  // Heartbeats start only once the lookup answers: a call that never answers is abandoned and tried again.
  const bounded = <T>(what: string, call: () => Promise<T>) =>
    withinClockTime(input.clock, LOOKUP_CALL_LIMIT_MS, call, () =>
      Object.assign(new LifecycleHookLookupError(`${what} did not answer within ${LOOKUP_CALL_LIMIT_MS} ms`), {
        $retryable: true,
      }),
    );
  try {
    const groupName =
      target.autoScalingGroupName ??
      input.configured.autoScalingGroupName ??
      (await withRetries(
        () => bounded('DescribeAutoScalingInstances', () => input.lookup.groupOfInstance(input.instanceId)),
        retry,
      ));
    if (!groupName) {
      logger.warn('Instance is not in an Auto Scaling group; there is no lifecycle action to complete');
      return undefined;
    }
    const hooks = await withRetries(
      () => bounded('DescribeLifecycleHooks', () => input.lookup.terminationHooks(groupName)),
      retry,
    ).catch((error: unknown) => {
      // The notice may already name the hook (SQS mode); timeouts then fall back to AWS's maximum.
      if (target.lifecycleHookName ?? input.configured.lifecycleHookName) {
        logger.warn('Could not describe lifecycle hooks; assuming the maximum global timeout', { error });
        return [];
      }
      throw error;
    });
    const hookName = target.lifecycleHookName ?? input.configured.lifecycleHookName;
    const hook = hookName ? hooks.find((candidate) => candidate.name === hookName) : hooks[0];
    if (!hookName && hooks.length !== 1) {
      logger.error(
        hooks.length === 0
          ? 'The group has no termination lifecycle hook; nothing holds the instance while the agent drains'
          : 'The group has several termination lifecycle hooks; set --lifecycle-hook-name to choose one',
        { autoScalingGroupName: groupName, hooks: hooks.map((candidate) => candidate.name) },
      );
      return undefined;
    }
    const heartbeatTimeoutMs = (hook?.heartbeatTimeoutSeconds ?? 0) * 1000;
    const globalTimeoutMs =
      hook?.globalTimeoutSeconds !== undefined
        ? hook.globalTimeoutSeconds * 1000
        : heartbeatTimeoutMs > 0
          ? Math.min(100 * heartbeatTimeoutMs, MAX_GLOBAL_TIMEOUT_MS)
          : MAX_GLOBAL_TIMEOUT_MS;
    return {
      action: {
        autoScalingGroupName: groupName,
        lifecycleHookName: hookName ?? hook?.name ?? '',
        instanceId: input.instanceId,
        lifecycleActionToken: target.lifecycleActionToken,
      },
      globalTimeoutMs,
      ...(heartbeatTimeoutMs > 0 ? { heartbeatTimeoutMs } : {}),
      startedAtMs: target.startedAtMs,
    };
  } catch (error) {
    logger.error('Could not find the lifecycle hook to complete; the agent is drained anyway', { error });
    return undefined;
  }
}

/** The configured interval, or a third of the hook's heartbeat timeout when that is shorter. */
export function heartbeatIntervalFor(configuredMs: number, heartbeatTimeoutMs: number | undefined): number {
  if (heartbeatTimeoutMs === undefined || heartbeatTimeoutMs <= 0) return configuredMs;
  return Math.min(configuredMs, Math.floor(heartbeatTimeoutMs / MIN_BEATS_PER_HEARTBEAT_TIMEOUT));
}

/**
 * Sends RecordLifecycleActionHeartbeat every `intervalMs` (at most a third of the hook's heartbeat timeout; first beat
 * one interval in) until `signal` aborts or the hook's global timeout is reached, when it logs that heartbeats stop and
 * Auto Scaling will apply the default result.
 */
export async function sendHeartbeats(input: {
  resolved: ResolvedLifecycleAction;
  port: LifecycleActionPort;
  clock: Clock;
  intervalMs: number;
  logger: Logger;
  signal: AbortSignal;
}): Promise<number> {
  const { resolved, clock, logger, signal } = input;
  const intervalMs = heartbeatIntervalFor(input.intervalMs, resolved.heartbeatTimeoutMs);
  if (intervalMs !== input.intervalMs && resolved.heartbeatTimeoutMs !== undefined) {
    logger.warn(
      `Heartbeat interval (${formatDurationMs(input.intervalMs)}) is not below a third of the hook's heartbeat timeout (${formatDurationMs(resolved.heartbeatTimeoutMs)}): beating every ${formatDurationMs(intervalMs)} instead`,
    );
  }
  let previousBeatAtMs = clock.now();
  let beats = 0;
  for (;;) {
    const step = nextHeartbeat({
      previousBeatAtMs,
      intervalMs,
      actionStartedAtMs: resolved.startedAtMs,
      globalTimeoutMs: resolved.globalTimeoutMs,
    });
    if (step.kind === 'stop') {
      const waited = await sleepUnlessAborted(clock, step.globalTimeoutAtMs - clock.now(), signal);
      if (waited) {
        logger.error(
          `Lifecycle hook global timeout (${formatDurationMs(resolved.globalTimeoutMs)}) reached: heartbeats stop and Auto Scaling applies the hook's default result`,
          { ...resolved.action, lifecycleActionToken: undefined, heartbeats: beats },
        );
      }
      return beats;
    }
    if (!(await sleepUnlessAborted(clock, step.atMs - clock.now(), signal))) return beats;
    previousBeatAtMs = step.atMs;
    try {
      // A beat that gets no answer within an interval is abandoned: a hung call must not hold back the next one,
      // or the hook's heartbeat timeout would end the instance under a running job.
      await withinClockTime(
        clock,
        intervalMs,
        (callSignal) => input.port.recordHeartbeat(resolved.action, callSignal),
        () => new HeartbeatTimeoutError(`RecordLifecycleActionHeartbeat did not answer within ${intervalMs} ms`),
        signal,
      );
      beats++;
      logger.debug('Sent lifecycle action heartbeat', { heartbeats: beats });
    } catch (error) {
      if (signal.aborted) return beats;
      logger.warn('Failed to send lifecycle action heartbeat', { error });
    }
  }
}

/** CompleteLifecycleAction(CONTINUE), retried on throttling, 5xx and unanswered calls within about a minute. Never throws. */
export async function completeLifecycleAction(input: {
  resolved: ResolvedLifecycleAction;
  port: LifecycleActionPort;
  clock: Clock;
  logger: Logger;
}): Promise<boolean> {
  const { logger } = input;
  try {
    // Bounded on the injected clock like heartbeats and lookups: a call that never answers (its abort ignored) is
    // abandoned and tried again instead of holding the finished instance until the hook times out.
    const completeOnce = () =>
      withinClockTime(
        input.clock,
        COMPLETE_CALL_LIMIT_MS,
        (signal) => input.port.complete(input.resolved.action, signal),
        () =>
          new CompleteLifecycleActionTimeoutError(
            `CompleteLifecycleAction did not answer within ${COMPLETE_CALL_LIMIT_MS} ms`,
          ),
      );
    await withRetries(completeOnce, {
      clock: input.clock,
      attempts: 5,
      baseDelayMs: 1_000,
      maxDelayMs: 8_000,
      isRetryable: isRetryableAwsError,
      onRetry: (error, attempt) => logger.warn('CompleteLifecycleAction failed, retrying', { error, attempt }),
    });
    logger.info('Lifecycle action completed successfully', {
      autoScalingGroupName: input.resolved.action.autoScalingGroupName,
      lifecycleHookName: input.resolved.action.lifecycleHookName,
      result: 'CONTINUE',
    });
    return true;
  } catch (error) {
    logger.error('Failed to complete lifecycle action', { error });
    return false;
  }
}
