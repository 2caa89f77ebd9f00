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
}
