import * as z from 'zod';

/** Result of reading one untrusted metadata body. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** Parses an RFC 3339 time, keeping the original text (handlers get it verbatim, as Buildkite's lifecycled passes it). */
export function parseRfc3339(text: string): Parsed<{ text: string; epochMs: number }> {
  const trimmed = text.trim();
  const epochMs = Date.parse(trimmed);
  if (!RFC3339.test(trimmed) || !Number.isFinite(epochMs)) {
    return { ok: false, reason: `not an RFC 3339 time: ${JSON.stringify(trimmed.slice(0, 64))}` };
  }
  return { ok: true, value: { text: trimmed, epochMs } };
}

/** States AWS documents for `autoscaling/target-lifecycle-state`. */
export const TERMINAL_LIFECYCLE_STATES: ReadonlySet<string> = new Set(['Terminated', 'Warmed:Terminated']);
const LIFECYCLE_STATE = /^[A-Z][A-Za-z]{1,31}(?::[A-Z][A-Za-z]{1,31})?$/;

/** `InService`, `Terminated`, `Warmed:Stopped`, …; anything else (HTML, JSON, binary) is rejected as garbage. */
export function parseTargetLifecycleState(body: string): Parsed<string> {
  const state = body.trim();
  return LIFECYCLE_STATE.test(state)
    ? { ok: true, value: state }
    : { ok: false, reason: `not a lifecycle state: ${JSON.stringify(state.slice(0, 64))}` };
}

export interface SpotInterruption {
  action: 'terminate' | 'stop' | 'hibernate';
  /** The RFC 3339 time as IMDS gave it (or the estimated deadline when IMDS's was unreadable). */
  time: string;
  deadlineMs: number;
  /** Why IMDS's time could not be read, when `time` and `deadlineMs` are the estimate from the notice. */
  timeUnreadable?: string;
}

/** EC2 gives a spot interruption notice two minutes before it stops, hibernates or terminates the instance. */
export const SPOT_NOTICE_MS = 120_000;

const instanceActionSchema = z.object({
  action: z.enum(['terminate', 'stop', 'hibernate']),
  time: z.unknown().optional(),
});

function parseJson(body: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    return { ok: false, reason: `not JSON: ${JSON.stringify(body.trim().slice(0, 64))}` };
  }
}

/**
 * `spot/instance-action`: `{"action":"terminate","time":"2026-11-23T12:02:00Z"}`. A known action with an unreadable
 * time is still a notice (ignoring it would leave the agent taking jobs until the reclaim): its deadline is then
 * estimated as `nowMs` plus EC2's two minutes, and `timeUnreadable` says why.
 */
export function parseSpotInstanceAction(body: string, nowMs: number): Parsed<SpotInterruption> {
  const json = parseJson(body);
  if (!json.ok) return json;
  const shape = instanceActionSchema.safeParse(json.value);
  if (!shape.success) return { ok: false, reason: 'spot/instance-action lacks a known action' };
  const { action } = shape.data;
  const time =
    typeof shape.data.time === 'string'
      ? parseRfc3339(shape.data.time)
      : { ok: false as const, reason: `time is ${shape.data.time === undefined ? 'missing' : 'not a string'}` };
  if (time.ok) return { ok: true, value: { action, time: time.value.text, deadlineMs: time.value.epochMs } };
  const deadlineMs = nowMs + SPOT_NOTICE_MS;
  return {
    ok: true,
    value: { action, time: new Date(deadlineMs).toISOString(), deadlineMs, timeUnreadable: time.reason },
  };
}

/** `spot/termination-time`: a bare RFC 3339 time (the older endpoint, set together with instance-action). */
export function parseSpotTerminationTime(body: string): Parsed<SpotInterruption> {
  const time = parseRfc3339(body);
  if (!time.ok) return time;
  return { ok: true, value: { action: 'terminate', time: time.value.text, deadlineMs: time.value.epochMs } };
}

/** `events/recommendations/rebalance`: `{"noticeTime":"2026-11-23T12:00:00Z"}`. */
export function parseRebalanceRecommendation(body: string): Parsed<{ noticeTime: string }> {
  const json = parseJson(body);
  if (!json.ok) return json;
  const shape = z.object({ noticeTime: z.string() }).safeParse(json.value);
  if (!shape.success) return { ok: false, reason: 'rebalance recommendation lacks noticeTime' };
  const time = parseRfc3339(shape.data.noticeTime);
  return time.ok ? { ok: true, value: { noticeTime: time.value.text } } : time;
}
