/**
 * The instance → scaler contract, defined once. Agent instances write these EC2 tags on themselves; agent-scaler reads
 * them from the `DescribeInstances` answer it already fetches, so idle times cost it no extra call.
 *
 * - `elastic-ci:idle-since`: when the instance's last job ended (ISO-8601 UTC, whole seconds). Present only while no
 *   job runs on the instance: the first job to start removes it, the last to end writes it.
 * - `elastic-ci:agent-state`: what the Buildkite agent on the instance is doing (`running` while the agent runs,
 *   `stopped` once it has exited).
 */

export const IDLE_SINCE_TAG = 'elastic-ci:idle-since';
export const AGENT_STATE_TAG = 'elastic-ci:agent-state';

export const AGENT_STATES = ['running', 'stopped'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

/** `2026-01-05T09:00:00Z`: ISO-8601 UTC to the second (tag values are compared by people and parsed by the scaler). */
export function formatIdleSinceTag(at: Date | number): string {
  const time = typeof at === 'number' ? at : at.getTime();
  if (!Number.isFinite(time)) throw new RangeError('formatIdleSinceTag needs a valid time');
  return `${new Date(Math.floor(time / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;

/**
 * The time an `elastic-ci:idle-since` value names, or `undefined` for anything else (absent, empty, another format,
 * an impossible date such as February 30th). Tags can be edited by hand, so a bad value must never throw: the scaler
 * then treats the instance as having no known idle time.
 */
export function parseIdleSinceTag(value: string | undefined | null): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const match = ISO_UTC.exec(value.trim());
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fraction = match[7] ? Math.floor(Number(`0${match[7]}`) * 1000) : 0;
  const time = Date.UTC(year, month - 1, day, hour, minute, second, fraction);
  const date = new Date(time);
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return roundTrips ? date : undefined;
}

/** The `elastic-ci:agent-state` value, or `undefined` when the tag holds something this version does not know. */
export function parseAgentStateTag(value: string | undefined | null): AgentState | undefined {
  return AGENT_STATES.find((state) => state === value?.trim());
}
