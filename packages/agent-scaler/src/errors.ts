/** Errors of the agent-scaler Lambda. None of them ever carries the agent token or the webhook secret. */

/**
 * Thrown once at cold start when the environment is invalid. The message names every bad variable and how to fix
 * it, so one failed deploy shows every problem at once.
 */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
  readonly issues: { variable: string; message: string }[];

  constructor(issues: { variable: string; message: string }[], options?: { cause?: unknown }) {
    super(
      `invalid agent-scaler environment (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${issues
        .map((issue) => `  - ${issue.variable}: ${issue.message}`)
        .join('\n')}`,
      options,
    );
    this.issues = issues;
  }
}

/** Thrown when a secret (agent token, webhook token) cannot be read from SSM Parameter Store. */
export class SecretUnavailableError extends Error {
  override name = 'SecretUnavailableError';

  constructor(parameterName: string, cause: unknown) {
    super(
      `could not read SecureString parameter ${parameterName} (${errorName(cause)}); check it exists and the function role has ssm:GetParameter and kms:Decrypt on it`,
      { cause },
    );
  }
}

/** Thrown when the Auto Scaling group named by ASG_NAME does not exist. */
export class GroupNotFoundError extends Error {
  override name = 'GroupNotFoundError';

  constructor(groupName: string) {
    super(`Auto Scaling group ${groupName} not found; check ASG_NAME and the function's region`);
  }
}

/** Thrown when an AWS answer lacks what a decision needs: a pass must not act on a value read as a default. */
export class MalformedAwsResponseError extends Error {
  override name = 'MalformedAwsResponseError';
}

/** Thrown when the persisted scaler state cannot be read or written. */
export class StateStoreError extends Error {
  override name = 'StateStoreError';

  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** The error's class name only: AWS SDK messages may quote request parameters, so they are not repeated. */
export function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return typeof error;
}

/** Thrown inside a pass that is about to act after its scaling lease has (nearly) run out: it must not act. */
/**
 * Thrown when a mutating call was still running (or retrying) when the scaling lease was about to end: it is
 * abandoned so that it cannot overlap a call of the container that takes the lease over.
 */
export class LeaseEndedDuringCallError extends Error {
  override name = 'LeaseEndedDuringCallError';

  constructor(call: string, target: string, options?: { cause?: unknown }) {
    super(
      `${call} on ${target} had not ended when the scaling lease was about to end, and was abandoned (AWS may or may not have applied it; the next pass reads the group again); raise SCALER_LOCK_TTL if AWS calls are this slow`,
      options,
    );
  }
}

export class LeaseExpiredError extends Error {
  override name = 'LeaseExpiredError';

  constructor(groupName: string, overdueMs: number) {
    super(
      `the pass on ${groupName} outlived the safe part of its scaling lease by ${overdueMs} ms and does not act (another container may hold the lease now); raise SCALER_LOCK_TTL if passes are this slow`,
    );
  }
}
