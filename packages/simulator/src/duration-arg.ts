import { UsageError } from './errors.js';

const UNIT_SEC: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Parses a command-line duration: a non-negative number with an optional unit `s`, `m`, `h` or `d` (`36h`, `1d`,
 * `3600s`, `90m`; a bare number is seconds).
 */
export function parseDurationArg(value: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(value.trim());
  if (match === null) {
    throw new UsageError(
      `${option} must be a duration such as 3600s, 90m, 36h or 1d (a bare number is seconds), got "${value}"`,
    );
  }
  return Number(match[1]) * (UNIT_SEC[match[2] || 's'] as number);
}

/** The shortest exact spelling of a duration: `1d`, `36h`, `90m`, `45s`. */
export function formatDurationArg(sec: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    const size = UNIT_SEC[unit] as number;
    if (sec > 0 && sec % size === 0) return `${sec / size}${unit}`;
  }
  return `${sec}s`;
}
