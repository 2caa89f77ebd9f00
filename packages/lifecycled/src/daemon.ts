import type { GroupLookupPort, LifecycleActionPort } from './aws-adapters';
import type { Clock } from './clock';
import {
  type DrainEffect,
  type DrainNotice,
  decide,
  decideDuringDrain,
  drainInProgress,
  type Effect,
  type HandlerInvocation,
  initialMemory,
  keepsWatchingDuringDrain,
  type LifecycleActionTarget,
  type ListenerMemory,
  type Observation,
} from './decide';
import type { HandlerOutcome, HandlerRunner } from './handler-runner';
import {
  completeLifecycleAction,
  type ResolvedLifecycleAction,
  resolveLifecycleAction,
  sendHeartbeats,
} from './lifecycle-action';
import type { Listener } from './listeners';
import type { Logger } from './logger';

/**
 * Where the daemon keeps the last target lifecycle state it has settled (reported, or drained to the end), so a
 * restarted daemon can tell a return to the warm pool (`InService` → `Warmed:*`) whose drain it must resume from an
 * instance launched into the pool. Lives on a tmpfs (`/run`): a reboot starts a new lifecycle with nothing remembered.
 */
export interface LifecycleStateStore {
  /** The remembered state, or `undefined` when there is none (or it is unreadable). */
  load(): Promise<string | undefined>;
  save(state: string): Promise<void>;
}

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
  /** Optional: without one, a restart mid-drain of a return to the warm pool cannot resume that drain. */
  stateStore?: LifecycleStateStore | undefined;
  /**
   * Called once the drain of a return to the warm pool is over with the agent gone, before listening again: clears
   * what the handler kept about that drain (the default handler's SIGTERM markers).
   */
  forgetFinishedDrain?: (() => Promise<void>) | undefined;
}

export type DaemonResult =
  | {
      kind: 'drained';
      notice: DrainNotice;
      handler: HandlerOutcome;
      /** `left-pending`: the daemon was stopped before the handler finished, so the action was not completed. */
      completed: boolean | 'not-applicable' | 'left-pending';
    }
  | { kind: 'stopped' }
  | { kind: 'listener-failed'; error: unknown };

/**
 * Listens until a drain notice, a stop signal or a listener failure. Reports (warm-pool transitions, rebalance
 * recommendations) run the handler while listening goes on. A drain first stops every listener that has nothing more
 * to tell it (so the SQS queue is gone before the handler runs), then runs the handler with heartbeats and completes
 * the action exactly once. The listener that can still matter keeps watching during the drain (see
 * `keepsWatchingDuringDrain`): a spot notice then brings its deadline to the running drain. After the drain of a
 * return to the warm pool (`notice.staysInGroup`) it listens again; it resolves with the last drain's result.
 */
export async function runDaemon(dependencies: DaemonDependencies, stop: AbortSignal): Promise<DaemonResult> {
  const remembered = rememberedStates(dependencies);
  let memory: ListenerMemory = { ...initialMemory, lifecycleState: await remembered.load() };
  for (;;) {
    const round = await listenThenDrain(dependencies, stop, memory, remembered.save);
    const { result } = round;
    // A drain of a return to the pool that ran to its end is settled; one left pending is not, so a restarted
    // daemon sees the return again (from the state before it) and resumes it.
    if (result.kind === 'drained' && result.notice.staysInGroup && result.completed !== 'left-pending') {
      remembered.save(round.memory.lifecycleState);
    }
    if (result.kind !== 'drained' || !result.notice.staysInGroup || stop.aborted) {
      await remembered.flushed();
      return result;
    }
    // A return to the warm pool keeps the instance in the group, and a running or hibernated one comes back
    // InService without a boot, so nothing would start a new lifecycled for it: listen on, remembering the state,
    // so its next termination (or return to the pool) is drained too. A stop signal still ends the daemon.
    if (result.kind !== 'drained' || !result.notice.staysInGroup || stop.aborted) return result;
    memory = round.memory;
    if (result.handler.ok && dependencies.forgetFinishedDrain) {
      await dependencies.forgetFinishedDrain().catch((error: unknown) => {
        dependencies.logger.warn('Could not clear what the handler kept about the finished drain', { error });
      });
    }
    dependencies.logger.info('Back into the warm pool: listening again for the next termination notice', {
      state: memory.lifecycleState,
      completed: result.completed,
    });
  }
}

/** The state store made safe: writes in order, failures logged (never fatal), and a way to wait for the last one. */
function rememberedStates(dependencies: DaemonDependencies) {
  const { stateStore, logger } = dependencies;
  let writes = Promise.resolve();
  return {
    load: async (): Promise<string | undefined> => {
      if (!stateStore) return undefined;
      try {
        const state = await stateStore.load();
        if (state !== undefined) logger.info('Remembered target lifecycle state', { state });
        return state;
      } catch (error) {
        logger.warn('Could not read the remembered target lifecycle state', { error });
        return undefined;
      }
    },
    save: (state: string | undefined): void => {
      if (!stateStore || state === undefined) return;
      writes = writes
        .then(() => stateStore.save(state))
        .catch((error: unknown) => logger.warn('Could not remember the target lifecycle state', { state, error }));
    },
    flushed: () => writes,
  };
}

async function listenThenDrain(
  dependencies: DaemonDependencies,
  stop: AbortSignal,
  startMemory: ListenerMemory,
  settle: (state: string | undefined) => void,
): Promise<{ result: DaemonResult; memory: ListenerMemory }> {
  const { logger } = dependencies;
  const context = {
    instanceId: dependencies.instanceId,
    lifecycleStateIntervalMs: dependencies.lifecycleStateIntervalMs,
  };
  const listening = new AbortController();
  const stopListening = () => listening.abort();
  stop.addEventListener('abort', stopListening, { once: true });

  let memory = startMemory;
  let drainNotice: DrainNotice | undefined;
  let failure: { error: unknown } | undefined;
  let reports = Promise.resolve();
  // Observations from the listeners that keep watching, held until the drain is ready for them.
  const duringDrain: { pending: Observation[]; deliver: ((observation: Observation) => void) | undefined } = {
    pending: [],
    deliver: undefined,
  };

  const emit = (observation: Observation) => {
    if (drainNotice) {
      if (duringDrain.deliver) duringDrain.deliver(observation);
      else duringDrain.pending.push(observation);
      return;
    }
    if (listening.signal.aborted) return;
    const decision = decide(memory, observation, context);
    const changed = decision.memory.lifecycleState !== memory.lifecycleState;
    memory = decision.memory;
    // A drain's state is settled only once the drain has run to its end (see runDaemon).
    if (changed && decision.effect.kind !== 'drain') settle(memory.lifecycleState);
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
  const watching = new AbortController();
  const stopWatching = () => watching.abort();
  stop.addEventListener('abort', stopWatching, { once: true });
  const runs = dependencies.listeners.map((listener) => {
    const own = new AbortController();
    let release: () => void = () => {};
    const released = new Promise<void>((resolveRelease) => {
      release = resolveRelease;
    });
    const onListeningStopped = () => {
      if (drainNotice && keepsWatchingDuringDrain(listener.name, drainNotice.source)) {
        logger.info('Listener keeps watching during the drain', { listener: listener.name });
        watching.signal.addEventListener('abort', () => own.abort(), { once: true });
        release();
      } else {
        own.abort();
      }
    };
    if (listening.signal.aborted) onListeningStopped();
    else listening.signal.addEventListener('abort', onListeningStopped, { once: true });
    const finished = listener.run(emit, own.signal).catch((error: unknown) => {
      if (drainNotice) {
        logger.warn('Listener failed during the drain', { listener: listener.name, error });
      } else if (!failure) {
        failure = { error };
        logger.error('Failed to start listener', { listener: listener.name, error });
      }
      listening.abort();
    });
    return { finished, released };
  });
  await Promise.all(runs.map((run) => Promise.race([run.finished, run.released])));
  if (dependencies.listeners.length === 0) {
    logger.warn('No listener enabled; waiting for a stop signal');
    await new Promise((resolveStop) =>
      stop.aborted ? resolveStop(undefined) : stop.addEventListener('abort', resolveStop),
    );
  }
  stop.removeEventListener('abort', stopListening);
  await reports;

  if (!drainNotice) {
    stop.removeEventListener('abort', stopWatching);
    if (failure) return { result: { kind: 'listener-failed', error: failure.error }, memory };
    logger.info('Stopped before any termination notice');
    return { result: { kind: 'stopped' }, memory };
  }
  let drainState = drainInProgress(drainNotice);
  const session = startDrain(dependencies, drainNotice, stop);
  duringDrain.deliver = (observation) => {
    if (session.handlersDone()) return;
    const decision = decideDuringDrain(drainState, memory, observation, context);
    drainState = decision.drain;
    memory = decision.memory;
    session.apply(decision.effect, observation);
  };
  for (const observation of duringDrain.pending.splice(0)) duringDrain.deliver(observation);
  const result = await session.finish(() => watching.abort());
  stop.removeEventListener('abort', stopWatching);
  await Promise.all(runs.map((run) => run.finished));
  return { result, memory };
}

/**
 * One drain: the handler runs at once, heartbeats run while any handler does, and the lifecycle action (known from
 * the notice, or taken on during the drain) is completed exactly once after every handler has finished.
 */
function startDrain(dependencies: DaemonDependencies, notice: DrainNotice, stop: AbortSignal) {
  const { logger, clock } = dependencies;
  const heartbeatsDone = new AbortController();
  let lifecycle: { resolving: Promise<ResolvedLifecycleAction | undefined>; heartbeats: Promise<number> } | undefined;
  const takeOnLifecycleAction = (target: LifecycleActionTarget) => {
    // The agent starts draining at once; finding the group and hook (API calls, retries) must never delay it.
    const resolving = resolveLifecycleAction({
      target,
      instanceId: dependencies.instanceId,
      configured: dependencies.configured,
      lookup: dependencies.groupLookup,
      clock,
      logger,
    });
    const heartbeats = resolving.then((resolved) =>
      resolved && !heartbeatsDone.signal.aborted
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
    lifecycle = { resolving, heartbeats };
  };
  if (notice.lifecycleAction) takeOnLifecycleAction(notice.lifecycleAction);

  const runSafely = async (invocation: HandlerInvocation): Promise<HandlerOutcome> => {
    try {
      return await dependencies.runHandler(invocation, stop);
    } catch (error) {
      return { ok: false, exitCode: null, signal: null, durationMs: 0, error: error as Error };
    }
  };

  logger.info('Executing handler', { args: notice.args });
  let mainHandlerDone = false;
  const mainHandler = runSafely(notice).finally(() => {
    mainHandlerDone = true;
  });
  const spotHandlers: Promise<void>[] = [];

  return {
    handlersDone: () => mainHandlerDone,
    apply(effect: DrainEffect, observation: Observation) {
      if (effect.kind === 'ignore') {
        logger.debug('Ignoring observation during the drain', { source: observation.source, reason: effect.reason });
      } else if (effect.kind === 'spot-deadline') {
        logger.warn('Spot interruption during the drain: the spot deadline now applies', {
          deadline: new Date(effect.deadlineMs).toISOString(),
          args: effect.invocation.args,
        });
        spotHandlers.push(
          runSafely(effect.invocation).then((outcome) =>
            logOutcome(logger, effect.invocation.transition, outcome, { stoppedBySignal: stop.aborted }),
          ),
        );
      } else {
        logger.info('Termination lifecycle action during the spot drain: it will be completed', {
          source: observation.source,
        });
        takeOnLifecycleAction(effect.target);
      }
    },
    async finish(stopWatching: () => void): Promise<DaemonResult> {
      const handler = await mainHandler;
      // Once the main handler is done the agent is stopped (or the daemon is): later notices change nothing.
      stopWatching();
      await Promise.all(spotHandlers);
      heartbeatsDone.abort();
      const beats = lifecycle ? await lifecycle.heartbeats : 0;
      logOutcome(logger, notice.transition, handler, { heartbeats: beats, stoppedBySignal: stop.aborted });
      const resolved = lifecycle ? await lifecycle.resolving : undefined;
      if (resolved && stop.aborted && !handler.ok) {
        // The stop cut the handler short, so the agent may still be running a job: completing would terminate the
        // instance under it. A restarted lifecycled sees the same notice (target-lifecycle-state stays Terminated)
        // and resumes the drain; otherwise Auto Scaling applies the hook's default result once heartbeats stop.
        logger.error(
          'Stopped during the drain: the lifecycle action is left pending, the agent may still be running a job',
          {
            autoScalingGroupName: resolved.action.autoScalingGroupName,
            lifecycleHookName: resolved.action.lifecycleHookName,
          },
        );
        return { kind: 'drained', notice, handler, completed: 'left-pending' };
      }
      const completed = resolved
        ? await completeLifecycleAction({ resolved, port: dependencies.lifecycleActions, clock, logger })
        : ('not-applicable' as const);
      return { kind: 'drained', notice, handler, completed };
    },
  };
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
