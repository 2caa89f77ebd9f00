import { type Clock, sleepUnlessAborted } from './clock';

const THROTTLING_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'ProvisionedThroughputExceededException',
]);

const TRANSIENT_NAMES = new Set([
  'ServiceUnavailable',
  'InternalFailure',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/** Whether an AWS SDK v3 error is throttling or a transient server/network failure worth another try. */
export function isRetryableAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as {
    name?: string;
    code?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  if (candidate.name === 'AbortError') return false;
  if (candidate.$retryable) return true;
  if (THROTTLING_NAMES.has(candidate.name ?? '') || TRANSIENT_NAMES.has(candidate.name ?? '')) return true;
  if (TRANSIENT_NAMES.has(candidate.code ?? '')) return true;
  const status = candidate.$metadata?.httpStatusCode ?? 0;
  return status === 429 || status >= 500;
}

export interface RetryOptions {
  clock: Clock;
  /** Total tries including the first. */
  attempts: number;
  /** Delay before the second try; doubles each time up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Also gives up once this long (on `clock`) has passed since the first try, whatever tries are left. */
  giveUpAfterMs?: number;
  signal?: AbortSignal;
  isRetryable?: (error: unknown) => boolean;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** Runs `operation` until it succeeds, fails with a non-retryable error, or the tries run out (then rethrows). */
export async function withRetries<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const isRetryable = options.isRetryable ?? isRetryableAwsError;
  const signal = options.signal ?? new AbortController().signal;
  const startedAtMs = options.clock.now();
  const outOfTime = () =>
    options.giveUpAfterMs !== undefined && options.clock.now() - startedAtMs >= options.giveUpAfterMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !isRetryable(error) || signal.aborted || outOfTime()) throw error;
      const delayMs = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
      options.onRetry?.(error, attempt, delayMs);
      if (!(await sleepUnlessAborted(options.clock, delayMs, signal))) throw error;
    }
  }
}
