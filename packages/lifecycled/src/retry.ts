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

/** Socket codes of fetch's (undici's) network failures: the `cause` of `TypeError: fetch failed`. */
const TRANSIENT_FETCH_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * Whether an AWS SDK v3 error is throttling or a transient server/network failure worth another try. A failure the
 * instance broker answered (`InstanceBrokerError`) carries the broker's verdict, `retryable`, which decides: its name
 * may be Auto Scaling's, but the broker has judged it already. A fetch to the broker that failed on the network is
 * transient.
 */
export function isRetryableAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as {
    name?: string;
    code?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
    retryable?: unknown;
    status?: unknown;
    cause?: unknown;
  };
  if (candidate.name === 'AbortError') return false;
  // InstanceBrokerError, by shape: the daemon loads the broker client only once it calls the broker.
  if (typeof candidate.retryable === 'boolean' && typeof candidate.status === 'number') return candidate.retryable;
  if (candidate.$retryable) return true;
  if (THROTTLING_NAMES.has(candidate.name ?? '') || TRANSIENT_NAMES.has(candidate.name ?? '')) return true;
  if (TRANSIENT_NAMES.has(candidate.code ?? '')) return true;
  const status = candidate.$metadata?.httpStatusCode ?? 0;
  if (status === 429 || status >= 500) return true;
  return isFetchNetworkFailure(error);
}

function isFetchNetworkFailure(error: unknown): boolean {
  if (!(error instanceof TypeError)) return false;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && TRANSIENT_FETCH_CODES.has(code);
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
