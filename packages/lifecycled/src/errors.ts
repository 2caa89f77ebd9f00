/** Base class of every error lifecycled throws on purpose; `cause` keeps the underlying failure. */
export class LifecycledError extends Error {
  override name = 'LifecycledError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Thrown by `parseConfig` when flags or environment variables are invalid; lists every bad field at once. */
export class ConfigError extends LifecycledError {
  override name = 'ConfigError';
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(message);
  }
}

/** Thrown by the IMDS client when the metadata service keeps failing after its retries (5xx, timeouts, 401 loops). */
export class ImdsUnavailableError extends LifecycledError {
  override name = 'ImdsUnavailableError';
}

/** Thrown when instance metadata answers with a body that is not what the path documents (never trusted). */
export class MalformedMetadataError extends LifecycledError {
  override name = 'MalformedMetadataError';
}

/** Thrown by a listener that cannot start or keep running (e.g. the SNS topic does not exist); stops the daemon. */
export class ListenerError extends LifecycledError {
  override name = 'ListenerError';
}

/** Thrown when the Auto Scaling group or termination hook for this instance cannot be determined. */
export class LifecycleHookLookupError extends LifecycledError {
  override name = 'LifecycleHookLookupError';
}

/** Thrown when a lifecycle action heartbeat got no answer in time; the call is abandoned and the next beat goes on. */
export class HeartbeatTimeoutError extends LifecycledError {
  override name = 'HeartbeatTimeoutError';
}

/** Thrown when CompleteLifecycleAction got no answer in time; the call is abandoned and tried again. */
export class CompleteLifecycleActionTimeoutError extends LifecycledError {
  override name = 'CompleteLifecycleActionTimeoutError';
  readonly $retryable = true;
}

/**
 * Thrown when the instance broker finds no pending lifecycle action of the hook for this instance (completed, timed
 * out, or never there): the same answer as Auto Scaling's `ValidationError` to the direct call, and as final.
 */
export class NoPendingLifecycleActionError extends LifecycledError {
  override name = 'NoPendingLifecycleActionError';
}
