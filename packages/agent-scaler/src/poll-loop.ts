import type { Clock } from './clock';

export interface PassReport {
  /** Server-suggested poll interval (`Buildkite-Agent-Metrics-Poll-Duration`). */
  pollDurationMs?: number | undefined;
  /** Do not poll again before this much time has passed (e.g. a 429's `Retry-After`). */
  retryAfterMs?: number | undefined;
}

export interface PollLoopOptions {
  clock: Clock;
  /** Deterministic start delay (see `deterministicJitterMs`). */
  startupJitterMs: number;
  intervalMs: number;
  /** Absolute epoch ms: no pass starts at or after it. */
  deadlineMs: number;
  pass: () => Promise<PassReport>;
  /** Told when the interval grows because the server asked for slower polling. */
  onIntervalIncrease?: (fromMs: number, toMs: number) => void;
}

export interface PollLoopResult {
  passes: number;
  finalIntervalMs: number;
}

/**
 * One invocation's polling: wait the start jitter, then run a pass every `intervalMs` (measured start to start) until
 * the next start would fall on or after the deadline. The first pass always runs, even when the jitter is cut short
 * by the deadline. The interval only grows: a server poll-duration above it replaces it for the rest of the
 * invocation, as in Buildkite's scaler.
 */
export async function runPollLoop(options: PollLoopOptions): Promise<PollLoopResult> {
  const { clock, deadlineMs } = options;
  const jitterMs = Math.max(0, Math.min(options.startupJitterMs, deadlineMs - clock.now()));
  if (jitterMs > 0) await clock.sleep(jitterMs);

  let intervalMs = options.intervalMs;
  let passes = 0;
  for (;;) {
    const startedAt = clock.now();
    const report = await options.pass();
    passes += 1;
    if (report.pollDurationMs !== undefined && report.pollDurationMs > intervalMs) {
      options.onIntervalIncrease?.(intervalMs, report.pollDurationMs);
      intervalMs = report.pollDurationMs;
    }
    const nextStart = Math.max(startedAt + intervalMs, clock.now() + (report.retryAfterMs ?? 0));
    if (nextStart >= deadlineMs) return { passes, finalIntervalMs: intervalMs };
    const waitMs = nextStart - clock.now();
    if (waitMs > 0) await clock.sleep(waitMs);
  }
}

/**
 * When polling must stop: the earlier of `LAMBDA_TIMEOUT` after the start and the Lambda's own deadline minus a
 * margin that leaves the last pass time to finish.
 */
export function pollDeadlineMs(options: {
  nowMs: number;
  remainingTimeMs: number;
  invocationBudgetMs: number | undefined;
  deadlineMarginMs: number;
}): number {
  const lambdaDeadline = options.nowMs + options.remainingTimeMs - options.deadlineMarginMs;
  return options.invocationBudgetMs === undefined
    ? lambdaDeadline
    : Math.min(lambdaDeadline, options.nowMs + options.invocationBudgetMs);
}
