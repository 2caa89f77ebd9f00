import type { ObjectResult } from './secret-store';

type Failure = Exclude<ObjectResult, { status: 'found' }>;

/** Throttling, 5xx and network errors are worth another attempt; "absent", the deadline and the rest are not. */
export function isRetryable(outcome: Failure): boolean {
  return outcome.status === 'failed' && ['throttled', 'server-error', 'network'].includes(outcome.kind);
}

/** The AWS SDKs' standard retry bases: throttling backs off harder than a transient error. */
const BASE_DELAY_MS = { throttled: 500, other: 100 } as const;
const MAX_DELAY_MS = 20_000;

/**
 * How long to wait before attempt `attempt + 1` (full jitter, as the AWS SDKs do, so agents that were throttled
 * together do not retry together).
 * @param attempt the attempt that just failed, from 1
 * @param random a number in [0, 1)
 */
export function backoffMs(attempt: number, outcome: Failure, random: number): number {
  const base =
    outcome.status === 'failed' && outcome.kind === 'throttled' ? BASE_DELAY_MS.throttled : BASE_DELAY_MS.other;
  return Math.floor(random * Math.min(MAX_DELAY_MS, base * 2 ** (attempt - 1)));
}
