import type { GroupLookupPort, LifecycleActionPort } from './aws-adapters';
import type { Clock } from './clock';
import { type DrainNotice, decide, type Effect, initialMemory, type Observation } from './decide';
import type { HandlerOutcome, HandlerRunner } from './handler-runner';
import { completeLifecycleAction, resolveLifecycleAction, sendHeartbeats } from './lifecycle-action';
import type { Listener } from './listeners';
import type { Logger } from './logger';

export interface DaemonDependencies {
  instanceId: string;
  listeners: Listener[];
  runHandler: HandlerRunner;
  lifecycleActions: LifecycleActionPort;
  groupLookup: GroupLookupPort;
  clock: Clock;
  logger: Logger;
  heartbeatIntervalMs: number;
  lifecycleStateIntervalMs: number;
  configured: { autoScalingGroupName: string | undefined; lifecycleHookName: string | undefined };
}

export type DaemonResult =
  | { kind: 'drained'; notice: DrainNotice; handler: HandlerOutcome; completed: boolean | 'not-applicable' }
  | { kind: 'stopped' }
  | { kind: 'listener-failed'; error: unknown };

/**
 * Listens until a drain notice, a stop signal or a listener failure. Reports (warm-pool transitions, rebalance
 * recommendations) run the handler while listening goes on. A drain first stops every listener (so the SQS queue is
 * gone before the handler runs), then runs the handler with heartbeats and completes the action exactly once.
 */
export async function runDaemon(dependencies: DaemonDependencies, stop: AbortSignal): Promise<DaemonResult> {
  const { logger } = dependencies;
  const listening = new AbortController();
  const stopListening = () => listening.abort();
  stop.addEventListener('abort', stopListening, { once: true });

  let memory = initialMemory;
  let drainNotice: DrainNotice | undefined;
  let failure: { error: unknown } | undefined;
  let reports = Promise.resolve();

  const emit = (observation: Observation) => {
    if (drainNotice || listening.signal.aborted) return;
    const decision = decide(memory, observation, {
      instanceId: dependencies.instanceId,
      lifecycleStateIntervalMs: dependencies.lifecycleStateIntervalMs,
    });
    memory = decision.memory;
    handleEffect(decision.effect, observation);
  };

  const handleEffect = (effect: Effect, observation: Observation) => {
    if (effect.kind === 'ignore') {
      logger.debug('Ignoring observation', { source: observation.source, reason: effect.reason });
    } else if (effect.kind === 'report') {
      logger.info('Reporting transition to the handler', { args: effect.invocation.args });
      // Reports run one after another, never concurrently with each other or with a drain.
      reports = reports
        .then(async () => {
          // A report in flight when a drain begins is stopped: the drain must not wait behind it.
          const outcome = await dependencies.runHandler(effect.invocation, listening.signal);
          logOutcome(logger, effect.invocation.transition, outcome);
        })
        .catch((error: unknown) => logger.error('Handler failed', { transition: effect.invocation.transition, error }));
    } else {
      drainNotice = effect.notice;
      logger.info('Termination notice received, draining', {
        source: effect.notice.source,
        transition: effect.notice.transition,
        ...(effect.notice.deadlineMs === undefined
          ? {}
          : { deadline: new Date(effect.notice.deadlineMs).toISOString() }),
      });
      listening.abort();
    }
  };

  logger.info('Starting listeners', { listeners: dependencies.listeners.map((listener) => listener.name) });
  await Promise.all(
    dependencies.listeners.map((listener) =>
      listener.run(emit, listening.signal).catch((error: unknown) => {
        if (!failure && !drainNotice) {
          failure = { error };
          logger.error('Failed to start listener', { listener: listener.name, error });
        }
        listening.abort();
      }),
    ),
  );
  if (dependencies.listeners.length === 0) {
    logger.warn('No listener enabled; waiting for a stop signal');
    await new Promise((resolveStop) =>
      stop.aborted ? resolveStop(undefined) : stop.addEventListener('abort', resolveStop),
    );
  }
  stop.removeEventListener('abort', stopListening);
  await reports;

  if (drainNotice) return drain(dependencies, drainNotice, stop);
  if (failure) return { kind: 'listener-failed', error: failure.error };
  logger.info('Stopped before any termination notice');
  return { kind: 'stopped' };
}

async function drain(dependencies: DaemonDependencies, notice: DrainNotice, stop: AbortSignal): Promise<DaemonResult> {
  const { logger, clock } = dependencies;
  // The agent starts draining at once; finding the group and hook (API calls, retries) must never delay it.
  const resolving = notice.lifecycleAction
    ? resolveLifecycleAction({
        target: notice.lifecycleAction,
        instanceId: dependencies.instanceId,
        configured: dependencies.configured,
        lookup: dependencies.groupLookup,
        clock,
        logger,
      })
    : Promise.resolve(undefined);

  const heartbeatsDone = new AbortController();
  const heartbeats = resolving.then((resolved) =>
    resolved
      ? sendHeartbeats({
          resolved,
          port: dependencies.lifecycleActions,
          clock,
          intervalMs: dependencies.heartbeatIntervalMs,
          logger,
          signal: heartbeatsDone.signal,
        })
      : 0,
  );

  logger.info('Executing handler', { args: notice.args });
  let handler: HandlerOutcome;
  try {
    handler = await dependencies.runHandler(notice, stop);
  } catch (error) {
    handler = { ok: false, exitCode: null, signal: null, durationMs: 0, error: error as Error };
  } finally {
    heartbeatsDone.abort();
  }
  const beats = await heartbeats;
  logOutcome(logger, notice.transition, handler, { heartbeats: beats, stoppedBySignal: stop.aborted });

  const resolved = await resolving;
  const completed = resolved
    ? await completeLifecycleAction({ resolved, port: dependencies.lifecycleActions, clock, logger })
    : ('not-applicable' as const);
  return { kind: 'drained', notice, handler, completed };
}

function logOutcome(logger: Logger, transition: string, outcome: HandlerOutcome, extra: Record<string, unknown> = {}) {
  const fields = {
    transition,
    exitCode: outcome.exitCode,
    signal: outcome.signal,
    durationMs: outcome.durationMs,
    ...extra,
  };
  if (outcome.ok) logger.info('Handler finished successfully', fields);
  else logger.error('Handler failed', { ...fields, ...(outcome.error ? { error: outcome.error } : {}) });
}
