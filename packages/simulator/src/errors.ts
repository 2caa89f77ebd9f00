/**
 * Every error the simulator throws on purpose. The CLI maps `UsageError` and its subclasses to exit code 2;
 * anything else is a bug and exits 1.
 */
export class SimulatorError extends Error {
  override readonly name: string = 'SimulatorError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Thrown for a bad command line, an unknown policy name or an unreadable input file. */
export class UsageError extends SimulatorError {
  override readonly name: string = 'UsageError';
}

/** One problem in a trace file, located by its 1-based line number. */
export interface TraceIssue {
  line: number;
  message: string;
}

/** Thrown when a trace cannot be simulated: every problem found is listed with its line number. */
export class TraceParseError extends UsageError {
  override readonly name: string = 'TraceParseError';
  readonly issues: readonly TraceIssue[];
  constructor(source: string, issues: readonly TraceIssue[], options?: { cause?: unknown }) {
    const shown = issues.slice(0, 20).map((issue) => `  line ${issue.line}: ${issue.message}`);
    const more = issues.length > shown.length ? [`  … and ${issues.length - shown.length} more`] : [];
    super(
      `${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'} in the trace (format: one JSON header line, then one job per line):\n${[...shown, ...more].join('\n')}`,
      options,
    );
    this.issues = issues;
  }
}

/** Thrown when a Buildkite export cannot be imported: every problem is named by file, build, job and field. */
export class BuildkiteExportError extends UsageError {
  override readonly name: string = 'BuildkiteExportError';
}

/** Thrown when a policy (preset or file) has invalid settings: every bad field is named with its path. */
export class PolicyConfigError extends UsageError {
  override readonly name: string = 'PolicyConfigError';
}

/** Thrown when the simulation breaks one of its own invariants (a job run twice, a busy instance killed). A bug. */
export class InvariantViolationError extends SimulatorError {
  override readonly name: string = 'InvariantViolationError';
}
