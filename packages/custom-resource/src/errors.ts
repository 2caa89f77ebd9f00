/** Base class of every error this package throws; `cause` carries the underlying failure. */
export class CustomResourceError extends Error {
  override name = 'CustomResourceError';
}

/**
 * Thrown by a responder when CloudFormation's pre-signed ResponseURL did not accept the answer after every retry.
 * The message names the host and path only: the query string is a signature that lets anyone answer for the stack.
 */
export class ResponseDeliveryError extends CustomResourceError {
  override name = 'ResponseDeliveryError';
}

/** Thrown by a self-invoker when the Lambda could not queue its own continuation. */
export class ContinuationError extends CustomResourceError {
  override name = 'ContinuationError';
}
