import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from './clock';
import { LEASE_ACT_MARGIN_MS, LEASE_CALL_END_MARGIN_MS } from './config';
import type { ScalingLeasePort } from './ports';
import { describeError, type PassOutcome, type PassTrigger } from './scaling-pass';

/** First pause between two tries for a held lease; it doubles up to {@link MAX_RETRY_DELAY_MS}. */
const FIRST_RETRY_DELAY_MS = 250;
const MAX_RETRY_DELAY_MS = 2_000;

export interface LeasedPassOptions {
  lease: ScalingLeasePort;
  groupName: string;
  ttlMs: number;
  clock: Clock;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Names this container in lease owners (a random id by default), so a log line shows who held what. */
  containerId?: string;
}

/**
 * A pass that may start a mutating call only until `actBeforeMs`, and whose calls must have ended (retries included)
 * by `callsEndByMs`, a moment before the lease does.
 */
export type LeasedPass = (actBeforeMs: number, callsEndByMs: number) => Promise<PassOutcome>;

/**
 * Runs passes under the cross-container scaling lease of one group. A pass that cannot get the lease does not run at
 * all; with `waitUntilMs` it tries again, with growing pauses on the injected clock, until that time. The pass reads
 * its metrics only once the lease is held, so a webhook that waited for another container's pass decides on metrics
 * newer than everything that pass saw. A lease-store error counts as "not acquired": no lease, no scaling.
 */
export function createLeasedPassRunner(options: LeasedPassOptions) {
  const { lease, groupName, ttlMs, clock, logger } = options;
  const containerId = options.containerId ?? randomUUID();
  let sequence = 0;

  // A failure is logged once, with the pass's outcome: a webhook retrying against a failing table for its whole
  // wait logged one error record per try.
  const tryAcquire = async (
    owner: string,
    nowMs: number,
  ): Promise<{ result: 'acquired' | 'held' } | { result: 'unavailable'; error: unknown }> => {
    try {
      return { result: (await lease.acquire(groupName, owner, ttlMs, nowMs)) ? 'acquired' : 'held' };
    } catch (error) {
      return { result: 'unavailable', error };
    }
  };

  return async (trigger: PassTrigger, pass: LeasedPass, waitUntilMs?: number): Promise<PassOutcome> => {
    sequence += 1;
    const owner = `${containerId}#${sequence}`;
    const startedAtMs = clock.now();
    let attempts = 0;
    let delayMs = FIRST_RETRY_DELAY_MS;
    let leaseError: unknown;
    for (;;) {
      const acquiredAtMs = clock.now();
      attempts += 1;
      const attempt = await tryAcquire(owner, acquiredAtMs);
      const { result } = attempt;
      if (attempt.result === 'unavailable') leaseError = attempt.error;
      if (result === 'acquired') {
        try {
          return await pass(
            acquiredAtMs + ttlMs - LEASE_ACT_MARGIN_MS,
            acquiredAtMs + ttlMs - LEASE_CALL_END_MARGIN_MS,
          );
        } finally {
          await lease.release(groupName, owner).catch((error: unknown) =>
            logger.warn('scaling lease not released; it expires on its own', {
              groupName,
              ttlMs,
              error: describeError(error),
            }),
          );
        }
      }
      const nowMs = clock.now();
      if (waitUntilMs === undefined || nowMs + delayMs > waitUntilMs) {
        const waitedMs = nowMs - startedAtMs;
        const error = leaseError === undefined ? {} : { error: describeError(leaseError) };
        if (result === 'held') {
          logger.info(
            'scaling lease held by another pass; no scaling action here (that pass or the next scheduled one covers it)',
            { trigger, groupName, reason: 'lease-held', attempts, waitedMs, ...error },
          );
          return { status: 'skipped', reason: 'lease-held', attempts, waitedMs, pollDurationMs: undefined };
        }
        logger.error('scaling lease could not be read or written; no scaling action taken', {
          trigger,
          groupName,
          reason: 'lease-unavailable',
          attempts,
          waitedMs,
          ...error,
        });
        return { status: 'skipped', reason: 'lease-unavailable', attempts, waitedMs, pollDurationMs: undefined };
      }
      await clock.sleep(delayMs);
      delayMs = Math.min(delayMs * 2, MAX_RETRY_DELAY_MS);
    }
  };
}

/**
 * Until when a webhook pass waits for the lease: `SCALER_LOCK_WAIT` from now, but never into the deadline margin
 * the invocation keeps free for the pass itself.
 */
export function webhookLeaseWaitUntilMs(options: {
  nowMs: number;
  waitMs: number;
  remainingTimeMs: number | undefined;
  deadlineMarginMs: number;
}): number {
  const byWait = options.nowMs + options.waitMs;
  if (options.remainingTimeMs === undefined) return byWait;
  return Math.min(byWait, options.nowMs + options.remainingTimeMs - options.deadlineMarginMs);
}
