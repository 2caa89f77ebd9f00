/** Base class of this package's errors. */
export class AzRebalancingSuspenderError extends Error {
  override name = 'AzRebalancingSuspenderError';
}

/** Thrown (and answered FAILED) when the Lambda's environment is invalid; names every bad variable. */
export class ConfigurationError extends AzRebalancingSuspenderError {
  override name = 'ConfigurationError';
}

/** Thrown (and answered FAILED) when the custom resource's properties are invalid. */
export class ResourcePropertiesError extends AzRebalancingSuspenderError {
  override name = 'ResourcePropertiesError';
}

/** Thrown when Auto Scaling refused to suspend the process; `cause` is the SDK error. */
export class SuspendProcessesError extends AzRebalancingSuspenderError {
  override name = 'SuspendProcessesError';
}
