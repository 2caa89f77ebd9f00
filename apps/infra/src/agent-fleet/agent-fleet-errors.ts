/**
 * Thrown by the `AgentFleet` constructor when its options are invalid. `problems` holds one lowercase line per
 * problem (option, bad value, what is allowed); the message lists them all, so one synth shows every mistake.
 */
export class AgentFleetValidationError extends Error {
  override name = 'AgentFleetValidationError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options?: { cause?: unknown }) {
    super(
      `invalid agent fleet options (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems
        .map((problem) => `  - ${problem}`)
        .join('\n')}`,
      options,
    );
    this.problems = problems;
  }
}
