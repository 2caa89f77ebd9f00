import {
  initialScalerState,
  isWaitingMemory,
  parseDemandHistory,
  type ScalerState,
  serializeDemandHistory,
} from '@elastic-ci/scaler-core';
import * as z from 'zod';
import type { Clock } from './clock';
import { StateStoreError } from './errors';
import type { AutoScalingPort, MutatingCallOptions, ParameterStorePort, ScalingActivity } from './ports';

/** Where the scaler's memory (cooldown times, throttle bucket) lives between passes and across cold starts. */
export interface ScalerStateStore {
  load(): Promise<ScalerState>;
  /** Stores the state after a pass; under a scaling lease, `options` bound the write like any mutating call. */
  save(state: ScalerState, options?: MutatingCallOptions): Promise<void>;
}

/**
 * How far a stored time may lie ahead of this container's clock: the Lambda hosts' clocks agree far closer than this.
 * A time further ahead is no record of a past event (a corrupt or hand-edited value), and kept it would hold that
 * direction until then, cooldown or not.
 */
const MAX_STORED_TIME_AHEAD_MS = 60_000;

const persistedStateSchema = (nowMs: number) => {
  const pastEpochMs = z
    .number()
    .finite()
    .nonnegative()
    .max(nowMs + MAX_STORED_TIME_AHEAD_MS);
  return z
    .object({
      lastScaleOutAtMs: pastEpochMs.optional(),
      lastScaleInAtMs: pastEpochMs.optional(),
      // scaler-core refuses a negative bucket on every pass: such a state must not reach it.
      throttleTokens: z.number().finite().nonnegative().optional(),
      throttleUpdatedAtMs: pastEpochMs.optional(),
    })
    .catchall(z.unknown());
};

const USER_SET_DESIRED = 'a user request explicitly set group desired capacity changing the desired capacity';
/**
 * The cause of a TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity, how the drain strategy scales
 * in: `At … instance i-… was taken out of service in response to a user request, shrinking the capacity from 3 to 2.`
 * It never says the desired capacity was set, so Buildkite's match alone missed every drain.
 */
const USER_TERMINATED_WITH_DECREMENT = 'was taken out of service in response to a user request, shrinking the capacity';
/** A termination activity in these states shrank nothing; in any other (in progress, in the hook, done) it did. */
const DRAIN_UNDONE_STATUSES: ReadonlySet<string> = new Set(['Failed', 'Cancelled']);

/**
 * Finds the last successful scale-out and scale-in the way Buildkite's scaler does on a cold start: the newest
 * `Successful` activity whose cause says a user request set the desired capacity, "increasing" or "shrinking" it.
 * With `drains` (the drain strategy), a termination that shrank the capacity on a user request is a scale-in too.
 * Stops reading pages as soon as both are found.
 */
export async function lastScaleTimesFromActivities(
  pages: AsyncIterable<ScalingActivity[]>,
  options: { maxPages: number | undefined; wantScaleOut: boolean; wantScaleIn: boolean; drains?: boolean },
): Promise<Pick<ScalerState, 'lastScaleOutAtMs' | 'lastScaleInAtMs'>> {
  const found: Pick<ScalerState, 'lastScaleOutAtMs' | 'lastScaleInAtMs'> = {};
  const done = () =>
    (!options.wantScaleOut || found.lastScaleOutAtMs !== undefined) &&
    (!options.wantScaleIn || found.lastScaleInAtMs !== undefined);
  // `maxPages` 0 reads nothing: N means N, and the first page would otherwise be fetched before any count is checked.
  if (done() || options.maxPages === 0) return found;
  let pageCount = 0;
  for await (const page of pages) {
    pageCount += 1;
    for (const activity of page) {
      if (
        options.drains === true &&
        options.wantScaleIn &&
        found.lastScaleInAtMs === undefined &&
        activity.cause.includes(USER_TERMINATED_WITH_DECREMENT) &&
        !DRAIN_UNDONE_STATUSES.has(activity.statusCode)
      ) {
        // The desired capacity fell when the termination began; the activity stays in progress for as long as the
        // termination lifecycle hook holds the instance (lifecycled lets its job finish), the whole cooldown or more.
        found.lastScaleInAtMs = activity.startTimeMs;
        if (done()) return found;
        continue;
      }
      if (activity.statusCode !== 'Successful' || !activity.cause.includes(USER_SET_DESIRED)) continue;
      if (
        options.wantScaleOut &&
        found.lastScaleOutAtMs === undefined &&
        activity.cause.includes('increasing the capacity')
      ) {
        found.lastScaleOutAtMs = activity.startTimeMs;
      }
      if (
        options.wantScaleIn &&
        found.lastScaleInAtMs === undefined &&
        activity.cause.includes('shrinking the capacity')
      ) {
        found.lastScaleInAtMs = activity.startTimeMs;
      }
      if (done()) return found;
    }
    if (options.maxPages !== undefined && pageCount >= options.maxPages) break;
  }
  return found;
}

export interface ActivityScanOptions {
  autoScaling: AutoScalingPort;
  groupName: string;
  timeoutMs: number;
  maxPages: number | undefined;
  wantScaleOut: boolean;
  wantScaleIn: boolean;
  /** The drain strategy scales in by terminating instances: such a termination counts as a scale-in. */
  drains?: boolean;
  clock: Clock;
  onWarning?: ((message: string, details: Record<string, unknown>) => void) | undefined;
}

/**
 * The activity scan bounded by `ASG_ACTIVITY_TIMEOUT`. `complete` is false when the scan failed: the history is then
 * unknown, and the state returned assumes a scale-in just happened, so the scale-in cooldown holds until a later
 * scan succeeds (Buildkite's scaler assumes no history at all, which lets a scale-in follow a scale-out at once).
 */
async function scanActivities(options: ActivityScanOptions): Promise<{ state: ScalerState; complete: boolean }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error('activity scan timeout')), options.timeoutMs);
  try {
    const times = await lastScaleTimesFromActivities(
      options.autoScaling.scalingActivityPages(options.groupName, abort.signal),
      options,
    );
    return { state: { ...initialScalerState(), ...times }, complete: true };
  } catch (error) {
    options.onWarning?.('could not read scaling activities; assuming a scale-in just happened until a scan succeeds', {
      error: error instanceof Error ? error.name : typeof error,
    });
    return { state: { ...initialScalerState(), lastScaleInAtMs: options.clock.now() }, complete: false };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Buildkite-compatible: state lives in the container's memory and is rebuilt from scaling activities on a cold start
 * (retried on the next pass until one scan succeeds). Nothing to configure, but only cooldown times survive a cold
 * start; a growth-throttle bucket starts full again.
 */
export function createActivityDerivedStateStore(options: ActivityScanOptions): ScalerStateStore {
  let state: ScalerState | undefined;
  return {
    async load() {
      if (state) return state;
      const scan = await scanActivities(options);
      if (scan.complete) state = scan.state;
      return scan.state;
    },
    async save(next) {
      state = next;
    },
  };
}

/**
 * State persisted as JSON in an SSM String parameter, read at the start of every pass (so the scheduled and webhook
 * functions share it) and written only when it changed. When the parameter does not exist yet, or holds something
 * that is not a state, the cooldown times are rebuilt from scaling activities.
 */
export function createSsmStateStore(options: {
  parameterStore: ParameterStorePort;
  parameterName: string;
  activityScan: ActivityScanOptions;
  clock: Clock;
  onWarning?: ((message: string) => void) | undefined;
}): ScalerStateStore {
  let lastSaved: string | undefined;
  return {
    async load() {
      let text: string | undefined;
      try {
        text = await options.parameterStore.getString(options.parameterName);
      } catch (error) {
        throw new StateStoreError(`could not read scaler state parameter ${options.parameterName}`, error);
      }
      if (text !== undefined) {
        const parsed = parseState(text, options.clock.now());
        if (parsed) {
          lastSaved = text;
          if (parsed.dropped.length > 0) {
            options.onWarning?.(
              `scaler state parameter ${options.parameterName}: ${parsed.dropped.join(' and ')} did not parse (an older format or a truncated value); dropped, the scaler learns it again`,
            );
          }
          return parsed.state;
        }
        options.onWarning?.(
          `scaler state parameter ${options.parameterName} does not hold a valid state; rebuilding it from scaling activities`,
        );
      }
      return (await scanActivities(options.activityScan)).state;
    },
    async save(state, saveOptions) {
      // Unchanged since this pass loaded it: nothing to write, whatever another container wrote meanwhile.
      if (sameState(serializeScalerState(state, 0), lastSaved)) return;
      // Another container's pass (the scheduled and the webhook function, without a scaling lease) may have written
      // since this pass loaded: written over as it is, its scale-out or scale-in would be forgotten, and with it the
      // cooldown and the throttle it spent. Its newer scale events are kept; the memories are this pass's (newer).
      let stored: string | undefined;
      try {
        stored = await options.parameterStore.getString(options.parameterName);
      } catch (error) {
        throw new StateStoreError(`could not read scaler state parameter ${options.parameterName}`, error);
      }
      const nowMs = options.clock.now();
      const written = stored === undefined || stored === lastSaved ? undefined : parseState(stored, nowMs)?.state;
      const text = serializeScalerState(written === undefined ? state : withNewerScaleEvents(state, written), nowMs);
      if (sameState(text, stored)) {
        lastSaved = stored;
        return;
      }
      try {
        await options.parameterStore.putString(options.parameterName, text, saveOptions);
        lastSaved = text;
      } catch (error) {
        throw new StateStoreError(`could not write scaler state parameter ${options.parameterName}`, error);
      }
    },
  };
}

/** Whether two stored texts hold the same state (when each was saved aside); `false` for text that is no JSON. */
function sameState(text: string, other: string | undefined): boolean {
  if (other === undefined) return false;
  const comparable = (value: string) => {
    try {
      return JSON.stringify({ ...JSON.parse(value), savedAtMs: 0 });
    } catch {
      return undefined;
    }
  };
  const left = comparable(text);
  return left !== undefined && left === comparable(other);
}

/**
 * `mine` with the scale events of `theirs` (a state another container wrote meanwhile) where they are newer: the later
 * scale-out and scale-in of the two, and the growth-throttle bucket last updated later. Everything else is `mine`.
 */
export function withNewerScaleEvents(mine: ScalerState, theirs: ScalerState): ScalerState {
  const later = (left: number | undefined, right: number | undefined) =>
    left === undefined ? right : right === undefined ? left : Math.max(left, right);
  const merged: ScalerState = { ...mine };
  const lastScaleOutAtMs = later(mine.lastScaleOutAtMs, theirs.lastScaleOutAtMs);
  const lastScaleInAtMs = later(mine.lastScaleInAtMs, theirs.lastScaleInAtMs);
  if (lastScaleOutAtMs !== undefined) merged.lastScaleOutAtMs = lastScaleOutAtMs;
  if (lastScaleInAtMs !== undefined) merged.lastScaleInAtMs = lastScaleInAtMs;
  if (
    theirs.throttleUpdatedAtMs !== undefined &&
    (mine.throttleUpdatedAtMs === undefined || theirs.throttleUpdatedAtMs > mine.throttleUpdatedAtMs)
  ) {
    merged.throttleUpdatedAtMs = theirs.throttleUpdatedAtMs;
    if (theirs.throttleTokens === undefined) delete merged.throttleTokens;
    else merged.throttleTokens = theirs.throttleTokens;
  }
  return merged;
}

/**
 * The state as the parameter's text: JSON, with the demand history in scaler-core's compact form (about 2 KB at
 * most), so the whole state stays well within a Standard parameter's 4 KB (see the size test at the bound).
 */
export function serializeScalerState(state: ScalerState, savedAtMs: number): string {
  const { demandHistory, ...rest } = state;
  return JSON.stringify({
    ...rest,
    ...(demandHistory === undefined ? {} : { demandHistory: serializeDemandHistory(demandHistory) }),
    savedAtMs,
  });
}

/**
 * The state from the parameter's text, or `undefined` when it is not a state at all, or not one scaler-core can
 * decide with at `nowMs` (a negative throttle bucket, a scale time in the future). A learned part that does not parse
 * (an older format, a value cut short) is dropped on its own and named in `dropped`: the cooldown times stay.
 */
export function parseState(text: string, nowMs: number): { state: ScalerState; dropped: string[] } | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const result = persistedStateSchema(nowMs).safeParse(json);
  if (!result.success) return undefined;
  const { savedAtMs: _savedAtMs, demandHistory: storedHistory, waitingMemory, ...rest } = result.data;
  const state = rest as ScalerState;
  const dropped: string[] = [];
  if (storedHistory !== undefined) {
    const history = parseDemandHistory(storedHistory);
    if (history === undefined) dropped.push('the demand history');
    else state.demandHistory = history;
  }
  if (waitingMemory !== undefined) {
    if (isWaitingMemory(waitingMemory)) state.waitingMemory = waitingMemory;
    else dropped.push('the waiting-job memory');
  }
  return { state, dropped };
}
