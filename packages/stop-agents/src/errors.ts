/** Base class of this package's errors. */
export class StopAgentsError extends Error {
  override name = 'StopAgentsError';
}

/** Thrown (and answered FAILED) when the Lambda's environment is invalid; names every bad variable. */
export class ConfigurationError extends StopAgentsError {
  override name = 'ConfigurationError';
}

/** Thrown (and answered FAILED) when the custom resource's properties or continuation state are invalid. */
export class ResourcePropertiesError extends StopAgentsError {
  override name = 'ResourcePropertiesError';
}

/** Thrown when an Auto Scaling or Systems Manager call failed; `cause` is the SDK error. */
export class AwsCallError extends StopAgentsError {
  override name = 'AwsCallError';
  /**
   * The call may well succeed a moment later (throttling, a 5xx, a network failure, a scaling activity in progress):
   * the drain looks again at its next poll instead of giving up, until its deadline.
   */
  readonly transient: boolean;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.transient = isTransientAwsFailure(options?.cause);
  }
}

/** Error names AWS uses for a refusal that passes: throttling, and Auto Scaling's "busy right now". */
const TRANSIENT_ERROR_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ScalingActivityInProgressFault',
  'ResourceContentionFault',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Network failures of the call itself (no answer from AWS at all). */
const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** Whether an SDK error is worth another try later (what the SDK itself retries, plus Auto Scaling's contention). */
export function isTransientAwsFailure(cause: unknown): boolean {
  if (typeof cause !== 'object' || cause === null) return false;
  const { name, code, $retryable, $metadata } = cause as {
    name?: unknown;
    code?: unknown;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const status = typeof $metadata?.httpStatusCode === 'number' ? $metadata.httpStatusCode : undefined;
  return (
    Boolean($retryable) ||
    (status !== undefined && (status >= 500 || status === 429)) ||
    (typeof name === 'string' && TRANSIENT_ERROR_NAMES.has(name)) ||
    (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code))
  );
}
