import { type Clock, sleepUnlessAborted } from './clock';
import type { Observation } from './decide';
import type { ImdsClient } from './imds-client';
import type { Logger } from './logger';
import {
  type Parsed,
  parseRebalanceRecommendation,
  parseSpotInstanceAction,
  parseSpotTerminationTime,
  parseTargetLifecycleState,
} from './metadata-parsers';

/** A source of observations. `run` resolves once `signal` aborts (after cleaning up) and rejects on a fatal error. */
export interface Listener {
  readonly name: string;
  run(emit: (observation: Observation) => void, signal: AbortSignal): Promise<void>;
}

interface PollingListenerOptions {
  imds: ImdsClient;
  clock: Clock;
  intervalMs: number;
  logger: Logger;
}

/** Reads one metadata path; `undefined` means "nothing there" or "unreadable this time" (already logged). */
async function readMetadata<T>(
  options: PollingListenerOptions,
  path: string,
  parse: (body: string) => Parsed<T>,
  signal: AbortSignal,
): Promise<T | undefined> {
  let answer: Awaited<ReturnType<ImdsClient['get']>>;
  try {
    answer = await options.imds.get(path, signal);
  } catch (error) {
    if (!signal.aborted) options.logger.warn('Failed to read instance metadata, will retry', { path, error });
    return undefined;
  }
  if (!answer.found) return undefined;
  const parsed = parse(answer.body);
  if (parsed.ok) return parsed.value;
  options.logger.error('Ignoring malformed instance metadata', { path, reason: parsed.reason });
  return undefined;
}

/**
 * Polls `autoscaling/target-lifecycle-state` (IMDSv2). The first read happens at once, so a daemon restarted while
 * its instance is already `Terminated` still drains. A 404 means the instance is not (yet) in an Auto Scaling group.
 */
export function targetLifecycleStateListener(options: PollingListenerOptions): Listener {
  return {
    name: 'target-lifecycle-state',
    async run(emit, signal) {
      let reportedAbsent = false;
      do {
        const state = await readMetadata(
          options,
          'autoscaling/target-lifecycle-state',
          parseTargetLifecycleState,
          signal,
        );
        if (state !== undefined) {
          emit({ source: 'lifecycle-state', state, observedAtMs: options.clock.now() });
        } else if (!reportedAbsent && !signal.aborted) {
          reportedAbsent = true;
          options.logger.debug('No target lifecycle state yet (not in an Auto Scaling group, or metadata unreadable)');
        }
      } while (await sleepUnlessAborted(options.clock, options.intervalMs, signal));
    },
  };
}

/**
 * Polls `spot/instance-action` (falling back to the older `spot/termination-time`) and
 * `events/recommendations/rebalance`. An interruption is emitted once and ends the listener; a rebalance
 * recommendation is emitted and polling goes on (the decision step reports it only once).
 */
export function spotListener(options: PollingListenerOptions): Listener {
  return {
    name: 'spot',
    async run(emit, signal) {
      do {
        const fromAction = await readMetadata(
          options,
          'spot/instance-action',
          (body) => parseSpotInstanceAction(body, options.clock.now()),
          signal,
        );
        // The older endpoint may still have the time instance-action lacked; the action is instance-action's.
        const fromTime =
          fromAction?.timeUnreadable === undefined && fromAction !== undefined
            ? undefined
            : await readMetadata(options, 'spot/termination-time', parseSpotTerminationTime, signal);
        const interruption = fromTime ? { ...fromTime, action: fromAction?.action ?? fromTime.action } : fromAction;
        if (interruption?.timeUnreadable !== undefined) {
          options.logger.warn("Spot interruption time unreadable: assuming EC2's two-minute notice", {
            action: interruption.action,
            reason: interruption.timeUnreadable,
            deadline: interruption.time,
          });
        }
        if (interruption) {
          emit({ source: 'spot', interruption, observedAtMs: options.clock.now() });
          return;
        }
        const rebalance = await readMetadata(
          options,
          'events/recommendations/rebalance',
          parseRebalanceRecommendation,
          signal,
        );
        if (rebalance)
          emit({ source: 'rebalance', noticeTime: rebalance.noticeTime, observedAtMs: options.clock.now() });
      } while (await sleepUnlessAborted(options.clock, options.intervalMs, signal));
    },
  };
}
