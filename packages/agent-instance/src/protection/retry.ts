import type { Clock } from '../aws/clock.js';

export interface RetryOptions {
  readonly clock: Clock;
  /** Attempts in all, the first included. @default 5 */
  readonly attempts?: number;
  /** First backoff; each later one doubles, up to `maxDelayMs`. @default 250 */
  readonly baseDelayMs?: number;
  /** @default 8000 */
  readonly maxDelayMs?: number;
  /** Called before each wait, so a caller can log the retry. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

const RETRYABLE_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalError',
  'TimeoutError',
]);

/** Socket codes of the SDK's and of fetch's (undici: the `cause` of `TypeError: fetch failed`) network failures. */
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * The instance broker's own verdict on a failure (`InstanceBrokerError.retryable`), or undefined for any other error.
 * Recognised by shape, not `instanceof`: the classifier runs in every job hook, and importing the broker client for
 * a class check would load it in hooks that never call the broker.
 */
export function brokerVerdict(error: unknown): boolean | undefined {
  if (!(error instanceof Error)) return undefined;
  const { retryable, status } = error as { retryable?: unknown; status?: unknown };
  return typeof retryable === 'boolean' && typeof status === 'number' ? retryable : undefined;
}

/**
 * Throttling, 5xx and network trouble pass with time; validation and permission errors never do. A failure the
 * instance broker answered carries its verdict (`retryable`), which decides: its name may be Auto Scaling's, but the
 * broker has already judged it.
 */
export function isRetryableAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const verdict = brokerVerdict(error);
  if (verdict !== undefined) return verdict;
  const candidate = error as {
    name?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: unknown };
    cause?: unknown;
  };
  if (typeof candidate.name === 'string' && RETRYABLE_NAMES.has(candidate.name)) return true;
  if (typeof candidate.code === 'string' && RETRYABLE_CODES.has(candidate.code)) return true;
  const status = candidate.$metadata?.httpStatusCode;
  if (typeof status === 'number' && (status === 429 || status >= 500)) return true;
  return candidate.cause !== undefined && candidate.cause !== error && isRetryableAwsError(candidate.cause);
}

/** Runs `operation`, retrying retryable AWS errors with capped exponential backoff on the given clock. */
export async function withRetries<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const attempts = options.attempts ?? 5;
  const base = options.baseDelayMs ?? 250;
  const max = options.maxDelayMs ?? 8000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= attempts || !isRetryableAwsError(error)) throw error;
      const delay = Math.min(max, base * 2 ** (attempt - 1));
      options.onRetry?.(error, attempt, delay);
      await options.clock.sleep(delay);
    }
  }
}
