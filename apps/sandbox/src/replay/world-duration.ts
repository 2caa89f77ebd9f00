/** Thrown for a duration that is not `90m`, `2h`, `1h30m`, `45s` or a plain number of seconds. */
export class DurationFormatError extends Error {
  override name = 'DurationFormatError';
}

const DURATION_PATTERN = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/;

/**
 * Parses a world duration as people type it: `2h`, `90m`, `1h30m`, `45s` or plain seconds (`5400`). The result is in
 * seconds; zero and negative durations are refused because a cut of nothing replays nothing.
 */
export function parseWorldDuration(text: string): number {
  const seconds = parseSeconds(text);
  if (!(seconds > 0)) throw new DurationFormatError(`"${text}" is not a positive duration`);
  return seconds;
}

/** Like `parseWorldDuration`, for a point in the trace: `0` (its start) is allowed. */
export function parseWorldOffset(text: string): number {
  return parseSeconds(text);
}

/** The replayed window for report headers: `first 1h30m`, or `1h30m from 32h40m` when it does not start at t = 0. */
export function formatWorldWindow(fromSec: number, cutSec: number): string {
  return fromSec > 0
    ? `${formatWorldDuration(cutSec)} from ${formatWorldDuration(fromSec)}`
    : `first ${formatWorldDuration(cutSec)}`;
}

function parseSeconds(text: string): number {
  const trimmed = text.trim();
  let seconds: number;
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) {
    seconds = Number(trimmed);
  } else {
    const match = DURATION_PATTERN.exec(trimmed);
    if (match === null || trimmed === '') {
      throw new DurationFormatError(`"${text}" is not a duration: use e.g. 2h, 90m, 1h30m, 45s or seconds`);
    }
    const [, hours, minutes, secs] = match;
    seconds = Number(hours ?? 0) * 3600 + Number(minutes ?? 0) * 60 + Number(secs ?? 0);
  }
  return seconds;
}

/** `5400` → `1h30m`, `90` → `1m30s`: the inverse of `parseWorldDuration` for whole seconds, for report headers. */
export function formatWorldDuration(totalSec: number): string {
  const whole = Math.round(totalSec);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const seconds = whole % 60;
  const parts = [hours > 0 ? `${hours}h` : '', minutes > 0 ? `${minutes}m` : '', seconds > 0 ? `${seconds}s` : ''];
  return parts.join('') || '0s';
}
