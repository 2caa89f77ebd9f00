const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a duration the way Buildkite's scaler (Go `time.ParseDuration`) does — `"10s"`, `"1m30s"`, `"-1ns"`,
 * `"1.5h"` — and, unlike Go, also a bare whole number as seconds (`"3600"`), which CloudFormation parameters tend to
 * produce. Returns milliseconds, or `undefined` when the text is not a duration.
 */
export function parseGoDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^[+-]?\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  const match = /^([+-]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(trimmed);
  if (!match) return trimmed === '0' ? 0 : undefined;
  const sign = match[1] === '-' ? -1 : 1;
  let totalMs = 0;
  for (const part of (match[2] ?? '').matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    totalMs += Number(part[1]) * (UNIT_MS[part[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(totalMs) ? sign * totalMs : undefined;
}
