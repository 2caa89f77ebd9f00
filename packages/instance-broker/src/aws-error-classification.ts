/** How the broker answers an Auto Scaling error (pure: reads only the SDK error's name, message and metadata). */
export type AutoScalingErrorClass =
  | { kind: 'no-pending-action' }
  | { kind: 'failure'; retryable: boolean; awsErrorName: string; message: string };

/** Errors the same request may outlive: throttling, contention, timeouts, network trouble. */
const RETRYABLE_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'ScalingActivityInProgress',
  'ScalingActivityInProgressFault',
  'ResourceContention',
  'ResourceContentionFault',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Longest Auto Scaling message passed on: enough to read, bounded so an answer stays small. */
const MESSAGE_LIMIT = 300;

/**
 * `ValidationError` "No active Lifecycle Action found" means the instance waits in no lifecycle action of that hook
 * (a reboot, an action already completed or timed out): for lifecycle calls that is an answer, not a failure — the
 * same meaning as agent-instance's `isNoPendingLifecycleAction`.
 */
export function classifyAutoScalingError(error: unknown, lifecycleCall: boolean): AutoScalingErrorClass {
  const { name, message, code, $fault, $metadata } = (error ?? {}) as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    $fault?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const errorName =
    typeof name === 'string' && name !== '' && name !== 'Error'
      ? name
      : typeof code === 'string'
        ? code
        : 'UnknownError';
  const text = typeof message === 'string' ? message : '';
  if (lifecycleCall && errorName === 'ValidationError' && /no active lifecycle action/i.test(text)) {
    return { kind: 'no-pending-action' };
  }
  const status = typeof $metadata?.httpStatusCode === 'number' ? $metadata.httpStatusCode : undefined;
  const retryable =
    RETRYABLE_NAMES.has(errorName) ||
    (typeof code === 'string' && RETRYABLE_NAMES.has(code)) ||
    $fault === 'server' ||
    (status !== undefined && (status >= 500 || status === 429));
  return {
    kind: 'failure',
    retryable,
    awsErrorName: errorName,
    message: text.length > MESSAGE_LIMIT ? `${text.slice(0, MESSAGE_LIMIT)}…` : text,
  };
}
