/** One problem found in a config or a decision input, named by its path (`idlePool.periods[0].cron`). */
export interface InputIssue {
  readonly path: string;
  readonly message: string;
}

function describeIssues(issues: readonly InputIssue[]): string {
  return issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ');
}

/** Base class of every error this package throws, so callers can catch them all at once. */
export class ScalerCoreError extends Error {
  override readonly name: string = 'ScalerCoreError';
}

/**
 * Thrown by `parseScalerConfig` when the config is invalid. `issues` lists every problem (not just the first) with
 * its path, so one deploy fixes them all.
 */
export class ScalerConfigError extends ScalerCoreError {
  override readonly name = 'ScalerConfigError';
  readonly issues: InputIssue[];

  constructor(issues: InputIssue[], options?: { cause?: unknown }) {
    super(`invalid scaler config (${issues.length} problem(s)): ${describeIssues(issues)}`, options);
    this.issues = issues;
  }
}

/**
 * Thrown by `decide` when metrics, group state, time or persisted state are not finite non-negative numbers (or the
 * group's min exceeds its max). A bad reading is rejected, never turned into a scaling action.
 */
export class InvalidInputError extends ScalerCoreError {
  override readonly name = 'InvalidInputError';
  readonly issues: InputIssue[];

  constructor(issues: InputIssue[], options?: { cause?: unknown }) {
    super(`invalid scaler input (${issues.length} problem(s)): ${describeIssues(issues)}`, options);
    this.issues = issues;
  }
}

/** Thrown by `parseCronExpression` for a malformed 5-field cron expression. */
export class CronExpressionError extends ScalerCoreError {
  override readonly name = 'CronExpressionError';
}
